"""Start-up probe for benchmarks/bench_startup.py: report when the main window first paints.

With HOTDOG_STARTUP_PROBE=1 in the environment, `install_startup_probe(window)` waits for the
window's first Paint event (or, given the QApplication, the first paint of any QMainWindow), lets
that paint finish, then prints
`first-paint <seconds since the process started>` on stdout and quits the app (stdout, because
ml/runtime.py points fd 2 at /dev/null while TensorFlow loads in the background). Without the
variable it does nothing, so launch code can call it unconditionally.
"""

from __future__ import annotations

import os
import sys
import time

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

ENV_VAR = "HOTDOG_STARTUP_PROBE"
MARKER = "first-paint"


def seconds_since_process_start() -> float:
    """Wall time since this process was created (psutil reads the OS's own start stamp)."""
    import psutil

    return time.time() - psutil.Process().create_time()


class _FirstPaintProbe(QObject):
    def __init__(self, target: QWidget | QApplication) -> None:
        super().__init__(target)
        self._fired = False
        self._whole_app = isinstance(target, QApplication)
        target.installEventFilter(self)

    def _is_main_window_paint(self, watched: QObject) -> bool:
        if not self._whole_app:
            return True
        return isinstance(watched, QWidget) and isinstance(watched.window(), QMainWindow)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        if (
            not self._fired
            and event.type() == QEvent.Type.Paint
            and self._is_main_window_paint(watched)
        ):
            self._fired = True
            # A zero timer runs after this paint has reached the screen's backing store.
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        print(f"{MARKER} {seconds_since_process_start():.3f}", file=sys.stdout, flush=True)
        QApplication.quit()


def install_startup_probe(target: QWidget | QApplication) -> None:
    """Call once at start-up with the main window, or with the QApplication before any window."""
    if os.environ.get(ENV_VAR) == "1":
        _FirstPaintProbe(target)
