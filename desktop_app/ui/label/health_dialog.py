"""The dataset's health (ml/health.py, checked on a pool thread): one line per finding, warnings
marked; a click on a line opens the photos it counts, to relabel or trash them there."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.label.photo_strip import PhotoStrip
from desktop_app.ui.shell.style import label_title
from desktop_app.ui.shell.workers import run_in_pool

HOT_DOG, NOT_HOT_DOG = "hot_dog", "not_hot_dog"


def check_health(dataset: Any) -> tuple[list, dict[str, str]]:
    """On a pool thread: the health lines, and every photo's label (for the photo lists)."""
    from desktop_app.ml.health import health  # no Keras

    return health(dataset), {it.hash: it.label for it in dataset.items()}


class HealthDialog(QDialog):
    def __init__(self, session: Any, thumbnails: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthDialog")
        self.setWindowTitle("Dataset health")
        self.session = session
        self.thumbnails = thumbnails
        self.lines: list = []
        self.labels: dict[str, str] = {}
        self.photos: PhotosDialog | None = None
        self.status = QLabel("Checking the dataset…", objectName="healthStatus")
        self.status.setWordWrap(True)
        self.list = QListWidget(objectName="healthLines")
        self.list.setWordWrap(True)
        self.list.setSpacing(3)
        self.list.itemClicked.connect(self._open_line)
        self.list.itemActivated.connect(self._open_line)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        self.recheck = buttons.addButton("Check again", QDialogButtonBox.ButtonRole.ActionRole)
        self.recheck.clicked.connect(self.start)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(self.list, 1)
        layout.addWidget(buttons)
        self.resize(720, 520)

    def start(self) -> None:
        dataset = self.session.dataset
        if dataset is None:
            self.status.setText("Open a dataset first.")
            return
        self.status.setText("Checking the dataset…")
        self.recheck.setEnabled(False)
        run_in_pool(lambda: check_health(dataset), self._show, self._failed)

    def _failed(self, message: str) -> None:
        self.recheck.setEnabled(True)
        self.status.setText(f"Could not check the dataset: {message}")

    def _show(self, result: tuple[list, dict[str, str]]) -> None:
        self.lines, self.labels = result
        self.recheck.setEnabled(True)
        self.list.clear()
        for line in self.lines:
            count = len(line.hashes)
            text = f"{'⚠ ' if line.warning else ''}{line.message}"
            if count:
                text += f"   — {count} photo{'' if count == 1 else 's'} ›"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, line)
            item.setToolTip("Click to see these photos" if count else "No photos to show")
            if line.warning:
                item.setForeground(QColor("#b42318"))
            self.list.addItem(item)
        warnings = sum(line.warning for line in self.lines)
        self.status.setText(
            f"{warnings} finding(s) to look at. Click a line to see the photos it counts."
            if warnings
            else "Nothing to fix. Click a line to see the photos it counts."
        )

    def _open_line(self, item: QListWidgetItem) -> None:
        line = item.data(Qt.ItemDataRole.UserRole)
        if not line.hashes:
            self.status.setText(f"No photos to show for “{line.message}”.")
            return
        if self.photos is not None:
            self.photos.close()
        photos = [(h, self.labels.get(h, "unlabeled")) for h in line.hashes]
        self.photos = PhotosDialog(self.session, self.thumbnails, line.message, photos, self)
        self.photos.show()


class PhotosDialog(QDialog):
    """The photos of one health line, with relabel and trash for the selected ones."""

    def __init__(
        self, session: Any, thumbnails: Any, title: str, photos: list, parent: QWidget
    ) -> None:
        super().__init__(parent)
        self.setObjectName("healthPhotos")
        self.setWindowTitle(title)
        self.session = session
        self.heading = QLabel(title, objectName="healthPhotosHeading")
        self.heading.setWordWrap(True)
        self.strip = PhotoStrip(thumbnails, wrap=True)
        self.strip.set_photos(photos)
        self.note = QLabel("Select photos, then relabel or trash them (Ctrl+Z in the main window).")
        self.note.setWordWrap(True)
        self.actions: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        for label in (HOT_DOG, NOT_HOT_DOG, "trash"):
            text = "Trash" if label == "trash" else label_title(label)
            button = QPushButton(text, objectName=f"healthAction_{label}")
            button.clicked.connect(lambda _=False, lb=label: self.act(lb))
            self.actions[label] = button
            row.addWidget(button)
        row.addStretch(1)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.strip, 1)
        layout.addWidget(self.note)
        layout.addLayout(row)
        self.resize(680, 460)

    def act(self, label: str) -> None:
        hashes = self.strip.selected_hashes()
        if not hashes:
            self.note.setText("Select one or more photos first.")
            return
        if label == "trash":
            self.session.trash(hashes)
            self.strip.remove(hashes)
            self.note.setText(f"Moved {len(hashes)} photo(s) to the trash.")
        else:
            self.session.set_label(hashes, label)
            for item in self.strip.selectedItems():
                item.setText(label_title(label))
            self.note.setText(f"Labeled {len(hashes)} photo(s) {label_title(label).lower()}.")
