"""The undo history on disk, in the dataset's index, so Ctrl+Z still works after a restart.

UndoStack keeps the steps in memory and tells its journal about every change; each change is one
small SQLite write (a push writes one row, an undo moves one row), never the whole history. Given
the connection of the dataset change's own transaction (conn), it is written in that transaction:
a kill between the two can no longer leave a change that Ctrl+Z does not know about.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from sqlite3 import Connection

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

    def pushed(self, step: Step, limit: int, conn: Connection | None = None) -> None:
        """A new step: it tops the undo stack, the redo stack empties, the oldest beyond limit go."""
        with self._writing(conn) as conn:
            conn.execute("DELETE FROM undo_steps WHERE stack = ?", (REDO,))
            _insert(conn, UNDO, step.action, _moves_json(step))
            conn.execute(
                "DELETE FROM undo_steps WHERE stack = ? AND id NOT IN "
                "(SELECT id FROM undo_steps WHERE stack = ? ORDER BY id DESC LIMIT ?)",
                (UNDO, UNDO, limit),
            )

    def grown(self, previous: Step, step: Step, conn: Connection | None = None) -> None:
        """previous, on the undo stack, is now step (an import's next batch joined it)."""
        with self._writing(conn) as conn:
            conn.execute(
                "UPDATE undo_steps SET moves = ? WHERE id = (SELECT id FROM undo_steps WHERE"
                " stack = ? AND action = ? AND moves = ? ORDER BY id DESC LIMIT 1)",
                (_moves_json(step), UNDO, previous.action, _moves_json(previous)),
            )

    def moved_top(self, source: str, target: str, conn: Connection | None = None) -> None:
        """The top step of source was undone (undo -> redo) or redone (redo -> undo)."""
        with self._writing(conn) as conn:
            row = conn.execute(
                "SELECT id, action, moves FROM undo_steps WHERE stack = ? ORDER BY id DESC LIMIT 1",
                (source,),
            ).fetchone()
            if row is None:
                return
            conn.execute("DELETE FROM undo_steps WHERE id = ?", (row[0],))
            _insert(conn, target, row[1], row[2])

    def cleared(self, conn: Connection | None = None) -> None:
        with self._writing(conn) as conn:
            conn.execute("DELETE FROM undo_steps")

    @contextmanager
    def _writing(self, conn: Connection | None) -> Iterator[Connection]:
        """conn: inside the caller's transaction; None: a transaction of its own."""
        if conn is not None:
            yield conn
            return
        with self.index.transaction() as own:
            yield own


def _moves_json(step: Step) -> str:
    return json.dumps([list(m) for m in step.moves])


def _insert(conn, stack: str, action: str, moves_json: str) -> None:
    """On top of stack: a new id is higher than every id before it."""
    conn.execute(
        "INSERT INTO undo_steps(stack, action, moves) VALUES (?, ?, ?)", (stack, action, moves_json)
    )
