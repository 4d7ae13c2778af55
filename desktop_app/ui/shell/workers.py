"""Running core work off the GUI thread: small tasks in a thread pool, imports in their own QThread.

Results come back as queued signals, so every callback here runs on the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThread, QThreadPool, Signal, Slot

from desktop_app.core import presence
from desktop_app.core.errors import StudioError
from desktop_app.core.exception_hooks import report_caught
from desktop_app.core.progress import CancelToken, Progress
from desktop_app.core.write_errors import explain


class _TaskSignals(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Task(QRunnable):
    def __init__(self, fn: Callable[[], Any], signals: _TaskSignals) -> None:
        super().__init__()
        self.fn = fn
        self.signals = signals

    def run(self) -> None:
        try:
            result = self.fn()
        except StudioError as error:
            self.signals.failed.emit(str(error))
        except Exception as error:  # a bug: keep the app alive, say what happened
            message = explain(error)  # a full disk is no bug: its one line, no traceback
            if message is None:
                report_caught(error)
            self.signals.failed.emit(message or f"{type(error).__name__}: {error}")
        else:
            self.signals.done.emit(result)


_live_signals: set[_TaskSignals] = set()  # kept alive until their task has reported


def run_in_pool(
    fn: Callable[[], Any],
    on_done: Callable[[Any], None] | None = None,
    on_error: Callable[[str], None] | None = None,
    pool: QThreadPool | None = None,
) -> None:
    """Run fn() on a pool thread; on_done(result) or on_error(message) later, on the GUI thread."""
    signals = _TaskSignals()
    _live_signals.add(signals)

    def finish() -> None:
        _live_signals.discard(signals)
        signals.deleteLater()

    if on_done is not None:
        signals.done.connect(on_done)
    if on_error is not None:
        signals.failed.connect(on_error)
    signals.done.connect(finish)
    signals.failed.connect(finish)
    (pool or QThreadPool.globalInstance()).start(_Task(fn, signals))


class ImportWorker(QObject):
    """Runs core.importer.import_paths in a QThread; progress is forwarded at most every 40 ms."""

    progress = Signal(object)  # Progress
    finished = Signal(object)  # ImportReport
    failed = Signal(str)

    PROGRESS_INTERVAL_S = 0.04

    def __init__(self, dataset: Any, paths: Sequence[str | Path], label: str) -> None:
        super().__init__()
        self.dataset = dataset
        self.paths = [Path(p) for p in paths]
        self.label = label
        self.cancel_token = CancelToken()
        self._last_emit = 0.0

    def cancel(self) -> None:
        self.cancel_token.cancel()

    def _on_progress(self, event: Progress) -> None:
        now = time.monotonic()
        final = event.total is not None and event.done >= event.total
        if final or now - self._last_emit >= self.PROGRESS_INTERVAL_S:
            self._last_emit = now
            self.progress.emit(event)

    @Slot()
    def run(self) -> None:
        from desktop_app.core.importer import import_paths

        try:
            report = import_paths(
                self.dataset,
                self.paths,
                self.label,
                progress=self._on_progress,
                cancel=self.cancel_token,
            )
        except StudioError as error:
            self.failed.emit(str(error))
        except Exception as error:
            # A full disk mid-import, or the folder pulled away: what was stored so far stays.
            message = explain(error) or presence.gone(self.dataset)
            if message is None:
                report_caught(error)
            self.failed.emit(message or f"Import failed: {type(error).__name__}: {error}")
        else:
            self.finished.emit(report)


def start_in_thread(worker: QObject, parent: QObject) -> QThread:
    """Move worker to a new QThread, run worker.run() there, and clean both up when it ends."""
    thread = QThread(parent)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    thread.finished.connect(worker.deleteLater)
    thread.finished.connect(thread.deleteLater)
    thread.start()
    return thread
