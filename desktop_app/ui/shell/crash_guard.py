"""The GUI's crash reports (core/crash_report.py) wired to Qt: where they live, Qt's messages in
the log lines, uncaught exceptions shown as one line in the status bar, and the notice after a
crash. The folder is QStandardPaths' AppDataLocation/crash; nothing is sent anywhere.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import PySide6
from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    QStandardPaths,
    QtMsgType,
    Signal,
    Slot,
    qFormatLogMessage,
    qInstallMessageHandler,
    qVersion,
)
from PySide6.QtWidgets import QApplication, QMainWindow

from desktop_app import APP_NAME
from desktop_app.core.crash_report import CrashFolder, Session, header_text, timestamp
from desktop_app.core.exception_hooks import install_exception_hooks
from desktop_app.core.session_logging import capture_logging

NOTICE = "{app} closed unexpectedly last time. A report is in {path}."
ERROR_LINE = "Something went wrong: {summary}. The details are in {folder}."
ERROR_SHOWN_MS = 15000
QT_LEVELS = {
    QtMsgType.QtDebugMsg: "DEBUG",
    QtMsgType.QtInfoMsg: "INFO",
    QtMsgType.QtWarningMsg: "WARNING",
    QtMsgType.QtCriticalMsg: "CRITICAL",
    QtMsgType.QtFatalMsg: "FATAL",
}


def crash_folder() -> Path:
    """AppDataLocation/crash (on Linux ~/.local/share/HotDogStudio/Hot Dog Studio/crash)."""
    location = QStandardPaths.StandardLocation.AppDataLocation
    return Path(QStandardPaths.writableLocation(location)) / "crash"


def notice_text(report: Path) -> str:
    return NOTICE.format(app=APP_NAME, path=report)


def qt_header(app: QApplication) -> dict[str, str]:
    return {
        "PySide6": PySide6.__version__,
        "Qt": qVersion(),
        "Qt platform": app.platformName(),
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "(not set)"),
        "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "(not set: tensorflow)"),
    }


class CrashGuard(QObject):
    """start() once the QApplication exists, attach(window) once it is shown, finish() after
    the event loop: a clean exit. Without finish(), the session is a crash report next time."""

    error = Signal(str)  # one line; emitted from any thread, shown in the GUI thread

    def __init__(self, folder: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.folder = CrashFolder(folder or crash_folder())
        self.session: Session | None = None
        self.crashes: list[Path] = []  # reports of earlier sessions that ended unexpectedly
        self.window: QMainWindow | None = None
        self._undo: list = []
        self.error.connect(self._show_error)

    def start(self, app: QApplication) -> CrashGuard:
        try:
            self.crashes = self.folder.collect_crashes()
            self.session = self.folder.start_session(header_text(qt_header(app)))
        except OSError as error:  # an unwritable data folder must not stop the app
            print(f"Crash reports are off: {error}", file=sys.stderr)
            return self
        self.session.enable_faulthandler()
        self._undo.append(install_exception_hooks(self._record))
        self._undo.append(capture_logging(self.session))
        qInstallMessageHandler(self._qt_message)
        self._undo.append(lambda: qInstallMessageHandler(None))
        return self

    def attach(self, window: QMainWindow) -> None:
        """Shows the notice once, for the latest crash (its report is kept, so never again)."""
        self.window = window
        if self.crashes:
            text = notice_text(self.crashes[-1])
            window.notice.show_text(text)
            print(text, file=sys.stderr, flush=True)

    def finish(self) -> Path | None:
        """The clean exit; returns the report kept for uncaught exceptions, if any."""
        while self._undo:
            self._undo.pop()()
        session, self.session = self.session, None
        return session.end() if session is not None else None

    def _record(self, exc_type, exc, tb, thread: str) -> None:
        if self.session is not None:
            summary = self.session.record_exception(exc_type, exc, tb, thread)
            self.error.emit(ERROR_LINE.format(summary=summary, folder=self.folder.folder))

    @Slot(str)
    def _show_error(self, line: str) -> None:
        if self.window is not None:
            self.window.statusBar().showMessage(line, ERROR_SHOWN_MS)

    def _qt_message(self, mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
        """Qt's messages still reach stderr (as Qt's own handler writes them) and the log."""
        text = qFormatLogMessage(mode, context, message)  # honours QT_MESSAGE_PATTERN
        if sys.stderr is not None:
            try:
                sys.stderr.write(text + "\n")
                sys.stderr.flush()
            except (OSError, ValueError):
                pass
        session = self.session
        if session is not None:
            session.log(f"{timestamp()} {QT_LEVELS.get(mode, 'INFO')} qt: {text}")
