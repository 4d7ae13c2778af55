"""The live predictor: a QThread with its own model, fed by a one-slot mailbox of pictures.

It loads the dataset's current model itself (Keras is imported and the model built in this
thread, never on the GUI thread, and never shared with training), predicts the newest picture,
and reports each verdict as a queued signal. Grad-CAM runs here too, on every Nth verdict.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PySide6.QtCore import QThread, Signal

from desktop_app.core.errors import StudioError
from desktop_app.core.exception_hooks import report_caught
from desktop_app.core.imaging import squash_array
from desktop_app.core.mailbox import Mailbox
from desktop_app.core.thread_priority import run_in_background
from desktop_app.ui.live.frame_convert import Picture, qimage_from_pil, rgb_array

HOT_DOG = "hot_dog"
NOT_HOT_DOG = "not_hot_dog"
FOLDER_THUMB = 160

ModelLocator = Callable[[], "Path | None"]


def default_predictor_factory(model_path: Path):
    from desktop_app.ui.shell.ml_warmup import warm_up_ml

    warm_up_ml()  # Keras loaded and the heap frozen, once per process
    from desktop_app.ml.predict import Predictor

    return Predictor(model_path)


def label_for(score: float, threshold: float) -> str:
    return HOT_DOG if score >= threshold else NOT_HOT_DOG


class PredictWorker(QThread):
    # label, score (probability of hot_dog), verdicts per second, frame-to-verdict ms, frame id
    verdict = Signal(str, float, float, float, int)
    heatmap_ready = Signal(object, int)  # float32 HxW in [0, 1], frame id
    model_ready = Signal(str)  # the model file now predicting
    model_missing = Signal(str)  # why there is no model to predict with
    folder_item = Signal(dict)  # {"path", "label", "score", "thumb": QImage} or {"path", "error"}
    folder_done = Signal(int)

    def __init__(
        self,
        pictures: Mailbox[Picture],
        model_locator: ModelLocator,
        predictor_factory: Callable = default_predictor_factory,
        heatmap_every: int = 6,
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.pictures = pictures
        self.model_locator = model_locator
        self.predictor_factory = predictor_factory
        self.heatmap_every = max(1, heatmap_every)
        self.threshold = 0.5  # set from the GUI; a float assignment is atomic
        self.heatmap_enabled = False
        self.predictor = None
        self.model_path: Path | None = None
        self.verdicts = 0
        self.handled = 0  # pictures taken and finished with
        self._recheck = threading.Event()
        self._recheck.set()
        self._stopping = threading.Event()
        self._folders: queue.Queue[list[Path]] = queue.Queue()
        self._last_picture: Picture | None = None
        self._recent: deque[float] = deque(maxlen=120)
        self._heatmap_due = threading.Event()
        self._since_heatmap = 0

    # -- called from the GUI thread ------------------------------------------------------

    def check_model(self) -> None:
        """Look again for the current model (a run finished, the view was shown)."""
        self._recheck.set()

    def predict_folder(self, paths: list[Path]) -> None:
        self._folders.put(list(paths))

    def set_heatmap(self, on: bool) -> None:
        """Heatmaps on or off; switched on, the picture on screen gets one straight away."""
        self.heatmap_enabled = on
        if on:
            self._heatmap_due.set()

    def stop(self) -> None:
        self._stopping.set()
        self.pictures.close()
        self.wait()

    # -- the worker thread ---------------------------------------------------------------

    def run(self) -> None:
        run_in_background()
        while not self._stopping.is_set():
            if self._recheck.is_set():
                self._recheck.clear()
                self._load_current_model()
            self._run_folder_jobs()
            if self._heatmap_due.is_set():
                self._heatmap_due.clear()
                _report_bugs(self._heatmap_for_last_picture)
            picture = self.pictures.take(timeout=0.1)
            if picture is not None:
                self._last_picture = picture
                _report_bugs(self._predict, picture)
                self.handled += 1

    def _load_current_model(self) -> None:
        try:
            path = self.model_locator()
        except StudioError as error:
            self.model_missing.emit(str(error))
            return
        if path is None:
            self.predictor, self.model_path = None, None
            self.model_missing.emit("No trained model yet: train one in the Train view.")
            return
        if self.predictor is not None and Path(path) == self.model_path:
            return
        try:
            self.predictor = self.predictor_factory(Path(path))
        except StudioError as error:
            self.predictor, self.model_path = None, None
            self.model_missing.emit(str(error))
            return
        # The first prediction traces the compiled step; do it now, not on the first real frame.
        # A model that loads but cannot predict is this model's problem, said in one line.
        size = self.predictor.input_size
        try:
            self.predictor.predict_image(np.zeros((size, size, 3), np.uint8))
        except Exception as error:  # any failure here means "this model is unusable"
            self.predictor, self.model_path = None, None
            reason = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            self.model_missing.emit(f"Cannot predict with {Path(path).name}: {reason[:200]}")
            return
        self.model_path = Path(path)
        self.model_ready.emit(str(path))
        if self._last_picture is not None:  # a still picture gets its verdict from the new model
            self._predict(self._last_picture)

    def _predict(self, picture: Picture) -> None:
        if self.predictor is None:
            return
        pixels = model_input(picture, self.predictor.input_size)
        score = float(self.predictor.predict_image(pixels))
        done = time.monotonic()
        self._recent.append(done)
        self.verdicts += 1
        latency_ms = (done - picture.arrived) * 1000.0
        label = label_for(score, self.threshold)
        self.verdict.emit(label, score, self._rate(done), latency_ms, picture.frame_id)
        self._since_heatmap += 1
        # Grad-CAM costs several predictions: on video only every Nth verdict, on a still every time.
        if self.heatmap_enabled and (
            self._since_heatmap >= self.heatmap_every or picture.time_s is None
        ):
            self._emit_heatmap(pixels, picture.frame_id)

    def _emit_heatmap(self, pixels, frame_id: int) -> None:
        from desktop_app.ml.gradcam import heatmap

        self._since_heatmap = 0
        self.heatmap_ready.emit(heatmap(self.predictor, pixels), frame_id)

    def _heatmap_for_last_picture(self) -> None:
        if self.predictor is not None and self._last_picture is not None:
            pixels = model_input(self._last_picture, self.predictor.input_size)
            self._emit_heatmap(pixels, self._last_picture.frame_id)

    def _rate(self, now: float) -> float:
        """Verdicts per second over the last second (0 until there are two)."""
        recent = [t for t in self._recent if now - t <= 1.0]
        if len(recent) < 2:
            return 0.0
        return (len(recent) - 1) / max(recent[-1] - recent[0], 1e-6)

    def _run_folder_jobs(self) -> None:
        while self.predictor is not None:
            try:
                paths = self._folders.get_nowait()
            except queue.Empty:
                return
            count = 0
            for result in self.predictor.predict_paths(paths):
                if self._stopping.is_set():
                    return
                if "score" in result:
                    result = {**result, "thumb": _thumbnail(result["path"])}
                self.folder_item.emit(result)
                count += 1
            self.folder_done.emit(count)


def model_input(picture: Picture, size: int) -> np.ndarray:
    """The picture at the model's input size: squashed by the converter already, when it knew it."""
    pixels = picture.model_pixels
    if pixels is not None and pixels.shape[:2] == (size, size):
        return pixels
    return squash_array(rgb_array(picture.image), size)


def _report_bugs(work, *args) -> None:
    """A bug (not the user's doing) is printed, and the live view carries on."""
    try:
        work(*args)
    except Exception as error:
        report_caught(error)


def _thumbnail(path):
    from desktop_app.core.imaging import open_image

    try:
        image = open_image(path)
    except StudioError:
        return None
    image.thumbnail((FOLDER_THUMB, FOLDER_THUMB))
    return qimage_from_pil(image)
