"""Background threads yield the CPU to the GUI thread.

On a 2-core laptop the Live view's frame conversion and verdicts, the Under the hood pass and
TensorFlow's own compute threads together keep both cores busy, and the GUI thread then waits
in the run queue for its turn: 20-30 ms a turn, measured (ADR 0009). A thread that calls
`run_in_background()` first gets a higher nice value, so the scheduler lets the GUI thread in as
soon as it wakes; when the GUI is idle the background threads have the whole CPU as before.
Threads a background thread starts (TensorFlow's pools) inherit its nice value.
"""

from __future__ import annotations

import os
import sys
import threading

BACKGROUND_NICE = 10  # CFS weights: a nice-0 thread gets ~9x the CPU of a nice-10 one


def run_in_background(nice: int = BACKGROUND_NICE) -> bool:
    """Lower the calling thread's priority (only it: Linux keeps a nice value per thread).
    False where that is not possible (another system, or a sandbox that forbids it)."""
    chosen = os.environ.get("HOTDOG_BACKGROUND_NICE", "")  # for A/B measurements; 0 turns it off
    if chosen.strip().lstrip("-").isdigit():
        nice = int(chosen)
    if not sys.platform.startswith("linux") or nice <= 0:
        return False
    tid = threading.get_native_id()
    try:
        current = os.getpriority(os.PRIO_PROCESS, tid)
        if current < nice:
            os.setpriority(os.PRIO_PROCESS, tid, nice)
    except OSError:
        return False
    return True
