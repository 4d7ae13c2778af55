"""Progress on the terminal: Progress events drawn as one redrawn line on stderr.

On a terminal the bar redraws in place (at most 10 times a second). When stderr is a file or a
pipe (CI logs, scripts), it stays quiet and writes one final line instead. Epoch summaries and
messages are printed as lines either way: they are worth keeping in a log.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from desktop_app.core.progress import Progress

REDRAW_SECONDS = 0.1


class TerminalProgress:
    """A ProgressCallback drawing a bar; use as a context manager so the last line is finished."""

    def __init__(self, stream: TextIO | None = None, *, interactive: bool | None = None) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = interactive if interactive is not None else _is_terminal(self.stream)
        self.last: Progress | None = None
        self._drawn = False
        self._last_draw = 0.0

    def __call__(self, event: Progress) -> None:
        if event.kind in ("message", "epoch"):
            self._print_line(_line_for(event))
            return
        self.last = event
        now = time.monotonic()
        finished = event.total is not None and event.done >= event.total
        if self.interactive and (finished or now - self._last_draw >= REDRAW_SECONDS):
            self._last_draw = now
            self._draw(render_bar(event, shutil.get_terminal_size((80, 20)).columns))

    def close(self) -> None:
        if self.last is None:
            return
        if self.interactive:
            if self._drawn:
                self._draw(render_bar(self.last, shutil.get_terminal_size((80, 20)).columns))
                self.stream.write("\n")
        else:
            self.stream.write(render_summary(self.last) + "\n")
        self.stream.flush()
        self._drawn = False
        self.last = None

    def __enter__(self) -> TerminalProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _draw(self, text: str) -> None:
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self._drawn = True

    def _print_line(self, text: str) -> None:
        if self.interactive and self._drawn:
            self.stream.write("\r\x1b[2K")
        self.stream.write(text + "\n")
        self.stream.flush()
        if self.interactive and self.last is not None and self._drawn:
            self._draw(render_bar(self.last, shutil.get_terminal_size((80, 20)).columns))


def render_bar(event: Progress, columns: int = 80) -> str:
    """'importing  [######------]  120/300  40%  eta 0:03  name.jpg', cut to fit the terminal."""
    parts = [event.phase]
    fraction = event.fraction
    if fraction is not None:
        width = 24
        filled = round(width * fraction)
        parts.append("[" + "#" * filled + "-" * (width - filled) + "]")
        parts.append(f"{event.done}/{event.total}")
        parts.append(f"{fraction:4.0%}")
    elif event.done:
        parts.append(str(event.done))
    if event.eta_s is not None and fraction is not None and fraction < 1:
        parts.append("eta " + format_duration(event.eta_s))
    if event.message:
        parts.append(event.message)
    return "  ".join(parts)[: max(10, columns - 1)]


def render_summary(event: Progress) -> str:
    counts = f" {event.done}/{event.total}" if event.total is not None else ""
    message = f": {event.message}" if event.message else ""
    return f"{event.phase}{counts}{message}"


def format_duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def _line_for(event: Progress) -> str:
    if event.kind == "epoch":
        logs = "  ".join(
            f"{key} {value:.4g}" if isinstance(value, int | float) else f"{key} {value}"
            for key, value in event.logs.items()
        )
        where = f"{event.phase} {event.done}/{event.total}" if event.total else event.phase
        return f"{where}  {logs}".rstrip()
    return event.message or event.phase


def _is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False
