"""Thumbnails: made once, on demand, and cached as small JPEGs in .studio/thumbs/<size>/."""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

from PIL import Image

from desktop_app.core.errors import BadImage
from desktop_app.core.imaging import MAX_PIXELS, orient, orientation_of, to_rgb
from desktop_app.core.write_errors import disk_full


def make_thumbnail(source: Path, target: Path, size: int) -> Path:
    """Write a JPEG of source no larger than size x size to target, atomically; returns target.

    A full disk raises DiskFull and leaves no part-written file behind.
    """
    data = render_thumbnail(source, size)
    try:
        # thumbs/<size>/ only, not parents=True: a dataset folder pulled away must not be made
        # again, empty, where the drive was.
        target.parent.parent.mkdir(exist_ok=True)
        target.parent.mkdir(exist_ok=True)
        # Unique temporary name: two threads asking for the same thumbnail must not collide.
        fd, temporary = tempfile.mkstemp(prefix=target.stem, suffix=".part", dir=target.parent)
    except OSError as error:
        raise disk_full(error, f"a thumbnail in {target.parent}") or error from None
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)  # no .part left in thumbs/ by a failed write
        raise disk_full(error, f"a thumbnail in {target.parent}") or error from None
    return target


def render_thumbnail(source: Path, size: int) -> bytes:
    """The thumbnail's JPEG bytes, made in memory (shown as is when the disk cannot keep it).

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
    return buffer.getvalue()
