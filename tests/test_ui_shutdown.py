"""Closing the window stops and joins every thread: Qt aborts the process ("QThread: Destroyed
while thread is still running") when a running QThread is destroyed at exit."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import shiboken6
from PySide6.QtCore import QThread
from ui_helpers import open_window, seed_dataset, wait_loaded

REPO = Path(__file__).resolve().parent.parent
HOT, NOT, INBOX = "hot_dog", "not_hot_dog", "unlabeled"


def running_qthreads() -> list[str]:
    """Every QThread a Python object holds that has not finished (the GUI thread excluded)."""
    gui = QThread.currentThread()
    return [
        type(thread).__name__
        for thread in gc.get_objects()
        if isinstance(thread, QThread)
        and thread is not gui
        and shiboken6.isValid(thread)  # a wrapper whose C++ thread was deleted is not running
        and thread.isRunning()
    ]


def test_closing_the_window_finishes_every_views_threads(qtbot, tmp_path):
    root = tmp_path / "dataset"
    seed_dataset(root, tmp_path / "seed", {HOT: 2, NOT: 2, INBOX: 2})
    window = open_window(qtbot, tmp_path / "settings", root, all_views=True)
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 2})
    live = window.views["Live"]
    window.tabs.setCurrentWidget(live)  # showing the Live view starts its predict thread
    qtbot.waitUntil(lambda: live.worker is not None and live.worker.isRunning())
    converter, worker = live.converter, live.worker
    assert converter.isRunning()

    window.close()

    assert converter.isFinished() and not converter.isRunning()
    assert worker.isFinished() and not worker.isRunning()
    # Closing the dataset (after the views shut down) must not start a new predict thread.
    assert live.worker is None
    assert window.session.dataset is None
    assert running_qthreads() == []


def test_the_app_started_and_quit_exits_cleanly(tmp_path):
    """The real entry point, offscreen: the start-up probe quits it at its first paint."""
    root = tmp_path / "dataset"
    seed_dataset(root, tmp_path / "seed", {HOT: 2, NOT: 2, INBOX: 2})
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HOTDOG_", "XDG_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        QT_QPA_PLATFORM="offscreen",
        HOTDOG_STARTUP_PROBE="1",
    )
    done = subprocess.run(
        [sys.executable, "-m", "desktop_app", str(root)],
        capture_output=True, text=True, env=env, timeout=300, cwd=REPO,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "QThread: Destroyed" not in done.stderr
    assert done.stdout.startswith("first-paint ")
