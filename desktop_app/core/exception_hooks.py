"""Uncaught exceptions in any thread go to one recorder, and then on to the hooks before.

sys.excepthook sees the main thread's, and PySide6 calls it too for an exception in a slot or a
Qt virtual (in whichever thread it ran, QThreads included); threading.excepthook sees those of
threading.Thread. The previous hooks still run, so the traceback reaches stderr as before.

A bug a worker catches to keep the app alive goes through report_caught: printed as before, and
recorded like an uncaught one, so it lands in the crash report and the GUI self-test counts it
(a worker's ModuleNotFoundError in the bundle once passed that self-test unseen).
"""

from __future__ import annotations

import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

# (exception type, exception, traceback, thread name)
Recorder = Callable[[type[BaseException], BaseException, TracebackType | None, str], None]

_recorders: list[Recorder] = []  # installed, innermost last


def install_exception_hooks(record: Recorder) -> Callable[[], None]:
    """Installs both hooks; returns what puts the previous ones back."""
    previous_sys, previous_threading = sys.excepthook, threading.excepthook

    def sys_hook(exc_type, exc, tb) -> None:
        _safely(record, exc_type, exc, tb, threading.current_thread().name)
        previous_sys(exc_type, exc, tb)

    def threading_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is not SystemExit:  # a thread's normal way out
            name = args.thread.name if args.thread is not None else "unknown"
            _safely(record, args.exc_type, args.exc_value, args.exc_traceback, name)
        previous_threading(args)

    sys.excepthook, threading.excepthook = sys_hook, threading_hook
    _recorders.append(record)

    def uninstall() -> None:
        sys.excepthook, threading.excepthook = previous_sys, previous_threading
        if record in _recorders:
            _recorders.remove(record)

    return uninstall


def report_caught(exc: BaseException) -> None:
    """A bug caught so the app carries on: its traceback on stderr, and every recorder told."""
    traceback.print_exception(exc)
    thread = threading.current_thread().name
    for record in list(_recorders):
        _safely(record, type(exc), exc, exc.__traceback__, thread)


def _safely(record: Recorder, exc_type, exc, tb, thread: str) -> None:
    try:
        record(exc_type, exc, tb, thread)
    except Exception:  # a full disk must not hide the original error
        pass
