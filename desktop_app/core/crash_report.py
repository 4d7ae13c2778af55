"""Crash reports: what a fatal error leaves in the user's data folder. Nothing is sent anywhere.

While the app runs, its session has two files in the crash folder: `session-<pid>-<start>.txt`
(a header, uncaught exceptions, and faulthandler's dump of every thread's stack on a fatal
signal) and a `.log` beside it (the last log lines, written as they come, so a native crash
leaves them behind). A clean exit removes both, or keeps them as `errors-<time>.txt` when an
exception went uncaught. On the next start, a session whose process is gone (a signal, an abort,
a kill, a power cut) becomes a kept report, `crash-<time>.txt`. At most KEEP_REPORTS are kept.
"""

from __future__ import annotations

import faulthandler
import os
import platform
import sys
import threading
import time
import traceback
from collections import deque
from pathlib import Path

import psutil

from desktop_app import APP_NAME, __version__

LOG_LINES = 200
KEEP_REPORTS = 10
COMPACT_AFTER = 5 * LOG_LINES  # lines appended before the log file is cut back to LOG_LINES
LOG_HEADING = f"Last log lines (at most {LOG_LINES}, oldest first):"
REPORT_PATTERNS = ("crash-*.txt", "errors-*.txt")
UNSEEN_END = (
    "The session ended without a clean exit and without a fatal signal faulthandler could catch:"
    " the process was killed (SIGKILL, out of memory) or the machine stopped."
)


def timestamp(seconds: float | None = None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


def header_text(extra: dict[str, str] | None = None) -> str:
    """Versions, platform and how the app was started: what a report is read against."""
    lines = [
        f"{APP_NAME} {__version__} session report",
        f"Started: {timestamp()}",
        f"Python: {sys.version.split()[0]} ({sys.executable})",
        f"Platform: {platform.platform()} ({platform.machine()})",
        f"Process: {os.getpid()}",
        f"Arguments: {sys.argv!r}",
    ]
    lines += [f"{name}: {value}" for name, value in (extra or {}).items()]
    return "\n".join(lines) + "\n"


class Session:
    """The running process's report and log files; every method is safe from any thread."""

    def __init__(self, report: Path, log: Path, header: str) -> None:
        self.report = report
        self.log_path = log
        self.errors = 0
        self._lock = threading.RLock()  # re-entrant: a signal handler may log mid-write
        self._lines: deque[str] = deque(maxlen=LOG_LINES)
        self._appended = 0
        self._file = open(report, "a", encoding="utf-8", errors="replace")  # noqa: SIM115
        self._log_fd = _open_append(log)
        self.write(header)

    def write(self, text: str) -> None:
        """Appends to the report at once (faulthandler writes to the same file descriptor)."""
        with self._lock:
            if self._file.closed:
                return
            self._file.write(text)
            self._file.flush()

    def log(self, line: str) -> None:
        """One log line, kept on disk straight away so a native crash cannot lose it."""
        with self._lock:
            if self._file.closed:  # a thread logging after the clean exit: nothing to keep
                return
            self._lines.append(line)
            os.write(self._log_fd, (line + "\n").encode("utf-8", "replace"))
            self._appended += 1
            if self._appended >= COMPACT_AFTER:
                self._compact()

    def record_exception(self, exc_type, exc, tb, thread: str) -> str:
        """Writes an uncaught exception's traceback; returns its one-line summary."""
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        summary = traceback.format_exception_only(exc_type, exc)[-1].strip()
        with self._lock:
            self.errors += 1
            self.write(f"\nUncaught exception in thread {thread!r} at {timestamp()}:\n{text}")
            self.log(f"{timestamp()} ERROR uncaught in thread {thread!r}: {summary}")
        return summary

    def enable_faulthandler(self) -> None:
        """A fatal signal (SIGSEGV, SIGABRT, SIGBUS, SIGFPE, SIGILL) dumps every thread's stack."""
        faulthandler.enable(file=self._file, all_threads=True)

    def end(self) -> Path | None:
        """A clean exit: the files go, unless an exception went uncaught (then its report stays)."""
        with self._lock:
            if faulthandler.is_enabled():
                faulthandler.disable()
            self._file.close()
            os.close(self._log_fd)
            if self.errors:
                return _keep(self.report, self.log_path, "errors")
            self.report.unlink(missing_ok=True)
            self.log_path.unlink(missing_ok=True)
            return None

    def _compact(self) -> None:
        temporary = self.log_path.with_name(self.log_path.name + ".tmp")
        temporary.write_text("".join(line + "\n" for line in self._lines), encoding="utf-8")
        os.replace(temporary, self.log_path)
        os.close(self._log_fd)
        self._log_fd = _open_append(self.log_path)
        self._appended = 0


class CrashFolder:
    """The folder of session files and kept reports (the ui layer says where it is)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def start_session(self, header: str) -> Session:
        self.folder.mkdir(parents=True, exist_ok=True)
        me = psutil.Process()
        name = f"session-{me.pid}-{int(me.create_time())}"
        return Session(self.folder / f"{name}.txt", self.folder / f"{name}.log", header)

    def collect_crashes(self) -> list[Path]:
        """Sessions left by processes that are gone become kept reports; returns them, oldest
        first. A session of a process still running (another window) is left alone."""
        if not self.folder.is_dir():
            return []
        kept = []
        for report in sorted(self.folder.glob("session-*.txt"), key=_mtime):
            if _owner_alive(report.stem):
                continue
            claimed = report.with_name(f"{report.name}.claimed-{os.getpid()}")
            try:
                os.rename(report, claimed)  # two windows starting at once: one of them wins
            except OSError:
                continue
            kept.append(_keep(claimed, report.with_suffix(".log"), "crash"))
        self.prune()
        return [path for path in kept if path.exists()]

    def reports(self) -> list[Path]:
        """Kept reports, oldest first."""
        found = [p for pattern in REPORT_PATTERNS for p in self.folder.glob(pattern)]
        return sorted(found, key=lambda p: (_mtime(p), p.name))

    def prune(self, keep: int = KEEP_REPORTS) -> None:
        reports = self.reports()
        for old in reports[: max(0, len(reports) - keep)]:
            old.unlink(missing_ok=True)


def _open_append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0


def _owner_alive(stem: str) -> bool:
    """session-<pid>-<start>: alive when that pid runs and started then (pids are reused)."""
    try:
        _, pid, started = stem.split("-")
        process = psutil.Process(int(pid))
        return (
            abs(process.create_time() - int(started)) < 2
            and process.status() != psutil.STATUS_ZOMBIE
        )
    except (ValueError, psutil.Error):
        return False


def _keep(report: Path, log: Path, kind: str) -> Path:
    """Joins a session's report and log lines into `<kind>-YYYYmmdd-HHMMSS.txt`."""
    when = max(_mtime(report), _mtime(log)) or time.time()
    text = report.read_text(encoding="utf-8", errors="replace")
    lines = log.read_text(encoding="utf-8", errors="replace").splitlines() if log.exists() else []
    if kind == "crash" and "Fatal Python error" not in text:
        text += f"\n{UNSEEN_END}\n"
    text = (
        text.rstrip("\n")
        + f"\n\n{LOG_HEADING}\n"
        + "".join(line + "\n" for line in lines[-LOG_LINES:])
    )
    target = _free_name(
        report.parent, f"{kind}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(when))}"
    )
    temporary = target.with_name(target.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, target)
    os.utime(target, (when, when))  # pruning goes by when it happened, not when it was kept
    report.unlink(missing_ok=True)
    log.unlink(missing_ok=True)
    return target


def _free_name(folder: Path, stem: str) -> Path:
    target, n = folder / f"{stem}.txt", 1
    while target.exists():
        n += 1
        target = folder / f"{stem}-{n}.txt"
    return target
