"""A read-only view of the index as one committed transaction left it.

A reader (stats, check-labels, train, predict on a dataset folder) asks several questions: counts,
sizes, the trash, the items, the fingerprint. The answers must agree with each other while a writer
goes on committing changes. Holding an SQLite read transaction open for the reader's whole life
would keep the writer's WAL from being checkpointed for as long as a training run lasts, so the
rows are copied once, by one SELECT (one read transaction), and every answer comes from the copy.
It answers the read half of Index's interface; a reader never writes.
"""

from __future__ import annotations

from collections.abc import Iterable

from desktop_app.core.index import TRASH, Index, Row


class IndexSnapshot:
    def __init__(self, rows: list[Row]) -> None:
        self._rows = rows  # in the order they were added, as Index.rows gives them
        self._by_hash = {row.hash: row for row in rows}

    @classmethod
    def take(cls, index: Index) -> IndexSnapshot:
        return cls(index.all_rows())

    def rows(self, label: str | None = None) -> list[Row]:
        if label is None:
            return [row for row in self._rows if row.label != TRASH]
        return [row for row in self._rows if row.label == label]

    def hashes(self, label: str) -> list[str]:
        return [row.hash for row in self._rows if row.label == label]

    def all_rows(self) -> list[Row]:
        return list(self._rows)

    def get(self, hash: str) -> Row | None:
        return self._by_hash.get(hash)

    def get_many(self, hashes: Iterable[str]) -> dict[str, Row]:
        return {hash: self._by_hash[hash] for hash in hashes if hash in self._by_hash}

    def counts(self) -> dict[str, tuple[int, int]]:
        """label -> (number of items, bytes), the trash included under TRASH."""
        found: dict[str, tuple[int, int]] = {}
        for row in self._rows:
            count, size = found.get(row.label, (0, 0))
            found[row.label] = (count + 1, size + row.size)
        return found

    def label_pairs(self) -> list[tuple[str, str]]:
        return sorted((row.hash, row.label) for row in self._rows if row.label != TRASH)

    def close(self) -> None:
        """Nothing to let go of: no connection is kept."""
