"""A class gallery: a coloured header with the count, and a virtualised grid of thumbnails.

The whole panel is a drop target for its class (files to import, thumbnails to relabel).
Thumbnails drag out carrying their hashes; Delete moves the selection to the trash.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.label.drop_target import DropTarget
from desktop_app.ui.label.gallery_model import GalleryModel
from desktop_app.ui.label.thumbnail_cache import ThumbnailCache
from desktop_app.ui.shell.style import label_color, label_title

CELL = 112  # logical pixels per grid cell; the thumbnail fills it less a margin
MARGIN = 4
THUMB_DISPLAY = CELL - 2 * MARGIN


class ThumbnailDelegate(QStyledItemDelegate):
    """Draws a thumbnail scaled to fit its cell, with a selection frame. No text, fixed size."""

    def __init__(self, accent: QColor, parent: Any = None) -> None:
        super().__init__(parent)
        self.accent = accent

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(CELL, CELL)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        cell: QRect = option.rect.adjusted(MARGIN, MARGIN, -MARGIN, -MARGIN)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        if pixmap is not None and not pixmap.isNull():
            # Cached at cell size already: this usually draws 1:1, without scaling.
            size = (
                pixmap.deviceIndependentSize()
                .toSize()
                .scaled(cell.size(), Qt.AspectRatioMode.KeepAspectRatio)
            )
            target = QRect(0, 0, size.width(), size.height())
            target.moveCenter(cell.center())
            painter.drawPixmap(target, pixmap)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setBrush(QColor(40, 110, 220, 60))
            painter.setPen(QPen(QColor("#2a6edc"), 3))
            painter.drawRoundedRect(cell.adjusted(1, 1, -1, -1), 6, 6)
        painter.restore()


class GalleryListView(QListView):
    delete_requested = Signal(list)  # hashes

    def __init__(self, model: GalleryModel, accent: QColor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gallery")
        self.setModel(model)
        self.setItemDelegate(ThumbnailDelegate(accent, self))
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setMovement(QListView.Movement.Static)  # also turns dragging off, so turn it on after
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setUniformItemSizes(True)
        self.setGridSize(QSize(CELL, CELL))
        self.setSpacing(0)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(2000)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.verticalScrollBar().setSingleStep(CELL // 3)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.viewport().setAcceptDrops(False)  # drops go to the panel, the class's drop target

    def selected_hashes(self) -> list[str]:
        model: GalleryModel = self.model()
        rows = sorted(i.row() for i in self.selectionModel().selectedIndexes())
        return [model.hash_at(r) for r in rows]

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self.selected_hashes():
            self.delete_requested.emit(self.selected_hashes())
            event.accept()
            return
        super().keyPressEvent(event)


class GalleryPanel(QFrame):
    """Header "Hot dog (688)" above the grid; a drop target for its label."""

    move_requested = Signal(list, str)  # hashes, target label (from the context menu)
    inspect_requested = Signal(str)  # a hash: "Look under the hood" (the window shows it there)

    def __init__(
        self,
        label: str,
        thumbnails: ThumbnailCache,
        move_targets: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.label = label
        self.model = GalleryModel(label, thumbnails, self)
        self.header = QLabel(objectName="galleryHeader")
        self.header.setProperty("label", label)
        self.view = GalleryListView(self.model, label_color(label), self)
        self.drop_target = DropTarget(self, label)
        self.move_targets = [t for t in move_targets if t != label]
        self.inspectable = False  # the window has an Under the hood view to show a photo in
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.header)
        layout.addWidget(self.view, 1)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.view.customContextMenuRequested.connect(self._context_menu)
        self.model.count_changed.connect(self._update_header)
        self._update_header(0)
        self.setToolTip(
            f"{label_title(label)}: drop photos or folders here to import them as "
            f"{label_title(label).lower()}; drag thumbnails to another class to relabel; "
            "Delete moves the selection to the trash."
        )

    def set_dataset(self, dataset: Any) -> None:
        self.model.set_dataset(dataset)

    def thumbnails_shown(self) -> bool:
        """Whether every row has its thumbnail loaded (not the placeholder)."""
        cache = self.model.thumbnails
        return all(cache.get(h) is not None for h in self.model.hashes())

    def _update_header(self, count: int) -> None:
        self.header.setText(f"{label_title(self.label)}  ({count:,})")

    def _context_menu(self, pos: Any) -> None:
        hashes = self.view.selected_hashes()
        if not hashes:
            return
        menu = QMenu(self)
        for target in self.move_targets:
            name = "Inbox" if target == "unlabeled" else label_title(target)
            menu.addAction(f"Move to {name}", lambda t=target: self.move_requested.emit(hashes, t))
        menu.addSeparator()
        menu.addAction("Move to Trash\tDel", lambda: self.view.delete_requested.emit(hashes))
        if len(hashes) == 1 and self.inspectable:
            menu.addSeparator()
            menu.addAction("Look under the hood…", lambda: self.inspect_requested.emit(hashes[0]))
        menu.exec(self.view.viewport().mapToGlobal(pos))
