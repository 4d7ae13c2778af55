"""Errors a user can cause. Their message is one line, shown as it is: never a traceback."""


class StudioError(Exception):
    """A problem the user can understand and act on; str(error) is the one-line message."""


class DatasetError(StudioError):
    """The dataset folder is missing, unreadable, or not a dataset."""


class DatasetLocked(DatasetError):
    """Another window or command is already writing to this dataset."""


class DatasetClosed(DatasetError):
    """Read after the dataset was closed: a worker still busy with a dataset the window let go of
    (closed, or another one opened). Not a bug: its answer is simply no longer wanted."""


class BadImage(StudioError):
    """A file that cannot be used as an image; the message says why."""


class Cancelled(StudioError):
    """The user pressed Cancel or Stop."""

    def __init__(self, message: str = "Cancelled.") -> None:
        super().__init__(message)


class DatasetReadOnly(DatasetError):
    """The dataset's folder cannot be written to (a read-only disk or permissions)."""
