"""The validation split: stratified, stable from run to run, near-duplicates on one side."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from desktop_app.ml.split import near_duplicate_groups, split_items


@dataclass(frozen=True)
class Entry:  # the three fields of core's Item the split reads
    hash: str
    label: str
    phash: int


def entries(label: str, count: int, seed: int) -> list[Entry]:
    rng = random.Random(seed)
    return [
        Entry(hashlib.sha256(f"{label}{seed}{i}".encode()).hexdigest(), label, rng.getrandbits(64))
        for i in range(count)
    ]


def test_stratified_and_deterministic():
    items = entries("hot_dog", 50, 1) + entries("not_hot_dog", 150, 2)
    train, val = split_items(items, 0.2)
    assert len(train) + len(val) == 200
    assert sum(it.label == "hot_dog" for it in val) == 10
    assert sum(it.label == "not_hot_dog" for it in val) == 30
    shuffled = items[:]
    random.Random(3).shuffle(shuffled)
    assert set(split_items(shuffled, 0.2)[1]) == set(val)


def test_adding_images_moves_few_from_one_side_to_the_other():
    items = entries("hot_dog", 100, 1) + entries("not_hot_dog", 100, 2)
    _, before = split_items(items, 0.2)
    _, after = split_items(items + entries("hot_dog", 5, 9) + entries("not_hot_dog", 5, 8), 0.2)
    assert len(set(before) - set(after)) <= 4


def test_near_duplicates_stay_on_the_same_side():
    base = entries("hot_dog", 40, 1)
    twins = [
        Entry(hashlib.sha256(it.hash.encode()).hexdigest(), it.label, it.phash ^ 0b101)
        for it in base
    ]
    train, val = split_items(base + twins + entries("not_hot_dog", 40, 2), 0.25)
    val_hashes = {it.hash for it in val}
    for original, twin in zip(base, twins, strict=True):
        assert (original.hash in val_hashes) == (twin.hash in val_hashes)
    assert any(it.label == "hot_dog" for it in val)


def test_groups_join_within_the_bit_budget():
    groups = near_duplicate_groups([0, 0b111111, 0b1111111 << 20, 0xFFFF_FFFF << 32])
    assert groups[0] == groups[1]  # 6 bits apart
    assert groups[2] != groups[0]  # 7 bits from the first
    assert groups[3] != groups[0]  # 32 bits away


def test_tiny_classes_keep_an_image_on_each_side():
    train, val = split_items(entries("hot_dog", 2, 1) + entries("not_hot_dog", 3, 2), 0.2)
    for label in ("hot_dog", "not_hot_dog"):
        assert any(it.label == label for it in train)
        assert any(it.label == label for it in val)
