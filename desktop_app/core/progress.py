"""Progress events and cancel tokens: the one mechanism long work uses to talk to the GUI and the CLI.

Long functions take `progress: ProgressCallback | None` and `cancel: CancelToken | None`.
Qt workers turn events into queued signals; the CLI draws them as a bar on stderr.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from desktop_app.core.errors import Cancelled


@dataclass(frozen=True)
class Progress:
    """One step of long work.

    kind: "progress" for done/total steps, "batch" or "epoch" for training logs, "message" for text.
    phase: what is happening, in words a user reads ("importing", "embedding", "fitting", ...).
    weights: on "epoch" events, the head's weight records (ml.weight_history.EpochWeights) no
    earlier event carried: the first brings epoch 0, the start, along. Kept out of logs, which
    the terminal prints whole.
    """

    phase: str
    done: int = 0
    total: int | None = None
    message: str = ""
    eta_s: float | None = None
    kind: str = "progress"
    logs: dict[str, Any] = field(default_factory=dict)
    weights: tuple = ()

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


ProgressCallback = Callable[[Progress], None]


def emit(progress: ProgressCallback | None, event: Progress) -> None:
    if progress is not None:
        progress(event)


class CancelToken:
    """Set from any thread; checked by the work between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()


class EtaClock:
    """Estimates time left from the rate so far (smooth enough for a progress bar)."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    def eta(self, done: int, total: int | None) -> float | None:
        if not total or done <= 0:
            return None
        elapsed = time.monotonic() - self.start
        return max(0.0, elapsed / done * (total - done))
