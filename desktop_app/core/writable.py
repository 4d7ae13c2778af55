"""Can this folder be written to? Asked by trying, since permissions alone do not tell.

os.access answers from the mode bits, which say nothing to root (root writes through chmod a-w)
and miss a disk mounted read-only on some systems. Making, then removing, a hidden file is the
honest answer; it never touches a class folder.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def unwritable_reason(folder: Path) -> str | None:
    """None when a new file can be made in folder; otherwise why not, in a few words."""
    try:
        fd, name = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
    except OSError as error:
        return error.strerror or type(error).__name__
    os.close(fd)
    os.unlink(name)
    return None
