"""A row (or grid) of photo thumbnails by hash, from the Label view's thumbnail cache: each
thumbnail appears as soon as its pool thread has loaded it."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from desktop_app.ui.label.thumbnail_cache import ThumbnailCache
from desktop_app.ui.shell.style import label_title

ICON = 96


class PhotoStrip(QListWidget):
    def __init__(
        self, thumbnails: ThumbnailCache, wrap: bool = False, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.thumbnails = thumbnails
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(ICON, ICON))
        self.setGridSize(QSize(ICON + 16, ICON + 30))
        self.setMovement(QListView.Movement.Static)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setWrapping(wrap)
        self.setFlow(QListView.Flow.LeftToRight)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        if not wrap:  # one row, scrolling sideways where the group is long
            scrollbar = self.horizontalScrollBar().sizeHint().height()
            self.setFixedHeight(ICON + 30 + 2 * self.frameWidth() + scrollbar)
            self.setMinimumWidth(ICON + 40)  # narrower than its row: the strip scrolls
            self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._rows: dict[str, QListWidgetItem] = {}
        thumbnails.ready.connect(self._thumbnail_ready)

    def set_photos(self, photos: list[tuple[str, str]]) -> None:
        """(hash, label) per photo; the label is written under its thumbnail."""
        self.clear()
        self._rows = {}
        for hash_, label in photos:
            item = QListWidgetItem(label_title(label))
            item.setData(Qt.ItemDataRole.UserRole, hash_)
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            item.setIcon(QIcon(self.thumbnails.placeholder))
            self._rows[hash_] = item
            self.addItem(item)
            self._thumbnail_ready(hash_)

    def remove(self, hashes: list[str]) -> None:
        for hash_ in hashes:
            item = self._rows.pop(hash_, None)
            if item is not None:
                self.takeItem(self.row(item))

    def hashes(self) -> list[str]:
        return list(self._rows)

    def selected_hashes(self) -> list[str]:
        return [item.data(Qt.ItemDataRole.UserRole) for item in self.selectedItems()]

    def _thumbnail_ready(self, hash_: str) -> None:
        item = self._rows.get(hash_)
        if item is not None:
            pixmap = self.thumbnails.get(hash_)  # None: asked for, arrives with ready()
            if pixmap is not None:
                item.setIcon(QIcon(pixmap))
