"""The validation split: stratified, deterministic by image hash, near-duplicates on one side.

Within each class, images whose perceptual hashes differ by at most NEAR_DUPLICATE_BITS are grouped
(so a burst of almost identical photos cannot sit on both sides and flatter the score). Groups are
ranked by their smallest content hash and the first ones go to validation until the class's share
is reached: the same dataset always splits the same way, and new images barely move it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NEAR_DUPLICATE_BITS = 6


def _popcount(values: np.ndarray) -> np.ndarray:
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(values)
    bytes_ = values.view(np.uint8).reshape(values.shape + (8,))
    return np.unpackbits(bytes_, axis=-1).sum(axis=-1)


def near_duplicate_groups(phashes: Sequence[int], max_bits: int = NEAR_DUPLICATE_BITS) -> list[int]:
    """A group number per image; images within max_bits of each other share one (union-find)."""
    hashes = np.array([int(h) & 0xFFFFFFFFFFFFFFFF for h in phashes], dtype=np.uint64)
    parent = list(range(len(hashes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(hashes) - 1):
        close = np.nonzero(_popcount(hashes[i + 1 :] ^ hashes[i]) <= max_bits)[0]
        for j in close + i + 1:
            a, b = root(i), root(int(j))
            if a != b:
                parent[b] = a
    return [root(i) for i in range(len(hashes))]


def split_items(items: Sequence, val_share: float) -> tuple[list, list]:
    """(train, validation) lists of items, stratified by label."""
    train: list = []
    val: list = []
    labels = sorted({item.label for item in items})
    for label in labels:
        members = sorted((it for it in items if it.label == label), key=lambda it: it.hash)
        groups: dict[int, list] = {}
        for item, group in zip(
            members, near_duplicate_groups([it.phash for it in members]), strict=True
        ):
            groups.setdefault(group, []).append(item)
        ranked = sorted(groups.values(), key=lambda g: min(it.hash for it in g))
        target = round(len(members) * val_share)
        if val_share > 0 and len(members) >= 2:
            target = min(max(target, 1), len(members) - 1)
        taken = 0
        for group in ranked:
            if taken < target and taken + len(group) < len(members):  # keep some to train on
                val.extend(group)
                taken += len(group)
            else:
                train.extend(group)
    return train, val
