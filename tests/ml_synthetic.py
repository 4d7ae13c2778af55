"""Synthetic hot dogs for ML tests: red-brown sausages on clutter versus blue-green blobs.

Drawn with Pillow so every test makes its own images; easy enough that a tiny model learns it in
seconds, varied enough (clutter lines, positions, colours) that perceptual hashes differ.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG


def draw(label: str, rng: random.Random, size: int = 64) -> Image.Image:
    background = tuple(rng.randint(150, 255) for _ in range(3))
    image = Image.new("RGB", (size, size), background)
    pen = ImageDraw.Draw(image)
    for _ in range(6):  # clutter, so perceptual hashes differ between pictures
        x, y = rng.randint(0, size), rng.randint(0, size)
        end = (x + rng.randint(-30, 30), y + rng.randint(-30, 30))
        colour = tuple(rng.randint(0, 255) for _ in range(3))
        pen.line([x, y, *end], fill=colour, width=rng.randint(1, 4))
    if label == HOT_DOG:
        x0, y0 = rng.randint(2, 12), rng.randint(18, 34)
        length, height = rng.randint(36, 48), rng.randint(9, 14)
        colour = (rng.randint(170, 230), rng.randint(40, 90), rng.randint(20, 60))
        pen.rounded_rectangle([x0, y0, x0 + length, y0 + height], radius=height // 2, fill=colour)
    else:
        colour = (rng.randint(20, 90), rng.randint(90, 200), rng.randint(90, 230))
        x0, y0, side = rng.randint(4, 30), rng.randint(4, 30), rng.randint(16, 28)
        shape = pen.ellipse if rng.random() < 0.5 else pen.rectangle
        shape([x0, y0, x0 + side, y0 + side], fill=colour)
    return image


def write_images(folder: Path, label: str, count: int, seed: int) -> list[Path]:
    rng = random.Random(f"{label}-{seed}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        path = folder / f"{label}-{seed}-{index}.png"
        draw(label, rng).save(path)
        paths.append(path)
    return paths


def fill(dataset, tmp: Path, per_class: int, seed: int = 0) -> None:
    """Imports per_class labeled images of each class into the dataset, as a user would."""
    for label in (HOT_DOG, NOT_HOT_DOG):
        for path in write_images(tmp / f"source-{seed}" / label, label, per_class, seed):
            dataset.add_file(path, label)
