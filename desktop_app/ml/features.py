"""Decoding images in a thread pool, pipelined with the backbone's forward passes, and the cache
of pooled features per (backbone, image hash) in `.studio/features/`.

The pool decodes a few batches ahead while the backbone runs on the current one (Pillow releases the
GIL), so embedding costs about max(decode, forward) rather than their sum.
"""

from __future__ import annotations

import os
import tempfile
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from desktop_app.core.errors import BadImage
from desktop_app.core.imaging import load_array
from desktop_app.core.progress import CancelToken, EtaClock, Progress, ProgressCallback, emit

LOOKAHEAD_BATCHES = 3


def decode_workers() -> int:
    return max(2, min(8, os.cpu_count() or 2))


def _decode(path: Path, size: int) -> np.ndarray | BadImage:
    try:
        return load_array(path, size)
    except BadImage as error:
        return error
    except OSError as error:
        return BadImage(f"{Path(path).name}: {error}")


def decoded_batches(
    paths: Sequence[Path], size: int, batch_size: int, cancel: CancelToken | None = None
) -> Iterator[tuple[list[int], np.ndarray, list[tuple[int, BadImage]]]]:
    """Yields (indices, uint8 batch N×size×size×3, failures) in order, decoding ahead in threads."""
    starts = range(0, len(paths), batch_size)
    with ThreadPoolExecutor(decode_workers(), thread_name_prefix="decode") as pool:
        pending: deque = deque()
        next_start = iter(starts)

        def submit_one() -> None:
            start = next(next_start, None)
            if start is not None:
                chunk = range(start, min(start + batch_size, len(paths)))
                pending.append((chunk, [pool.submit(_decode, paths[i], size) for i in chunk]))

        for _ in range(LOOKAHEAD_BATCHES):
            submit_one()
        while pending:
            if cancel is not None:
                cancel.raise_if_cancelled()
            chunk, futures = pending.popleft()
            submit_one()
            results = [f.result() for f in futures]
            good = [i for i, r in zip(chunk, results, strict=True) if isinstance(r, np.ndarray)]
            bad = [(i, r) for i, r in zip(chunk, results, strict=True) if isinstance(r, BadImage)]
            arrays = [r for r in results if isinstance(r, np.ndarray)]
            batch = np.stack(arrays) if arrays else np.zeros((0, size, size, 3), np.uint8)
            yield good, batch, bad


def embed_paths(
    forward: Callable[[np.ndarray], np.ndarray],
    paths: Sequence[Path],
    size: int,
    *,
    batch_size: int = 64,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    pad: bool = True,
) -> tuple[np.ndarray, list[int], list[tuple[int, BadImage]]]:
    """Features of every decodable path: (features, their indices into paths, failures).
    pad: fill the last batch up (one compiled shape for Keras; a per-photo runtime needs none)."""
    clock = EtaClock()
    features: list[np.ndarray] = []
    indices: list[int] = []
    failures: list[tuple[int, BadImage]] = []
    done = 0
    for good, batch, bad in decoded_batches(paths, size, batch_size, cancel):
        failures.extend(bad)
        if len(good):
            # Pad to a full batch: one compiled shape, no retracing for the last batch.
            padded = batch
            if pad and len(batch) < batch_size:
                pad = np.zeros((batch_size - len(batch),) + batch.shape[1:], batch.dtype)
                padded = np.concatenate([batch, pad])
            features.append(np.asarray(forward(padded), dtype=np.float32)[: len(batch)])
            indices.extend(good)
        done += len(good) + len(bad)
        emit(
            progress,
            Progress("embedding", done, len(paths), eta_s=clock.eta(done, len(paths))),
        )
    stacked = np.concatenate(features) if features else np.zeros((0, 0), np.float32)
    return stacked, indices, failures


def cache_key(backbone: str, input_size: int) -> str:
    """The name of a backbone's feature cache at one input size (not the runtime: ADR 0007)."""
    return f"{backbone}_{input_size}"


class FeatureCache:
    """Pooled features of one backbone at one input size, keyed by image content hash."""

    def __init__(self, studio_dir: Path, key: str) -> None:
        self.path = Path(studio_dir) / "features" / f"{key}.npz"
        self.vectors: dict[str, np.ndarray] = {}
        self.embedded_now = 0  # forward passes the current run needed (new images only)
        self.failed: set[str] = set()  # hashes that would not decode
        self.runtime: str | None = None  # what embedded the new images this run (None: none)
        if self.path.is_file():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    self.vectors = dict(zip(data["hashes"].tolist(), data["features"], strict=True))
            except (OSError, ValueError, KeyError):
                self.vectors = {}  # a damaged cache is only lost time: embed again

    def missing(self, hashes: Sequence[str]) -> list[str]:
        return [h for h in hashes if h not in self.vectors]

    def get(self, hashes: Sequence[str]) -> np.ndarray:
        return np.stack([self.vectors[h] for h in hashes]).astype(np.float32)

    def update(self, hashes: Sequence[str], features: np.ndarray) -> None:
        for h, vector in zip(hashes, features, strict=True):
            self.vectors[h] = np.asarray(vector, np.float16)  # as stored on disk

    def save(self) -> None:
        """Atomic: a temporary file in the same folder, then a rename."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        hashes = np.array(list(self.vectors), dtype="U64")
        features = (
            np.stack(list(self.vectors.values())).astype(np.float16)
            if self.vectors
            else np.zeros((0, 0), np.float16)
        )
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".npz.tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.savez(out, hashes=hashes, features=features)
            os.replace(tmp, self.path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
