"""Content hashes (exact duplicates) and perceptual hashes (near-duplicates).

The content hash names a stored file and finds exact duplicates. The 64-bit dHash lets the ML
layer keep near-duplicates (re-encodes, resizes) on the same side of the validation split.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from PIL import Image

_CHUNK = 1 << 20


def content_hash(data: bytes) -> str:
    """sha256 hex of a file's bytes."""
    return hashlib.sha256(data).hexdigest()


def file_hash(path: str | Path) -> str:
    """sha256 hex of a file, read in chunks so big files do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def dhash(image: Image.Image) -> int:
    """64-bit difference hash: is each pixel of a 9x8 greyscale thumbnail brighter than its right neighbour?

    Works on any size of input; pass a small draft-decoded image for speed.
    """
    small = image.convert("L").resize((9, 8), Image.Resampling.BILINEAR)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        offset = row * 9
        for col in range(8):
            bits = (bits << 1) | (pixels[offset + col] > pixels[offset + col + 1])
    return bits


def hamming(a: int, b: int) -> int:
    """How many of the 64 bits differ: 0 for the same picture, under about 10 for near-duplicates."""
    return (a ^ b).bit_count()


def to_signed64(value: int) -> int:
    """SQLite integers are signed 64-bit; store an unsigned 64-bit hash in them losslessly."""
    return value - (1 << 64) if value >= (1 << 63) else value


def from_signed64(value: int) -> int:
    return value + (1 << 64) if value < 0 else value
