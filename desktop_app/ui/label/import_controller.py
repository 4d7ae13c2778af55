"""Imports in the background: a queue of jobs, a progress bar and Cancel in the status bar.

One import runs at a time (in its own QThread); more drops wait their turn. When one ends the
status bar says what happened, and a non-modal report opens if anything was skipped.
"""

from __future__ import annotations

import functools
from collections import deque
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QStatusBar, QWidget

from desktop_app.core.progress import Progress
from desktop_app.ui.label.import_report import ImportReportDialog, summary
from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.shell.style import label_title
from desktop_app.ui.shell.workers import ImportWorker, start_in_thread


class ImportProgressWidget(QWidget):
    """ "Importing 120 / 800 as Hot dog  [=====    ]  [Cancel]" for the status bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(220)
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setToolTip("Stop importing; what was imported so far stays")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel_button)

    def show_progress(self, event: Progress, label: str) -> None:
        if event.total:
            self.bar.setRange(0, event.total)
            self.bar.setValue(event.done)
            count = f"{event.done:,} / {event.total:,}"
        else:
            self.bar.setRange(0, 0)  # busy, total not known yet
            count = f"{event.done:,}" if event.done else ""
        eta = f" · {event.eta_s:.0f} s left" if event.eta_s and event.eta_s >= 1 else ""
        self.text.setText(f"Importing {count} as {_target_name(label)}{eta}")


def _target_name(label: str) -> str:
    return "unlabeled (Inbox)" if label == "unlabeled" else label_title(label)


class ImportController(QObject):
    started = Signal(str)  # label
    finished = Signal(object)  # ImportReport
    failed = Signal(str)
    message = Signal(str)  # a one-line summary for the status bar

    def __init__(
        self, session: DatasetSession, status_bar: QStatusBar, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.status_bar = status_bar
        self.widget = ImportProgressWidget()
        self.widget.hide()
        status_bar.addPermanentWidget(self.widget)
        self.widget.cancel_button.clicked.connect(self.cancel)
        self._queue: deque[tuple[list[Path], str]] = deque()
        self.worker: ImportWorker | None = None
        self.thread: QThread | None = None
        self.last_report: Any = None
        self.reports: list[ImportReportDialog] = []
        self.show_reports = True
        self._label = ""

    @property
    def busy(self) -> bool:
        return self.worker is not None

    def import_paths(self, paths: list[str | Path], label: str) -> None:
        if self.session.dataset is None or not paths:
            return
        if not self.session.writable():  # read-only, or its folder gone: says so in one line
            return
        self._queue.append(([Path(p) for p in paths], label))
        if not self.busy:
            self._start_next()

    def cancel(self) -> None:
        """Cancel the running import and the ones waiting."""
        self._queue.clear()
        if self.worker is not None:
            self.worker.cancel()
            self.widget.text.setText("Cancelling…")
            self.widget.cancel_button.setEnabled(False)

    def wait(self, msecs: int = 30000) -> bool:
        return self.thread.wait(msecs) if self.thread is not None else True

    def _start_next(self) -> None:
        if not self._queue or self.session.dataset is None:
            self.widget.hide()
            return
        paths, label = self._queue.popleft()
        worker = ImportWorker(self.session.dataset, paths, label)
        # Bound methods of this GUI-thread object, so Qt queues the calls to the GUI thread.
        worker.progress.connect(self._progress)
        worker.finished.connect(self._done)
        worker.failed.connect(self._failed)
        self.worker = worker
        self._label = label
        self.widget.show_progress(Progress("importing"), label)
        self.widget.cancel_button.setEnabled(True)
        self.widget.show()
        thread = start_in_thread(worker, self)
        # Forgotten when Qt deletes it (deleteLater once finished), never asked whether it has
        # finished: a queued finished() can arrive after the deletion, and touching the deleted
        # QThread then raised. destroyed() comes from the deletion itself, on this thread.
        thread.destroyed.connect(functools.partial(self._thread_gone, thread))
        self.thread = thread
        self.started.emit(label)

    def _thread_gone(self, thread: QThread, *_args) -> None:
        if self.thread is thread:  # not a later import's thread
            self.thread = None

    def _progress(self, event: Progress) -> None:
        if self.worker is not None:
            self.widget.show_progress(event, self._label)

    def _done(self, report: Any) -> None:
        self.worker = None
        self.last_report = report
        self.message.emit(summary(report))
        if self.show_reports and (report.skipped or _has_duplicates(report)):
            dialog = ImportReportDialog(report, self.status_bar.window())
            dialog.destroyed.connect(
                lambda *_: self.reports.remove(dialog) if dialog in self.reports else None
            )
            self.reports.append(dialog)
            dialog.show()
        self.finished.emit(report)
        self._start_next()

    def _failed(self, message: str) -> None:
        self.worker = None
        self.message.emit(message)
        self.failed.emit(message)
        self._start_next()


def _has_duplicates(report: Any) -> bool:
    duplicates = report.duplicates
    return bool(duplicates if isinstance(duplicates, int) else len(duplicates))
