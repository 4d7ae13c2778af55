"""The drag payload for images already in the dataset: their hashes, under the app's own MIME type."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

HASHES_MIME = "application/x-hotdog-studio-hashes"


def hashes_to_mime(hashes: list[str]) -> QMimeData:
    mime = QMimeData()
    mime.setData(HASHES_MIME, "\n".join(hashes).encode("ascii"))
    return mime


def hashes_from_mime(mime: QMimeData) -> list[str]:
    if not mime.hasFormat(HASHES_MIME):
        return []
    text = bytes(mime.data(HASHES_MIME).data()).decode("ascii", errors="ignore")
    return [h for h in text.split("\n") if h]
