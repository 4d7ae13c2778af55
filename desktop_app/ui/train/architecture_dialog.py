"""The saved model's layers, from its run.json: what the photos go through, and what was trained."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ml.architecture import totals  # plain Python: Keras stays unloaded

COLUMNS = ("Layer", "Type", "Output shape", "Parameters", "Trained here")


class ArchitectureDialog(QDialog):
    def __init__(self, run: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Model architecture")
        rows = list(getattr(run, "architecture", None) or [])
        total, trained = totals(rows)
        self.header = QLabel(
            f"{run.backbone} at {run.input_size} px · {total:,} parameters, {trained:,} of them"
            f" trained in this run.\nThe model takes raw RGB pixels (N is the number of photos"
            f" at once) and gives a probability per class: {', '.join(run.classes)}."
        )
        self.header.setWordWrap(True)
        self.table = QTableWidget(len(rows), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        for index, row in enumerate(rows):
            values = (
                row["layer"],
                row["kind"],
                row["output"],
                f"{int(row['params']):,}",
                f"{int(row['trainable']):,}",
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column >= 3:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(index, column, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.header)
        layout.addWidget(self.table)
        layout.addWidget(buttons)
        self.resize(720, 420)
