"""Perceptual hashes of a photo, 64 bits each: pHash (low DCT frequencies) and dHash (gradients).

The same arithmetic as imagehash's phash and dhash (Lanczos resize of the grey image; bits above
the low frequencies' median, or where brightness rises to the right), written in NumPy so the app
needs neither imagehash nor SciPy, whose DCT imagehash loads inside phash: the bundle leaves SciPy
out, and near-duplicates failed there only (tests/test_core_perceptual_hash.py checks agreement).
"""

from __future__ import annotations

from functools import cache

import numpy as np
from PIL import Image

HASH_SIDE = 8  # 8 x 8 = 64 bits
PHASH_SIDE = HASH_SIDE * 4  # pHash looks at the 8 x 8 lowest of 32 x 32 frequencies


@cache
def _dct_matrix(n: int) -> np.ndarray:
    """The unnormalised DCT-II as a matrix: y[k] = 2 sum_i x[i] cos(pi k (2i + 1) / 2n)."""
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return 2.0 * np.cos(np.pi * k * (2 * i + 1) / (2 * n))


def _grey(image: Image.Image, size: tuple[int, int]) -> np.ndarray:
    return np.asarray(image.convert("L").resize(size, Image.Resampling.LANCZOS), dtype=np.float64)


def _to_int(bits: np.ndarray) -> int:
    """Row-major bits, the first the most significant (as imagehash writes its hex)."""
    return int.from_bytes(np.packbits(bits.astype(np.uint8).ravel()).tobytes(), "big")


def phash(image: Image.Image) -> int:
    pixels = _grey(image, (PHASH_SIDE, PHASH_SIDE))
    basis = _dct_matrix(PHASH_SIDE)
    low = (basis @ pixels @ basis.T)[:HASH_SIDE, :HASH_SIDE]
    return _to_int(low > np.median(low))


def dhash(image: Image.Image) -> int:
    pixels = _grey(image, (HASH_SIDE + 1, HASH_SIDE))
    return _to_int(pixels[:, 1:] > pixels[:, :-1])
