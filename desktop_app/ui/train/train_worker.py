"""Training off the GUI thread: a QObject worker in a QThread calling ml.training.train, or (job
"check") ml.label_check.check_labels, which uses the same kept backbone and so the same thread.

Progress events become queued signals. Batch and epoch logs all go through (the curves coalesce
them); plain progress is thinned to one event per 40 ms, since the bar cannot show more.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.core import presence
from desktop_app.core.errors import Cancelled, StudioError
from desktop_app.core.exception_hooks import report_caught
from desktop_app.core.progress import CancelToken, Progress
from desktop_app.core.thread_priority import run_in_background
from desktop_app.core.write_errors import explain


class TrainWorker(QObject):
    progress = Signal(object)  # Progress
    finished = Signal(object)  # RunRecord (status "complete" or "stopped"), or a LabelCheck
    failed = Signal(str)  # one line for the user
    cancelled = Signal()  # stopped before any model existed: nothing was saved

    PROGRESS_INTERVAL_S = 0.04

    def __init__(self, dataset: Any, settings: dict[str, Any], job: str = "train") -> None:
        super().__init__()
        self.dataset = dataset
        self.settings = dict(settings)
        self.job = job  # "train" or "check" (labels)
        self.cancel_token = CancelToken()
        self._last_progress = 0.0

    def stop(self) -> None:
        """Called from the GUI thread; training ends after the current batch or validation pass."""
        self.cancel_token.cancel()

    def _on_progress(self, event: Progress) -> None:
        if event.kind == "progress":
            now = time.monotonic()
            final = event.total is not None and event.done >= event.total
            if not final and now - self._last_progress < self.PROGRESS_INTERVAL_S:
                return
            self._last_progress = now
        self.progress.emit(event)

    @Slot()
    def run(self) -> None:
        run_in_background()
        try:
            # Imported here, in the worker thread, so the window never waits for TensorFlow.
            from desktop_app.ui.shell.ml_warmup import warm_up_ml

            warm_up_ml()  # Keras loaded and the heap frozen, once per process
            from desktop_app.ml.training import TrainSettings, train

            settings = TrainSettings(**self.settings)
            if self.job == "check":
                from desktop_app.ml.label_check import check_labels

                record = check_labels(
                    self.dataset,
                    settings.backbone,
                    progress=self._on_progress,
                    cancel=self.cancel_token,
                )
            else:
                record = train(
                    self.dataset, settings, progress=self._on_progress, cancel=self.cancel_token
                )
        except Cancelled:
            self.cancelled.emit()
        except StudioError as error:
            self.failed.emit(str(error))
        except Exception as error:  # a bug: keep the window alive and say what broke
            # A full disk while saving, or the folder pulled away, is no bug: its one line.
            message = explain(error) or presence.gone(self.dataset)
            if message is None:
                report_caught(error)
            what = "Checking labels" if self.job == "check" else "Training"
            self.failed.emit(message or f"{what} failed: {type(error).__name__}: {error}")
        else:
            self.finished.emit(record)
