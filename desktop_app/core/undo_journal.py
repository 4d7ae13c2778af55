"""The undo history on disk, in the dataset's index, so Ctrl+Z still works after a restart.

UndoStack keeps the steps in memory and tells its journal about every change; each change is one
small SQLite transaction (a push writes one row, an undo moves one row), never the whole history.
"""

from __future__ import annotations

import json

from desktop_app.core.index import Index
from desktop_app.core.undo import Step

UNDO, REDO = "undo", "redo"


class UndoJournal:
    def __init__(self, index: Index) -> None:
        self.index = index

    def load(self) -> tuple[list[Step], list[Step]]:
        """(undo steps, redo steps), each oldest first: the last one is the stack's top."""
        rows = (
            self.index.connection()
            .execute("SELECT stack, action, moves FROM undo_steps ORDER BY id")
            .fetchall()
        )
        stacks: dict[str, list[Step]] = {UNDO: [], REDO: []}
        for stack, action, moves in rows:
            if stack in stacks:
                stacks[stack].append(Step(action, tuple(tuple(m) for m in json.loads(moves))))
        return stacks[UNDO], stacks[REDO]

    def pushed(self, step: Step, limit: int) -> None:
        """A new step: it tops the undo stack, the redo stack empties, the oldest beyond limit go."""
        with self.index.transaction() as conn:
            conn.execute("DELETE FROM undo_steps WHERE stack = ?", (REDO,))
            _insert(conn, UNDO, step.action, json.dumps([list(m) for m in step.moves]))
            conn.execute(
                "DELETE FROM undo_steps WHERE stack = ? AND id NOT IN "
                "(SELECT id FROM undo_steps WHERE stack = ? ORDER BY id DESC LIMIT ?)",
                (UNDO, UNDO, limit),
            )

    def moved_top(self, source: str, target: str) -> None:
        """The top step of source was undone (undo -> redo) or redone (redo -> undo)."""
        with self.index.transaction() as conn:
            row = conn.execute(
                "SELECT id, action, moves FROM undo_steps WHERE stack = ? ORDER BY id DESC LIMIT 1",
                (source,),
            ).fetchone()
            if row is None:
                return
            conn.execute("DELETE FROM undo_steps WHERE id = ?", (row[0],))
            _insert(conn, target, row[1], row[2])

    def cleared(self) -> None:
        with self.index.transaction() as conn:
            conn.execute("DELETE FROM undo_steps")


def _insert(conn, stack: str, action: str, moves_json: str) -> None:
    """On top of stack: a new id is higher than every id before it."""
    conn.execute(
        "INSERT INTO undo_steps(stack, action, moves) VALUES (?, ?, ?)", (stack, action, moves_json)
    )
