"""Making a written file survive a power cut: its bytes, then the folder entry that names it.

Without this, a file renamed into place can come back empty after a crash (the rename reaches the
disk before the data). Camera frames and pasted pictures exist nowhere else, so the dataset syncs
every new file before it is renamed into a class folder, and the folder once per batch after.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO


def sync_file(file: IO[bytes] | IO[str]) -> None:
    """Flush Python's buffer and ask the OS to put the bytes on the disk."""
    file.flush()
    os.fsync(file.fileno())


def sync_dirs(folders: Iterable[Path]) -> None:
    """Put the folders' entries (new names, renames) on the disk. Windows cannot open a folder to
    sync it, and NTFS journals names itself, so there it does nothing."""
    if os.name == "nt":
        return
    for folder in set(folders):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
