"""Loads Keras and TensorFlow on a background thread after the window is up.

The first `import keras` takes seconds; doing it here means the Train and Live views find it
ready, and the window never waited for it.
"""

from __future__ import annotations

from PySide6.QtCore import QThread, Signal


class MlWarmup(QThread):
    ready = Signal(str)  # a description of the device, e.g. "CPU (no GPU found)"
    failed = Signal(str)

    def run(self) -> None:
        try:
            from desktop_app.ml.runtime import keras_module

            keras = keras_module()
            try:
                from desktop_app.ml.devices import describe_device

                device = describe_device()
            except ImportError:
                device = keras.backend.backend()
        except Exception as error:  # no usable TensorFlow: the app still labels photos
            self.failed.emit(f"{type(error).__name__}: {error}")
            return
        self.ready.emit(device)
