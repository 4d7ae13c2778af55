"""A write that failed, said in one line a user can act on: "The disk is full: ...".

Writes fail deep inside (a staged copy, a thumbnail, the index's WAL, a saved model), each raising
its own OSError or sqlite3 error. Rather than wrap every write, the places that report to the user
(the command line, the window's workers) turn these into one line here; the code that wrote has
already put back what it half did.
"""

from __future__ import annotations

import errno
import sqlite3

from desktop_app.core.errors import DatasetError

FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
AFTER_FULL = "free some space and try again; nothing already in the dataset was lost"


class DiskFull(DatasetError):
    """A write failed for want of space (or quota)."""


def explain(error: BaseException) -> str | None:
    """The one line for a failed write, or None when error is not one (a bug, a missing file)."""
    if isinstance(error, DiskFull):
        return str(error)
    if isinstance(error, sqlite3.OperationalError) and "full" in str(error).lower():
        return f"The disk is full: the dataset's index could not be written; {AFTER_FULL}."
    if not isinstance(error, OSError):
        return None
    where = f"could not write {error.filename}" if error.filename else "a write failed"
    if error.errno in FULL:
        return f"The disk is full: {where}; {AFTER_FULL}."
    if error.errno == errno.EROFS:
        return f"The disk is read-only: {where}."
    if error.errno in READ_ONLY:  # a read may be refused too: say no more than the OS did
        return f"{error.strerror}: {error.filename}" if error.filename else error.strerror
    return None


def disk_full(error: OSError, what: str) -> DiskFull | None:
    """error as a DiskFull naming what was being written, or None when it is not a full disk."""
    if error.errno not in FULL:
        return None
    return DiskFull(f"The disk is full: could not write {what}; {AFTER_FULL}.")
