"""The frozen backbone run through LiteRT's XNNPACK kernels on a CPU: ~10x Keras `predict` there.

The Keras feature extractor (raw RGB -> pooled features, preprocessing included) is converted once
to a flatbuffer, cached per (backbone, input size, weights file, TensorFlow version) under the Keras
cache folder, and run by `ai-edge-litert`'s interpreter one photo per call (measured faster than
batches on 2 cores). Keras stays the path on a GPU, on JAX or PyTorch, and wherever the runtime or
the converter is missing or fails; `HOTDOG_RUNTIME=keras` chooses it by hand. ADR 0007.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import os
import re
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from desktop_app.core.native_stderr import filtered_stderr
from desktop_app.ml.runtime import keras_module

XNNPACK = "XNNPACK"
KERAS = "Keras"
# Features from the two runtimes agree within this (issue #12); a flatbuffer that does not is unused.
AGREEMENT = 1e-4
DELEGATE_NOTICE = re.compile(rb"^INFO: Created TensorFlow Lite XNNPACK delegate")

_lock = threading.Lock()
_failed: dict[str, str] = {}  # flatbuffer key -> why it could not be made (not retried)


def unavailable_reason() -> str | None:
    """Why the XNNPACK path is not used here, or None when it is."""
    if os.environ.get("HOTDOG_RUNTIME", "").lower() == "keras":
        return "HOTDOG_RUNTIME=keras"
    keras = keras_module()
    if keras.backend.backend() != "tensorflow":
        return f"the {keras.backend.backend()} backend"  # the converter needs TensorFlow
    from desktop_app.ml.devices import gpu_names

    if gpu_names():
        return "a GPU is there"
    try:
        from ai_edge_litert.interpreter import Interpreter  # noqa: F401
    except ImportError:
        return "ai-edge-litert is not installed"
    return None


def runtime_label(uses_xnnpack: bool) -> str:
    """'CPU · XNNPACK', 'CPU · Keras' or 'GPU · Keras': for the status bar and run.json."""
    if uses_xnnpack:
        return f"CPU · {XNNPACK}"
    from desktop_app.ml.devices import gpu_names

    return f"{'GPU' if gpu_names() else 'CPU'} · {KERAS}"


def cache_dir() -> Path:
    """$HOTDOG_LITERT_CACHE, else beside the weights in the Keras cache folder."""
    from desktop_app.ml.weights import keras_home

    chosen = os.environ.get("HOTDOG_LITERT_CACHE")
    return Path(chosen) if chosen else keras_home() / "hotdog_studio" / "litert"


def flatbuffer_key(name: str, size: int, weights: Path | None) -> str:
    import tensorflow as tf

    digest = "random"
    if weights is not None:
        stat = Path(weights).stat()
        digest = _weights_digest(str(weights), stat.st_size, stat.st_mtime_ns)
    return f"{name}_{size}_{digest}_tf{tf.__version__}"


@functools.lru_cache(maxsize=16)
def _weights_digest(path: str, _size: int, _mtime_ns: int) -> str:
    """Read once per file version: every training and every model the Live view loads asks."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def convert(model, target: Path) -> Path:
    """Writes the model as a LiteRT flatbuffer at target (atomically: a reader never sees half)."""
    import tensorflow as tf

    # The converter prints the exported signature to stdout and logs to stderr: none of it is news.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        flat = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=target.parent, suffix=".tflite.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(flat)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    return target


class LiteRTForward:
    """float32 N×H×W×3 -> N×D, one interpreter invocation per photo."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.path = Path(path)
        self._busy = threading.Lock()
        # LiteRT announces its delegate on fd 2 ("INFO: Created TensorFlow Lite XNNPACK
        # delegate for CPU."): news to no user, and noise in every command's stderr.
        with filtered_stderr(DELEGATE_NOTICE):
            self._interpreter = Interpreter(
                model_path=str(path), num_threads=threads or max(1, os.cpu_count() or 1)
            )
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.input_size = int(self._input["shape"][1])
        self.feature_dim = int(self._output["shape"][-1])

    def __call__(self, batch: np.ndarray) -> np.ndarray:
        batch = np.asarray(batch, np.float32)
        rows = []
        with self._busy:  # one interpreter, one caller at a time (a training beside a label check)
            for image in batch:
                self._interpreter.set_tensor(self._input["index"], image[None])
                self._interpreter.invoke()
                rows.append(self._interpreter.get_tensor(self._output["index"])[0].copy())
        if not rows:
            return np.zeros((0, *self._output["shape"][1:]), np.float32)
        return np.stack(rows)


def fast_forward(
    model, key: str, reference: Callable[[np.ndarray], np.ndarray] | None = None
) -> LiteRTForward | None:
    """A LiteRT forward pass of `model` (converted once, cached as key), or None where the
    runtime cannot be used. With `reference`, the two must agree on a probe picture first; the
    reference's answer is then stored beside the flatbuffer for verified_forward()."""
    if unavailable_reason() is not None:
        return None
    with _lock:
        if key in _failed:
            return None
        target = cache_dir() / f"{key}.tflite"
        try:
            try:
                forward = LiteRTForward(target)
            except Exception:  # not made yet, or damaged: (re)convert
                convert(model, target)
                forward = LiteRTForward(target)
        except Exception as error:  # a converter or runtime failure means "use Keras", not a crash
            _failed[key] = f"{type(error).__name__}: {error}"
            return None
    if reference is None:
        return forward
    probe = probe_picture(forward.input_size)
    theirs = np.asarray(reference(probe), np.float32)
    if not _close(forward(probe), theirs):
        _failed[key] = "its features disagreed with Keras"
        target.unlink(missing_ok=True)  # a stale or damaged flatbuffer: convert again next time
        _answer_path(key).unlink(missing_ok=True)
        return None
    _store_answer(key, theirs)
    return forward


def verified_forward(key: str) -> LiteRTForward | None:
    """The cached flatbuffer `key`, if an earlier check against Keras stored its answer on the
    probe and the flatbuffer still gives it; else None (then check it against Keras). No Keras
    model is needed: tracing one for the check costs about a second of every first training."""
    if unavailable_reason() is not None:
        return None
    with _lock:
        if key in _failed:
            return None
    target, answer = cache_dir() / f"{key}.tflite", _answer_path(key)
    if not (target.is_file() and answer.is_file()):
        return None
    try:
        theirs = np.load(answer, allow_pickle=False)
        forward = LiteRTForward(target)
    except Exception:  # unreadable: not trusted, so the caller checks it against Keras
        return None
    return forward if _close(forward(probe_picture(forward.input_size)), theirs) else None


def probe_picture(size: int) -> np.ndarray:
    """A fixed textured picture, float32 1×size×size×3 in 0..255."""
    return np.random.default_rng(12).integers(0, 256, (1, size, size, 3)).astype(np.float32)


def agrees(forward, reference, size: int) -> bool:
    """The two forward passes give the same outputs on the probe picture."""
    probe = probe_picture(size)
    return _close(forward(probe), reference(probe))


def _close(ours, theirs) -> bool:
    ours, theirs = np.asarray(ours, np.float32), np.asarray(theirs, np.float32)
    return ours.shape == theirs.shape and float(np.max(np.abs(ours - theirs))) <= AGREEMENT * max(
        1.0, float(np.max(np.abs(theirs)))
    )


def _answer_path(key: str) -> Path:
    """Keras' features of the probe for flatbuffer `key`; named by the Keras version that gave
    them, as the flatbuffer's own name carries TensorFlow's."""
    return cache_dir() / f"{key}.keras{keras_module().__version__}.probe.npy"


def _store_answer(key: str, features: np.ndarray) -> None:
    """Atomically, and only as a saving: a read-only cache folder just means checking again."""
    path = _answer_path(key)
    try:
        fd, partial = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.save(out, features, allow_pickle=False)
            os.replace(partial, path)
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
    except OSError:
        pass


def failure_reason(key: str) -> str | None:
    return _failed.get(key)
