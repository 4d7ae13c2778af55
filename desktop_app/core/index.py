"""The SQLite index of a dataset: what each file is, so nothing has to be re-read at every start.

The class folders are the truth; this index can always be rebuilt from them. WAL mode lets the GUI
thread read while an import thread writes; each thread gets its own connection.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from desktop_app.core.errors import DatasetClosed
from desktop_app.core.hashing import from_signed64, to_signed64

SCHEMA_VERSION = 1
TRASH = ".trash"  # the label column's value for an item in .studio/trash/

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    hash TEXT PRIMARY KEY,        -- sha256 hex of the file's bytes
    name TEXT NOT NULL,           -- file name inside its folder
    label TEXT NOT NULL,          -- class name, 'unlabeled', or '.trash'
    trashed_from TEXT,            -- the label it had before it went to the trash
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,          -- of the stored file, to notice changes made by hand
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    phash INTEGER NOT NULL,       -- 64-bit dHash, stored signed
    source TEXT,                  -- the path it was imported from
    added REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS items_by_label ON items(label);
CREATE TABLE IF NOT EXISTS history (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    action TEXT NOT NULL,         -- add, label, trash, restore, undo, redo, reconcile
    hash TEXT NOT NULL,
    old_label TEXT,
    new_label TEXT
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS undo_steps (  -- the undo/redo history, kept between sessions
    id INTEGER PRIMARY KEY AUTOINCREMENT, -- within a stack, the highest id is its top
    stack TEXT NOT NULL,          -- 'undo' or 'redo'
    action TEXT NOT NULL,         -- label, trash, restore, add
    moves TEXT NOT NULL           -- JSON [[hash, before, after], ...]
);
"""

_COLUMNS = (
    "hash, name, label, trashed_from, size, mtime, width, height, phash, source, added, updated"
)


@dataclass(frozen=True)
class Row:
    hash: str
    name: str
    label: str
    trashed_from: str | None
    size: int
    mtime: float
    width: int
    height: int
    phash: int
    source: str | None
    added: float
    updated: float

    def as_tuple(self) -> tuple:
        return (
            self.hash,
            self.name,
            self.label,
            self.trashed_from,
            self.size,
            self.mtime,
            self.width,
            self.height,
            to_signed64(self.phash),
            self.source,
            self.added,
            self.updated,
        )


log = logging.getLogger(__name__)


def _row(values: tuple) -> Row:
    values = list(values)
    values[8] = from_signed64(values[8])
    return Row(*values)


class Index:
    """Thread-safe access to index.sqlite: one connection per thread, writes in transactions."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._local = threading.local()
        self._guard = threading.Lock()
        self._closed = False

    # -- connections ---------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self._closed:
                raise DatasetClosed("the dataset was closed while this was reading it")
            conn = sqlite3.connect(
                self.path, timeout=30, isolation_level=None, check_same_thread=False
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def close(self) -> None:
        """Closes this thread's connection now; every other thread's when it lets go of it.

        Closing a connection another thread is reading through frees the statement under it:
        SQLite then crashes the process (closing the window while a gallery loaded did). Each
        thread holds its own connection while it uses it, so dropping the index's references
        closes the connection when its last read ends; later calls here raise "closed".
        """
        with self._guard:
            self._closed = True
            mine = getattr(self._local, "conn", None)
            self._local = threading.local()
        if mine is not None:
            try:
                mine.close()
            except sqlite3.Error:
                pass

    # -- schema ----------------------------------------------------------------------------
    def ensure_schema(self) -> None:
        conn = self.connection()
        conn.executescript(_SCHEMA)  # idempotent: every statement is IF NOT EXISTS
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?)",
                (str(SCHEMA_VERSION),),
            )

    def is_healthy(self) -> bool:
        """True when the file is a readable index of this version (garbage bytes are not)."""
        try:
            conn = self.connection()
            if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                return False
            version = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
            conn.execute(f"SELECT {_COLUMNS} FROM items LIMIT 1").fetchall()
            return version is not None and version[0] == str(SCHEMA_VERSION)
        except sqlite3.DatabaseError:
            return False

    # -- reading ---------------------------------------------------------------------------
    def rows(self, label: str | None = None) -> list[Row]:
        sql = f"SELECT {_COLUMNS} FROM items"
        if label is None:
            cursor = self.connection().execute(
                sql + " WHERE label != ? ORDER BY added, rowid", (TRASH,)
            )
        else:
            cursor = self.connection().execute(
                sql + " WHERE label = ? ORDER BY added, rowid", (label,)
            )
        return [_row(values) for values in cursor]

    def hashes(self, label: str) -> list[str]:
        """The hashes of rows(label), in the same order, without building the rows."""
        cursor = self.connection().execute(
            "SELECT hash FROM items WHERE label = ? ORDER BY added, rowid", (label,)
        )
        return [values[0] for values in cursor]

    def all_rows(self) -> list[Row]:
        """Every row, the trash included, in the order they were added (one read transaction)."""
        cursor = self.connection().execute(f"SELECT {_COLUMNS} FROM items ORDER BY added, rowid")
        return [_row(values) for values in cursor]

    def get(self, hash: str) -> Row | None:
        values = (
            self.connection()
            .execute(f"SELECT {_COLUMNS} FROM items WHERE hash = ?", (hash,))
            .fetchone()
        )
        return _row(values) if values else None

    def get_many(self, hashes: Iterable[str]) -> dict[str, Row]:
        found: dict[str, Row] = {}
        hashes = list(hashes)
        conn = self.connection()
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for values in conn.execute(
                f"SELECT {_COLUMNS} FROM items WHERE hash IN ({marks})", chunk
            ):
                row = _row(values)
                found[row.hash] = row
        return found

    def counts(self) -> dict[str, tuple[int, int]]:
        """label -> (number of items, bytes), the trash included under TRASH."""
        cursor = self.connection().execute(
            "SELECT label, COUNT(*), COALESCE(SUM(size), 0) FROM items GROUP BY label"
        )
        return {label: (count, size) for label, count, size in cursor}

    def label_pairs(self) -> list[tuple[str, str]]:
        cursor = self.connection().execute(
            "SELECT hash, label FROM items WHERE label != ? ORDER BY hash", (TRASH,)
        )
        return list(cursor)

    # -- writing (inside transaction()) ---------------------------------------------------------
    @staticmethod
    def insert(conn: sqlite3.Connection, rows: Iterable[Row]) -> None:
        conn.executemany(
            f"INSERT OR REPLACE INTO items({_COLUMNS}) VALUES ({','.join('?' * 12)})",
            [row.as_tuple() for row in rows],
        )

    @staticmethod
    def move(conn: sqlite3.Connection, moves: Iterable[tuple[str, str, str | None, float]]) -> None:
        """moves: (hash, new label, trashed_from, new mtime)."""
        now = time.time()
        conn.executemany(
            "UPDATE items SET label = ?, trashed_from = ?, mtime = ?, updated = ? WHERE hash = ?",
            [(label, came_from, mtime, now, hash) for hash, label, came_from, mtime in moves],
        )

    @staticmethod
    def delete(conn: sqlite3.Connection, hashes: Iterable[str]) -> None:
        conn.executemany("DELETE FROM items WHERE hash = ?", [(h,) for h in hashes])

    @staticmethod
    def log(
        conn: sqlite3.Connection, action: str, entries: Iterable[tuple[str, str | None, str | None]]
    ) -> None:
        """entries: (hash, old label, new label)."""
        now = time.time()
        conn.executemany(
            "INSERT INTO history(time, action, hash, old_label, new_label) VALUES (?, ?, ?, ?, ?)",
            [(now, action, hash, old, new) for hash, old, new in entries],
        )


def open_repaired(path: Path) -> Index:
    """The index at path, or a fresh one when it is not a database (the bad file is kept aside)."""
    index = Index(path)
    if path.exists() and not index.is_healthy():
        index.close()
        aside = path.with_name(f"index.corrupt-{time.strftime('%Y%m%d-%H%M%S')}.sqlite")
        log.warning("index %s is damaged; rebuilding it from the folders", path)
        os.replace(path, aside)
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        index = Index(path)
    index.ensure_schema()
    return index
