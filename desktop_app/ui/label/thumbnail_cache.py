"""Thumbnails for the galleries: loaded lazily on pool threads, kept in a bounded LRU of pixmaps.

The view asks only for the rows it paints, so only visible thumbnails are requested. Requests
are served newest first and old unserved ones are dropped: after a fast scroll, the rows now on
screen load first and the ones scrolled past are never decoded.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from desktop_app.core.thumbnails import render_thumbnail
from desktop_app.core.write_errors import DiskFull

THUMB_SIZE = 128  # pixels of the cached thumbnail files asked of the dataset


class _Drain(QRunnable):
    """Loads wanted thumbnails until none is left."""

    def __init__(self, cache: ThumbnailCache) -> None:
        super().__init__()
        self.cache = cache

    def run(self) -> None:
        self.cache._drain()


class ThumbnailCache(QObject):
    ready = Signal(str)  # hash whose pixmap is now in the cache
    problem = Signal(str)  # one line, once until it clears: "The disk is full: ..."
    _loaded = Signal(str, QImage)

    def __init__(
        self, capacity: int = 800, max_pending: int = 300, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.capacity = capacity
        self.max_pending = max_pending
        self.dataset: Any = None
        self._pixmaps: OrderedDict[str, QPixmap] = OrderedDict()
        self._wanted: OrderedDict[str, None] = OrderedDict()  # guarded by _lock
        self._lock = threading.Lock()
        self._running = 0  # drains started and not finished; guarded by _lock
        self._failed: set[str] = set()
        self._told_full = False  # pool threads only set it; a stale read costs one more message
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._loaded.connect(self._store)
        self.display_px = THUMB_SIZE  # device pixels a thumbnail is scaled to fit
        self.device_pixel_ratio = 1.0
        self.placeholder = _placeholder(THUMB_SIZE)

    def set_display_size(self, logical_px: int, device_pixel_ratio: float) -> None:
        """Thumbnails are kept at the size they are drawn, in the screen's device pixels."""
        self.display_px = max(16, round(logical_px * device_pixel_ratio))
        self.device_pixel_ratio = device_pixel_ratio
        self.placeholder = _placeholder(self.display_px)
        self.placeholder.setDevicePixelRatio(device_pixel_ratio)
        self._pixmaps.clear()

    def set_dataset(self, dataset: Any) -> None:
        with self._lock:
            self._wanted.clear()
        self._pixmaps.clear()
        self._failed.clear()
        self.dataset = dataset

    def get(self, hash_: str) -> QPixmap | None:
        """The pixmap if cached (and marked recently used); otherwise ask for it and return None."""
        pixmap = self._pixmaps.get(hash_)
        if pixmap is not None:
            self._pixmaps.move_to_end(hash_)
            return pixmap
        if hash_ in self._failed or self.dataset is None:
            return None
        start = False
        with self._lock:
            self._wanted[hash_] = None
            self._wanted.move_to_end(hash_)
            while len(self._wanted) > self.max_pending:
                self._wanted.popitem(last=False)  # scrolled past long ago
            if self._running < self._pool.maxThreadCount():
                self._running += 1
                start = True
        if start:
            self._pool.start(_Drain(self))
        return None

    def forget(self, hashes: list[str]) -> None:
        for h in hashes:
            self._pixmaps.pop(h, None)
            self._failed.discard(h)

    def wait_idle(self, msecs: int = 5000) -> bool:
        return self._pool.waitForDone(msecs)

    def _drain(self) -> None:
        # Pool thread.
        while True:
            with self._lock:
                if not self._wanted:
                    self._running -= 1
                    return
                hash_, _ = self._wanted.popitem(last=True)  # newest request first
            dataset = self.dataset
            if dataset is None:
                continue
            image = QImage()
            try:
                path = dataset.thumbnail(hash_, THUMB_SIZE)
                image = QImage(str(path))
                self._told_full = False
            except DiskFull as error:  # the photo still shows, made in memory, and kept nowhere
                image = self._unsaved(dataset, hash_)
                if not self._told_full:
                    self._told_full = True
                    self.problem.emit(str(error))
            except OSError:  # a read-only folder cannot keep it either; a gone photo stays blank
                image = self._unsaved(dataset, hash_)
            except Exception:  # a missing or unreadable file shows as a placeholder
                image = QImage()
            if not image.isNull():
                # Scaled here, once, so painting a cell only copies pixels.
                side = self.display_px
                image = image.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio,
                                     Qt.TransformationMode.SmoothTransformation)  # fmt: skip
            self._loaded.emit(hash_, image)

    @staticmethod
    def _unsaved(dataset: Any, hash_: str) -> QImage:
        try:
            source = dataset.locate(hash_)
            return QImage.fromData(render_thumbnail(source, THUMB_SIZE)) if source else QImage()
        except Exception:
            return QImage()

    @Slot(str, QImage)
    def _store(self, hash_: str, image: QImage) -> None:
        if image.isNull():
            self._failed.add(hash_)
            return
        pixmap = QPixmap.fromImage(image)
        pixmap.setDevicePixelRatio(self.device_pixel_ratio)
        self._pixmaps[hash_] = pixmap
        while len(self._pixmaps) > self.capacity:
            self._pixmaps.popitem(last=False)
        self.ready.emit(hash_)


def _placeholder(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor("#e6e8eb"))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawRoundedRect(4, 4, size - 8, size - 8, 8, 8)
    painter.end()
    return pixmap
