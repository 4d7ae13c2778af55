"""A `.keras` file can carry code. Before loading one, read its config and refuse what could run it."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from desktop_app.core.errors import StudioError


class UnsafeModel(StudioError):
    """The model file holds code (a Lambda layer or a custom object) and is not loaded."""


def check_model_file(path: Path) -> None:
    """Raises StudioError (UnsafeModel for code) saying why `path` cannot be loaded safely."""
    path = Path(path)
    if not path.is_file():
        raise StudioError(f"No model file at {path}.")
    try:
        with zipfile.ZipFile(path) as archive:
            config = json.loads(archive.read("config.json"))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise StudioError(f"{path.name} is not a Keras 3 model file (.keras).") from None
    for node in _walk(config):
        name = node.get("class_name")
        module = node.get("module")
        if name == "Lambda":
            raise UnsafeModel(
                f"{path.name} contains a Lambda layer (arbitrary Python code); refusing to load it."
            )
        if module is not None and not (module == "keras" or module.startswith("keras.")):
            raise UnsafeModel(
                f"{path.name} needs the custom object {name!r} from {module!r};"
                " refusing to load code from a model file."
            )


def _walk(value):
    if isinstance(value, dict):
        if "class_name" in value:
            yield value
        for child in value.values():
            yield from _walk(child)
    elif isinstance(value, list):
        for child in value:
            yield from _walk(child)
