"""One small decode per photo, for its near-duplicate signature and its quality measures, cached in
`.studio/photo_facts.npz` by content hash: a second scan of the same dataset decodes nothing.

A read-only open may scan too (beside a running window, as features are cached): the cache is
written atomically and a dataset on read-only media merely goes uncached.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.core.errors import BadImage
from desktop_app.core.near_duplicates import SIGNATURE_ROWS, signature
from desktop_app.core.photo_quality import Measures, measure
from desktop_app.core.progress import CancelToken, EtaClock, Progress, ProgressCallback, emit
from desktop_app.core.small_photo import small_photo

CACHE_NAME = "photo_facts.npz"
VERSION = 1  # bump when signatures or measures change meaning: old caches are then ignored
WORKERS = 2

log = logging.getLogger(__name__)


@dataclass
class Scan:
    signatures: dict[str, np.ndarray] = field(default_factory=dict)  # hash -> SIGNATURE_ROWS x 2
    measures: dict[str, Measures] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)  # hash -> why it would not decode
    decoded_now: int = 0


def scan(
    dataset,
    items: Sequence,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Scan:
    """Signatures and measures of items (dataset Items), decoding only those not cached yet."""
    path = Path(dataset.studio_dir) / CACHE_NAME
    result = _load(path)
    todo = [it for it in items if it.hash not in result.signatures]
    result.decoded_now = len(todo)
    if not todo:
        return result
    clock = EtaClock()
    with ThreadPoolExecutor(WORKERS, thread_name_prefix="photo-scan") as pool:
        for done, (item, facts) in enumerate(
            zip(todo, pool.map(lambda it: _facts(dataset, it), todo), strict=True), 1
        ):
            if cancel is not None:
                cancel.raise_if_cancelled()
            if isinstance(facts, str):
                result.failed[item.hash] = facts
            else:
                result.signatures[item.hash], result.measures[item.hash] = facts
            if done % 16 == 0 or done == len(todo):
                eta = clock.eta(done, len(todo))
                emit(progress, Progress("looking at photos", done, len(todo), eta_s=eta))
    _save(path, result)
    return result


def _facts(dataset, item) -> tuple[np.ndarray, Measures] | str:
    where = dataset.locate(item.hash) or item.path  # a writer may have moved it since
    try:
        picture = small_photo(where)
    except BadImage as error:
        return str(error)
    return signature(picture), measure(picture)


def _load(path: Path) -> Scan:
    if not path.is_file():
        return Scan()
    try:
        with np.load(path, allow_pickle=False) as data:
            if int(data["version"]) != VERSION:
                return Scan()
            hashes = data["hashes"].tolist()
            sigs = data["signatures"].astype(np.uint64)
            rows = data["measures"].tolist()
    except (OSError, ValueError, KeyError):
        return Scan()  # a damaged cache is only lost time: look again
    if sigs.shape[1:] != (SIGNATURE_ROWS, 2):
        return Scan()
    return Scan(
        signatures=dict(zip(hashes, sigs, strict=True)),
        measures={h: Measures(*row) for h, row in zip(hashes, rows, strict=True)},
    )


def _save(path: Path, result: Scan) -> None:
    hashes = list(result.signatures)
    try:
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".npz.tmp")
    except OSError as error:  # read-only media: nothing cached, nothing lost
        log.info("photo facts not cached: %s", error)
        return
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez(
                out,
                version=np.int64(VERSION),
                hashes=np.array(hashes, dtype="U64"),
                signatures=np.array(
                    [result.signatures[h] for h in hashes], dtype=np.uint64
                ).reshape(len(hashes), SIGNATURE_ROWS, 2),
                measures=np.array(
                    [result.measures[h].as_row() for h in hashes], dtype=np.float32
                ).reshape(len(hashes), 3),
            )
        os.replace(temporary, path)
    except OSError as error:
        log.info("photo facts not cached: %s", error)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
