"""The Train view's note on near-duplicates and the validation split, shown only when the
labeled photos hold near-duplicate groups (ml/near_duplicates.py, found on a pool thread).

It says what ml/split.py really does: it groups photos by dHash within each class, so only
copies that close and filed under the same class are sure to stay on one side.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QWidget

from desktop_app.ui.shell.workers import run_in_pool


def count_groups(dataset: Any) -> tuple[int, int]:
    """On a pool thread: (near-duplicate groups among the labeled photos, groups the split
    puts on both sides)."""
    from desktop_app.ml.health import split_lines  # no Keras
    from desktop_app.ml.near_duplicates import find_near_duplicates

    labeled = [it for it in dataset.items() if it.label in dataset.classes]
    near = find_near_duplicates(dataset, labeled)
    leaks = split_lines(dataset, labeled, near)[-1]
    return len(near.groups), int(leaks.details["groups"])


def note_text(groups: int, straddling: int) -> str:
    from desktop_app.ml.split import NEAR_DUPLICATE_BITS

    text = (
        f"{groups} near-duplicate group(s) among the labeled photos. The validation split keeps"
        f" photos of one class whose dHashes differ by at most {NEAR_DUPLICATE_BITS} bits on one"
        " side; a copy edited more (mirrored, cropped) or filed under the other class can land"
        " on the other side."
    )
    if straddling:
        return f"{text} {straddling} group(s) sit on both sides now: the score is flattered."
    return f"{text} Right now no group sits on both sides."


class SplitNote(QLabel):
    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("splitNote")
        self.setWordWrap(True)
        self.setStyleSheet("color: #92400e; background: #fef3c7; padding: 6px; border-radius: 6px;")
        self.session = session
        self._generation = 0
        self.hide()
        session.opened.connect(self._opened)
        session.closed.connect(self.refresh)

    def _opened(self, _dataset: Any) -> None:
        self.refresh()

    def refresh(self) -> None:
        """Counted again when asked (the Train view shown, a dataset opened), not per label."""
        self._generation += 1
        generation, dataset = self._generation, self.session.dataset
        if dataset is None:
            self.hide()
            return
        # A bound method, not a lambda: a note deleted meanwhile is simply not called.
        run_in_pool(lambda: (generation, *count_groups(dataset)), self._show)

    def _show(self, found: tuple[int, int, int]) -> None:
        generation, groups, straddling = found
        if generation != self._generation:
            return
        self.setText(note_text(groups, straddling))
        self.setVisible(groups > 0)
