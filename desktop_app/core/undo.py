"""Undo and redo for dataset changes.

Every change (label, trash, restore, add) is a list of moves: an item goes from one place
(a class, 'unlabeled' or the trash) to another. Undo plays the moves backwards, redo forwards.
Undoing an add moves the added files to the trash, so even that loses nothing. With a journal
(core/undo_journal.py), the history is written to the dataset's index and outlives the app.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.core.write_errors import explain

if TYPE_CHECKING:
    from sqlite3 import Connection

    from desktop_app.core.undo_journal import UndoJournal

log = logging.getLogger(__name__)

Move = tuple[str, str, str]  # (hash, before, after); before/after is a label or TRASH


@dataclass(frozen=True)
class Step:
    action: str  # "label", "trash", "restore" or "add"
    moves: tuple[Move, ...]

    def forward(self) -> list[tuple[str, str]]:
        return [(hash, after) for hash, _before, after in self.moves]

    def backward(self) -> list[tuple[str, str]]:
        return [(hash, before) for hash, before, _after in reversed(self.moves)]


@dataclass
class GrowingStep:
    """The step an import adds to batch by batch (each batch its own transaction): the first
    batch's moves push it, the later ones join it, so what is in the dataset is always undoable."""

    action: str = "add"
    step: Step | None = None


class UndoStack:
    """Bounded undo/redo history; a new step clears what could be redone."""

    def __init__(self, limit: int = 1000, journal: UndoJournal | None = None) -> None:
        self.limit = limit
        self._undo: list[Step] = []
        self._redo: list[Step] = []
        self._guard = threading.Lock()
        self._journal = journal
        if journal is not None:
            self._undo, self._redo = journal.load()
            del self._undo[: -self.limit]

    @property
    def can_undo(self) -> bool:
        return bool(self._undo)

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def push(self, step: Step, conn: Connection | None = None) -> None:
        """conn: the transaction of the change the step records, which the step joins (see _write)."""
        if not step.moves:
            return
        with self._guard:
            self._write(lambda journal: journal.pushed(step, self.limit, conn), conn)
            self._undo.append(step)
            del self._undo[: -self.limit]
            self._redo.clear()

    def grow(self, growing: GrowingStep, moves: tuple[Move, ...], conn: Connection) -> None:
        """Moves of one more batch of growing's change, in that batch's transaction (conn)."""
        if not moves:
            return
        with self._guard:
            previous = growing.step
            at = next((i for i, s in enumerate(self._undo) if s is previous), None)
            if at is None:  # the first batch (or its step was undone since): a step of its own
                step = Step(growing.action, moves)
                self._write(lambda journal: journal.pushed(step, self.limit, conn), conn)
                self._undo.append(step)
                del self._undo[: -self.limit]
                self._redo.clear()
            else:
                step = Step(previous.action, previous.moves + moves)
                self._write(lambda journal: journal.grown(previous, step, conn), conn)
                self._undo[at] = step
            growing.step = step

    def peek_undo(self) -> Step | None:
        return self._undo[-1] if self._undo else None

    def peek_redo(self) -> Step | None:
        return self._redo[-1] if self._redo else None

    def undone(self, conn: Connection | None = None) -> None:
        """The step from peek_undo() was undone: it can now be redone."""
        with self._guard:
            self._write(lambda journal: journal.moved_top("undo", "redo", conn), conn)
            self._redo.append(self._undo.pop())

    def redone(self, conn: Connection | None = None) -> None:
        with self._guard:
            self._write(lambda journal: journal.moved_top("redo", "undo", conn), conn)
            self._undo.append(self._redo.pop())

    def clear(self, conn: Connection | None = None) -> None:
        with self._guard:
            self._write(lambda journal: journal.cleared(conn), conn)
            self._undo.clear()
            self._redo.clear()

    def reload(self) -> None:
        """Back to what the journal holds: a change whose transaction failed took its step along."""
        if self._journal is not None:
            with self._guard:
                self._undo, self._redo = self._journal.load()
                del self._undo[: -self.limit]

    def _write(self, change, conn: Connection | None = None) -> None:
        """With conn, the history is written in the dataset change's own transaction and fails
        with it: the change and its step are on disk together or not at all (a kill between two
        transactions left a change Ctrl+Z did not know of). Without, the change is already made;
        a history that cannot be saved only means Ctrl+Z forgets it after a restart, so it is
        logged rather than raised."""
        if self._journal is None:
            return
        if conn is not None:
            change(self._journal)
            return
        try:
            change(self._journal)
        except Exception as error:
            full = explain(error)
            if full is None:
                log.exception("could not save the undo history")
            else:  # no traceback: the user has the one line of the write that failed first
                log.info("could not save the undo history: %s", full)
