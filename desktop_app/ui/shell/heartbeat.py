"""A timer that measures how long the GUI event loop stalls (the benchmarks report it).

It ticks every `interval_ms`; a tick that arrives late means the loop was busy. The longest
lateness seen since the last reset is the longest stall a user would have felt.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, Qt, QTimer


class Heartbeat(QObject):
    def __init__(self, interval_ms: int = 10, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.interval_ms = interval_ms
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = time.perf_counter()
        self.max_stall_ms = 0.0
        self.ticks = 0

    def start(self) -> None:
        self.reset()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def reset(self) -> None:
        self._last = time.perf_counter()
        self.max_stall_ms = 0.0
        self.ticks = 0

    def _tick(self) -> None:
        now = time.perf_counter()
        late_ms = (now - self._last) * 1000.0 - self.interval_ms
        self._last = now
        self.ticks += 1
        if late_ms > self.max_stall_ms:
            self.max_stall_ms = late_ms
