"""A dropped folder's verdicts: a grid of thumbnails with label and score, least sure first."""

from __future__ import annotations

import bisect
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.live.predict_worker import label_for

TITLES = {"hot_dog": "Hot dog", "not_hot_dog": "Not hot dog"}
COLOURS = {"hot_dog": QColor("#27ae3f"), "not_hot_dog": QColor("#e0262c")}


def certainty(score: float, threshold: float) -> float:
    """How far the score is from the threshold, 0 (a coin toss) to 1 (sure)."""
    span = threshold if score < threshold else 1.0 - threshold
    return abs(score - threshold) / max(span, 1e-6)


class FolderGrid(QWidget):
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.threshold = 0.5
        self.results: list[dict] = []
        self._shown: list[dict] = []
        self.folder = Path()
        self.header = QLabel()
        self.header.setObjectName("folderHeader")
        self.list = QListWidget()
        self.list.setViewMode(QListWidget.ViewMode.IconMode)
        self.list.setIconSize(QSize(160, 160))
        self.list.setGridSize(QSize(184, 214))
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setMovement(QListWidget.Movement.Static)
        self.list.setWordWrap(True)
        back = QPushButton("Back to the live picture")
        back.clicked.connect(self.back)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.list, 1)
        layout.addWidget(back, 0, Qt.AlignmentFlag.AlignLeft)

    def start(self, folder: Path, count: int) -> None:
        self.results = []
        self._shown = []
        self.list.clear()
        self.folder = folder
        self.header.setText(f"{folder.name}: predicting {count} pictures…")

    def add(self, result: dict) -> None:
        """Slot the result in where it belongs, so a big folder fills in without re-sorting."""
        self.results.append(result)
        key = self._key(result)
        keys = [self._key(r) for r in self._shown]
        row = bisect.bisect_right(keys, key)
        self._shown.insert(row, result)
        self.list.insertItem(row, self._item(result))

    def finish(self, count: int) -> None:
        errors = sum("error" in r for r in self.results)
        hot = sum(1 for r in self.results if "score" in r and r["score"] >= self.threshold)
        text = f"{self.folder.name}: {count} pictures, {hot} hot dogs; least sure first."
        if errors:
            text += f" {errors} could not be read."
        self.header.setText(text)

    def set_threshold(self, threshold: float) -> None:
        self.threshold = threshold
        self._refill()

    def ordered(self) -> list[dict]:
        """Least sure first; unreadable files last."""
        return list(self._shown)

    def _key(self, result: dict) -> tuple[int, float]:
        if "error" in result:
            return (1, 0.0)
        return (0, certainty(result["score"], self.threshold))

    def _refill(self) -> None:
        self._shown = sorted(self.results, key=self._key)
        self.list.clear()
        for result in self._shown:
            self.list.addItem(self._item(result))

    def _item(self, result: dict) -> QListWidgetItem:
        name = Path(result["path"]).name
        if "error" in result:
            item = QListWidgetItem(f"{name}\n{result['error']}")
        else:
            label = label_for(result["score"], self.threshold)
            item = QListWidgetItem(f"{TITLES[label]} {result['score']:.2f}\n{name}")
            item.setForeground(COLOURS[label])
            if result.get("thumb") is not None:
                item.setIcon(QIcon(QPixmap.fromImage(result["thumb"])))
        item.setToolTip(str(result["path"]))
        return item
