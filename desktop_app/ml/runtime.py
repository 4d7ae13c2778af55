"""Backend set-up that must happen before Keras (and TensorFlow) load.

Every ml/ module gets Keras through `keras_module()`, so TensorFlow's C++ log spam is silenced and
GPU memory growth is switched on before the first tensor exists.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import threading

_lock = threading.Lock()
_ready = False


@contextlib.contextmanager
def _quiet_native_stderr(enabled: bool):
    """TensorFlow writes oneDNN/CUDA notices to fd 2 before its log level applies: hide them."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def keras_module():
    """Import Keras once, after quietening TensorFlow; returns the module."""
    global _ready
    with _lock:
        if not _ready:
            # A user who set the level wants those logs: keep their choice and show them.
            user_chose = "TF_CPP_MIN_LOG_LEVEL" in os.environ
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            with _quiet_native_stderr(not user_chose):
                import keras

                from desktop_app.ml.devices import configure_devices

                configure_devices()
            # Retracing notices name internals a user cannot act on.
            logging.getLogger("tensorflow").setLevel(logging.ERROR)
            _ready = True
    import keras

    return keras


def backend_name() -> str:
    return keras_module().backend.backend()
