"""Make the index agree with the folders, which are the truth.

Runs when a dataset opens. Files moved, added or removed by hand in a file manager, a deleted
index or one rebuilt after corruption all come out right, and no label is lost (label = folder).
Cheap when nothing changed: one directory listing per folder and one query; files are read and
hashed only when they are new or their size or modification time changed.

A file gone between the listing and its stat (or its reading) is being moved right now, by hand or
by a writer: the folders are looked at again, a few times with growing pauses, and if they never
settle the open fails with one line rather than index a half-moved state.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from desktop_app.core.errors import BadImage, DatasetError
from desktop_app.core.hashing import content_hash
from desktop_app.core.imaging import ImageFacts, probe_bytes, read_bytes
from desktop_app.core.index import TRASH, Index, Row
from desktop_app.core.progress import Progress, ProgressCallback, emit

Place = tuple[str, str]  # (label, file name)
T = TypeVar("T")

SETTLE_ATTEMPTS = 8  # looks at the folders before giving up on them
SETTLE_PAUSE_S = 0.02  # before the second look; doubled each time (about 2.5 s in all)


class Unsettled(Exception):
    """A file listed a moment ago is gone: someone is moving files in the folders right now."""

    def __init__(self, path: str | os.PathLike) -> None:
        super().__init__(str(path))
        self.path = Path(path)


@dataclass(frozen=True)
class OnDisk:
    size: int
    mtime: float


@dataclass
class Plan:
    """What differs between the folders and the index."""

    moved: list[tuple[Row, str, OnDisk]] = field(default_factory=list)  # row, new label, stat
    new: dict[Place, OnDisk] = field(default_factory=dict)
    missing: list[Row] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.moved or self.new or self.missing)


@dataclass
class ReconcileReport:
    added: int = 0
    moved: int = 0
    removed: int = 0
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): left alone

    @property
    def changed(self) -> bool:
        return bool(self.added or self.moved or self.removed)


def bring_in_line(
    index: Index,
    folders: dict[str, Path],
    progress: ProgressCallback | None = None,
    also: Callable[[sqlite3.Connection], None] | None = None,
) -> ReconcileReport:
    """Plan and apply, looked at again while files are being moved (DatasetError if they go on).
    also(conn), when there was something to apply, runs in the same transaction."""

    def once() -> ReconcileReport:
        todo = plan(index, folders)
        return ReconcileReport() if todo.empty else apply(index, folders, todo, progress, also)

    return settled(once)


def settled(look: Callable[[], T]) -> T:
    """look(), again after a pause each time it meets a file being moved; then one line."""
    pause = SETTLE_PAUSE_S
    for _ in range(SETTLE_ATTEMPTS - 1):
        try:
            return look()
        except Unsettled:
            time.sleep(pause)
            pause *= 2
    try:
        return look()
    except Unsettled as moving:
        raise DatasetError(
            f"{moving.path.parent} kept changing while it was read (files being moved by another"
            " program?); try again when it is done"
        ) from None


def scan(folders: dict[str, Path]) -> dict[Place, OnDisk]:
    """Every visible file in the class folders and the trash, with its size and mtime.

    Unsettled when a listed file is gone by the time of its stat.
    """
    found: dict[Place, OnDisk] = {}
    for label, folder in folders.items():
        for entry in _files(folder):
            try:
                stat = entry.stat()
            except FileNotFoundError:
                raise Unsettled(entry.path) from None
            found[(label, entry.name)] = OnDisk(stat.st_size, stat.st_mtime)
    return found


def plan(index: Index, folders: dict[str, Path]) -> Plan:
    """What differs; Unsettled while files are being moved (see settled)."""
    on_disk = scan(folders)
    rows = index.all_rows()
    result = Plan()
    unmatched_rows: list[Row] = []
    for row in rows:
        place = (row.label, row.name)
        stat = on_disk.get(place)
        if stat is not None and stat.size == row.size and stat.mtime == row.mtime:
            del on_disk[place]
        else:
            unmatched_rows.append(row)
    # A file with the same name and size in another folder was moved there by hand.
    by_name = {(row.name, row.size): row for row in unmatched_rows}
    for place, stat in list(on_disk.items()):
        row = by_name.pop((place[1], stat.size), None)
        if row is not None:
            result.moved.append((row, place[0], stat))
            del on_disk[place]
    moved_hashes = {row.hash for row, _label, _stat in result.moved}
    result.missing = [row for row in unmatched_rows if row.hash not in moved_hashes]
    result.new = on_disk
    return result


def apply(
    index: Index,
    folders: dict[str, Path],
    todo: Plan,
    progress: ProgressCallback | None = None,
    also: Callable[[sqlite3.Connection], None] | None = None,
) -> ReconcileReport:
    """Write the plan into the index in one transaction (new files are hashed in a few threads);
    also(conn) writes in that transaction too (the dataset clears its undo history there: a kill
    after the repair's commit must not leave a history naming files that are gone).

    Unsettled, before anything is written, when a new file is gone by the time it is read.
    """
    report = ReconcileReport()
    now = time.time()
    described = _describe_all(folders, todo.new, progress)
    missing = {row.hash: row for row in todo.missing}
    present = {row.hash for row in index.all_rows()} - set(missing)
    new_rows: list[Row] = []
    history: list[tuple[str, str | None, str | None]] = []
    for (label, name), outcome in described.items():
        path = folders[label] / name
        if isinstance(outcome, str):
            report.ignored.append((str(path), outcome))
            continue
        digest, facts, stat = outcome
        earlier = missing.pop(digest, None)  # renamed or edited by hand: keep where it came from
        if digest in present:
            report.ignored.append((str(path), "a second copy of a file already in the dataset"))
            continue
        present.add(digest)
        new_rows.append(
            Row(
                hash=digest,
                name=name,
                label=label,
                trashed_from=earlier.label if earlier and label == TRASH else None,
                size=stat.size,
                mtime=stat.mtime,
                width=facts.width,
                height=facts.height,
                phash=facts.phash,
                source=earlier.source if earlier else None,
                added=earlier.added if earlier else now,
                updated=now,
            )
        )
        history.append((digest, earlier.label if earlier else None, label))
    with index.transaction() as conn:
        Index.delete(conn, missing)
        Index.insert(conn, new_rows)
        Index.move(
            conn,
            [
                (row.hash, label, row.label if label == TRASH else None, stat.mtime)
                for row, label, stat in todo.moved
            ],
        )
        Index.log(
            conn,
            "reconcile",
            history
            + [(row.hash, row.label, label) for row, label, _stat in todo.moved]
            + [(h, row.label, None) for h, row in missing.items()],
        )
        if also is not None:
            also(conn)
    report.added = len(new_rows)
    report.moved = len(todo.moved)
    report.removed = len(missing)
    return report


def _describe_all(
    folders: dict[str, Path], new: dict[Place, OnDisk], progress: ProgressCallback | None
) -> dict[Place, tuple[str, ImageFacts, OnDisk] | str]:
    results: dict[Place, tuple[str, ImageFacts, OnDisk] | str] = {}
    if not new:
        return results
    places = sorted(new)
    with ThreadPoolExecutor(max_workers=_workers()) as pool:
        outcomes = pool.map(lambda place: _describe(folders[place[0]] / place[1]), places)
        for done, (place, outcome) in enumerate(zip(places, outcomes, strict=True), start=1):
            if not isinstance(outcome, str):
                digest, facts = outcome
                outcome = (digest, facts, new[place])
            results[place] = outcome
            if done % 100 == 0 or done == len(places):
                emit(progress, Progress("indexing", done, len(places)))
    return results


def _describe(path: Path) -> tuple[str, ImageFacts] | str:
    try:
        data = read_bytes(path)
        return content_hash(data), probe_bytes(data, path.name)
    except BadImage as error:
        if not os.path.lexists(path):  # moved since it was listed: not a bad image
            raise Unsettled(path) from None
        return str(error)


def _files(folder: Path) -> Iterator[os.DirEntry]:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    for entry in entries:
        if entry.name.startswith(".") or entry.name.endswith(".part"):
            continue
        if entry.is_file(follow_symlinks=False):
            yield entry


def _workers() -> int:
    return max(2, min(4, os.cpu_count() or 2))
