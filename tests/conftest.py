"""Shared fixtures: small real images made with Pillow, a corpus of bad files, and a dataset."""

from __future__ import annotations

import importlib.util
import itertools
import os
import struct
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.core.dataset import Dataset

# Plain `pytest` without a display: Qt would abort on the xcb platform (make test sets it too).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent

# What the bundle leaves out cannot be imported here either, nor in the app processes tests start.
BUNDLE_LIKE = REPO / "tests" / "bundle_like"
os.environ["PYTHONPATH"] = os.pathsep.join(
    [str(BUNDLE_LIKE), *filter(None, [os.environ.get("PYTHONPATH")])]
)
_spec = importlib.util.spec_from_file_location("bundle_like", BUNDLE_LIKE / "sitecustomize.py")
_spec.loader.exec_module(importlib.util.module_from_spec(_spec))  # installs the import blocker


@pytest.fixture(scope="session", autouse=True)
def _one_litert_cache(tmp_path_factory):
    """XNNPACK flatbuffers are keyed by their weights' content: the tests that train the same
    tiny backbone in fresh Keras homes convert it once per session, not once each (~1 s)."""
    os.environ.setdefault("HOTDOG_LITERT_CACHE", str(tmp_path_factory.mktemp("litert")))


@pytest.fixture(autouse=True)
def _no_bug_carried_on_from(request):
    """A bug a worker catches so the app carries on (core.exception_hooks.report_caught) fails the
    test it happened in. The app prints the traceback and goes on, so the test's own asserts may
    all pass: that is how a worker's ModuleNotFoundError, and a read-only dataset's galleries left
    empty by an AttributeError, once passed. A test that means to cause one says so with
    @pytest.mark.caught_bugs_expected."""
    from desktop_app.core import exception_hooks

    caught: list[str] = []

    def record(exc_type, exc, _tb, thread) -> None:
        caught.append(f"{exc_type.__name__}: {exc} (in thread {thread})")

    exception_hooks._recorders.append(record)
    yield
    exception_hooks._recorders.remove(record)
    if caught and request.node.get_closest_marker("caught_bugs_expected") is None:
        pytest.fail(f"a bug was caught and the app carried on: {'; '.join(caught[:3])}", False)


SHARED = REPO.parent / "shared"
HOTDOG_PHOTOS = SHARED / "data" / "hotdog"

_seeds = itertools.count(1)


def picture(seed: int, size: tuple[int, int] = (48, 32), mode: str = "RGB") -> Image.Image:
    """A picture whose content depends on seed: blocks of colour plus noise, so hashes differ."""
    rng = np.random.default_rng(seed)
    width, height = size
    blocks = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    big = np.kron(blocks, np.ones((height // 4 + 1, width // 4 + 1, 1), dtype=np.uint8))
    pixels = big[:height, :width] // 2 + rng.integers(0, 128, (height, width, 3), dtype=np.uint8)
    return Image.fromarray(pixels.astype(np.uint8), "RGB").convert(mode)


@pytest.fixture
def make_image(tmp_path: Path) -> Callable[..., Path]:
    """make_image(name=None, size=(48, 32), seed=None, folder=None) -> a real image file.

    Every call without a seed gives different content (and without a name, a new "image<N>.jpg");
    the format follows the extension.
    """

    def make(
        name: str | None = None,
        size: tuple[int, int] = (48, 32),
        seed: int | None = None,
        folder: Path | None = None,
        **save_options: object,
    ) -> Path:
        folder = folder or tmp_path / "images"
        seed = next(_seeds) if seed is None else seed
        path = folder / (name or f"image{seed}.jpg")
        path.parent.mkdir(parents=True, exist_ok=True)
        image = picture(seed, size)
        image.save(path, **save_options)
        return path

    return make


@pytest.fixture
def bad_files(tmp_path: Path) -> Callable[[Path | None], dict[str, Path]]:
    """bad_files(folder=None) -> {kind: path}, the awkward files photos arrive as.

    kinds: truncated, empty, text, cmyk, deep16, palette_alpha, animated, rotated, tiny, bomb,
    la, webp, and odd names (space, unicode, hash, dash). Each is described in make_bad_files.
    """

    def make(folder: Path | None = None) -> dict[str, Path]:
        return make_bad_files(folder or tmp_path / "bad")

    return make


def make_bad_files(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def path(kind: str, name: str) -> Path:
        files[kind] = folder / name
        return files[kind]

    good = picture(101, (96, 64))
    good.save(path("whole", "whole.jpg"), quality=95)
    data = files["whole"].read_bytes()
    path("truncated", "truncated.jpg").write_bytes(data[: len(data) * 6 // 10])
    path("empty", "empty.jpg").write_bytes(b"")
    path("text", "notes.jpg").write_text("these are my notes, not a picture\n")
    picture(102).convert("CMYK").save(path("cmyk", "cmyk.jpg"))
    ramp = (np.arange(32 * 48, dtype=np.uint32).reshape(32, 48) * 40).astype(np.uint16)
    Image.fromarray(ramp).save(path("deep16", "deep16.png"))  # mode I;16
    palette = picture(103).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    palette.save(path("palette_alpha", "palette_alpha.png"), transparency=0)
    frames = [Image.new("RGB", (40, 30), color) for color in ("red", "lime", "blue")]
    frames[0].save(path("animated", "animated.gif"), save_all=True, append_images=frames[1:])
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display: stored 40x20 shows as 20x40
    picture(104, (40, 20)).save(path("rotated", "rotated.jpg"), exif=exif)
    picture(105, (1, 1)).save(path("tiny", "tiny.png"))
    path("bomb", "bomb.png").write_bytes(png_declaring(20000, 20000))
    picture(106).convert("LA").save(path("la", "grey_alpha.png"))
    picture(107).save(path("webp", "photo.webp"))
    picture(108).save(path("space", "my holiday photo.jpg"))
    picture(109).save(path("unicode", "ünïcødé 写真.png"))
    picture(110).save(path("hash", "#1 best.jpg"))
    picture(111).save(path("dash", "-rf.jpg"))
    return files


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares width x height (a decompression bomb's calling card)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit greyscale
    rows = zlib.compress(b"\x00" * (1 + (width + 7) // 8) * 4)  # a few rows; never reached
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


@pytest.fixture
def dataset(tmp_path: Path) -> Iterator[Dataset]:
    """A new, empty dataset opened for writing; closed (lock released) after the test."""
    opened = Dataset.create(tmp_path / "dataset")
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def x_server():
    """A real X server (Xvfb) for the real-display tier; skips with how to get one if absent."""
    from real_display import XServer

    server = XServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def hidpi_x_server():
    """An X server with a HiDPI laptop's panel (2800x1800), for the app at twice the scale."""
    from real_display import HIDPI_SCREEN, XServer

    server = XServer(HIDPI_SCREEN)
    server.start()
    yield server
    server.stop()
