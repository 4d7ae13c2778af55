"""SIGTERM (logout, shutdown) and SIGINT (Ctrl+C in a terminal) close the main window the normal
way, so its closeEvent stops the threads and closes the dataset, and the app exits with 0.

Python runs a signal handler only when the interpreter next gets control, which never happens
while Qt's event loop waits in C++. signal.set_wakeup_fd makes the C-level handler write a byte to
a socket that a QSocketNotifier watches: the event loop wakes, Python runs the handler, and the
handler only schedules the close (it may run in the middle of any Python code of the GUI thread).
"""

from __future__ import annotations

import signal
import socket

from PySide6.QtCore import QCoreApplication, QObject, QSocketNotifier, QTimer
from PySide6.QtWidgets import QWidget

CLOSING_SIGNALS = (signal.SIGTERM, signal.SIGINT)


class SignalClose(QObject):
    """Install early (a signal before the window exists closes it once watch() gives it)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window: QWidget | None = None
        self.requested = False
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        # A signal the parent ignores (SIGINT for a script's background job) stays ignored.
        self._previous = {
            number: signal.signal(number, self._on_signal)
            for number in CLOSING_SIGNALS
            if signal.getsignal(number) is not signal.SIG_IGN
        }

    def watch(self, window: QWidget) -> None:
        self.window = window
        if self.requested:
            QTimer.singleShot(0, self._close)

    def restore(self) -> None:
        """The handlers and wake-up fd from before; the sockets closed."""
        for number, handler in self._previous.items():
            signal.signal(number, handler)
        signal.set_wakeup_fd(self._previous_fd)
        self._notifier.setEnabled(False)
        self._reader.close()
        self._writer.close()

    def _on_signal(self, signum: int, frame: object) -> None:
        QTimer.singleShot(0, self._close)

    def _drain(self) -> None:
        # Reading this slot's first bytecode is when Python runs the pending handler.
        try:
            while self._reader.recv(4096):
                pass
        except OSError:  # BlockingIOError: nothing more to read
            pass

    def _close(self) -> None:
        self.requested = True
        if self.window is not None and self.window.close():
            QCoreApplication.quit()  # also ends a dialog's event loop, were one open
