"""Safe image decoding: every file either becomes an RGB picture the right way up, or a BadImage with a reason.

Handles EXIF orientation, every Pillow mode (CMYK, 16-bit, palette with transparency, alpha),
animated files (first frame), and refuses decompression bombs before decoding a single pixel.
"""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from desktop_app.core.errors import BadImage
from desktop_app.core.hashing import dhash

# 120 megapixels: above the largest phone cameras (108 MP), far below what fills memory.
MAX_PIXELS = 120_000_000
# Files are read whole; nothing that size is a photo (a video or disk image named .jpg, say).
MAX_FILE_BYTES = 256_000_000
# Pillow's own guard, set to agree with ours (it warns above this and raises above twice this).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

EXIF_ORIENTATION = 0x0112
_SWAPS_SIDES = {5, 6, 7, 8}
_TRANSPOSE = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}
_BACKGROUND = (255, 255, 255)
# ISO-BMFF brands of HEIC/HEIF photos (iPhones): Pillow reads them only with a plugin we do not ship.
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
# Opening a FIFO for reading waits for a writer; O_NONBLOCK returns at once (no-op for files).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


@dataclass(frozen=True)
class ImageFacts:
    """What import needs to know about a file, found with a cheap reduced decode."""

    format: str  # Pillow's format name: "JPEG", "PNG", ...
    width: int  # as displayed, after EXIF orientation
    height: int
    phash: int  # 64-bit dHash


def open_image(path: str | Path) -> Image.Image:
    """Decode a file into an RGB image, the right way up; raises BadImage saying why it cannot."""
    path = Path(path)
    return open_image_bytes(read_bytes(path), path.name)


def open_image_bytes(data: bytes, name: str = "image") -> Image.Image:
    """Like open_image, for bytes already in memory (clipboard, network, a file read once)."""
    with _reasons(name, data):
        _check_bytes(data)
        with Image.open(io.BytesIO(data)) as image:
            return _decoded_rgb(image)


def load_array(path: str | Path, size: int | tuple[int, int] | None = None) -> np.ndarray:
    """An HxWx3 uint8 array of the image; with size, resized to size x size (or (width, height)).

    JPEGs are decoded at a reduced scale when that is enough for the size asked for (much faster).
    """
    path = Path(path)
    target = (size, size) if isinstance(size, int) else size
    data = read_bytes(path)
    with _reasons(path.name, data):
        _check_bytes(data)
        with Image.open(io.BytesIO(data)) as image:
            if target:
                _check_pixels(image)
                orientation = orientation_of(image)
                wanted = target[::-1] if orientation in _SWAPS_SIDES else target
                image.draft("RGB", wanted)
            rgb = _decoded_rgb(image)
    if target and rgb.size != tuple(target):
        rgb = rgb.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return np.asarray(rgb, dtype=np.uint8)


def squash_array(rgb: np.ndarray, size: int) -> np.ndarray:
    """HxWx3 uint8 -> size x size x 3, the whole frame squashed as load_array resizes photos
    (bilinear), so a Live frame or an array reaches the model as training photos did."""
    if rgb.shape[0] == size and rgb.shape[1] == size:
        return rgb
    picture = Image.fromarray(np.ascontiguousarray(rgb[..., :3], dtype=np.uint8))
    return np.asarray(picture.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0))


def probe_bytes(data: bytes, name: str = "image") -> ImageFacts:
    """Validate a file completely and measure it, decoding at 1/8 scale where the format allows.

    This is the import's hot path: a 320 px JPEG decodes to 40 px in greyscale here.
    """
    with _reasons(name, data):
        _check_bytes(data)
        with Image.open(io.BytesIO(data)) as image:
            _check_pixels(image)
            image_format = image.format or "unknown"
            width, height = image.size
            orientation = orientation_of(image)
            image.draft("L", (64, 64))
            image.seek(0)
            image.load()  # decodes every byte: truncated or corrupt data fails here
            small = orient(image, orientation)
            if small.mode not in ("L", "RGB"):
                small = to_rgb(small)
            phash = dhash(small)
    if orientation in _SWAPS_SIDES:
        width, height = height, width
    return ImageFacts(image_format, width, height, phash)


def _decoded_rgb(image: Image.Image) -> Image.Image:
    _check_pixels(image)
    orientation = orientation_of(image)
    image.seek(0)  # animated files: the first frame
    image.load()
    return to_rgb(orient(image, orientation))


def orientation_of(image: Image.Image) -> int:
    # Pillow's PNG getexif() decodes every pixel (an eXIf chunk may follow them): decode here,
    # outside the try, or a damaged PNG's error is swallowed below and it is stored all black.
    if image.format == "PNG":
        image.load()
    try:
        value = image.getexif().get(EXIF_ORIENTATION, 1)
    except Exception:  # a broken EXIF block should not cost the picture
        return 1
    return value if isinstance(value, int) and value in range(1, 9) else 1


def orient(image: Image.Image, orientation: int) -> Image.Image:
    for step in _TRANSPOSE.get(orientation, ()):
        image = image.transpose(step)
    return image


def to_rgb(image: Image.Image) -> Image.Image:
    """Any mode to RGB: alpha composited on white, 16/32-bit scaled down (not clipped)."""
    mode = image.mode
    if mode == "RGB":
        return image.copy() if image.readonly else image
    if mode.startswith("I") or mode == "F":
        array = np.asarray(image).astype(np.float64)
        peak = float(array.max()) if array.size else 0.0
        if peak > 255:
            array = array * (255.0 / (65535.0 if peak <= 65535 else peak))
        image = Image.fromarray(np.clip(array, 0, 255).astype(np.uint8), "L")
        return image.convert("RGB")
    has_alpha = mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    )
    if mode in ("L", "1") and "transparency" in image.info:
        has_alpha = True
    if has_alpha:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, _BACKGROUND + (255,))
        background.alpha_composite(rgba)
        return background.convert("RGB")
    return image.convert("RGB")


def _check_pixels(image: Image.Image) -> None:
    width, height = image.size
    if width <= 0 or height <= 0:
        raise BadImage(f"the image declares an empty size ({width}×{height})")
    if width * height > MAX_PIXELS:
        raise BadImage(
            f"the image declares {width}×{height} pixels, over the "
            f"{MAX_PIXELS // 1_000_000} megapixel limit (a decompression bomb?); refused"
        )


def read_bytes(path: Path) -> bytes:
    """The file's bytes, or BadImage naming why they cannot be read."""
    with _reasons(path.name, b""):
        if path.is_dir():
            raise BadImage("a folder, not an image file")
        with open(os.open(path, _OPEN_FLAGS), "rb") as file:
            status = os.fstat(file.fileno())
            if not stat.S_ISREG(status.st_mode):  # a FIFO or device would block or never end
                raise BadImage("not a regular file (a pipe, socket or device); refused")
            _check_file_size(status.st_size)
            data = file.read(MAX_FILE_BYTES + 1)  # a file still growing may pass its stat size
        _check_file_size(len(data))
        return data


def _check_file_size(size: int) -> None:
    if size > MAX_FILE_BYTES:
        raise BadImage(
            f"{size / 1e6:,.0f} MB is too large for a photo (limit {MAX_FILE_BYTES / 1e6:,.0f} MB)"
        )


def _check_bytes(data: bytes) -> None:
    if not data:
        raise BadImage("an empty file (0 bytes)")


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@contextmanager
def _reasons(name: str, data: bytes) -> Iterator[None]:
    """Turn whatever Pillow or the OS raises into one BadImage line a person can read."""
    try:
        yield
    except BadImage as error:
        raise BadImage(f"{name}: {error}") from None
    except FileNotFoundError:
        raise BadImage(f"{name}: no such file") from None
    except PermissionError:
        raise BadImage(f"{name}: permission denied") from None
    except IsADirectoryError:
        raise BadImage(f"{name}: a folder, not an image file") from None
    except Image.DecompressionBombError:
        raise BadImage(
            f"{name}: too many pixels, over the {MAX_PIXELS // 1_000_000} megapixel limit "
            "(a decompression bomb?); refused"
        ) from None
    except UnidentifiedImageError:
        if _looks_like_text(data[:512]):
            raise BadImage(f"{name}: a text file, not an image") from None
        if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
            raise BadImage(
                f"{name}: a HEIC/HEIF photo, which this app cannot decode; convert it to JPEG"
            ) from None
        raise BadImage(f"{name}: not an image, or a format that cannot be read") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as error:
        raise BadImage(f"{name}: {_why_unreadable(error)}") from None
    except MemoryError:
        raise BadImage(f"{name}: too large to decode in the memory available") from None


def _why_unreadable(error: Exception) -> str:
    if isinstance(error, OSError) and error.errno is not None and error.strerror:
        return f"cannot be read ({error.strerror})"  # the OS's, not Pillow's: a symlink loop, EIO
    detail = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "truncated" in detail.lower():
        return "truncated or damaged image data"
    if "Decompressed data too large" in detail:  # Pillow's 1 MB cap on PNG text chunks
        return "refused: a text chunk inflates past 1 MB (a decompression bomb?)"
    return f"damaged or unreadable image ({detail})"
