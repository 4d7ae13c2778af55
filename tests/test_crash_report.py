"""Crash reports: a fatal signal, an uncaught exception in any thread, SIGTERM. The real app runs
as a subprocess, offscreen, with HOME and the XDG folders in the test's own tmp folder."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from ui_helpers import open_window, seed_dataset

from desktop_app.core import crash_report
from desktop_app.core.crash_report import LOG_HEADING, CrashFolder, header_text
from desktop_app.ui.shell.crash_guard import CrashGuard, notice_text

REPO = Path(__file__).resolve().parent.parent
NOTICE_START = "Hot Dog Studio closed unexpectedly last time. A report is in "
START_TIMEOUT_S = 120  # the machine may be busy; the window itself opens in about 2 s

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


# -- the real app, as a subprocess ------------------------------------------------------------


class App:
    """`python -m desktop_app <dataset>` with its own HOME, XDG data and config folders."""

    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.dataset = tmp_path / "dataset"
        if not self.dataset.exists():
            seed_dataset(self.dataset, tmp_path / "seed", {"hot_dog": 2, "not_hot_dog": 2})
        home = tmp_path / "home"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTDOG_", "XDG_"))}
        self.env.update(
            HOME=str(home),
            XDG_DATA_HOME=str(home / "data"),
            XDG_CONFIG_HOME=str(home / "config"),
            QT_QPA_PLATFORM="offscreen",
        )
        # What QStandardPaths' AppDataLocation gives under XDG_DATA_HOME, plus "crash".
        self.crash_dir = home / "data" / "HotDogStudio" / "Hot Dog Studio" / "crash"
        self.lock = self.dataset / ".studio" / "lock"
        self.runs = 0

    def start(self, *args: str, script: str | None = None, **env: str) -> subprocess.Popen:
        self.runs += 1
        self.stderr_path = self.tmp / f"stderr-{self.runs}.txt"
        command = (
            [sys.executable, "-c", script] if script else [sys.executable, "-m", "desktop_app"]
        )
        return subprocess.Popen(
            [*command, *args, str(self.dataset)],
            env={**self.env, **env},
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("w"),
            text=True,
        )

    def run_to_first_paint(self) -> str:
        """A start that quits at its first paint (the start-up probe); returns its stderr."""
        process = self.start(HOTDOG_STARTUP_PROBE="1")
        out, _ = process.communicate(timeout=300)
        stderr = self.stderr_path.read_text()
        assert process.returncode == 0, stderr[-3000:]
        assert out.startswith("first-paint ")
        return stderr

    def wait_open(self, process: subprocess.Popen) -> None:
        """Until the window has the dataset open (its writer lock names the process)."""
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert process.poll() is None, self.stderr_path.read_text()[-3000:]
            try:
                if json.loads(self.lock.read_text()).get("pid") == process.pid:
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.05)
        raise AssertionError("the app did not open its dataset in time")

    def sessions(self) -> list[Path]:
        return sorted(self.crash_dir.glob("session-*.txt"))

    def reports(self, kind: str = "crash") -> list[Path]:
        return sorted(self.crash_dir.glob(f"{kind}-*.txt"))


def wait_for(condition, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_segfault_leaves_a_report_and_the_next_start_says_so_once(tmp_path):
    app = App(tmp_path)
    process = app.start()
    app.wait_open(process)
    os.kill(process.pid, signal.SIGSEGV)
    assert process.wait(timeout=60) == -signal.SIGSEGV

    [session] = app.sessions()  # faulthandler wrote every thread's stack into it
    text = session.read_text()
    assert text.startswith("Hot Dog Studio 0.1.0 session report")
    assert "PySide6: " in text and "Qt platform: offscreen" in text and "Python: 3." in text
    assert "Fatal Python error: Segmentation fault" in text
    assert "(most recent call first)" in text and "launch.py" in text

    stderr = app.run_to_first_paint()
    [report] = app.reports()
    assert report.name.startswith("crash-")
    assert stderr.count(NOTICE_START) == 1
    assert f"{NOTICE_START}{report}." in stderr
    kept = report.read_text()
    assert "Fatal Python error: Segmentation fault" in kept and "PySide6: " in kept
    assert LOG_HEADING in kept and " qt: " in kept  # the session's last log lines (Qt's too)
    assert app.sessions() == []  # that start exited cleanly

    assert NOTICE_START not in app.run_to_first_paint()  # once only
    assert app.reports() == [report]


def test_sigterm_closes_the_window_and_the_dataset_cleanly(tmp_path):
    app = App(tmp_path)
    process = app.start()
    app.wait_open(process)
    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=180) == 0, app.stderr_path.read_text()[-3000:]
    assert not app.lock.exists()  # the dataset closed: its writer lock is released
    assert app.sessions() == [] and app.reports() == [] and app.reports("errors") == []
    assert NOTICE_START not in app.run_to_first_paint()


# The app with three failures scheduled once the QApplication exists: a slot on the GUI thread,
# a threading.Thread, and a QThread's run().
FAILING_APP = """
import sys, threading
from PySide6.QtCore import QThread, QTimer
from desktop_app.app import main
from desktop_app.ui.shell import launch

class FailingQThread(QThread):
    def run(self):
        raise KeyError("a QThread failed")

def slot_fails():
    raise ValueError("a slot failed")

def thread_fails():
    raise RuntimeError("a thread failed")

kept = []
make = launch.make_application

def make_and_fail(argv=None):
    app = make(argv)
    kept.append(FailingQThread())
    QTimer.singleShot(0, slot_fails)
    QTimer.singleShot(0, threading.Thread(target=thread_fails, name="failing-thread").start)
    QTimer.singleShot(0, kept[0].start)
    return app

launch.make_application = make_and_fail
sys.exit(main(sys.argv[1:]))
"""


def test_uncaught_exceptions_in_any_thread_are_reported_and_the_app_goes_on(tmp_path):
    app = App(tmp_path)
    process = app.start(script=FAILING_APP)
    app.wait_open(process)
    wanted = ["ValueError: a slot failed", "RuntimeError: a thread failed", "KeyError: 'a QThr"]

    def all_written() -> bool:
        sessions = app.sessions()
        return bool(sessions) and all(w in sessions[0].read_text() for w in wanted)

    wait_for(all_written)
    text = app.sessions()[0].read_text()
    assert "Uncaught exception in thread 'failing-thread'" in text
    assert "in slot_fails\nValueError: a slot failed" in text  # a traceback, with its frames
    time.sleep(0.5)
    assert process.poll() is None  # still running
    stderr = app.stderr_path.read_text()
    assert "Traceback (most recent call last)" in stderr  # stderr still gets them

    os.kill(process.pid, signal.SIGTERM)
    assert process.wait(timeout=180) == 0
    [kept] = app.reports("errors")  # a clean exit keeps what went wrong, but is no crash
    assert all(w in kept.read_text() for w in wanted)
    assert " ERROR uncaught in thread 'failing-thread': RuntimeError" in kept.read_text()
    assert app.sessions() == [] and app.reports() == []
    assert NOTICE_START not in app.run_to_first_paint()


# -- in process: the notice, the status bar line, the folder's bookkeeping --------------------


def leftover_session(folder: Path, log_lines: list[str]) -> Path:
    """A session file as a process that died leaves it (this pid, but another start time)."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"session-{os.getpid()}-1000"
    (folder / f"{stem}.txt").write_text(header_text() + "Fatal Python error: Aborted\n")
    (folder / f"{stem}.log").write_text("".join(line + "\n" for line in log_lines))
    return folder / f"{stem}.txt"


def test_the_notice_shows_in_the_window_as_a_banner(qtbot, tmp_path):
    folder = tmp_path / "crash"
    leftover_session(folder, ["a line"])
    window = open_window(qtbot, tmp_path / "settings")
    guard = CrashGuard(folder)
    guard.crashes = guard.folder.collect_crashes()
    assert not window.notice.isVisible()
    guard.attach(window)
    [report] = guard.crashes
    assert window.notice.isVisible()
    assert window.notice.label.text() == notice_text(report)
    assert notice_text(report) == f"{NOTICE_START}{report}."
    window.notice.dismiss_button.click()
    assert not window.notice.isVisible()


def test_an_exception_in_a_thread_is_one_line_in_the_status_bar(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "settings")
    guard = CrashGuard(tmp_path / "crash")
    guard.session = guard.folder.start_session(header_text())
    guard.attach(window)

    def fail() -> None:
        try:
            raise OSError("the disk is full")
        except OSError as error:
            guard._record(type(error), error, error.__traceback__, "worker")

    worker = threading.Thread(target=fail)
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: "OSError: the disk is full" in window.statusBar().currentMessage())
    assert str(tmp_path / "crash") in window.statusBar().currentMessage()
    kept = guard.finish()
    assert kept is not None and kept.name.startswith("errors-")


def test_a_leftover_of_a_dead_process_is_kept_and_a_live_session_is_left_alone(tmp_path):
    folder = CrashFolder(tmp_path / "crash")
    leftover_session(folder.folder, [f"line {i}" for i in range(500)])
    live = folder.start_session(header_text())  # this process's own: still running
    [report] = folder.collect_crashes()
    text = report.read_text()
    assert "Fatal Python error: Aborted" in text
    log = text.split(LOG_HEADING + "\n")[1].splitlines()
    assert log == [f"line {i}" for i in range(300, 500)]  # the last LOG_LINES
    assert crash_report.UNSEEN_END not in text  # it has its fatal signal
    assert live.report.exists() and folder.collect_crashes() == []
    assert live.end() is None
    assert not live.report.exists() and not live.log_path.exists()


def test_a_session_killed_without_a_signal_it_could_catch_says_so(tmp_path):
    folder = CrashFolder(tmp_path / "crash")
    session = leftover_session(folder.folder, ["the last line"])
    session.write_text(header_text())  # no faulthandler output: SIGKILL, a power cut
    [report] = folder.collect_crashes()
    assert crash_report.UNSEEN_END in report.read_text()
    assert report.read_text().endswith("the last line\n")


def test_the_log_file_stays_short_and_keeps_the_last_lines(tmp_path):
    session = CrashFolder(tmp_path / "crash").start_session("header\n")
    for i in range(crash_report.COMPACT_AFTER * 2 + 7):
        session.log(f"line {i}")
    lines = session.log_path.read_text().splitlines()
    assert len(lines) < crash_report.COMPACT_AFTER
    assert lines[-1] == f"line {crash_report.COMPACT_AFTER * 2 + 6}"
    assert len(lines) >= crash_report.LOG_LINES
    session.end()


def test_at_most_ten_reports_are_kept_the_newest(tmp_path):
    folder = CrashFolder(tmp_path / "crash")
    folder.folder.mkdir()
    for i in range(14):
        path = folder.folder / f"crash-2026010{i // 10}-0000{i % 10:02d}.txt"
        path.write_text(str(i))
        os.utime(path, (1_000_000 + i, 1_000_000 + i))
    folder.prune()
    assert [p.read_text() for p in folder.reports()] == [str(i) for i in range(4, 14)]
