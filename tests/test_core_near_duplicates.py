"""Near-duplicates: planted copies of distinct drawn photos are grouped, distinct photos are not."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageOps

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED
from desktop_app.core.near_duplicates import closeness, signature, union_groups
from desktop_app.core.photo_scan import scan
from desktop_app.ml.near_duplicates import find_near_duplicates


def scene(seed: int, size=(320, 240)) -> Image.Image:
    """A photo-like picture: a lit gradient, a dozen soft shapes, grain. Each seed its own scene."""
    rng = random.Random(seed)
    width, height = size
    y, x = np.mgrid[0:height, 0:width] / max(size)
    base = np.stack([rng.uniform(40, 200) + rng.uniform(-80, 80) * (x * rng.random() + y)
                     for _ in range(3)], -1)  # fmt: skip
    image = Image.fromarray(np.clip(base, 0, 255).astype(np.uint8), "RGB")
    pen = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.uniform(-40, width), rng.uniform(-40, height)
        w, h = rng.uniform(20, 160), rng.uniform(20, 120)
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        shape = rng.choice([pen.ellipse, pen.rectangle])
        shape([x0, y0, x0 + w, y0 + h], fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(1.5))
    grain = np.random.default_rng(seed).normal(0, 6, (height, width, 3))
    return Image.fromarray(np.clip(np.asarray(image) + grain, 0, 255).astype(np.uint8), "RGB")


def jpeg(image: Image.Image, quality: int) -> Image.Image:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")


def crop(image: Image.Image, share: float, where: tuple[float, float]) -> Image.Image:
    """share of each side cut away, split between the edges as where says (0: all from the end)."""
    width, height = image.size
    cut_w, cut_h = width * share, height * share
    left, top = cut_w * where[0], cut_h * where[1]
    return image.crop(
        (round(left), round(top), round(left + width - cut_w), round(top + height - cut_h))
    )


def burst(image: Image.Image, seed: int) -> Image.Image:
    """The next frame of a burst: the camera moved a few pixels, the light changed a little."""
    shifted = crop(image, 0.03, (random.Random(seed).random(), 0.3)).resize(image.size)
    return ImageEnhance.Brightness(shifted).enhance(1.05)


EDITS = {
    "resized": lambda im, s: im.resize((im.width // 2, im.height // 2), Image.Resampling.LANCZOS),
    "recompressed": lambda im, s: jpeg(im, 30),
    "cropped 10% from a corner": lambda im, s: crop(im, 0.10, (0.0, 1.0)),
    "cropped 8% around the middle": lambda im, s: crop(im, 0.08, (0.5, 0.5)),
    "cropped 6% unevenly": lambda im, s: crop(im, 0.06, (0.3, 0.8)),
    "brighter by 15%": lambda im, s: ImageEnhance.Brightness(im).enhance(1.15),
    "darker by 15%": lambda im, s: ImageEnhance.Brightness(im).enhance(0.85),
    "mirrored": lambda im, s: ImageOps.mirror(im),
    "burst shot": burst,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_each_kind_of_copy_matches_its_original_and_no_other_scene(edit):
    originals = [scene(seed) for seed in range(12)]
    copies = [EDITS[edit](im, seed) for seed, im in enumerate(originals)]
    signatures = np.stack([signature(im) for im in originals + copies])
    pairs = {(i, j) for i, j, bits in closeness(signatures, 11)}
    expected = {(i, i + len(originals)) for i in range(len(originals))}
    assert pairs == expected, f"{edit}: missed {expected - pairs}, wrong {pairs - expected}"


def test_the_screened_comparison_finds_exactly_the_pairs_a_pair_by_pair_one_does():
    """closeness() screens on pHash first; scoring every pair on both hashes finds the same."""
    from desktop_app.core.near_duplicates import LOOSE_BITS, MIRROR, SIGNATURE_ROWS, WINDOWS

    rng = np.random.default_rng(3)
    sigs = rng.integers(0, 2**63, (150, SIGNATURE_ROWS, 2), dtype=np.int64).astype(np.uint64)
    for _ in range(40):  # copies: one hash a few bits off, or its whole frame one of a window
        i, j = rng.integers(0, 150, 2)
        sigs[j] = sigs[i] ^ np.uint64((1 << int(rng.integers(0, 64))) | (1 << 3))
        if rng.random() < 0.5:
            sigs[j, 0] = sigs[i, int(rng.integers(0, len(WINDOWS)))]

    def bits(a, b) -> int:
        return max(int(a[0] ^ b[0]).bit_count(), int(a[1] ^ b[1]).bit_count())

    expected = []
    for i in range(150):
        for j in range(i + 1, 150):
            best = min(
                min(bits(sigs[i, 0], sigs[j, w]) for w in range(len(WINDOWS))),
                min(bits(sigs[j, 0], sigs[i, w]) for w in range(len(WINDOWS))),
                bits(sigs[i, MIRROR], sigs[j, 0]),
            )
            if best <= LOOSE_BITS:
                expected.append((i, j, best))
    assert len(expected) >= 20
    assert sorted(closeness(sigs)) == expected


def test_union_find_joins_chains_and_leaves_singles_out():
    assert union_groups(6, [(4, 1), (1, 2), (5, 3)]) == [[1, 2, 4], [3, 5]]
    assert union_groups(3, []) == []


def add(dataset, tmp_path, image: Image.Image, name: str, label: str, **save) -> str:
    path = tmp_path / "photos" / name
    path.parent.mkdir(exist_ok=True)
    image.save(path, **save)
    return dataset.add_file(path, label).item.hash


def planted(dataset, tmp_path) -> dict[str, list[str]]:
    """Twenty distinct scenes, six with planted copies; returns scene name -> hashes of its copies."""
    scenes: dict[str, list[str]] = {}
    for seed in range(20):
        label = HOT_DOG if seed % 2 else NOT_HOT_DOG
        original = scene(100 + seed)
        scenes[f"s{seed}"] = [add(dataset, tmp_path, original, f"s{seed}.png", label)]
    edits = [("s0", "mirrored", NOT_HOT_DOG), ("s0", "recompressed", UNLABELED),
             ("s3", "cropped 10% from a corner", HOT_DOG), ("s5", "brighter by 15%", NOT_HOT_DOG),
             ("s6", "burst shot", NOT_HOT_DOG), ("s9", "resized", HOT_DOG),
             ("s12", "darker by 15%", HOT_DOG)]  # fmt: skip
    for n, (name, edit, label) in enumerate(edits):
        seed = 100 + int(name[1:])
        copy = EDITS[edit](scene(seed), seed)
        scenes[name].append(add(dataset, tmp_path, copy, f"copy{n}.jpg", label, quality=90))
    return scenes


def test_planted_copies_are_grouped_and_label_conflicts_flagged(dataset, tmp_path):
    scenes = planted(dataset, tmp_path)
    found = find_near_duplicates(dataset)

    expected = {frozenset(hashes) for hashes in scenes.values() if len(hashes) > 1}
    assert {frozenset(group.hashes) for group in found.groups} == expected
    conflicts = {frozenset(group.hashes) for group in found.conflicts}
    # Odd scenes are hot dogs, even ones not. s5's brighter copy is filed as not hot dog and s12's
    # darker one as hot dog: conflicts. s0 has a not-hot-dog mirror and an unlabeled copy: none.
    assert conflicts == {frozenset(scenes["s5"]), frozenset(scenes["s12"])}
    group = next(g for g in found.groups if set(g.hashes) == set(scenes["s0"]))
    assert sorted(group.labels) == sorted([NOT_HOT_DOG, NOT_HOT_DOG, UNLABELED])
    assert group.to_dict()["conflict"] is False and len(group.phashes[0]) == 16
    assert found.features is None  # nothing cached: hashes alone


def test_a_second_scan_decodes_nothing_and_a_damaged_cache_is_rebuilt(dataset, tmp_path):
    planted(dataset, tmp_path)
    items = dataset.items()
    assert scan(dataset, items).decoded_now == len(items)
    again = scan(dataset, items)
    assert again.decoded_now == 0 and set(again.signatures) == {it.hash for it in items}
    (dataset.studio_dir / "photo_facts.npz").write_bytes(b"not a cache")
    assert scan(dataset, items).decoded_now == len(items)


def test_an_unreadable_photo_is_reported_not_fatal(dataset, tmp_path):
    good = add(dataset, tmp_path, scene(1), "good.png", HOT_DOG)
    broken = add(dataset, tmp_path, scene(2), "broken.png", HOT_DOG)
    path = dataset.get(broken).path
    path.write_bytes(path.read_bytes()[:200])  # damaged on disk after import
    result = scan(dataset, dataset.items())
    assert set(result.signatures) == {good} and broken in result.failed
