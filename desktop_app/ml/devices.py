"""Which accelerators the active Keras backend sees, and how training uses them.

GPU: memory growth (TensorFlow), mixed precision, and every GPU through Keras' distribution support
(MirroredStrategy on TensorFlow, DataParallel on JAX). CPU: the user is told plainly.
"""

from __future__ import annotations

import contextlib
import os


def _backend() -> str:
    import keras

    return keras.backend.backend()


def gpu_names() -> list[str]:
    """Names of the GPUs the active backend can use (empty on a CPU-only machine)."""
    backend = _backend()
    try:
        if backend == "tensorflow":
            import tensorflow as tf

            gpus = tf.config.list_physical_devices("GPU")
            names = []
            for gpu in gpus:
                details = tf.config.experimental.get_device_details(gpu)
                names.append(details.get("device_name", gpu.name))
            return names
        if backend == "jax":
            import jax

            return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
        if backend == "torch":
            import torch

            if torch.cuda.is_available():
                return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    except Exception:  # a broken driver means "no usable GPU", not a crash
        return []
    return []


def describe_device() -> str:
    """One line for the status bar and the run's sidecar, e.g. 'GPU: NVIDIA H100 ×1 (jax)'."""
    from desktop_app.ml.runtime import keras_module

    keras_module()  # first use from the GUI: load the backend quietly and configure it
    names = gpu_names()
    if not names:
        return "CPU (no GPU found)"
    counts: dict[str, int] = {}
    for name in names:
        counts[name] = counts.get(name, 0) + 1
    parts = ", ".join(f"{name} ×{count}" for name, count in counts.items())
    return f"GPU: {parts} ({_backend()})"


def configure_devices() -> None:
    """Called once when Keras is first imported: memory growth and mixed precision on GPU."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        for gpu in tf.config.list_physical_devices("GPU"):
            with contextlib.suppress(RuntimeError):  # already initialised: nothing to change
                tf.config.experimental.set_memory_growth(gpu, True)
    if gpu_names() and os.environ.get("HOTDOG_MIXED_PRECISION", "1") != "0":
        keras.mixed_precision.set_global_policy("mixed_float16")


# One per process: the kept backbone and head belong to the strategy that made them.
_strategy = None


def distribution_scope():
    """A context under which models are built and trained so that all GPUs share the work."""
    global _strategy
    names = gpu_names()
    if len(names) < 2:
        return contextlib.nullcontext()
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        if _strategy is None:
            _strategy = tf.distribute.MirroredStrategy()
        return _strategy.scope()
    if backend == "jax":
        import keras

        if keras.distribution.distribution() is None:
            keras.distribution.set_distribution(keras.distribution.DataParallel())
    return contextlib.nullcontext()


def is_distributed() -> bool:
    """Whether models built now are spread over several devices."""
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.distribute.has_strategy()
    if backend == "jax":
        import keras

        return keras.distribution.distribution() is not None
    return False
