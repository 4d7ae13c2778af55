"""One dataset, one writer: a lock file in .studio/ naming the process that writes.

A second writer is refused with a message naming the holder. A lock left by a process that has
died (a crash, a kill) is taken over, so nothing has to be cleaned up by hand.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from pathlib import Path

import psutil

from desktop_app.core.errors import DatasetLocked

# Locks held by this process, so a second writer inside the same process is refused too.
_HELD: set[Path] = set()
_HELD_GUARD = threading.Lock()


class DatasetLock:
    """The writer's lock on a dataset; release() or process exit frees it."""

    def __init__(self, path: Path, dataset_name: str) -> None:
        self.path = path
        self.dataset_name = dataset_name
        self.held = False

    def acquire(self) -> None:
        key = self.path.resolve()
        with _HELD_GUARD:
            if key in _HELD:
                raise DatasetLocked(
                    f"{self.dataset_name} is open in another window or command (pid {os.getpid()})"
                )
            for _ in range(3):
                if self._try_create():
                    break
                holder = read_holder(self.path)
                if holder is not None and _alive(holder, self.path):
                    raise DatasetLocked(
                        f"{self.dataset_name} is open in another window or command ({_who(holder)})"
                    )
                # Stale (its process is gone) or unreadable: take it over.
                self._take_over()
                if (read_holder(self.path) or {}).get("pid") == os.getpid():
                    break
            else:
                raise DatasetLocked(f"{self.dataset_name}: could not take the lock file")
            _HELD.add(key)
            self.held = True

    def release(self) -> None:
        if not self.held:
            return
        with _HELD_GUARD:
            _HELD.discard(self.path.resolve())
            self.held = False
            holder = read_holder(self.path)
            if holder is not None and holder.get("pid") == os.getpid():
                try:
                    self.path.unlink()
                except FileNotFoundError:
                    pass

    def _try_create(self) -> bool:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "w") as file:
            file.write(_holder_json())
        return True

    def _take_over(self) -> None:
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        temporary.write_text(_holder_json())
        os.replace(temporary, self.path)


def read_holder(path: Path) -> dict | None:
    """Who holds the lock: {"pid", "host", "since"}, or None when free or unreadable."""
    try:
        holder = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


def is_locked(path: Path) -> bool:
    """True when a live writer holds the lock at path."""
    holder = read_holder(path)
    return holder is not None and _alive(holder, path)


def _who(holder: dict) -> str:
    """'pid 123', or 'pid 123 on laptop' for another machine's process (a shared folder)."""
    host = holder.get("host")
    elsewhere = isinstance(host, str) and host != socket.gethostname()
    return f"pid {holder.get('pid')}" + (f" on {host}" if elsewhere else "")


def _holder_json() -> str:
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()})


def _alive(holder: dict, path: Path) -> bool:
    pid = holder.get("pid")
    if not isinstance(pid, int):
        return False
    if holder.get("host") not in (None, socket.gethostname()):
        return True  # another machine's process (a shared folder): cannot check, so respect it
    if pid == os.getpid():
        return path.resolve() in _HELD  # ours; not in _HELD means left by a dataset since closed
    try:
        return psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False
