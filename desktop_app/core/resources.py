"""Find the files in resources/ wherever the app runs from.

From the source tree or an editable install they sit in the repository root, next to
desktop_app/. Inside a PyInstaller bundle they are unpacked under sys._MEIPASS/resources
(packaging/hotdog_studio.spec puts them there, with the .desktop template in packaging/).
"""

from __future__ import annotations

import sys
from pathlib import Path


def is_frozen() -> bool:
    """True inside a PyInstaller bundle."""
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def app_root() -> Path:
    """The folder holding resources/ and packaging/: the repository root, or the bundle's."""
    if is_frozen():
        return Path(sys._MEIPASS)
    return Path(__file__).resolve().parents[2]


def resources_dir() -> Path:
    return app_root() / "resources"


def resource_path(name: str) -> Path:
    """resources/<name> (a file or folder). It may not exist: callers check where it matters."""
    return resources_dir() / name
