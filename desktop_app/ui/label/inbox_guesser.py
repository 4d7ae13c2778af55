"""The model's guess for the inbox's images, so Enter can accept it instead of H or N.

A QThread with its own Predictor (never the model being trained), loaded lazily from the
dataset's current run the first time a guess is wanted, and again after a training run
finishes. The GUI asks for the image on screen and the next few; only the newest request is
kept, so a fast labeler never waits behind guesses for images already gone.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal

from desktop_app.core.errors import StudioError
from desktop_app.core.exception_hooks import report_caught

HOT_DOG, NOT_HOT_DOG = "hot_dog", "not_hot_dog"


class InboxGuesser(QThread):
    guessed = Signal(str, str, float)  # hash, label, confidence in that label (0.5 to 1)
    model_changed = Signal(str)  # the model now guessing ("" when there is none): old guesses go

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._condition = threading.Condition()
        self._dataset: Any = None
        self._wanted: list[str] = []
        self._reload = False
        self._stopping = False
        # Worker-thread state: which dataset and model the predictor belongs to, what it guessed.
        self.predictor: Any = None
        self.model_path: Path | None = None
        self._loaded_for: Any = None
        self._guessed: set[str] = set()

    # -- called from the GUI thread ------------------------------------------------------

    def request(self, dataset: Any, hashes: list[str]) -> None:
        """Guess these images of dataset (the one on screen first); replaces an older request."""
        with self._condition:
            self._dataset = dataset
            self._wanted = [h for h in hashes if h]
            self._condition.notify()
        if self._wanted and not self.isRunning() and not self._stopping:
            self.start()

    def check_model(self) -> None:
        """A training run finished: look for the dataset's current model again."""
        with self._condition:
            self._reload = True
            self._condition.notify()

    def forget_dataset(self) -> None:
        """The dataset is closing: drop its requests (the model is dropped on the next one)."""
        with self._condition:
            self._dataset = None
            self._wanted = []

    def stop(self) -> None:
        """For good: the thread ends after the guess in hand and is joined."""
        with self._condition:
            self._stopping = True
            self._condition.notify()
        self.wait()

    # -- the worker thread ---------------------------------------------------------------

    def run(self) -> None:
        while True:
            with self._condition:
                self._condition.wait_for(lambda: self._stopping or self._wanted or self._reload)
                if self._stopping:
                    return
                dataset, wanted, reload = self._dataset, self._wanted, self._reload
                self._wanted, self._reload = [], False
            if dataset is None:
                continue
            try:
                if reload or dataset is not self._loaded_for:
                    self._load_model(dataset)
                if self.predictor is not None:
                    self._guess(dataset, [h for h in wanted if h not in self._guessed])
            except StudioError:
                pass  # an image that went away or cannot be read: no guess for it
            except Exception as error:  # a bug: say so, and keep labeling working
                report_caught(error)

    def _load_model(self, dataset: Any) -> None:
        from desktop_app.ml.runs import current_run  # plain JSON: no Keras yet

        if dataset is not self._loaded_for:
            self._guessed.clear()
        self._loaded_for = dataset
        run = current_run(dataset)
        path = run.model_path if run is not None else None
        if path == self.model_path and (path is None or self.predictor is not None):
            return
        self.predictor, self.model_path = None, None
        self._guessed.clear()
        if path is not None:
            from desktop_app.ui.shell.ml_warmup import warm_up_ml

            warm_up_ml()
            from desktop_app.ml.predict import Predictor

            self.predictor, self.model_path = Predictor(path), path
        self.model_changed.emit(str(path or ""))

    def _guess(self, dataset: Any, hashes: list[str]) -> None:
        import numpy as np

        from desktop_app.core.imaging import load_array

        for hash_ in hashes:  # one at a time: the image on screen gets its guess first
            with self._condition:
                if self._stopping or self._wanted:
                    return  # stopping, or the user moved on: answer the new request instead
            item = dataset.get(hash_)
            if item is None:
                continue
            pixels = load_array(item.path, self.predictor.input_size)
            score = float(self.predictor.predict_batch(np.asarray(pixels)[None])[0])
            label = HOT_DOG if score >= 0.5 else NOT_HOT_DOG
            self._guessed.add(hash_)
            self.guessed.emit(hash_, label, score if label == HOT_DOG else 1.0 - score)
