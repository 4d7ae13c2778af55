"""Import files and whole folders into a dataset: copies, never touches the originals.

Files are read, validated, hashed and staged in a few worker threads (Pillow and hashlib release
the GIL); the calling thread moves them into place and writes the index in batches, one
transaction each, so a 3,000-photo import costs a dozen transactions rather than 3,000.
"""

from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.core.dataset import UNLABELED, Dataset, Item
from desktop_app.core.errors import BadImage
from desktop_app.core.hashing import content_hash
from desktop_app.core.imaging import read_bytes
from desktop_app.core.progress import CancelToken, EtaClock, Progress, ProgressCallback, emit
from desktop_app.core.staging import IMAGE_EXTENSIONS, StagedFile, stage_bytes
from desktop_app.core.undo import GrowingStep
from desktop_app.core.write_errors import DiskFull

BATCH_SIZE = 128  # files per index transaction
BATCH_SECONDS = 0.5  # ... or sooner, so the window shows new images while a long import runs
EVENT_SECONDS = 0.05  # a progress event every 50 ms ...
EVENT_FRACTION = 0.01  # ... or every 1% of the files, whichever comes first


@dataclass(frozen=True)
class AlreadyThere:
    """A file whose exact bytes the dataset already holds: found by hash alone, never decoded."""

    hash: str


@dataclass
class ImportReport:
    added: list[Item] = field(default_factory=list)
    duplicates: list[tuple[str, Item]] = field(
        default_factory=list
    )  # (path, the item already there)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, one-line reason)
    cancelled: bool = False

    def summary(self) -> str:
        parts = [f"{len(self.added)} added"]
        if self.duplicates:
            parts.append(f"{len(self.duplicates)} already in the dataset")
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts) + (" (cancelled)" if self.cancelled else "")

    def to_dict(self) -> dict:
        return {
            "added": len(self.added),
            "duplicates": len(self.duplicates),
            "duplicate_files": [
                {"path": path, "label": item.label, "hash": item.hash}
                for path, item in self.duplicates
            ],
            "skipped": [{"path": path, "reason": reason} for path, reason in self.skipped],
            "cancelled": self.cancelled,
        }


def iter_image_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path]:
    """Every file named, and every file in the folders named (recursively, in a stable order).

    Hidden files and folders (".DS_Store", ".git") are passed over; a path that does not exist is
    still yielded, so the import reports it instead of losing it silently.
    """
    for path in map(Path, paths):
        if path.is_dir():
            for folder, subfolders, files in os.walk(path):
                subfolders[:] = sorted(d for d in subfolders if not d.startswith("."))
                for name in sorted(files):
                    if not name.startswith("."):
                        yield Path(folder) / name
        else:
            yield path


def import_paths(
    dataset: Dataset,
    paths: Iterable[str | os.PathLike],
    label: str = UNLABELED,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ImportReport:
    """Copy images from files and folders into the dataset under label, as one undoable step.

    Returns what was added, what was already there, and each skipped file with its reason.
    Cancelling keeps what was added so far (undo removes it) and sets report.cancelled.
    """
    dataset._require_writer()
    dataset._check_label(label)
    files = _without_dataset(list(iter_image_files(paths)), dataset.root)
    report = ImportReport()
    total = len(files)
    clock = EtaClock()
    event_step = max(1, int(total * EVENT_FRACTION))
    emit(progress, Progress("importing", 0, total, f"Importing {total} files"))
    pending: list[tuple[str, StagedFile]] = []
    last_flush = last_event = time.monotonic()
    done = 0

    def flush() -> None:
        nonlocal last_flush
        if pending:
            staged_files = [staged for _path, staged in pending]
            results, _moves = dataset.store(staged_files, label, step)
            for (path, _staged), result in zip(pending, results, strict=True):
                if result.added:
                    report.added.append(result.item)
                else:
                    report.duplicates.append((path, result.item))
            pending.clear()
        last_flush = time.monotonic()

    step = GrowingStep("add")  # one undoable step, which every batch's transaction adds to
    known = frozenset(hash for hash, _label in dataset.index.label_pairs())
    try:
        for path, outcome in _staged_in_order(files, dataset.staging_dir, known, cancel):
            if isinstance(outcome, AlreadyThere):
                item = dataset.get(outcome.hash)
                if item is None:  # trashed since the import began: stage it, so it comes back
                    outcome = _stage_one(path, dataset.staging_dir, frozenset())
                else:
                    report.duplicates.append((_printable(path), item))
            if isinstance(outcome, StagedFile):
                pending.append((_printable(path), outcome))
            elif isinstance(outcome, str):
                report.skipped.append((_printable(path), outcome))
            done += 1
            now = time.monotonic()
            if len(pending) >= BATCH_SIZE or now - last_flush >= BATCH_SECONDS:
                flush()
            if now - last_event >= EVENT_SECONDS or done % event_step == 0 or done == total:
                last_event = now
                emit(
                    progress, Progress("importing", done, total, path.name, clock.eta(done, total))
                )
        report.cancelled = cancel is not None and cancel.cancelled
        flush()
    except DiskFull:
        flush()  # the copies staged before the disk filled cost no more space: keep them
        raise
    finally:
        for _path, staged in pending:  # an error mid-batch: leave nothing half-imported
            staged.temp_path.unlink(missing_ok=True)
    emit(progress, Progress("importing", done, total, report.summary()))
    return report


def _staged_in_order(
    files: list[Path], staging_dir: Path, known: frozenset[str], cancel: CancelToken | None
) -> Iterator[tuple[Path, StagedFile | AlreadyThere | str]]:
    """Stage files in a small thread pool, yielding results in order with a bounded number in flight.

    Only a few dozen files are in memory at once, whatever the size of the import.
    """
    workers = max(2, min(4, os.cpu_count() or 2))
    in_flight: deque[tuple[Path, Future]] = deque()
    queue = iter(files)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="import") as pool:
        try:
            while True:
                while len(in_flight) < workers * 8 and not (cancel and cancel.cancelled):
                    path = next(queue, None)
                    if path is None:
                        break
                    in_flight.append((path, pool.submit(_stage_one, path, staging_dir, known)))
                if not in_flight or (cancel and cancel.cancelled):
                    return
                path, future = in_flight.popleft()
                yield path, future.result()
        finally:
            # Cancelled or failed: drop the staged copies nobody will move into place.
            for _path, future in in_flight:
                future.cancel()
            for _path, future in in_flight:
                # exception(): one that failed too (a full disk fails them all) ends no clean-up
                if not future.cancelled() and future.exception() is None:
                    outcome = future.result()
                    if isinstance(outcome, StagedFile):
                        outcome.temp_path.unlink(missing_ok=True)


def _stage_one(
    path: Path, staging_dir: Path, known: frozenset[str]
) -> StagedFile | AlreadyThere | str:
    """The staged file, AlreadyThere for bytes the dataset has, or the one-line reason it is skipped."""
    if path.suffix.lower() not in IMAGE_EXTENSIONS and path.exists() and not path.is_dir():
        return f"not an image file ({path.suffix.lower()})"
    try:
        data = read_bytes(path)
        digest = content_hash(data)
        if digest in known:
            return AlreadyThere(digest)
        source = _printable(path)
        return stage_bytes(data, staging_dir, name=path.name, source=source, digest=digest)
    except BadImage as error:
        return str(error).removeprefix(f"{path.name}: ")


def _printable(path: Path) -> str:
    """The path as text that SQLite, print() and Qt accept: bytes that are not UTF-8 (an old camera
    card's Latin-1 names) become \\xNN escapes, not surrogates that fail the index write or crash
    the CLI's report under a strict UTF-8 locale. For the index and the report, which only show it."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _without_dataset(files: list[Path], root: Path) -> list[Path]:
    """Importing a folder that contains the dataset itself must not import the dataset into itself."""
    root = root.resolve()
    # realpath, not Path.resolve(): that raises RuntimeError on a symlink loop (Python 3.11),
    # which ended the whole import; the looping link is skipped with its reason instead.
    return [f for f in files if root not in Path(os.path.realpath(f)).parents]
