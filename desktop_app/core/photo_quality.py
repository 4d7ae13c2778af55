"""Simple measures of a photo that say something is off: tiny, huge, grayscale, dark, blurry.

Measured on the small decode (core/small_photo.py: long side 256 px), so they cost next to nothing
and compare photos of any size. Thresholds from 300 real photos: sharpness (variance of the
Laplacian) has a median near 900 and 1% under 100, a Gaussian blur of 3 px brings it under 10;
mean luminance has 1% under 42; a colour photo's mean channel spread is rarely under 8.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

TINY_SIDE = 100  # pixels on the short side: far below what a model looks at (224)
HUGE_PIXELS = 40_000_000  # more than any phone photo needs; slow to decode, large to keep
HUGE_BYTES = 25_000_000
GRAYSCALE_SPREAD = 2.0  # mean (max - min channel): JPEG noise on a truly gray photo stays under
DARK_LUMINANCE = 40.0  # mean of 0-255
BLURRY_SHARPNESS = 50.0

FLAGS = ("tiny", "huge", "grayscale", "dark", "blurry")


@dataclass(frozen=True)
class Measures:
    spread: float  # mean over pixels of the largest minus the smallest channel
    luminance: float  # mean gray level, 0-255
    sharpness: float  # variance of the Laplacian of the gray image

    def as_row(self) -> list[float]:
        return [self.spread, self.luminance, self.sharpness]


def measure(image: Image.Image) -> Measures:
    rgb = np.asarray(image.convert("RGB"), dtype=np.int16)
    gray = np.asarray(image.convert("L"), dtype=np.float32)
    spread = float((rgb.max(-1) - rgb.min(-1)).mean())
    return Measures(spread, float(gray.mean()), _laplacian_variance(gray))


def _laplacian_variance(gray: np.ndarray) -> float:
    if min(gray.shape) < 3:
        return 0.0
    laplacian = (
        gray[:-2, 1:-1] + gray[2:, 1:-1] + gray[1:-1, :-2] + gray[1:-1, 2:] - 4 * gray[1:-1, 1:-1]
    )
    return float(laplacian.var())


def flags(width: int, height: int, size: int, measures: Measures | None) -> list[str]:
    """Which of FLAGS apply to a photo of width x height pixels and size bytes."""
    found = []
    if min(width, height) < TINY_SIDE:
        found.append("tiny")
    if width * height > HUGE_PIXELS or size > HUGE_BYTES:
        found.append("huge")
    if measures is not None:
        if measures.spread < GRAYSCALE_SPREAD:
            found.append("grayscale")
        if measures.luminance < DARK_LUMINANCE:
            found.append("dark")
        if measures.sharpness < BLURRY_SHARPNESS:
            found.append("blurry")
    return found
