"""Dropping known noise that native libraries write straight to file descriptor 2.

TensorFlow's start-up notices and FFmpeg's swscaler warnings bypass Python's logging. Pointing fd 2
at /dev/null would hide them, but also everything else any thread prints meanwhile. Instead, fd 2
goes through a pipe: a thread drops the lines that match and passes every other line on. The
patterns live with the code that knows the library (ml/runtime.py, ui/live/video_cli.py).

fd 2 belongs to the whole process, so there is one pipe, owned here: the first filtered_stderr()
puts it on fd 2, the last one to leave puts the real stderr back. In between, each user only adds
its pattern and takes it away, so uses on several threads may overlap in any order.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import os
import re
import sys
import threading
from collections.abc import Iterator

# Written into the pipe by a user leaving: once the forwarder reads it, every line written before
# has been judged while that user's pattern was still active. No newline, so no line ends with it.
_SYNC = re.compile(rb"\x00native-stderr-sync:(\d+)\x00")
SYNC_WAIT_S = 1.0  # a forwarder stuck on a full stderr must not hold up the app for longer


@contextlib.contextmanager
def filtered_stderr(noise: re.Pattern[bytes], enabled: bool = True) -> Iterator[None]:
    """While inside, lines written to fd 2 that `noise` matches are dropped; the rest pass."""
    if not enabled:
        yield
        return
    _FILTER.add(noise)
    try:
        yield
    finally:
        _FILTER.remove(noise)


class _SharedFilter:
    """The one pipe on fd 2; every descriptor it opens, it alone closes."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._patterns: tuple[re.Pattern[bytes], ...] = ()  # one entry per active user
        self._original: int | None = None  # a copy of the real stderr, to put back on fd 2
        self._pipe_in: int | None = None  # our own write end: sync marks, and EOF once closed
        self._forwarder: threading.Thread | None = None
        self._waiting: dict[int, threading.Event] = {}
        self._sync_ids = itertools.count()
        atexit.register(self._at_exit)

    def add(self, noise: re.Pattern[bytes]) -> None:
        with self._guard:
            if self._forwarder is None:
                self._install()
            self._patterns = (*self._patterns, noise)

    def remove(self, noise: re.Pattern[bytes]) -> None:
        with self._guard:
            if noise not in self._patterns:
                return  # the filter was already taken down at exit
            _flush_python_stderr()
            if len(self._patterns) == 1:
                self._uninstall()  # drains the pipe while the pattern still applies
            else:
                self._sync()
            patterns = list(self._patterns)
            patterns.remove(noise)
            self._patterns = tuple(patterns)

    def matches(self, line: bytes) -> bool:
        return any(noise.match(line) for noise in self._patterns)

    def synced(self, sync_id: int) -> None:
        event = self._waiting.get(sync_id)
        if event is not None:
            event.set()

    def _install(self) -> None:
        _flush_python_stderr()
        original = os.dup(2)
        read_end, write_end = os.pipe()
        out = os.dup(original)  # the forwarder's own copy of the real stderr: it closes it
        forwarder = threading.Thread(
            target=_forward_lines, args=(read_end, out, self), name="stderr-filter", daemon=True
        )
        forwarder.start()
        os.dup2(write_end, 2)
        self._original, self._pipe_in, self._forwarder = original, write_end, forwarder

    def _uninstall(self) -> None:
        assert self._original is not None and self._pipe_in is not None
        os.dup2(self._original, 2)
        os.close(self._original)
        os.close(self._pipe_in)  # with fd 2 restored, the pipe's last write end: EOF
        if self._forwarder is not None:
            self._forwarder.join(SYNC_WAIT_S)  # a copy native code kept keeps it running: fine
        self._original = self._pipe_in = self._forwarder = None

    def _sync(self) -> None:
        """Wait until the forwarder has judged every line written to the pipe so far."""
        assert self._pipe_in is not None
        sync_id = next(self._sync_ids)
        event = self._waiting[sync_id] = threading.Event()
        try:
            os.write(self._pipe_in, b"\x00native-stderr-sync:%d\x00" % sync_id)
            event.wait(SYNC_WAIT_S)
        finally:
            del self._waiting[sync_id]

    def _at_exit(self) -> None:
        """A filter still on at exit (a thread importing Keras): the last lines must reach stderr."""
        with self._guard:
            if self._forwarder is not None:
                _flush_python_stderr()
                self._uninstall()
            self._patterns = ()


def _forward_lines(read_end: int, out: int, shared: _SharedFilter) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe, os.fdopen(out, "wb", 0) as target:
        pending = b""
        while chunk := pipe.read(65536):
            pending += chunk
            while mark := _SYNC.search(pending):
                *lines, partial = pending[: mark.start()].split(b"\n")
                _write_kept(target, lines, shared)
                pending = partial + pending[mark.end() :]
                shared.synced(int(mark.group(1)))
            *lines, pending = pending.split(b"\n")
            _write_kept(target, lines, shared)
        if pending:
            _write_kept(target, [pending], shared)


def _write_kept(target, lines: list[bytes], shared: _SharedFilter) -> None:
    kept = b"".join(line + b"\n" for line in lines if not shared.matches(line))
    try:
        while kept:
            kept = kept[target.write(kept) :]
    except OSError:
        pass  # stderr's reader is gone: keep draining the pipe so writers never block


def _flush_python_stderr() -> None:
    with contextlib.suppress(Exception):  # a closed or replaced sys.stderr
        sys.stderr.flush()


_FILTER = _SharedFilter()
