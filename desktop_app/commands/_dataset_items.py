"""Naming images of a dataset on the command line: a file inside it, or its content hash.

Shared by label (which images to move) and undo/redo (where each image is, before and after).
"""

from __future__ import annotations

import re
from pathlib import Path

from desktop_app.core.dataset import Dataset, Item
from desktop_app.core.errors import StudioError

MIN_HASH_PREFIX = 8  # hex digits: short enough to type, long enough to be unique in practice
_HEX = re.compile(rf"[0-9a-f]{{{MIN_HASH_PREFIX},64}}")
TRASH_PLACE = "trash"


class NoSuchItem(StudioError):
    """A PATH or HASH that names no single image of the dataset; the message says which."""


def find_items(dataset: Dataset, targets: list[str]) -> list[Item]:
    """The items targets name, each once, in the order named; NoSuchItem for the first that fails."""
    items = dataset.items()
    by_path = {item.path.resolve(): item for item in items}
    found: dict[str, Item] = {}
    for target in targets:
        item = _find_one(dataset, target, items, by_path)
        found.setdefault(item.hash, item)
    return list(found.values())


def _find_one(dataset: Dataset, target: str, items: list[Item], by_path: dict) -> Item:
    path = Path(target).expanduser()
    if path.is_file():
        item = by_path.get(path.resolve())
        if item is None:
            raise NoSuchItem(f"{target}: not an image of {dataset.root} (a file in a class folder)")
        return item
    prefix = target.lower()
    if not _HEX.fullmatch(prefix):
        kind = "a folder" if path.exists() else "no such file"
        raise NoSuchItem(
            f"{target}: {kind}, and not an image hash ({MIN_HASH_PREFIX} or more hex digits)"
        )
    matches = [item for item in items if item.hash.startswith(prefix)]
    if len(matches) > 1:
        raise NoSuchItem(f"hash {target} is ambiguous: {len(matches)} images start with it")
    if matches:
        return matches[0]
    if any(item.hash.startswith(prefix) for item in dataset.trashed()):
        raise NoSuchItem(f"image {target} is in the trash of {dataset.root}")
    raise NoSuchItem(f"no image with hash {target} in {dataset.root}")


def places(dataset: Dataset) -> dict[str, tuple[str, Path]]:
    """hash -> (label or "trash", the file's path) for every item, the trash included."""
    where = {item.hash: (item.label, item.path) for item in dataset.items()}
    where.update({item.hash: (TRASH_PLACE, item.path) for item in dataset.trashed()})
    return where


def moves_between(before: dict, after: dict) -> list[dict]:
    """What moved from one places() to the next: {"hash", "from", "to", "path"} each."""
    return [
        {"hash": hash, "from": before[hash][0], "to": place, "path": str(path)}
        for hash, (place, path) in after.items()
        if hash in before and before[hash][0] != place
    ]


def render_move(move: dict) -> str:
    return f"{move['from']:>12} -> {move['to']:<12}  {move['path']}"
