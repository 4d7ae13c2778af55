"""Write a small Motion-JPEG .avi with Pillow alone, for self-test's Live pipeline check.

The bundle carries no video encoder of its own (Qt's FFmpeg libraries decode; imageio-ffmpeg is
a dev tool), so self-test makes its clip the plain way: JPEG frames in an AVI 1.0 container, which
every FFmpeg build plays.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

AVIF_HASINDEX = 0x10
AVIIF_KEYFRAME = 0x10


def _chunk(fourcc: bytes, data: bytes) -> bytes:
    pad = b"\0" if len(data) % 2 else b""
    return fourcc + struct.pack("<I", len(data)) + data + pad


def _list(kind: bytes, body: bytes) -> bytes:
    return b"LIST" + struct.pack("<I", len(body) + 4) + kind + body


def write_mjpeg_avi(path: str | Path, frames: Sequence[Image.Image], fps: int = 10) -> Path:
    """Frames (all one size) to path as MJPEG AVI at fps frames a second; returns the path."""
    if not frames:
        raise ValueError("a video needs at least one frame")
    width, height = frames[0].size
    jpegs = []
    for frame in frames:
        buffer = io.BytesIO()
        frame.convert("RGB").save(buffer, "JPEG", quality=90)
        jpegs.append(buffer.getvalue())
    biggest = max(len(j) for j in jpegs)
    avih = struct.pack(
        "<10I4I",
        1_000_000 // fps, biggest * fps, 0, AVIF_HASINDEX, len(jpegs), 0, 1, biggest,
        width, height, 0, 0, 0, 0,
    )  # fmt: skip
    strh = struct.pack(
        "<4s4sI2H8I4h",
        b"vids", b"MJPG", 0, 0, 0, 0, 1, fps, 0, len(jpegs), biggest, 0xFFFFFFFF, 0,
        0, 0, width, height,
    )  # fmt: skip
    strf = struct.pack(
        "<IiiHH4sIiiII", 40, width, height, 1, 24, b"MJPG", width * height * 3, 0, 0, 0, 0
    )
    header = _list(
        b"hdrl",
        _chunk(b"avih", avih) + _list(b"strl", _chunk(b"strh", strh) + _chunk(b"strf", strf)),
    )
    movi_body, index, offset = b"", b"", 4  # idx1 offsets count from the 'movi' fourcc
    for jpeg in jpegs:
        chunk = _chunk(b"00dc", jpeg)
        index += struct.pack("<4sIII", b"00dc", AVIIF_KEYFRAME, offset, len(jpeg))
        movi_body += chunk
        offset += len(chunk)
    body = b"AVI " + header + _list(b"movi", movi_body) + _chunk(b"idx1", index)
    path = Path(path)
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path
