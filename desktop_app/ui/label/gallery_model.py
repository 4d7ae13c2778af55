"""One class's images as a list model: hashes in a stable order, thumbnails from the shared cache.

Reloads happen on a pool thread (the dataset query, and the difference from the rows shown, worked
out there too), then the model applies that difference: removed rows go, new rows are appended.
The view keeps its scroll position and selection while an import streams in.

A QStringListModel of the hashes underneath, so rowCount and index stay in C++: the view's
layout asks for every row's index after each change, and a Python rowCount made relabeling 50
photos in a 10,000-photo gallery stall the window 200-400 ms (benchmarks/bench_scale.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)

from desktop_app.ui.label.hash_mime import HASHES_MIME, hashes_to_mime
from desktop_app.ui.label.thumbnail_cache import ThumbnailCache
from desktop_app.ui.shell.workers import run_in_pool

HashRole = Qt.ItemDataRole.UserRole + 1
MAX_REMOVE_RUNS = 200


class GalleryModel(QStringListModel):
    count_changed = Signal(int)
    reloaded = Signal()  # a reload finished and was applied

    RELOAD_DELAY_MS = 120  # coalesces bursts of change events (an import sends many)

    def __init__(self, label: str, thumbnails: ThumbnailCache, parent: Any = None) -> None:
        super().__init__(parent)
        self.label = label
        self.thumbnails = thumbnails
        self.dataset: Any = None
        self._hashes: list[str] = []
        self._row_of: dict[str, int] = {}
        self._generation = 0  # ignores reload results that a newer dataset has overtaken
        self._version = 0  # counts changes of _hashes: a difference is applied to what it was from
        self._loading = False
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(self.RELOAD_DELAY_MS)
        self._timer.timeout.connect(self._reload_now)
        thumbnails.ready.connect(self._thumbnail_ready)

    # -- Qt model interface --------------------------------------------------------------

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self._hashes):
            return None
        hash_ = self._hashes[index.row()]
        if role == Qt.ItemDataRole.DecorationRole:
            return self.thumbnails.get(hash_) or self.thumbnails.placeholder
        if role == HashRole:
            return hash_
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(hash_)
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        # Not the string list's editable, droppable items: thumbnails are only picked and dragged.
        return (
            Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled
        )

    def mimeTypes(self) -> list[str]:
        return [HASHES_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:
        rows = sorted({i.row() for i in indexes if i.isValid()})
        return hashes_to_mime([self._hashes[r] for r in rows])

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    # -- our interface -------------------------------------------------------------------

    def hashes(self) -> list[str]:
        return list(self._hashes)

    def hash_at(self, row: int) -> str:
        return self._hashes[row]

    def set_dataset(self, dataset: Any) -> None:
        self._generation += 1
        self.dataset = dataset
        self._hashes = []
        self._row_of = {}
        self.setStringList([])
        self.count_changed.emit(0)
        if dataset is not None:
            self._reload_now()

    def schedule_reload(self) -> None:
        if self.dataset is not None and not self._timer.isActive():
            self._timer.start()

    def _reload_now(self) -> None:
        if self.dataset is None:
            return
        if self._loading:
            self._dirty = True  # reload again when the running one lands
            return
        self._loading = True
        dataset, label, generation = self.dataset, self.label, self._generation
        shown, version = list(self._hashes), self._version
        run_in_pool(
            lambda: difference(shown, dataset.hashes(label)),
            lambda found: self._apply(generation, version, found),
            lambda _message: self._apply(generation, version, None),
        )

    def _apply(self, generation: int, version: int, found: Difference | None) -> None:
        self._loading = False
        if generation == self._generation and found is not None:
            if version != self._version:  # the rows changed meanwhile: work it out again here
                found = difference(self._hashes, found.result)
            self._apply_difference(found)
            self.reloaded.emit()
        if self._dirty:
            self._dirty = False
            self.schedule_reload()

    def _merge(self, hashes: list[str]) -> None:
        """Shows exactly these hashes (a reload's), worked out here on the GUI thread."""
        self._apply_difference(difference(self._hashes, hashes))

    def _apply_difference(self, found: Difference) -> None:
        if not found.gone and not found.added:
            return
        self._version += 1
        if found.reset or not self._hashes:  # the first load, or thousands of scattered rows
            self._hashes = found.result
            self.setStringList(found.result)
        else:
            # Remove contiguous runs from the bottom up so earlier row numbers stay valid.
            for first, last in reversed(found.gone):
                del self._hashes[first : last + 1]  # first: data() reads the Python list
                self.removeRows(first, last - first + 1)
            if found.added:
                start = len(self._hashes)
                self._hashes.extend(found.added)
                self.insertRows(start, len(found.added))
                for offset, hash_ in enumerate(found.added):
                    self.setData(self.index(start + offset), hash_, Qt.ItemDataRole.EditRole)
        self._row_of = found.row_of
        self.count_changed.emit(len(self._hashes))

    def _thumbnail_ready(self, hash_: str) -> None:
        row = self._row_of.get(hash_)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])

    def _tooltip(self, hash_: str) -> str:
        item = self.dataset.get(hash_) if self.dataset is not None else None
        if item is None:
            return hash_[:12]
        source = f"\nfrom {item.source}" if getattr(item, "source", None) else ""
        return f"{item.path.name}\n{item.width} × {item.height}{source}"


@dataclass(frozen=True)
class Difference:
    """From the rows shown to a reload's hashes: worked out on the pool thread."""

    gone: list[tuple[int, int]]  # runs of rows (first, last) of the rows shown that went
    added: list[str]  # new hashes, appended in the reload's order
    result: list[str]  # the rows after: kept ones in their order, then the added
    row_of: dict[str, int]  # hash -> row in result
    reset: bool  # so many scattered rows went that one reset is cheaper than removing them


def difference(shown: list[str], hashes: list[str]) -> Difference:
    new_set = set(hashes)
    gone = _runs([row for row, h in enumerate(shown) if h not in new_set])
    kept = [h for h in shown if h in new_set]
    known = set(kept)
    added = [h for h in hashes if h not in known]
    result = kept + added
    return Difference(
        gone=gone,
        added=added,
        result=result,
        row_of={h: r for r, h in enumerate(result)},
        reset=len(gone) > MAX_REMOVE_RUNS,
    )


def _runs(rows: list[int]) -> list[tuple[int, int]]:
    """[1, 2, 3, 7, 8] -> [(1, 3), (7, 8)]"""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and runs[-1][1] == row - 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
