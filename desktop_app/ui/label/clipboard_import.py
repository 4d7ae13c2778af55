"""Ctrl+V: an image on the clipboard goes to the inbox; copied files are imported."""

from __future__ import annotations

from PIL import Image
from PySide6.QtGui import QClipboard, QImage

from desktop_app.ui.label.import_controller import ImportController
from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.shell.local_files import local_paths

UNLABELED = "unlabeled"


def qimage_to_pil(image: QImage) -> Image.Image:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = rgb.width(), rgb.height()
    data = bytes(rgb.constBits())[: rgb.bytesPerLine() * height]
    return Image.frombuffer(
        "RGB", (width, height), data, "raw", "RGB", rgb.bytesPerLine(), 1
    ).copy()


def paste(clipboard: QClipboard, session: DatasetSession, imports: ImportController) -> str:
    """Act on the clipboard; return what happened, in words for the status bar."""
    if session.dataset is None:
        return "Open or create a dataset first."
    mime = clipboard.mimeData()
    paths = local_paths(mime) if mime is not None else []
    if paths:
        imports.import_paths(paths, UNLABELED)
        return f"Importing {len(paths)} pasted file{'s' if len(paths) != 1 else ''}…"
    if mime is not None and mime.hasImage():
        image = clipboard.image()
        if not image.isNull():
            picture = qimage_to_pil(image)
            session.edit(
                lambda ds: ds.add_image(picture, UNLABELED, source="clipboard", format="PNG")
            )
            return "Pasted image added to the inbox."
    return "The clipboard holds no image."
