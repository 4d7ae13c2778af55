"""What a dataset hands out: its items, the result of adding one, and the events of a change."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from desktop_app.core.index import TRASH


@dataclass(frozen=True)
class Item:
    hash: str  # sha256 hex of the file's bytes; the stored file is named hash[:16] + extension
    label: str  # a class name or UNLABELED
    path: Path  # absolute path of the file inside the dataset now
    width: int  # as displayed (EXIF orientation applied)
    height: int
    size: int  # bytes
    phash: int  # 64-bit perceptual hash (dHash)
    source: str | None  # original path it was imported from
    added: float  # unix time


@dataclass(frozen=True)
class AddResult:
    status: str  # "added" (new, or brought back from the trash) or "duplicate" (already there)
    item: Item  # the item now in the dataset; for a duplicate, the one that was already there

    @property
    def added(self) -> bool:
        return self.status == "added"


@dataclass(frozen=True)
class ChangeEvent:
    kind: str  # "added", "labeled", "trashed", "restored" or "rebuilt"
    hashes: tuple[str, ...]


def kind_of(before: str, after: str) -> str:
    if after == TRASH:
        return "trashed"
    if before == TRASH:
        return "restored"
    return "labeled"
