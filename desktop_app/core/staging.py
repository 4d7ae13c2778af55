"""Getting a new file ready to enter the dataset: validate, measure, name, and write it aside.

A staged file sits in .studio/tmp/ (same disk as the class folders) until the dataset moves it
into place with one atomic rename. Runs in worker threads: Pillow and hashlib release the GIL.
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from desktop_app.core.durable import sync_file
from desktop_app.core.hashing import content_hash
from desktop_app.core.imaging import ImageFacts, open_image_bytes, probe_bytes, read_bytes
from desktop_app.core.write_errors import disk_full

# Formats that keras.utils.image_dataset_from_directory reads, and the extension each is stored with.
KEPT_FORMATS = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "GIF": ".gif", "BMP": ".bmp"}
# Files with these extensions are tried as images; anything else is skipped as "not an image".
IMAGE_EXTENSIONS = {
    ".jpg",
    ".jpeg",
    ".jpe",
    ".jfif",
    ".png",
    ".gif",
    ".bmp",
    ".dib",
    ".webp",
    ".tif",
    ".tiff",
    ".ppm",
    ".pgm",
    ".pbm",
    ".pnm",
    ".tga",
    ".ico",
    ".mpo",
    ".heic",
    ".avif",
    "",
}


@dataclass(frozen=True)
class StagedFile:
    hash: str
    ext: str  # ".jpg", ".png", ...
    temp_path: Path
    size: int
    facts: ImageFacts
    source: str | None

    @property
    def name(self) -> str:
        """The stored file name: the first 16 hex digits of the content hash (64 bits) plus extension."""
        return self.hash[:16] + self.ext


def stage_file(path: Path, staging_dir: Path) -> StagedFile:
    """Stage a file the user asked to import; BadImage says why it cannot be (unreadable, not an image...)."""
    return stage_bytes(read_bytes(path), staging_dir, name=path.name, source=str(path))


def stage_bytes(
    data: bytes, staging_dir: Path, *, name: str, source: str | None, digest: str | None = None
) -> StagedFile:
    """Validate data as an image and write it to staging_dir; raises BadImage with the reason.

    Formats Keras cannot read from a class folder (WebP, TIFF, ...) are stored as PNG instead.
    """
    facts = probe_bytes(data, name)
    ext = KEPT_FORMATS.get(facts.format)
    if ext is None:
        data = encode(open_image_bytes(data, name), "PNG")
        facts = probe_bytes(data, name)
        ext, digest = ".png", None
    return _write_staged(data, staging_dir, ext, facts, source, digest)


def stage_image(
    image: Image.Image, staging_dir: Path, *, fmt: str, source: str | None
) -> StagedFile:
    """Stage a picture made in memory (pasted, a camera frame) as JPEG or PNG."""
    data = encode(image.convert("RGB"), fmt)
    return _write_staged(data, staging_dir, KEPT_FORMATS[fmt.upper()], probe_bytes(data), source)


def encode(image: Image.Image, fmt: str) -> bytes:
    buffer = io.BytesIO()
    if fmt.upper() == "JPEG":
        image.save(buffer, "JPEG", quality=95)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def _write_staged(
    data: bytes,
    staging_dir: Path,
    ext: str,
    facts: ImageFacts,
    source: str | None,
    digest: str | None = None,
) -> StagedFile:
    digest = digest or content_hash(data)
    fd, temp = tempfile.mkstemp(prefix=digest[:16] + "-", suffix=".part", dir=staging_dir)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            sync_file(file)  # in the worker thread, before the dataset renames it into place
    except BaseException as error:
        os.unlink(temp)
        full = (
            disk_full(error, f"the dataset's copy of {source or 'the picture'}")
            if isinstance(error, OSError)
            else None
        )
        if full is not None:  # the one line a user can act on, not errno 28 from deep inside
            raise full from None
        raise
    return StagedFile(digest, ext, Path(temp), len(data), facts, source)
