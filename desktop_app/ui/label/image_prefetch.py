"""Decodes the inbox's next images on pool threads, so a keystroke shows the next one at once.

QImage (unlike QPixmap) may be made off the GUI thread. Big photos are decoded at screen size
(JPEG decoders scale while decoding, which is much cheaper than decoding in full).
"""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QImage, QImageReader

from desktop_app.core.errors import DatasetClosed

MAX_SIDE = 1600  # pixels; larger photos are decoded scaled down to this


def decode_for_display(path: Path, max_side: int = MAX_SIDE) -> QImage:
    """The image at path as a QImage no bigger than max_side, EXIF rotation applied."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > max_side:
        reader.setScaledSize(
            size.scaled(QSize(max_side, max_side), Qt.AspectRatioMode.KeepAspectRatio)
        )
    image = reader.read()
    if not image.isNull():
        return image
    return _decode_with_pillow(path, max_side)  # formats Qt lacks (CMYK JPEG, 16-bit, ...)


def _decode_with_pillow(path: Path, max_side: int) -> QImage:
    from desktop_app.core.imaging import open_image

    try:
        picture = open_image(path)
    except Exception:
        return QImage()
    picture.thumbnail((max_side, max_side))
    width, height = picture.size
    data = picture.convert("RGB").tobytes()
    return QImage(data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class _Decode(QRunnable):
    def __init__(self, owner: ImagePrefetcher, hash_: str, dataset: Any) -> None:
        super().__init__()
        self.owner, self.hash, self.dataset = owner, hash_, dataset

    def run(self) -> None:
        try:
            item = self.dataset.get(self.hash)
        except DatasetClosed:  # the window moved on to another dataset: nobody wants it
            item = None
        image = decode_for_display(item.path) if item is not None else QImage()
        self.owner._decoded.emit(self.hash, image)


class ImagePrefetcher(QObject):
    ready = Signal(str)  # hash now decoded
    _decoded = Signal(str, QImage)

    def __init__(self, keep: int = 8, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.keep = keep
        self._images: OrderedDict[str, QImage] = OrderedDict()
        self._pending: set[str] = set()
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._decoded.connect(self._store)

    def image(self, hash_: str) -> QImage | None:
        return self._images.get(hash_)

    def request(self, hash_: str, dataset: Any) -> None:
        """Decode the dataset's image hash_ unless it is decoded or on its way."""
        if hash_ in self._images or hash_ in self._pending:
            return
        self._pending.add(hash_)
        self._pool.start(_Decode(self, hash_, dataset))

    def clear(self) -> None:
        self._images.clear()

    def wait_idle(self, msecs: int = 5000) -> bool:
        return self._pool.waitForDone(msecs)

    @Slot(str, QImage)
    def _store(self, hash_: str, image: QImage) -> None:
        self._pending.discard(hash_)
        self._images[hash_] = image
        while len(self._images) > self.keep:
            self._images.popitem(last=False)
        self.ready.emit(hash_)
