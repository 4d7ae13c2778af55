"""The app's QSettings: one place names the organization, the application and the keys."""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "HotDogStudio"
APPLICATION = "Hot Dog Studio"

RECENT_KEY = "datasets/recent"
LAST_KEY = "datasets/last"
GEOMETRY_KEY = "window/geometry"
STATE_KEY = "window/state"
MAX_RECENT = 8


def settings() -> QSettings:
    """Settings under the application's organization and name (tests point these elsewhere)."""
    return QSettings()


def read_list(key: str) -> list[str]:
    value = settings().value(key, [])
    if value is None:
        return []
    if isinstance(value, str):  # QSettings gives a bare string for a one-element list
        return [value]
    return [str(v) for v in value]
