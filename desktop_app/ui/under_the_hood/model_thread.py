"""The Under the hood view's own thread: it holds the model, and every panel's question runs there.

Keras models are not thread-safe, so one thread owns this view's Predictor (never the model a
training is using). A panel asks `ask(kind, work, answer)`: work(context) runs on the thread,
answer(result) on the GUI thread later. Only the newest question of each kind is kept, so a view
following a 30 fps Live feed never queues frames: it answers the latest one when it is free.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from desktop_app.core.errors import StudioError
from desktop_app.core.exception_hooks import report_caught
from desktop_app.core.thread_priority import run_in_background


@dataclass
class Context:
    """What a question's work may use, on the model thread only."""

    dataset: Any
    predictor: Any  # ml.predict.Predictor of the dataset's current run, None without a model
    run: Any  # ml.runs.RunRecord of that run, None without a model
    cache: dict  # per-model scratch space (built Keras sub-models): cleared with the model


class ModelThread(QThread):
    answered = Signal(object, object)  # answer callback, result (delivered on the GUI thread)
    failed = Signal(str, str)  # kind, one line for the user
    model_changed = Signal(object)  # RunRecord now loaded, or None (no model yet)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._condition = threading.Condition()
        self._questions: dict[str, tuple[Callable, Callable]] = {}
        self._dataset: Any = None
        self._reload = True
        self._stopping = False
        self._context: Context | None = None
        self._model_path: Path | None = None
        self.answered.connect(lambda answer, result: answer(result))

    # -- the GUI thread ------------------------------------------------------------------------
    def set_dataset(self, dataset: Any) -> None:
        with self._condition:
            self._dataset, self._reload = dataset, True
            self._questions.clear()
            self._condition.notify()
        self._start()

    def check_model(self) -> None:
        """A training finished: load the dataset's current model before the next question."""
        with self._condition:
            self._reload = True
            self._condition.notify()
        self._start()

    def ask(self, kind: str, work: Callable[[Context], Any], answer: Callable[[Any], None]) -> None:
        with self._condition:
            self._questions[kind] = (work, answer)  # replaces an unanswered one of its kind
            self._condition.notify()
        self._start()

    def busy_with(self, kind: str) -> bool:
        with self._condition:
            return kind in self._questions

    def stop(self) -> None:
        with self._condition:
            self._stopping = True
            self._questions.clear()
            self._condition.notify()
        self.wait()

    def _start(self) -> None:
        if not self.isRunning() and not self._stopping:
            self.start()

    # -- the model thread ----------------------------------------------------------------------
    def run(self) -> None:
        run_in_background()
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._stopping or self._questions or self._reload)
                if self._stopping:
                    return
                dataset, reload = self._dataset, self._reload
                self._reload = False
                # Oldest kind first (a thumbnail asked before a pass is answered first); a newer
                # question of a kind already waiting took its place without moving it.
                kind = next(iter(self._questions), None)
                work, answer = self._questions.pop(kind) if kind is not None else (None, None)
            try:
                if reload or self._context is None or self._context.dataset is not dataset:
                    self._load(dataset)
                if work is not None and self._context is not None:
                    result = work(self._context)
                    self.answered.emit(answer, result)
            except StudioError as error:
                self.failed.emit(kind or "model", str(error))
            except Exception as error:  # a bug: say so, keep the view alive
                report_caught(error)
                self.failed.emit(kind or "model", f"{type(error).__name__}: {error}")

    def _load(self, dataset: Any) -> None:
        from desktop_app.ml.runs import current_run  # plain JSON: no Keras yet

        run = current_run(dataset) if dataset is not None else None
        path = Path(run.model_path) if run is not None else None
        if (
            self._context is not None
            and self._context.dataset is dataset
            and path == self._model_path
        ):
            return
        predictor = None
        if path is not None:
            from desktop_app.ui.shell.ml_warmup import warm_up_ml

            warm_up_ml()
            from desktop_app.ml.predict import Predictor

            predictor = Predictor(path)
        self._context = Context(dataset, predictor, run if predictor else None, {})
        self._model_path = path
        self.model_changed.emit(self._context.run)
