"""Why a model file is refused. Each message is one line naming the file, shown as it is."""

from __future__ import annotations

from desktop_app.core.errors import StudioError


class BadModelFile(StudioError):
    """The file is not a Keras 3 archive (text, empty, truncated, a zip of something else)."""


class UnsafeModel(StudioError):
    """The file holds code, names code to run, or is a hostile archive (escaping paths, a bomb)."""


class ModelMismatch(StudioError):
    """A real model, but not one this app can use: its input, outputs or classes do not fit."""
