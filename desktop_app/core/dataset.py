"""A dataset is a folder: class folders that any tool can read, plus .studio/ for the app's own files.

    my-dataset/
      hot_dog/  not_hot_dog/  unlabeled/      the truth: one file per image, named by content hash
      .studio/  index.sqlite  dataset.json  lock  thumbs/  trash/  features/  runs/  tmp/

Every change is a rename inside the dataset plus one index transaction, can be undone, and is
announced to subscribers. Safe to use from several threads (one write lock, a connection per thread).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from PIL import Image

from desktop_app.core import reconcile, writable

# Some re-exported (noqa): the rest of the app imports them from the dataset.
from desktop_app.core.dataset_config import (  # noqa: F401
    CONFIG_VERSION,
    DEFAULT_CLASSES,
    HOT_DOG,
    NOT_HOT_DOG,
    STUDIO_DIR,
    UNLABELED,
    classes_of,
    read_classes,
    write_json,
)
from desktop_app.core.durable import sync_dirs
from desktop_app.core.errors import DatasetClosed, DatasetError, DatasetReadOnly
from desktop_app.core.index import TRASH, Index, Row, open_repaired
from desktop_app.core.items import AddResult, ChangeEvent, Item, kind_of  # noqa: F401
from desktop_app.core.lock import DatasetLock
from desktop_app.core.progress import ProgressCallback
from desktop_app.core.reader import reader_view, where_now
from desktop_app.core.snapshot import IndexSnapshot
from desktop_app.core.staging import StagedFile, stage_file, stage_image
from desktop_app.core.undo import GrowingStep, Move, Step, UndoStack
from desktop_app.core.undo_journal import UndoJournal

log = logging.getLogger(__name__)


class Dataset:
    """Open with Dataset.open(root) or Dataset.create(root); close() or use as a context manager."""

    def __init__(self, root: Path, classes: list[str], *, readonly: bool) -> None:
        self.root = root
        self.studio_dir = root / STUDIO_DIR
        self.classes = list(classes)
        self.readonly = readonly
        self.ignored: list[tuple[str, str]] = []  # files in the folders that are not usable images
        self._lock = DatasetLock(self.studio_dir / "lock", str(root))
        self._index: Index | IndexSnapshot | None = None  # a reader's is a snapshot
        self._write = threading.RLock()
        self._undo = UndoStack()
        self._subscribers: list[Callable[[ChangeEvent], None]] = []
        self._fingerprint: tuple[int, str] | None = None
        self._version = 0

    # -- opening and closing -----------------------------------------------------------------
    @classmethod
    def create(cls, root: str | os.PathLike) -> Dataset:
        """A new dataset in root (created if missing, or empty); an existing dataset is opened."""
        root = Path(root).expanduser().absolute()
        if root.exists() and not root.is_dir():
            raise DatasetError(f"{root} is a file, not a folder")
        if root.is_dir() and not cls.is_dataset(root) and _has_visible_entries(root):
            raise DatasetError(
                f"{root} is not empty and not a dataset: choose a new or empty folder"
            )
        try:
            for folder in [root / STUDIO_DIR, *(root / c for c in [*DEFAULT_CLASSES, UNLABELED])]:
                folder.mkdir(parents=True, exist_ok=True)
            config = root / STUDIO_DIR / "dataset.json"
            if not config.exists():
                write_json(config, {"version": CONFIG_VERSION, "classes": DEFAULT_CLASSES})
        except OSError as error:
            raise DatasetError(f"cannot create a dataset in {root}: {error.strerror}") from None
        return cls.open(root)

    @classmethod
    def open(cls, root: str | os.PathLike, *, readonly: bool = False) -> Dataset:
        """Open a dataset; a writer takes the lock (DatasetLocked when another has it).

        The index is brought in line with the folders first: rebuilt when missing or corrupt,
        updated for files moved, added or removed by hand. A read-only open never takes the lock
        for longer than that repair and never changes the folders; it answers from one committed
        state of the index, taken when it opens (core/reader.py).
        """
        root = Path(root).expanduser().absolute()
        if not root.is_dir():
            raise DatasetError(f"no dataset at {root} (no such folder)")
        if not cls.is_dataset(root):
            raise DatasetError(
                f"{root} is not a dataset (it has no .studio/, {HOT_DOG}/ or {NOT_HOT_DOG}/ folder)"
            )
        dataset = cls(root, read_classes(root), readonly=readonly)
        try:
            if readonly:
                dataset._open_reader()
            else:
                dataset._open_writer()
        except BaseException:
            dataset.close()
            raise
        return dataset

    @classmethod
    def open_or_create(cls, root: str | os.PathLike) -> Dataset:
        root = Path(root).expanduser().absolute()
        return cls.open(root) if cls.is_dataset(root) else cls.create(root)

    @staticmethod
    def is_dataset(root: str | os.PathLike) -> bool:
        root = Path(root)
        return (root / STUDIO_DIR).is_dir() or any(
            (root / name).is_dir() for name in DEFAULT_CLASSES
        )

    def _open_writer(self) -> None:
        # Asked first, so a read-only folder says so in one line (the window then opens a reader).
        reason = writable.unwritable_reason(
            self.studio_dir if self.studio_dir.is_dir() else self.root
        )
        if reason is not None:
            raise DatasetReadOnly(f"{self.root} is read-only ({reason})")
        self._prepare_studio()
        self._lock.acquire()
        self._index = open_repaired(self.studio_dir / "index.sqlite")
        shutil.rmtree(self.studio_dir / "tmp", ignore_errors=True)  # left by a crash
        self._reconcile()  # a repair clears the undo history in its own transaction
        self._undo = UndoStack(journal=UndoJournal(self.index))

    def _open_reader(self) -> None:
        self._index, self.ignored = reader_view(self.studio_dir, self._folders(), self._lock)

    def _prepare_studio(self) -> None:
        try:
            for folder in [self.studio_dir, *self._folders().values(), self.studio_dir / "tmp"]:
                folder.mkdir(parents=True, exist_ok=True)
            for name in ("thumbs", "features", "runs"):
                (self.studio_dir / name).mkdir(exist_ok=True)
            config = self.studio_dir / "dataset.json"
            if not config.exists():
                write_json(config, {"version": CONFIG_VERSION, "classes": self.classes})
        except OSError as error:
            raise DatasetError(f"cannot write to {self.root}: {error.strerror}") from None

    def _reconcile(self, progress: ProgressCallback | None = None) -> reconcile.ReconcileReport:
        with self._write:
            # The folders were changed by hand: the history may name files that are gone.
            forget = UndoJournal(self.index).cleared
            report = reconcile.bring_in_line(self.index, self._folders(), progress, forget)
            self.ignored = report.ignored
            if report.changed:
                self._changed()
        return report

    def refresh(self, progress: ProgressCallback | None = None) -> bool:
        """Pick up changes made to the folders by hand since opening; True (and "rebuilt") if any."""
        self._require_writer()
        report = self._reconcile(progress)
        if report.changed:
            self._undo.clear()  # the repair emptied the journal; and the stack in memory now
            self._notify([ChangeEvent("rebuilt", ())])
        return report.changed

    def snapshot(self) -> Dataset:
        """A read-only view of this moment, for a long reader beside this writer (a training):
        its items and fingerprint stay those it started with while labeling goes on."""
        view = Dataset(self.root, self.classes, readonly=True)
        with self._write:  # between two changes, never halfway through one
            index = self.index
            view._index = IndexSnapshot.take(index) if isinstance(index, Index) else index
            view.ignored = list(self.ignored)
        return view

    def close(self) -> None:
        if self._index is not None:
            self._index.close()
            self._index = None
        self._lock.release()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- places ------------------------------------------------------------------------------
    @property
    def index(self) -> Index | IndexSnapshot:
        if self._index is None:
            raise DatasetClosed(f"{self.root} is closed")
        return self._index

    @property
    def trash_dir(self) -> Path:
        return self.studio_dir / "trash"

    @property
    def thumbs_dir(self) -> Path:
        return self.studio_dir / "thumbs"

    @property
    def features_dir(self) -> Path:
        return self.studio_dir / "features"

    @property
    def runs_dir(self) -> Path:
        return self.studio_dir / "runs"

    @property
    def labels(self) -> list[str]:
        """Every place an item can be: the classes and UNLABELED."""
        return [*self.classes, UNLABELED]

    def folder(self, label: str) -> Path:
        return self.trash_dir if label == TRASH else self.root / label

    def _folders(self) -> dict[str, Path]:
        return {label: self.folder(label) for label in [*self.labels, TRASH]}

    # -- reading ----------------------------------------------------------------------------
    def items(self, label: str | None = None) -> list[Item]:
        """Items in the order they were added; all of them (not the trash) when label is None."""
        return [self._item(row) for row in self.index.rows(label)]

    def hashes(self, label: str) -> list[str]:
        """The hashes of items(label), in order: a gallery's reload reads 10,000 of them on a pool
        thread, and building Items for them held the GIL long enough to stall the window."""
        return self.index.hashes(label)

    def trashed(self) -> list[Item]:
        """Items in the trash; their label is the one they had before."""
        return [self._item(row) for row in self.index.rows(TRASH)]

    def get(self, hash: str) -> Item | None:
        row = self.index.get(hash)
        return self._item(row) if row is not None and row.label != TRASH else None

    def counts(self) -> dict[str, int]:
        """Number of items for every class and UNLABELED (the trash not counted)."""
        found = self.index.counts()
        return {label: found.get(label, (0, 0))[0] for label in self.labels}

    def sizes(self) -> dict[str, int]:
        """Bytes on disk for every class, UNLABELED and "trash"."""
        found = self.index.counts()
        sizes = {label: found.get(label, (0, 0))[1] for label in self.labels}
        sizes["trash"] = found.get(TRASH, (0, 0))[1]
        return sizes

    def fingerprint(self) -> str:
        """A short hash of every (hash, label) pair: changes whenever labels or contents change."""
        with self._write:
            cached = self._fingerprint
            if cached is not None and cached[0] == self._version:
                return cached[1]
            digest = hashlib.sha256()
            for hash, label in self.index.label_pairs():
                digest.update(f"{hash}:{label}\n".encode())
            value = digest.hexdigest()[:16]
            self._fingerprint = (self._version, value)
            return value

    def thumbnail(self, hash: str, size: int = 256) -> Path:
        """A JPEG thumbnail no larger than size x size, made once and kept in .studio/thumbs/."""
        from desktop_app.core.thumbnails import make_thumbnail

        if self.index.get(hash) is None:
            raise DatasetError(f"no image {hash[:16]} in {self.root}")
        target = self.thumbs_dir / str(size) / f"{hash[:16]}.jpg"
        for _ in range(3):  # the file can be moved between finding and opening it
            if target.exists():
                return target
            source = self.locate(hash)
            if source is None:
                break
            try:
                return make_thumbnail(source, target, size)
            except FileNotFoundError:
                continue
        raise DatasetError(f"image {hash[:16]} is no longer in {self.root}")

    def locate(self, hash: str) -> Path | None:
        """Where the item's file is now, or None when it is gone for good.

        A reader's view is the one it opened with, and a writer may have moved the file since
        (Item.path is then stale); a writer's own thread may race a label change the same way.
        """
        row = self.index.get(hash)
        return where_now(self._folders(), row.label, row.name) if row is not None else None

    def _item(self, row: Row) -> Item:
        label = (row.trashed_from or UNLABELED) if row.label == TRASH else row.label
        return Item(
            hash=row.hash,
            label=label,
            path=self.folder(row.label) / row.name,
            width=row.width,
            height=row.height,
            size=row.size,
            phash=row.phash,
            source=row.source,
            added=row.added,
        )

    # -- adding -------------------------------------------------------------------------------
    def add_file(
        self, path: str | os.PathLike, label: str = UNLABELED, *, source: str | None = None
    ) -> AddResult:
        """Copy one image file in (one undoable step); BadImage says why a file cannot be added."""
        self._require_writer()
        self._check_label(label)
        path = Path(path)
        staged = stage_file(path, self.staging_dir)
        if source is not None:
            staged = StagedFile(
                staged.hash, staged.ext, staged.temp_path, staged.size, staged.facts, source
            )
        return self._add_staged([staged], label)[0]

    def add_image(
        self, image: Image.Image, label: str, *, source: str | None, format: str = "JPEG"
    ) -> AddResult:
        """Add a picture from memory (a paste, a camera frame), stored as JPEG (or PNG)."""
        self._require_writer()
        self._check_label(label)
        return self._add_staged(
            [stage_image(image, self.staging_dir, fmt=format, source=source)], label
        )[0]

    @property
    def staging_dir(self) -> Path:
        folder = self.studio_dir / "tmp"
        folder.mkdir(exist_ok=True)
        return folder

    def _add_staged(self, staged: list[StagedFile], label: str) -> list[AddResult]:
        return self.store(staged, label, GrowingStep())[0]

    def store(
        self, staged: list[StagedFile], label: str, step: GrowingStep | None = None
    ) -> tuple[list[AddResult], list[Move]]:
        """Move staged files into place in one index transaction.

        A file already in the dataset is a duplicate (its staged copy is dropped); one in the trash
        comes back under the new label. Returns the results and the moves for an undo Step. With
        step, the moves join it in the same transaction (a kill after the commit cannot leave them
        out of the undo history); without, the caller records the step.
        """
        self._require_writer()
        now = time.time()
        results: list[AddResult] = []
        new_rows: list[Row] = []
        restored: list[tuple[Row, str]] = []
        moves: list[Move] = []
        with self._write:
            known = self.index.get_many({s.hash for s in staged})
            placed: list[Path] = []
            try:
                for file in staged:
                    row = known.get(file.hash)
                    if row is not None and row.label != TRASH:
                        file.temp_path.unlink(missing_ok=True)
                        results.append(AddResult("duplicate", self._item(row)))
                        continue
                    if row is not None:  # in the trash: bring it back
                        file.temp_path.unlink(missing_ok=True)
                        os.rename(self.trash_dir / row.name, self.folder(label) / row.name)
                        placed.append(self.folder(label) / row.name)
                        restored.append((row, label))
                        row = _replace(row, label=label, trashed_from=None)
                    else:
                        target = self.folder(label) / file.name
                        if target.exists():
                            target = self.folder(label) / (file.hash + file.ext)
                        os.replace(file.temp_path, target)
                        placed.append(target)
                        stat = target.stat()
                        row = Row(
                            hash=file.hash,
                            name=target.name,
                            label=label,
                            trashed_from=None,
                            size=file.size,
                            mtime=stat.st_mtime,
                            width=file.facts.width,
                            height=file.facts.height,
                            phash=file.facts.phash,
                            source=file.source,
                            added=now,
                            updated=now,
                        )
                        new_rows.append(row)
                    known[file.hash] = row
                    moves.append((file.hash, TRASH, label))
                    results.append(AddResult("added", self._item(row)))
                sync_dirs(path.parent for path in placed)  # before the index names them
                with self.index.transaction() as conn:
                    Index.insert(conn, new_rows)
                    Index.move(conn, [(row.hash, lab, None, row.mtime) for row, lab in restored])
                    Index.log(conn, "add", [(h, None, after) for h, _before, after in moves])
                    if step is not None:
                        self._undo.grow(step, tuple(moves), conn)
            except BaseException:
                self._put_back(placed, restored)
                if step is not None:
                    self._undo.reload()  # the step's growth went with the transaction
                raise
            if moves:
                self._changed()
        if moves:
            self._notify([ChangeEvent("added", tuple(h for h, _b, _a in moves))])
        return results, moves

    def record(self, step: Step) -> None:
        """Add a step to the undo history (the importer records one step per import)."""
        with self._write:  # not between an undo's peek and its pop on another thread
            self._undo.push(step)

    def _put_back(self, placed: list[Path], restored: list[tuple[Row, str]]) -> None:
        restored_names = {row.name: row for row, _label in restored}
        for path in placed:
            try:
                if path.name in restored_names:
                    os.rename(path, self.trash_dir / path.name)
                else:
                    path.unlink()
            except OSError:
                log.exception("could not put back %s", path)

    # -- changing ---------------------------------------------------------------------------
    def set_label(self, hashes: Iterable[str], label: str) -> None:
        """Move items to a class (or UNLABELED) as one undoable step."""
        self._require_writer()
        self._check_label(label)
        self._change("label", [(h, label) for h in hashes])

    def set_labels(self, labels: dict[str, str]) -> None:
        """Move each item to its own class (hash -> label) as one undoable step: accepting the
        model's guesses for many photos at once is one Ctrl+Z."""
        self._require_writer()
        for label in set(labels.values()):
            self._check_label(label)
        self._change("label", list(labels.items()))

    def trash(self, hashes: Iterable[str]) -> None:
        """Move items to .studio/trash/ as one undoable step."""
        self._require_writer()
        self._change("trash", [(h, TRASH) for h in hashes])

    def restore(self, hashes: Iterable[str]) -> None:
        """Bring items back from the trash to the label they had, as one undoable step."""
        self._require_writer()
        rows = self.index.get_many(hashes)
        self._change(
            "restore",
            [(h, row.trashed_from or UNLABELED) for h, row in rows.items() if row.label == TRASH],
        )

    def empty_trash(self) -> int:
        """Delete the trash for good (this alone cannot be undone); returns how many files went."""
        self._require_writer()
        with self._write:
            rows = self.index.rows(TRASH)
            for row in rows:
                (self.trash_dir / row.name).unlink(missing_ok=True)
            try:
                with self.index.transaction() as conn:
                    Index.delete(conn, [row.hash for row in rows])
                    Index.log(conn, "delete", [(row.hash, TRASH, None) for row in rows])
                    self._undo.clear(conn)  # with the deletion: no step names a file gone
            except BaseException:
                self._undo.reload()
                raise
            self._changed()
        return len(rows)

    @property
    def can_undo(self) -> bool:
        return self._undo.can_undo

    @property
    def can_redo(self) -> bool:
        return self._undo.can_redo

    def undo(self) -> bool:
        """Undo the last step; False when there is nothing to undo."""
        self._require_writer()
        with self._write:
            step = self._undo.peek_undo()
            if step is None:
                return False
            moves = self._move(step.backward(), "undo", lambda conn, _: self._undo.undone(conn))
        self._announce(moves)
        return True

    def redo(self) -> bool:
        self._require_writer()
        with self._write:
            step = self._undo.peek_redo()
            if step is None:
                return False
            moves = self._move(step.forward(), "redo", lambda conn, _: self._undo.redone(conn))
        self._announce(moves)
        return True

    def _change(self, action: str, wanted: list[tuple[str, str]]) -> None:
        with self._write:
            moves = self._move(
                wanted, action, lambda conn, moves: self._undo.push(Step(action, moves), conn)
            )
        self._announce(moves)

    def _move(
        self,
        wanted: list[tuple[str, str]],
        action: str,
        history: Callable[[sqlite3.Connection, tuple[Move, ...]], None] | None = None,
    ) -> list[Move]:
        """Rename each file to its new folder, then record all of it in one transaction, with
        history(conn, moves) writing the undo history in that same transaction.

        If anything fails, the files already renamed go back, so folders and index still agree.
        """
        done: list[tuple[Row, str]] = []
        with self._write:
            rows = self.index.get_many(h for h, _ in wanted)
            try:
                for hash, target in wanted:
                    row = rows.get(hash)
                    if row is None or row.label == target:
                        continue
                    source, destination = (
                        self.folder(row.label) / row.name,
                        self.folder(target) / row.name,
                    )
                    if destination.exists():
                        raise DatasetError(f"{destination} already exists; not overwriting it")
                    try:
                        os.rename(source, destination)
                    except FileNotFoundError:
                        raise DatasetError(
                            f"{source.name} is missing from {source.parent} "
                            "(moved or deleted outside the app?)"
                        ) from None
                    done.append((row, target))
                    rows[hash] = _replace(row, label=target)
                with self.index.transaction() as conn:
                    Index.move(
                        conn,
                        [
                            (row.hash, target, row.label if target == TRASH else None, row.mtime)
                            for row, target in done
                        ],
                    )
                    Index.log(conn, action, [(row.hash, row.label, target) for row, target in done])
                    if history is not None:
                        history(conn, tuple((row.hash, row.label, t) for row, t in done))
            except BaseException:
                if history is not None:
                    self._undo.reload()  # the step went with the transaction
                for row, target in reversed(done):
                    try:
                        os.rename(self.folder(target) / row.name, self.folder(row.label) / row.name)
                    except OSError:
                        log.exception("could not move %s back", row.name)
                raise
            if done:
                self._changed()
        return [(row.hash, row.label, target) for row, target in done]

    def _announce(self, moves: list[Move]) -> None:
        """Tell subscribers, once the write lock is released (a slow view must not hold up writers)."""
        events: dict[str, list[str]] = {}
        for hash, before, after in moves:
            events.setdefault(kind_of(before, after), []).append(hash)
        self._notify([ChangeEvent(kind, tuple(hashes)) for kind, hashes in events.items()])

    # -- change notification ---------------------------------------------------------------------
    def subscribe(self, callback: Callable[[ChangeEvent], None]) -> None:
        """callback(ChangeEvent) after every change, on the thread that made it."""
        self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[ChangeEvent], None]) -> None:
        if callback in self._subscribers:
            self._subscribers.remove(callback)

    def _changed(self) -> None:
        self._version += 1

    def _notify(self, events: list[ChangeEvent]) -> None:
        for event in events:
            for callback in list(self._subscribers):
                try:
                    callback(event)
                except Exception:  # a broken view must not break the dataset
                    log.exception("dataset subscriber failed on %s", event.kind)

    # -- checks -------------------------------------------------------------------------------
    def _require_writer(self) -> None:
        if self.readonly:
            raise DatasetError(f"{self.root} is open read-only")
        if self._index is None:
            raise DatasetClosed(f"{self.root} is closed")

    def _check_label(self, label: str) -> None:
        if label not in self.labels:
            raise DatasetError(f"unknown label {label!r}: use one of {', '.join(self.labels)}")


def _replace(row: Row, **changes: object) -> Row:
    from dataclasses import replace

    return replace(row, **changes)


def _has_visible_entries(folder: Path) -> bool:
    return any(not entry.name.startswith(".") for entry in os.scandir(folder))
