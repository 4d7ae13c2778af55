"""Frames into pictures and model inputs, off the GUI thread.

The video sink's signal handler only drops the QVideoFrame (cheap: implicitly shared) into a
mailbox; FrameConverter turns it into a QImage once, hands that to the view for painting and to
the predictor's mailbox, where the predict worker resizes it to the model's input size.
Video frames are read from their mapped planes (frame_pixels), never with QVideoFrame.toImage(),
which crashes beside TensorFlow on xcb (ADR 0006).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import QThread, Signal
from PySide6.QtGui import QImage
from PySide6.QtMultimedia import QVideoFrame

from desktop_app.core.errors import StudioError
from desktop_app.core.imaging import open_image, squash_array
from desktop_app.core.mailbox import Mailbox
from desktop_app.core.thread_priority import run_in_background
from desktop_app.ui.live.frame_pixels import UnsupportedFrame, frame_to_rgb


@dataclass(frozen=True)
class RawFrame:
    """What a source delivers: a video frame, a picture, or an image file still to decode."""

    frame_id: int
    source: QVideoFrame | QImage | Path
    arrived: float  # time.monotonic() when it reached the app: latency is measured from here
    time_s: float | None = None  # position in a video file


@dataclass(frozen=True)
class Picture:
    """A frame decoded once; the view paints it and the predict worker reads it."""

    frame_id: int
    image: QImage
    arrived: float
    time_s: float | None = None
    # Squashed to the model's input size here, in the converter's thread, so the predict
    # thread only predicts: the two run side by side on two cores. None before a model is known.
    model_pixels: np.ndarray | None = None


def to_qimage(source: QVideoFrame | QImage | Path) -> QImage:
    """A QImage for any frame source; raises StudioError for a file that is not a picture."""
    return qimage_from_rgb(to_rgb(source)) if not isinstance(source, QImage) else source


def to_rgb(source: QVideoFrame | QImage | Path) -> np.ndarray:
    """HxWx3 uint8 RGB pixels of any frame source."""
    if isinstance(source, QImage):
        return rgb_array(source)
    if isinstance(source, QVideoFrame):
        return frame_to_rgb(source)
    return np.asarray(open_image(source).convert("RGB"))


def qimage_from_pil(image: Image.Image) -> QImage:
    return qimage_from_rgb(np.asarray(image.convert("RGB")))


def qimage_from_rgb(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    height, width, _ = rgb.shape
    # copy(): the QImage must own its pixels once the NumPy buffer goes away
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def rgb_array(image: QImage, size: int | None = None) -> np.ndarray:
    """HxWx3 uint8 RGB pixels, squashed to size x size as the training images were (load_array)."""
    if size is not None:
        image = image.scaled(size, size, mode=_smooth())
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = image.width(), image.height(), image.bytesPerLine()
    buffer = np.frombuffer(image.constBits(), np.uint8, count=stride * height)
    return buffer.reshape(height, stride)[:, : width * 3].reshape(height, width, 3).copy()


def pil_from_qimage(image: QImage) -> Image.Image:
    return Image.fromarray(rgb_array(image))


def _smooth():
    from PySide6.QtCore import Qt

    return Qt.TransformationMode.SmoothTransformation


class FrameConverter(QThread):
    """Takes raw frames, decodes each once, and passes the newest on; never blocks the GUI."""

    picture_ready = Signal(object)  # Picture, for painting
    failed = Signal(str)  # a file that could not be shown

    def __init__(self, raw: Mailbox[RawFrame], pictures: Mailbox[Picture], parent=None) -> None:
        super().__init__(parent)
        self.raw = raw
        self.pictures = pictures
        self.handled = 0  # frames taken and finished with, shown or not
        self.model_size: int | None = None  # the predicting model's input size, once known
        self._last_frame_error = (
            ""  # a stream of unreadable frames is said once, not 30 times a second
        )

    def run(self) -> None:
        run_in_background()
        while not self.raw.closed:
            frame = self.raw.take(timeout=0.2)
            if frame is None:
                continue
            try:
                self._convert(frame)
            finally:
                self.handled += 1

    def _convert(self, frame: RawFrame) -> None:
        try:
            rgb = to_rgb(frame.source)
        except UnsupportedFrame as error:
            if str(error) != self._last_frame_error:
                self._last_frame_error = str(error)
                self.failed.emit(f"Cannot show this video: {error}.")
            return
        except StudioError as error:
            self.failed.emit(str(error))
            return
        self._last_frame_error = ""
        if rgb.size == 0:
            return
        image = frame.source if isinstance(frame.source, QImage) else qimage_from_rgb(rgb)
        size = self.model_size
        model_pixels = squash_array(rgb, size) if size else None
        picture = Picture(frame.frame_id, image, frame.arrived, frame.time_s, model_pixels)
        self.pictures.put(picture)
        self.picture_ready.emit(picture)

    def stop(self) -> None:
        self.raw.close()
        self.wait()


def now() -> float:
    return time.monotonic()
