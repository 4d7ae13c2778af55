"""A dataset's configuration: its class names, kept in .studio/dataset.json, and the names every
dataset has (the inbox folder, the app's own folder)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from desktop_app.core.durable import sync_file
from desktop_app.core.errors import DatasetError

HOT_DOG, NOT_HOT_DOG, UNLABELED = "hot_dog", "not_hot_dog", "unlabeled"
DEFAULT_CLASSES = [HOT_DOG, NOT_HOT_DOG]
STUDIO_DIR = ".studio"
CONFIG_VERSION = 1


def read_classes(root: Path) -> list[str]:
    config = root / STUDIO_DIR / "dataset.json"
    try:
        classes = json.loads(config.read_text()).get("classes")
    except FileNotFoundError:
        return list(DEFAULT_CLASSES)
    except (OSError, ValueError, AttributeError):
        raise DatasetError(
            f"{config} is damaged: it should be JSON with a 'classes' list"
        ) from None
    if (
        not isinstance(classes, list)
        or not classes
        or not all(
            isinstance(c, str) and c and not c.startswith(".") and c != UNLABELED and "/" not in c
            for c in classes
        )
    ):
        raise DatasetError(f"{config}: 'classes' must be a list of folder names")
    return classes


def write_json(path: Path, value: object) -> None:
    temporary = path.with_suffix(".json.tmp")
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(json.dumps(value, indent=2) + "\n")
        sync_file(file)
    os.replace(temporary, path)


def classes_of(root: str | os.PathLike) -> list[str]:
    """The classes of the dataset at root, or the default ones for a folder that is not one yet."""
    return read_classes(Path(root).expanduser().absolute())
