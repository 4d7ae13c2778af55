"""Loads Keras and TensorFlow on a background thread after the window is up.

The first `import keras` takes seconds; doing it here means the Train and Live views find it
ready, and the window never waited for it. Every thread that needs Keras (the warm-up, training,
the Live and inbox predictors) goes through `warm_up_ml()`, so what follows the first load
happens once, whichever thread gets there first.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QThread, Signal

from desktop_app.core.thread_priority import run_in_background

BACKEND_TITLES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def backend_title(backend: str | None = None) -> str:
    """The backend's name for people; before Keras loads, the one KERAS_BACKEND asks for."""
    backend = backend or os.environ.get("KERAS_BACKEND", "tensorflow")
    return BACKEND_TITLES.get(backend, backend)


def warm_up_ml():
    """Import Keras (quietly, devices configured, the heap frozen: ml/runtime.py); returns the
    keras module. Safe from any thread."""
    from desktop_app.ml.runtime import keras_module

    return keras_module()


class MlWarmup(QThread):
    ready = Signal(str)  # e.g. "TensorFlow ready · CPU (no GPU found)" or "JAX ready · GPU: …"
    failed = Signal(str)

    def run(self) -> None:
        run_in_background()
        try:
            keras = warm_up_ml()
            try:
                from desktop_app.ml.devices import describe_device
                from desktop_app.ml.litert_backbone import XNNPACK, unavailable_reason

                device = describe_device()
                if unavailable_reason() is None:  # the frozen backbone will run on XNNPACK
                    device += f" · {XNNPACK}"
            except ImportError:
                device = keras.backend.backend()
        except Exception as error:  # no usable TensorFlow: the app still labels photos
            self.failed.emit(f"{type(error).__name__}: {error}")
            return
        backend = keras.backend.backend()
        self.ready.emit(f"{backend_title(backend)} ready · {device}")
        from desktop_app.ui.shell.plots import preload

        preload()  # the plots' first drawing then does not import it on the GUI thread
        _get_training_ready()


def _get_training_ready() -> None:
    """The first fast-mode training's set-up (backbone, traced head), done while the user labels:
    a first model then costs little more than its photos' forward passes. A bug here is reported
    and the training does the set-up itself."""
    from desktop_app.core.exception_hooks import report_caught

    try:
        from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
        from desktop_app.ml.embedding import warm_up
        from desktop_app.ml.training import TrainSettings

        warm_up(get_spec(DEFAULT_BACKBONE), TrainSettings())
    except Exception as error:
        report_caught(error)
