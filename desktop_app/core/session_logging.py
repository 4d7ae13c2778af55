"""Python logging into the crash session's log lines (the app's own INFO and up, everyone's
WARNING and up), without changing what reaches stderr."""

from __future__ import annotations

import logging
from collections.abc import Callable

from desktop_app.core.crash_report import Session

LINE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(threadName)s]: %(message)s"
APP_LOGGER = "desktop_app"


class SessionLogHandler(logging.Handler):
    def __init__(self, session: Session) -> None:
        super().__init__(logging.INFO)
        self.session = session
        self.setFormatter(logging.Formatter(LINE_FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.session.log(self.format(record))
        except Exception:
            self.handleError(record)


def capture_logging(session: Session) -> Callable[[], None]:
    """Adds the handler to the root logger; returns what takes it away again."""
    root = logging.getLogger()
    added: list[logging.Handler] = [SessionLogHandler(session)]
    if not root.handlers and logging.lastResort is not None:
        # With no handler, logging prints warnings to stderr through its last resort, which
        # stops once any handler exists: add that very handler so stderr keeps them.
        added.append(logging.lastResort)
    for handler in added:
        root.addHandler(handler)
    app_logger = logging.getLogger(APP_LOGGER)
    raised = app_logger.level == logging.NOTSET
    if raised:  # the app's own notes too; the root's level (other libraries) stays
        app_logger.setLevel(logging.INFO)

    def release() -> None:
        for handler in added:
            root.removeHandler(handler)
        if raised:
            app_logger.setLevel(logging.NOTSET)

    return release
