"""The local files a drag or a paste carries (every view that takes dropped files asks this)."""

from __future__ import annotations

from PySide6.QtCore import QMimeData


def local_paths(mime: QMimeData) -> list[str]:
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]
