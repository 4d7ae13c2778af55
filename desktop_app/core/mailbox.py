"""A one-slot mailbox between a fast producer (a camera) and a slower consumer (the model).

The newest item replaces one not yet taken, so the consumer always works on the latest frame and
never on a backlog: a slow model costs verdicts per second, never latency.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

T = TypeVar("T")


class Mailbox(Generic[T]):
    """Thread-safe; put() never blocks, take() blocks until an item arrives, the timeout, or close()."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._item: T | None = None
        self._full = False
        self._closed = False
        self.put_count = 0
        self.dropped = 0  # items replaced before anyone took them

    def put(self, item: T) -> bool:
        """Leave item for the consumer; returns True when it replaced an untaken one (a drop)."""
        with self._condition:
            replaced = self._full
            if replaced:
                self.dropped += 1
            self._item = item
            self._full = True
            self.put_count += 1
            self._condition.notify()
            return replaced

    def take(self, timeout: float | None = None) -> T | None:
        """The newest item, emptying the slot; None after the timeout or once closed."""
        with self._condition:
            if not self._condition.wait_for(lambda: self._full or self._closed, timeout):
                return None
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            return item

    def clear(self) -> None:
        """Forget an untaken item (a new source starts afresh); not counted as a drop."""
        with self._condition:
            self._item, self._full = None, False

    def close(self) -> None:
        """Wake every waiting take() for good: the consumer is shutting down."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def settled(self, handled: int) -> bool:
        """True when every item put was either dropped or handled (the consumer's own count)."""
        return self.put_count == self.dropped + handled

    @property
    def closed(self) -> bool:
        return self._closed
