"""A corpus of hostile files, made on the spot: one maker per kind, and what import must do with it.

Every kind is either "imported" (once, upright, RGB, the size it displays at) or "skipped" (with a
one-line reason containing `why`). Most pictures are four coloured quadrants, so a wrong rotation,
a wrong frame or a lost alpha shows up as a wrong colour at a quadrant's centre.
"""

from __future__ import annotations

import io
import os
import struct
import threading
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import numpy as np
from PIL import Image

IMPORTED, SKIPPED = "imported", "skipped"
RGB = tuple[int, int, int]
SIZE = (64, 32)  # not square, so a rotation changes the displayed size
COLOURS: tuple[RGB, ...] = ((220, 30, 30), (30, 200, 30), (30, 30, 220), (240, 240, 40))
WHITE: RGB = (255, 255, 255)
GREYS = (0, 85, 170, 255)


@dataclass(frozen=True)
class Made:
    drop: Path  # what is handed to import (a file, or a folder)
    file: Path  # the one file that should be imported or skipped


@dataclass(frozen=True)
class Kind:
    name: str
    make: Callable[[Path, int], Made]  # (folder, seed) -> what it made
    outcome: str  # IMPORTED or SKIPPED
    why: str = ""  # SKIPPED: words the reason must contain
    size: tuple[int, int] = SIZE  # IMPORTED: (width, height) as displayed
    colours: tuple[RGB, ...] | None = COLOURS  # IMPORTED: TL, TR, BL, BR quadrant centres
    during: Callable[[Path], AbstractContextManager] = lambda _path: nullcontext()
    unprivileged: bool = False  # only a reader without root's overrides sees the difference


def quadrants(seed: int, size: tuple[int, int] = SIZE, colours=COLOURS) -> np.ndarray:
    """HxWxC uint8 (or HxW for grey levels): four quadrants, the seed's bits along the bottom row
    so no two kinds have the same bytes (the corpus would report duplicates)."""
    width, height = size
    channels = () if isinstance(colours[0], int) else (len(colours[0]),)
    pixels = np.zeros((height, width, *channels), dtype=np.uint8)
    top, left = slice(0, height // 2), slice(0, width // 2)
    bottom, right = slice(height // 2, height), slice(width // 2, width)
    for (rows, cols), colour in zip(
        [(top, left), (top, right), (bottom, left), (bottom, right)], colours, strict=True
    ):
        pixels[rows, cols] = colour
    for bit in range(min(16, width)):
        pixels[height - 1, bit] = 0 if seed >> bit & 1 else 255
    return pixels


def picture(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    return Image.fromarray(quadrants(seed, size), "RGB")


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    """One PNG chunk with a correct CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_with(width: int, height: int, depth: int, colour_type: int, rows: Iterator[bytes]) -> bytes:
    """A PNG written chunk by chunk, rows compressed as they come (a huge picture stays small)."""
    packer = zlib.compressobj(1)
    idat = b"".join(packer.compress(b"\x00" + row) for row in rows) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def write(folder: Path, name: str, data: bytes) -> Made:
    path = folder / name
    path.write_bytes(data)
    return Made(path, path)


def damaged(data: bytes, start: int, length: int = 48) -> bytes:
    """data with length bytes from start replaced by fixed noise (the same every run)."""
    noise = np.random.default_rng(start).integers(0, 256, length, dtype=np.uint8).tobytes()
    return data[:start] + noise + data[start + length :]


# -- corrupt, truncated and impostor files ---------------------------------------------------------
def corrupt_jpeg(folder: Path, seed: int) -> Made:
    data = encoded(picture(seed), "JPEG", quality=90)
    return write(folder, "corrupt.jpg", damaged(data, 20))  # the tables after SOI


def truncated_jpeg(folder: Path, seed: int) -> Made:
    data = encoded(picture(seed), "JPEG", quality=90)
    return write(folder, "truncated.jpg", data[: len(data) * 6 // 10])


def corrupt_png(folder: Path, seed: int) -> Made:
    data = encoded(picture(seed), "PNG")
    return write(folder, "corrupt.png", damaged(data, data.index(b"IDAT") + 8, 16))


def truncated_png(folder: Path, seed: int) -> Made:
    data = encoded(picture(seed), "PNG")
    return write(folder, "truncated.png", data[: len(data) * 6 // 10])


def corrupt_webp(folder: Path, seed: int) -> Made:
    """Damage in the VP8 frame header. (Damage further in decodes to noise: VP8 has no checksum.)"""
    data = encoded(picture(seed), "WEBP", quality=90)
    return write(folder, "corrupt.webp", damaged(data, 20, 10))


def truncated_webp(folder: Path, seed: int) -> Made:
    data = encoded(picture(seed), "WEBP", quality=90)
    return write(folder, "truncated.webp", data[: len(data) * 6 // 10])


def zero_bytes(folder: Path, seed: int) -> Made:
    return write(folder, "zero.jpg", b"")


def text_as_jpg(folder: Path, seed: int) -> Made:
    return write(folder, "notes.jpg", b"Shopping: buns, mustard, onions.\n")


def html_as_jpg(folder: Path, seed: int) -> Made:
    page = b"<!DOCTYPE html>\n<html><body><img src='hotdog.jpg'></body></html>\n"
    return write(folder, "saved page.jpg", page)


def pdf_as_jpg(folder: Path, seed: int) -> Made:
    pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n%%EOF\n"
    return write(folder, "scan.jpg", pdf)


# -- decompression bombs and extreme sizes ----------------------------------------------------------
def bomb_png(folder: Path, seed: int) -> Made:
    """A few hundred bytes declaring 100000x100000 pixels: ten gigabytes if decoded."""
    rows = iter([b"\x00" * 12500] * 4)  # 1-bit rows; the rest is missing
    return write(folder, "bomb.png", png_with(100_000, 100_000, 1, 0, rows))


def bomb_jpeg(folder: Path, seed: int) -> Made:
    """A small real JPEG whose frame header is patched to claim 65000x65000 pixels."""
    data = bytearray(encoded(picture(seed), "JPEG"))
    frame = data.index(b"\xff\xc0")
    data[frame + 5 : frame + 9] = struct.pack(">HH", 65000, 65000)
    return write(folder, "bomb.jpg", bytes(data))


@cache
def inflating_to(size: int) -> bytes:
    return zlib.compress(b"\x00" * size, 9)


def text_chunk_bomb(kind: bytes, folder: Path, seed: int) -> Made:
    """A valid small PNG carrying a text chunk that inflates to 64 MB (Pillow's cap is 1 MB)."""
    text = inflating_to(64_000_000)
    body = {
        b"zTXt": b"Comment\x00\x00" + text,
        b"iTXt": b"Comment\x00\x01\x00\x00\x00" + text,  # compressed, no language, no keyword
    }[kind]
    data = encoded(picture(seed), "PNG")
    at = data.index(b"IDAT") - 4
    return write(folder, f"{kind.decode()} bomb.png", data[:at] + chunk(kind, body) + data[at:])


def one_by_one(folder: Path, seed: int) -> Made:
    return write(folder, "1x1.png", encoded(Image.new("RGB", (1, 1), COLOURS[seed % 4]), "PNG"))


def one_by_ten_thousand(folder: Path, seed: int) -> Made:
    return write(folder, "1x10000.png", encoded(picture(seed, (1, 10_000)), "PNG"))


def twenty_thousand_square(folder: Path, seed: int) -> Made:
    """A complete, valid 20000x20000 picture (400 megapixels of 1-bit black; 60 kB on disk)."""
    rows = (b"\x00" * 2500 for _ in range(20_000))
    return write(folder, "20000x20000.png", png_with(20_000, 20_000, 1, 0, rows))


# -- modes -------------------------------------------------------------------------------------------
def cmyk(folder: Path, seed: int) -> Made:
    return write(folder, "cmyk.jpg", encoded(picture(seed).convert("CMYK"), "JPEG", quality=95))


def grey16(folder: Path, seed: int) -> Made:
    levels = quadrants(seed, colours=GREYS).astype(np.uint16) * 257  # mode I;16
    return write(folder, "grey16.png", encoded(Image.fromarray(levels), "PNG"))


def rgb16(folder: Path, seed: int) -> Made:
    """48-bit colour, which Pillow cannot write: the PNG is made by hand."""
    pixels = quadrants(seed).astype(">u2") * 257
    rows = (row.tobytes() for row in pixels)
    return write(folder, "rgb16.png", png_with(*SIZE, 16, 2, rows))


def palette_transparent(folder: Path, seed: int) -> Made:
    """A palette PNG whose bottom-right quadrant's colour is the transparent one (shows white)."""
    image = picture(seed).quantize(8)
    transparent = image.getpixel((SIZE[0] - 1, SIZE[1] // 2))
    return write(folder, "palette.png", encoded(image, "PNG", transparency=transparent))


def grey_alpha(folder: Path, seed: int) -> Made:
    grey = quadrants(seed, colours=GREYS)
    alpha = np.full_like(grey, 255)
    alpha[: SIZE[1] // 2, : SIZE[0] // 2] = 0  # top-left fully transparent: white
    image = Image.merge("LA", [Image.fromarray(grey), Image.fromarray(alpha)])
    return write(folder, "grey alpha.png", encoded(image, "PNG"))


def mode_i(folder: Path, seed: int) -> Made:
    """32-bit integer pixels up to 1,000,000: scaled down to 0..255, not clipped."""
    levels = quadrants(seed, colours=GREYS).astype(np.int32) * (1_000_000 // 255)
    return write(folder, "mode I.tif", encoded(Image.fromarray(levels, "I"), "TIFF"))


def mode_f(folder: Path, seed: int) -> Made:
    levels = quadrants(seed, colours=GREYS).astype(np.float32)
    return write(folder, "mode F.tif", encoded(Image.fromarray(levels, "F"), "TIFF"))


# -- animation, orientation, metadata, containers --------------------------------------------------
def animated(fmt: str, folder: Path, seed: int) -> Made:
    """Three frames; the first is the quadrants, the others solid black (import keeps the first)."""
    frames = [picture(seed), Image.new("RGB", SIZE), Image.new("RGB", SIZE, (9, 9, 9))]
    options = {"lossless": True} if fmt == "WEBP" else {}
    data = encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100, **options)
    return write(folder, f"animated.{fmt.lower()}", data)


# What the camera did to the upright picture before storing it, by EXIF orientation (the EXIF
# spec's inverse of the turn the viewer must make). Kept apart from the app's own table on purpose.
_STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,  # the viewer turns it 90° clockwise back
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def oriented(orientation: int, folder: Path, seed: int) -> Made:
    upright = picture(seed)
    step = _STORED_AS[orientation]
    stored = upright.transpose(step) if step is not None else upright
    exif = Image.Exif()
    exif[0x0112] = orientation
    data = encoded(stored, "JPEG", quality=95, exif=exif)
    return write(folder, f"orientation {orientation}.jpg", data)


def corrupt_exif(folder: Path, seed: int) -> Made:
    """An APP1 Exif segment that is garbage after its header: the picture must survive it."""
    data = encoded(picture(seed), "JPEG", quality=95)
    body = b"Exif\x00\x00II*\x00\xff\xff\xff\x7f" + b"\xde\xad\xbe\xef" * 16
    segment = b"\xff\xe1" + struct.pack(">H", len(body) + 2) + body
    return write(folder, "corrupt exif.jpg", data[:2] + segment + data[2:])


def multipage_tiff(folder: Path, seed: int) -> Made:
    pages = [picture(seed), Image.new("RGB", SIZE), Image.new("RGB", (10, 10))]
    return write(
        folder, "pages.tif", encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:])
    )


def bmp(folder: Path, seed: int) -> Made:
    return write(folder, "picture.bmp", encoded(picture(seed), "BMP"))


def ico(folder: Path, seed: int) -> Made:
    return write(folder, "favicon.ico", encoded(picture(seed), "ICO", sizes=[SIZE]))


def svg(folder: Path, seed: int) -> Made:
    drawing = b'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="32"><rect/></svg>\n'
    return write(folder, "drawing.svg", drawing)


def heic(folder: Path, seed: int) -> Made:
    """The start of an iPhone photo: an ISO-BMFF ftyp box with the heic brand, then its meta box."""
    ftyp = b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heicmiaf"
    meta = b"meta\x00\x00\x00\x00" + b"\x00\x00\x00\x21hdlr\x00\x00\x00\x00\x00\x00\x00\x00pict"
    boxes = struct.pack(">I", len(ftyp) + 4) + ftyp + struct.pack(">I", len(meta) + 4) + meta
    return write(folder, "IMG_0001.HEIC", boxes + bytes(range(256)) * 8)


# -- names -------------------------------------------------------------------------------------------
def named(name: str, folder: Path, seed: int) -> Made:
    return write(folder, name, encoded(picture(seed), "JPEG", quality=95))


NOT_UTF8 = os.fsdecode(b"caf\xe9 \xff\xfe.jpg")  # Latin-1 from an old camera card, and worse


def truncated_not_utf8(folder: Path, seed: int) -> Made:
    """Skipped, so its name is printed in the report (a strict UTF-8 stdout rejects surrogates)."""
    data = encoded(picture(seed), "JPEG")[:300]
    return write(folder, os.fsdecode(b"r\xe9sum\xe9 cut short.jpg"), data)


LONG_NAME = "hot dog " * 30 + "x" * 6 + ".jpg"  # 250 characters, near the 255-byte limit

# -- links, permissions, folders, files that change --------------------------------------------------


def folder_symlink_loop(folder: Path, seed: int) -> Made:
    """A dropped folder holding a photo, a link to itself and a link to its parent."""
    loop = folder / "looping folder"
    loop.mkdir()
    photo = named("inside the loop.jpg", loop, seed).file
    (loop / "again").symlink_to(".", target_is_directory=True)
    (loop / "up").symlink_to("..", target_is_directory=True)
    return Made(loop, photo)


def file_symlink_loop(folder: Path, seed: int) -> Made:
    path = folder / "self link.jpg"
    path.symlink_to(path.name)
    return Made(path, path)


def dangling_symlink(folder: Path, seed: int) -> Made:
    path = folder / "dangling.jpg"
    path.symlink_to("moved away.jpg")
    return Made(path, path)


def unreadable(folder: Path, seed: int) -> Made:
    made = named("private.jpg", folder, seed)
    made.file.chmod(0)
    return made


def folder_named_jpg(folder: Path, seed: int) -> Made:
    """A folder called x.jpg is walked like any folder, not read as a file."""
    inside = folder / "x.jpg"
    inside.mkdir()
    return Made(inside, named("in a folder called x.jpg.jpg", inside, seed).file)


def growing(folder: Path, seed: int) -> Made:
    return named("still downloading.jpg", folder, seed)


@contextmanager
def appending(path: Path, limit: int = 8_000_000) -> Iterator[None]:
    """While the import runs, append to path (trailing bytes a JPEG decoder ignores)."""
    stop = threading.Event()

    def append() -> None:
        with open(path, "ab", buffering=0) as file:
            while not stop.wait(0.001) and file.tell() < limit:
                file.write(b"\x00" * 4096)

    thread = threading.Thread(target=append, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def fifo(folder: Path, seed: int) -> Made:
    path = folder / "pipe.jpg"
    os.mkfifo(path)
    return Made(path, path)


@contextmanager
def unblocking(path: Path) -> Iterator[None]:
    """After the import, open the FIFO's write end once: a reader stuck on it gets EOF and ends."""
    try:
        yield
    finally:
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
        except OSError:  # ENXIO: nobody is reading it, as it should be
            pass


# -- the registry ------------------------------------------------------------------------------------
_GREY_RGB = tuple((g, g, g) for g in GREYS)
_DAMAGED = "damaged"
KINDS: list[Kind] = [
    Kind("corrupt jpeg", corrupt_jpeg, SKIPPED, _DAMAGED),
    Kind("truncated jpeg", truncated_jpeg, SKIPPED, "truncated"),
    Kind("corrupt png", corrupt_png, SKIPPED, _DAMAGED),
    Kind("truncated png", truncated_png, SKIPPED, "truncated"),
    Kind("corrupt webp", corrupt_webp, SKIPPED, _DAMAGED),
    Kind("truncated webp", truncated_webp, SKIPPED, _DAMAGED),
    Kind("zero bytes", zero_bytes, SKIPPED, "empty file"),
    Kind("text named .jpg", text_as_jpg, SKIPPED, "a text file"),
    Kind("html named .jpg", html_as_jpg, SKIPPED, "a text file"),
    Kind("pdf named .jpg", pdf_as_jpg, SKIPPED, "not an image"),
    Kind("png bomb", bomb_png, SKIPPED, "megapixel limit"),
    Kind("jpeg bomb", bomb_jpeg, SKIPPED, "megapixel limit"),
    Kind("zTXt bomb", partial(text_chunk_bomb, b"zTXt"), SKIPPED, "text chunk"),
    Kind("iTXt bomb", partial(text_chunk_bomb, b"iTXt"), SKIPPED, "text chunk"),
    Kind("1x1", one_by_one, IMPORTED, size=(1, 1), colours=None),
    Kind("1x10000", one_by_ten_thousand, IMPORTED, size=(1, 10_000), colours=None),
    Kind("20000x20000", twenty_thousand_square, SKIPPED, "megapixel limit"),
    Kind("cmyk", cmyk, IMPORTED),
    Kind("16-bit grey", grey16, IMPORTED, colours=_GREY_RGB),
    Kind("16-bit rgb", rgb16, IMPORTED),
    Kind("palette with transparency", palette_transparent, IMPORTED, colours=(*COLOURS[:3], WHITE)),
    Kind("LA", grey_alpha, IMPORTED, colours=(WHITE, *_GREY_RGB[1:])),
    Kind("mode I", mode_i, IMPORTED, colours=_GREY_RGB),
    Kind("mode F", mode_f, IMPORTED, colours=_GREY_RGB),
    Kind("animated gif", partial(animated, "GIF"), IMPORTED),
    Kind("animated webp", partial(animated, "WEBP"), IMPORTED),
    *(
        Kind(f"exif orientation {n}", partial(oriented, n), IMPORTED, size=SIZE)
        for n in range(1, 9)
    ),
    Kind("corrupt exif", corrupt_exif, IMPORTED),
    Kind("multi-page tiff", multipage_tiff, IMPORTED),
    Kind("bmp", bmp, IMPORTED),
    Kind("ico", ico, IMPORTED),
    Kind("svg", svg, SKIPPED, "not an image file (.svg)"),
    Kind("heic without plugin", heic, SKIPPED, "HEIC"),
    Kind("name with spaces", partial(named, "my hot dog photo .jpg"), IMPORTED),
    Kind("name with emoji", partial(named, "🌭 lunch 😋.jpg"), IMPORTED),
    Kind("250-character name", partial(named, LONG_NAME), IMPORTED),
    Kind("name not utf-8", partial(named, NOT_UTF8), IMPORTED),
    Kind("name not utf-8, truncated", truncated_not_utf8, SKIPPED, "truncated"),
    Kind("folder symlink loop", folder_symlink_loop, IMPORTED),
    Kind("file symlink loop", file_symlink_loop, SKIPPED, "symbolic links"),
    Kind("dangling symlink", dangling_symlink, SKIPPED, "no such file"),
    Kind("unreadable (chmod 000)", unreadable, SKIPPED, "permission denied", unprivileged=True),
    Kind("folder named x.jpg", folder_named_jpg, IMPORTED),
    Kind("file growing during import", growing, IMPORTED, during=appending),
    Kind("fifo", fifo, SKIPPED, "not a regular file", during=unblocking),
]
assert len(LONG_NAME) == 250 and len({kind.name for kind in KINDS}) == len(KINDS)
