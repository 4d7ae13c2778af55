"""Thumbnails: made once, on demand, and cached as small JPEGs in .studio/thumbs/<size>/."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from PIL import Image

from desktop_app.core.errors import BadImage
from desktop_app.core.imaging import MAX_PIXELS, orient, orientation_of, to_rgb


def make_thumbnail(source: Path, target: Path, size: int) -> Path:
    """Write a JPEG of source no larger than size x size to target, atomically; returns target.

    JPEGs are decoded at a reduced scale (draft), so a thumbnail costs a fraction of a full decode.
    """
    with Image.open(source) as image:
        if image.size[0] * image.size[1] > MAX_PIXELS:
            raise BadImage(f"{source.name}: too many pixels for a thumbnail")
        orientation = orientation_of(image)
        image.draft("RGB", (size, size))
        image.seek(0)
        image.load()
        picture = to_rgb(orient(image, orientation))
    picture.thumbnail((size, size), Image.Resampling.LANCZOS, reducing_gap=2.0)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    target.parent.mkdir(parents=True, exist_ok=True)
    # Unique temporary name: two threads asking for the same thumbnail must not collide.
    fd, temporary = tempfile.mkstemp(prefix=target.stem, suffix=".part", dir=target.parent)
    with os.fdopen(fd, "wb") as file:
        file.write(buffer.getvalue())
    os.replace(temporary, target)
    return target
