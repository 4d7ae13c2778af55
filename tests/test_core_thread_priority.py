"""Background threads run at a lower priority than the GUI thread, so it gets the CPU first."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from desktop_app.core.thread_priority import BACKGROUND_NICE, run_in_background

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice")


def nice_of_this_thread() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_only_the_calling_thread_is_lowered():
    main_before = nice_of_this_thread()
    seen = {}

    def background():
        seen["lowered"] = run_in_background()
        seen["nice"] = nice_of_this_thread()
        child = threading.Thread(target=lambda: seen.update(child=nice_of_this_thread()))
        child.start()
        child.join()

    thread = threading.Thread(target=background)
    thread.start()
    thread.join()
    assert seen["lowered"]
    assert seen["nice"] >= BACKGROUND_NICE
    assert seen["child"] == seen["nice"]  # what it starts (TensorFlow's pools) inherits it
    assert nice_of_this_thread() == main_before


def test_the_hood_model_thread_runs_in_the_background(qtbot):
    from desktop_app.ui.under_the_hood.model_thread import ModelThread

    model_thread = ModelThread()
    answers = []
    model_thread.set_dataset(None)
    model_thread.ask("nice", lambda _context: nice_of_this_thread(), answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=10_000)
    model_thread.stop()
    assert answers[0] >= BACKGROUND_NICE
    assert nice_of_this_thread() < BACKGROUND_NICE
