"""A non-modal window listing what an import skipped, and why, and which files were duplicates."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _count(value: Any) -> int:
    return value if isinstance(value, int) else len(value or ())


def summary(report: Any) -> str:
    """One line: "Imported 120 photos · 3 duplicates · 2 skipped" (· cancelled)."""
    parts = [f"Imported {_count(report.added):,} photo{'s' if _count(report.added) != 1 else ''}"]
    if _count(report.duplicates):
        parts.append(f"{_count(report.duplicates):,} already in the dataset")
    if report.skipped:
        parts.append(f"{len(report.skipped):,} skipped")
    if getattr(report, "cancelled", False):
        parts.append("cancelled")
    return " · ".join(parts)


def _duplicate_paths(report: Any) -> list[str]:
    duplicates = report.duplicates
    if isinstance(duplicates, int):
        return []
    paths = []
    for entry in duplicates:
        if isinstance(entry, tuple):
            paths.append(str(entry[0]))
        else:
            paths.append(str(getattr(entry, "source", None) or getattr(entry, "path", entry)))
    return paths


class ImportReportDialog(QDialog):
    def __init__(self, report: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import report")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.resize(720, 420)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(summary(report)))

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["File", "Why"])
        self.tree.setRootIsDecorated(True)
        skipped = QTreeWidgetItem([f"Skipped ({len(report.skipped):,})", ""])
        for path, reason in report.skipped:
            QTreeWidgetItem(skipped, [str(path), str(reason)])
        duplicate_paths = _duplicate_paths(report)
        duplicates = QTreeWidgetItem(
            [f"Already in the dataset ({_count(report.duplicates):,})", ""]
        )
        for path in duplicate_paths:
            QTreeWidgetItem(duplicates, [path, "same content as an image already there"])
        self.tree.addTopLevelItems([skipped, duplicates])
        skipped.setExpanded(True)
        self.tree.header().resizeSection(0, 440)
        layout.addWidget(self.tree, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout.addWidget(buttons)
