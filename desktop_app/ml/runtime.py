"""Backend set-up that must happen before Keras (and TensorFlow) load.

Every ml/ module gets Keras through `keras_module()`, so TensorFlow's C++ log spam is filtered out,
GPU memory growth is switched on before the first tensor exists, and the heap is frozen once.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import threading

from desktop_app.core.native_stderr import filtered_stderr

_lock = threading.Lock()
_ready = False


# TensorFlow: abseil-format info/warning lines, the CUDA probe's error on a machine without a GPU,
# and two loose lines about CPU instructions.
TENSORFLOW_NOTICES = re.compile(
    rb"^(?:[IW]\d{4} [\d:.]+ +\d+ \S+:\d+\] "
    rb"|E\d{4} .*cuInit"
    rb"|WARNING: All log messages before absl::InitializeLog"
    rb"|To enable the following instructions:)"
)


def keras_module():
    """Import Keras once, after quietening TensorFlow; returns the module."""
    global _ready
    with _lock:
        if not _ready:
            # A user who set the level wants those logs: keep their choice and show them.
            user_chose = "TF_CPP_MIN_LOG_LEVEL" in os.environ
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            with filtered_stderr(TENSORFLOW_NOTICES, enabled=not user_chose):
                import keras

                from desktop_app.ml.devices import configure_devices

                configure_devices()
            # Retracing notices name internals a user cannot act on.
            logging.getLogger("tensorflow").setLevel(logging.ERROR)
            # Every object alive now (modules, TensorFlow, Keras, a window) lives for the whole
            # session: hidden from the garbage collector, so that a full collection no longer
            # walks TensorFlow's heap. One took 0.15-0.3 s holding the GIL: a stall the GUI
            # thread felt, and a quarter of a second before a CLI training began to embed.
            gc.freeze()
            _ready = True
    import keras

    return keras


def backend_name() -> str:
    return keras_module().backend.backend()
