"""What a read-only open sees: one committed state of the dataset, whatever a writer is doing.

A live writer (the window, an import) changes a label by renaming the file and then committing the
index, so its folders may be mid-rename at any instant while its index is consistent by transaction
and kept current by the writer. A reader beside it therefore takes a snapshot of that index and
never lists the folders. With nobody writing, the folders are the truth: they are checked against
the index and, when they differ, the index is repaired for everyone under the lock, or privately
where the dataset cannot be written to (or the writer's index is damaged).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from desktop_app.core import reconcile, writable
from desktop_app.core.errors import DatasetLocked
from desktop_app.core.index import Index, open_repaired
from desktop_app.core.lock import DatasetLock, is_locked
from desktop_app.core.snapshot import IndexSnapshot

Ignored = list[tuple[str, str]]  # (path, reason): files in the folders that are not usable images
View = tuple[IndexSnapshot, Ignored]


def reader_view(studio_dir: Path, folders: dict[str, Path], lock: DatasetLock) -> View:
    """The snapshot a read-only Dataset answers from, and the files left out of it."""
    index_path = studio_dir / "index.sqlite"
    # Tried, not os.access: root passes that on a folder it was told not to write (chmod a-w).
    if index_path.exists() and writable.unwritable_reason(studio_dir) is None:
        # Looked at again when files move under the scan: a writer may have just opened.
        view = reconcile.settled(lambda: _shared_view(index_path, folders, lock))
        if view is not None:
            return view
    return _private_view(folders)


def where_now(folders: dict[str, Path], label: str, name: str) -> Path | None:
    """The file's path now, or None: a writer may have moved it since the view was taken (to
    another class or the trash; a move keeps the file's name)."""
    for folder in [folders[label], *(f for other, f in folders.items() if other != label)]:
        if (folder / name).is_file():
            return folder / name
    return None


def _writers_view(index_path: Path) -> View | None:
    """The live writer's committed index; None when it is damaged (the writer rebuilds it)."""
    index = Index(index_path)
    try:
        return (IndexSnapshot.take(index), []) if index.is_healthy() else None
    finally:
        index.close()


def _shared_view(index_path: Path, folders: dict[str, Path], lock: DatasetLock) -> View | None:
    """The dataset's own index, repaired first if nobody writes and it differs from the folders;
    None when it cannot serve (damaged under a writer). Unsettled when files move under the scan."""
    if is_locked(lock.path):
        return _writers_view(index_path)
    index = Index(index_path)
    try:
        if index.is_healthy() and reconcile.plan(index, folders).empty:
            return IndexSnapshot.take(index), []
    finally:
        index.close()
    try:
        lock.acquire()  # nobody writes: repair the index for everyone, then let go of the lock
    except DatasetLocked:  # a writer opened meanwhile, and brings the index in line itself
        return _writers_view(index_path)
    try:
        return _repaired_view(open_repaired(index_path), folders)
    finally:
        lock.release()


def _private_view(folders: dict[str, Path]) -> View:
    folder = Path(tempfile.mkdtemp(prefix="hotdog-index-"))
    try:
        return _repaired_view(open_repaired(folder / "index.sqlite"), folders)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _repaired_view(index: Index, folders: dict[str, Path]) -> View:
    try:
        report = reconcile.bring_in_line(index, folders)
        return IndexSnapshot.take(index), report.ignored
    finally:
        index.close()
