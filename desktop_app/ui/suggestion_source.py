"""The inbox's suggestions (ml/suggest.py: the model's guess and why each photo comes when it
does), computed on a pool thread for the Label view's order control and Accept all.

Only the newest request's answer is kept: asking again (another order, a new model) while one is
computing drops the older answer when it arrives.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_app.ui.workers import run_in_pool


class SuggestionSource(QObject):
    ready = Signal(object)  # ml.suggest.Suggestions
    failed = Signal(str)  # one line
    busy = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.latest: Any = None  # the newest Suggestions, None before the first or after a close
        self._generation = 0

    def refresh(self, dataset: Any, order: str) -> None:
        self._generation += 1
        generation = self._generation
        if dataset is None:
            self.latest = None
            self.busy.emit(False)
            return
        self.busy.emit(True)
        run_in_pool(
            lambda: compute(dataset, order),
            lambda found: self._done(generation, found),
            lambda message: self._failed(generation, message),
        )

    def forget(self) -> None:
        self.refresh(None, "import")

    def _done(self, generation: int, found: Any) -> None:
        if generation == self._generation:
            self.latest = found
            self.busy.emit(False)
            self.ready.emit(found)

    def _failed(self, generation: int, message: str) -> None:
        if generation == self._generation:
            self.busy.emit(False)
            self.failed.emit(message)


def compute(dataset: Any, order: str) -> Any:
    """On a pool thread. Never downloads: a backbone not on disk yet gives the import order."""
    from desktop_app.ml.runs import current_run

    if order == "next" or current_run(dataset) is not None:  # Keras, loaded the app's one way
        from desktop_app.ui.ml_warmup import warm_up_ml

        warm_up_ml()
    from desktop_app.ml.suggest import suggest

    return suggest(dataset, order, allow_download=False)
