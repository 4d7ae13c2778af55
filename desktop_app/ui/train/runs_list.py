"""Every earlier training run of the dataset, newest first; pick one to see it, two to compare."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTreeWidget, QTreeWidgetItem

COLUMNS = ["Date", "Backbone", "Mode", "Accuracy", "Status"]
BACKBONE_COLUMN = 1
RUN_ROLE = Qt.ItemDataRole.UserRole


def run_date(run: Any) -> str:
    """The run's ISO creation time as a user reads it, short ("1 Mar 14:05")."""
    created = str(getattr(run, "created", ""))
    try:
        when = datetime.fromisoformat(created).astimezone()
        return f"{when.day} {when:%b %H:%M}"
    except ValueError:
        return created[:16].replace("T", " ")


def run_accuracy(run: Any) -> float | None:
    value = (getattr(run, "metrics", None) or {}).get("val_accuracy")
    return None if value is None else float(value)


class RunsList(QTreeWidget):
    """A table of runs. `runs_selected` carries the selected RunRecords, newest first."""

    runs_selected = Signal(list)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setColumnCount(len(COLUMNS))
        self.setHeaderLabels(COLUMNS)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setAlternatingRowColors(True)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setToolTip(
            "Click a run to see its results; Ctrl+click a second run to compare curves."
        )
        header = self.header()
        # Every column fits its text; the backbone's name gives way (elided) when space is short.
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(BACKBONE_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.current_id: str | None = None
        self.itemSelectionChanged.connect(self._emit_selection)

    def set_runs(self, runs: Sequence[Any], current_id: str | None) -> None:
        """Shows runs (newest first); the current model's run is bold and marked."""
        self.current_id = current_id
        self.blockSignals(True)
        self.clear()
        for run in runs:
            accuracy = run_accuracy(run)
            settings = getattr(run, "settings", None) or {}
            status = str(getattr(run, "status", ""))
            if run.id == current_id:
                status = f"{status} (current)"
            row = QTreeWidgetItem(
                [
                    run_date(run),
                    str(getattr(run, "backbone", "")),
                    str(settings.get("mode", "")),
                    "–" if accuracy is None else f"{accuracy:.1%}",
                    status,
                ]
            )
            row.setData(0, RUN_ROLE, run)
            if run.id == current_id:
                row.setToolTip(4, "The dataset's current model: the newest run that kept a model.")
            row.setTextAlignment(3, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if run.id == current_id:
                font = QFont(self.font())
                font.setBold(True)
                for column in range(len(COLUMNS)):
                    row.setFont(column, font)
            self.addTopLevelItem(row)
        self.blockSignals(False)

    def runs(self) -> list[Any]:
        return [self.topLevelItem(i).data(0, RUN_ROLE) for i in range(self.topLevelItemCount())]

    def select_run_ids(self, ids: Sequence[str]) -> None:
        """Selects the rows of these runs (as a user's clicks would) and reports them."""
        wanted = set(ids)
        self.blockSignals(True)
        self.clearSelection()
        for i in range(self.topLevelItemCount()):
            item = self.topLevelItem(i)
            if item.data(0, RUN_ROLE).id in wanted:
                item.setSelected(True)
        self.blockSignals(False)
        self._emit_selection()

    def selected_runs(self) -> list[Any]:
        rows = sorted(self.selectedItems(), key=self.indexOfTopLevelItem)
        return [row.data(0, RUN_ROLE) for row in rows]

    def _emit_selection(self) -> None:
        self.runs_selected.emit(self.selected_runs())
