"""A photo decoded small (its long side at most a few hundred pixels), the right way up, in RGB.

What the dataset checks measure (perceptual hashes, darkness, blur) needs no more than this, and a
JPEG decodes at a reduced scale (draft) for a fraction of a full decode's cost.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from desktop_app.core.imaging import _check_pixels, _reasons, orient, orientation_of, to_rgb

SIDE = 256


def small_photo(path: Path, side: int = SIDE) -> Image.Image:
    """RGB, at most side x side; raises BadImage saying why the file cannot be decoded."""
    path = Path(path)
    with _reasons(path.name, b""), Image.open(path) as image:
        _check_pixels(image)
        orientation = orientation_of(image)
        image.draft("RGB", (side, side))
        image.seek(0)
        image.load()
        picture = to_rgb(orient(image, orientation))
    picture.thumbnail((side, side), Image.Resampling.BILINEAR)
    return picture
