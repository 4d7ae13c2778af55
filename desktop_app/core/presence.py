"""Is the open dataset's folder still there? A USB drive pulled out, a folder renamed or deleted
while the window has it open: the window asks this before it writes, and every second or so.

The folder is known by its identity (device and inode), not only its path: a folder moved away and
another made at the same path is not the dataset that was opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

Identity = tuple[int, int]


def identity(root: Path) -> Identity | None:
    """(device, inode) of the folder at root, or None when there is no folder there (or no disk)."""
    try:
        found = os.stat(root)
    except OSError:  # gone, or the drive went away (EIO)
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISDIR(found.st_mode) else None


def gone_reason(root: Path, opened_as: Identity | None) -> str | None:
    """None while root is still the folder that was opened; otherwise the one line saying so."""
    now = identity(root)
    if now is not None and now == opened_as and (root / ".studio").is_dir():
        return None
    what = "was replaced" if now is not None else "is gone"
    return (
        f"The dataset folder {root} {what} (unplugged, moved or deleted?): nothing more is written"
        " to it. Open it again once it is back."
    )


def gone(dataset: object) -> str | None:
    """The one line when the dataset's folder is not there any more (a worker's write failed)."""
    root = getattr(dataset, "root", None)
    return gone_reason(Path(root), identity(Path(root))) if root is not None else None
