"""Makes a widget a drop target for one label.

Files and folders from the file manager are imported with that label; thumbnails dragged from
a gallery (the app's hash MIME type) are relabeled to it. While something droppable hovers,
the widget's `dropActive` property is true, which the stylesheet draws as a highlight.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject, Signal
from PySide6.QtWidgets import QWidget

from desktop_app.ui.label.hash_mime import HASHES_MIME, hashes_from_mime
from desktop_app.ui.shell.local_files import local_paths


class DropTarget(QObject):
    files_dropped = Signal(list, str)  # local paths, label
    hashes_dropped = Signal(list, str)  # image hashes, label

    def __init__(self, widget: QWidget, label: str) -> None:
        super().__init__(widget)
        self.widget = widget
        self.label = label
        widget.setAcceptDrops(True)
        widget.setProperty("dropTarget", True)
        widget.setProperty("dropActive", False)
        widget.installEventFilter(self)

    @property
    def active(self) -> bool:
        return bool(self.widget.property("dropActive"))

    def accepts(self, mime: QMimeData) -> bool:
        return mime.hasFormat(HASHES_MIME) or bool(local_paths(mime))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove):
            if self.accepts(event.mimeData()):
                event.acceptProposedAction()
                self._set_active(True)
            else:
                event.ignore()
            return True
        if kind == QEvent.Type.DragLeave:
            self._set_active(False)
            return True
        if kind == QEvent.Type.Drop:
            self._set_active(False)
            self._drop(event.mimeData())
            event.acceptProposedAction()
            return True
        return False

    def _drop(self, mime: QMimeData) -> None:
        hashes = hashes_from_mime(mime)
        if hashes:
            self.hashes_dropped.emit(hashes, self.label)
            return
        paths = local_paths(mime)
        if paths:
            self.files_dropped.emit(paths, self.label)

    def _set_active(self, active: bool) -> None:
        if self.active == active:
            return
        self.widget.setProperty("dropActive", active)
        # Re-apply the stylesheet so the property selector takes effect now.
        self.widget.style().unpolish(self.widget)
        self.widget.style().polish(self.widget)
        self.widget.update()
