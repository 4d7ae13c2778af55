"""Pictures self-test makes for itself: hot dogs and other things, drawn with Pillow.

Deliberately easy to tell apart (a red sausage in a golden bun on a warm table against cool
shapes), so a tiny model learns them in a few epochs and a failure means the app is broken.
"""

from __future__ import annotations

import random
from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 96


def hot_dog_picture(rng: random.Random) -> Image.Image:
    image = Image.new("RGB", (SIZE, SIZE), (235, 205 + rng.randint(-15, 15), 160))
    draw = ImageDraw.Draw(image)
    y = rng.randint(30, 50)
    x0, x1 = rng.randint(4, 14), rng.randint(82, 92)
    draw.rounded_rectangle((x0 + 4, y - 6, x1 - 4, y + 26), radius=14, fill=(230, 160, 80))
    draw.rounded_rectangle((x0, y, x1, y + 14), radius=7, fill=(190 + rng.randint(-20, 20), 60, 40))
    draw.line(
        [(x0 + 10 + 8 * i, y + 4 + 4 * (i % 2)) for i in range(8)], fill=(250, 220, 40), width=2
    )
    return image


def other_picture(rng: random.Random) -> Image.Image:
    image = Image.new(
        "RGB", (SIZE, SIZE), (rng.randint(20, 80), rng.randint(100, 160), rng.randint(160, 230))
    )
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(2, 4)):
        x, y, r = rng.randint(0, SIZE), rng.randint(0, SIZE), rng.randint(8, 24)
        color = (rng.randint(0, 90), rng.randint(140, 230), rng.randint(60, 160))
        if rng.random() < 0.5:
            draw.ellipse((x - r, y - r, x + r, y + r), fill=color)
        else:
            draw.rectangle((x - r, y - r, x + r, y + r), fill=color)
    return image


def make_pictures(folder: Path, count: int, seed: int = 7) -> dict[str, list[Path]]:
    """count hot dogs and count others as JPEG files under folder; paths by true label."""
    rng = random.Random(seed)
    made: dict[str, list[Path]] = {"hot_dog": [], "not_hot_dog": []}
    for label, draw in (("hot_dog", hot_dog_picture), ("not_hot_dog", other_picture)):
        (folder / label).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            path = folder / label / f"{label}-{i:02d}.jpg"
            draw(rng).save(path, "JPEG", quality=92)
            made[label].append(path)
    return made


def video_frames(count: int, seed: int = 11) -> list[Image.Image]:
    """Half hot dogs then half others, for the Live pipeline's clip."""
    rng = random.Random(seed)
    half = count // 2
    return [hot_dog_picture(rng) for _ in range(half)] + [
        other_picture(rng) for _ in range(count - half)
    ]
