"""The inbox's suggestions (ml/suggest.py: the model's guess and why each photo comes when it
does), computed on a pool thread for the Label view's order control and Accept all.

Only the newest request counts: asking again (another order, a new model, a closed dataset)
cancels the one computing, and an older answer that still arrives is dropped.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QThreadPool, Signal

from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken, Progress
from desktop_app.ui.shell.workers import run_in_pool


class SuggestionSource(QObject):
    ready = Signal(object)  # ml.suggest.Suggestions
    failed = Signal(str)  # one line
    busy = Signal(bool)
    progress = Signal(str)  # "embedding 12/300", from the worker (queued to the GUI thread)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.latest: Any = None  # the newest Suggestions, None before the first or after a close
        self._generation = 0
        self._cancel: CancelToken | None = None
        # One thread of its own that never expires: TensorFlow, when this thread is the first to
        # load it, is not left with state of a thread that has ended (that crashed a later trace).
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)

    def refresh(self, dataset: Any, order: str) -> None:
        self._generation += 1
        if self._cancel is not None:
            self._cancel.cancel()
        self._cancel = None
        if dataset is None:
            self.latest = None
            self.busy.emit(False)
            return
        self._cancel = cancel = CancelToken()
        generation = self._generation
        self.busy.emit(True)
        # Bound methods, not lambdas: a source deleted meanwhile is simply not called.
        run_in_pool(
            lambda: (generation, *compute(dataset, order, self._report, cancel)),
            self._done,
            self._failed,
            pool=self._pool,
        )

    def forget(self) -> None:
        self.refresh(None, "import")

    def _report(self, event: Progress) -> None:
        if event.total:  # worker thread: only the signal crosses over
            self.progress.emit(f"{event.phase} {event.done}/{event.total}")

    def _done(self, result: tuple) -> None:
        generation, found, error = result
        if generation != self._generation:
            return
        self.busy.emit(False)
        if error is not None:
            self.failed.emit(error)
        else:
            self.latest = found
            self.ready.emit(found)

    def _failed(self, message: str) -> None:  # a bug, not a refusal: said whichever request
        self.busy.emit(False)
        self.failed.emit(message)


def compute(dataset: Any, order: str, progress, cancel: CancelToken) -> tuple[Any, str | None]:
    """On a pool thread: (Suggestions, None), or (None, the one line why not). Never downloads:
    a backbone not on disk yet gives the import order."""
    from desktop_app.ml.runs import current_run

    try:
        if order == "next" or current_run(dataset) is not None:  # Keras, loaded the app's way
            from desktop_app.ui.shell.ml_warmup import warm_up_ml

            warm_up_ml()
        from desktop_app.ml.suggest import suggest

        found = suggest(dataset, order, progress=progress, cancel=cancel, allow_download=False)
    except StudioError as error:
        return None, str(error)
    return found, None
