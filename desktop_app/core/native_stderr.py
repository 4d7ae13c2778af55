"""Dropping known noise that native libraries write straight to file descriptor 2.

TensorFlow's start-up notices and FFmpeg's swscaler warnings bypass Python's logging. Pointing fd 2
at /dev/null would hide them, but also everything else any thread prints meanwhile. Instead, fd 2
goes through a pipe: a thread drops the lines that match and passes every other line on. The
patterns live with the code that knows the library (ml/runtime.py, ui/live/video_cli.py).
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def filtered_stderr(noise: re.Pattern[bytes], enabled: bool = True) -> Iterator[None]:
    """While inside, lines written to fd 2 that `noise` matches are dropped; the rest pass."""
    if not enabled:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    read_end, write_end = os.pipe()
    forwarder = threading.Thread(
        target=_forward_lines, args=(read_end, saved, noise), name="stderr-filter", daemon=True
    )
    forwarder.start()
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end unless native code kept a copy
        forwarder.join(timeout=1.0)  # a kept copy keeps the (daemon) forwarder running: fine


def _forward_lines(read_end: int, target: int, noise: re.Pattern[bytes]) -> None:
    with os.fdopen(read_end, "rb", buffering=0) as pipe, os.fdopen(target, "wb", 0) as out:
        pending = b""
        while chunk := pipe.read(65536):
            *lines, pending = (pending + chunk).split(b"\n")
            _write_kept(out, lines, noise)
        if pending:
            _write_kept(out, [pending], noise)


def _write_kept(out, lines: list[bytes], noise: re.Pattern[bytes]) -> None:
    kept = [line + b"\n" for line in lines if not noise.match(line)]
    if kept:
        out.write(b"".join(kept))
