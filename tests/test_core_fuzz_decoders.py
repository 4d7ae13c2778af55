"""Fuzzing the decoder and the import: mutated JPEG, PNG, WebP and GIF bytes (bit flips,
truncations, overwrites, inserted chunks) give an RGB picture or one BadImage line, nothing else."""

from __future__ import annotations

import struct
import tempfile
import zlib
from pathlib import Path

import hostile_files as hf
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_app.core.dataset import Dataset
from desktop_app.core.errors import BadImage
from desktop_app.core.imaging import load_array, open_image_bytes, probe_bytes
from desktop_app.core.importer import import_paths

SEEDS = {
    "jpg": hf.encoded(hf.picture(1, (24, 16)), "JPEG", quality=90, exif=b"Exif\x00\x00MM\x00*"),
    "png": hf.encoded(hf.picture(2, (24, 16)).convert("P", colors=8), "PNG", transparency=1),
    "webp": hf.encoded(hf.picture(3, (24, 16)), "WEBP", quality=80),
    "gif": hf.encoded(
        hf.picture(4, (24, 16)), "GIF", save_all=True, append_images=[hf.picture(5, (24, 16))]
    ),
}
# No example database: the fuzzer must not write .hypothesis/ into the checkout.
FUZZ = settings(deadline=None, database=None, print_blob=True)
PNG_CHUNKS = [b"zTXt", b"iTXt", b"tEXt", b"eXIf", b"IDAT", b"PLTE", b"tRNS", b"zzZz"]
_ZEROS = zlib.compress(b"\x00" * 4_000_000)  # inflates past Pillow's 1 MB cap on text chunks
INFLATING = {kind: b"k\x00\x00" + _ZEROS for kind in PNG_CHUNKS} | {
    b"iTXt": b"k\x00\x01\x00\x00\x00" + _ZEROS
}


def boundaries(fmt: str, data: bytes) -> list[int]:
    """Offsets where a whole chunk, segment or block may be inserted into the seed file."""
    if fmt == "png":
        offsets, at = [], 8
        while at < len(data):
            offsets.append(at)
            at += 12 + struct.unpack(">I", data[at : at + 4])[0]
        return offsets
    if fmt == "gif":  # after the header and its global colour table
        return [13 + 3 * 2 ** ((data[10] & 7) + 1) if data[10] & 0x80 else 13]
    return [2] if fmt == "jpg" else [12]  # after SOI; after the RIFF header


BOUNDARIES = {fmt: boundaries(fmt, data) for fmt, data in SEEDS.items()}


def inserted_chunk(fmt: str, kind: bytes, body: bytes) -> bytes:
    """A well-formed piece of container for the format (CRC, lengths right), around body."""
    if fmt == "png":
        return hf.chunk(kind, body)
    if fmt == "jpg":
        return b"\xff\xe5" + struct.pack(">H", len(body) + 2) + body  # an APP5 segment
    if fmt == "webp":
        return b"JUNK" + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) % 2)
    return b"\x21\xfe" + bytes([min(len(body), 255)]) + body[:255] + b"\x00"  # a GIF comment


@st.composite
def mutated(draw) -> tuple[str, bytes]:
    """A seed file, perhaps with a chunk inserted where chunks go, then 0-3 byte-level mutations."""
    fmt = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[fmt])
    if draw(st.booleans()):
        at = draw(st.sampled_from(BOUNDARIES[fmt]))
        kind = draw(st.sampled_from(PNG_CHUNKS))
        body = draw(st.one_of(st.just(INFLATING[kind]), st.binary(max_size=128)))
        data[at:at] = inserted_chunk(fmt, kind, body)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["flip", "truncate", "overwrite", "insert"]))
        at = draw(st.integers(0, max(0, len(data) - 1)))
        if action == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif action == "truncate":
            del data[at:]
        elif action == "overwrite":
            data[at : at + 4] = draw(st.binary(min_size=1, max_size=4))
        elif action == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
    return fmt, bytes(data)


def decodes_or_says_why(call, name: str):
    """call()'s result, or None when it raised BadImage with one line naming the file."""
    try:
        return call()
    except BadImage as error:
        message = str(error)
        assert message.startswith(f"{name}: ") and "\n" not in message, message
        return None


@pytest.fixture(scope="module")
def scratch():
    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder)


@settings(FUZZ, max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutated())
def test_mutated_bytes_decode_to_rgb_or_one_bad_image_line(case, scratch):
    fmt, data = case
    name = f"fuzzed.{fmt}"
    image = decodes_or_says_why(lambda: open_image_bytes(data, name), name)
    if image is not None:
        assert image.mode == "RGB" and image.width > 0 and image.height > 0
    facts = decodes_or_says_why(lambda: probe_bytes(data, name), name)
    if facts is not None:
        assert facts.width > 0 and facts.height > 0 and 0 <= facts.phash < 2**64
    path = scratch / name
    path.write_bytes(data)
    array = decodes_or_says_why(lambda: load_array(path, 32), name)
    if array is not None:
        assert array.shape == (32, 32, 3) and array.dtype == np.uint8


@pytest.fixture(scope="module")
def fuzz_dataset(scratch):
    with Dataset.create(scratch / "dataset") as dataset:
        yield dataset


@settings(FUZZ, max_examples=60)
@given(case=mutated())
def test_mutated_files_are_imported_or_skipped_with_one_line(case, scratch, fuzz_dataset):
    fmt, data = case
    path = scratch / "drop" / f"fuzzed.{fmt}"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(data)
    report = import_paths(fuzz_dataset, [path])
    outcomes = len(report.added) + len(report.duplicates) + len(report.skipped)
    assert outcomes == 1, report.summary()
    for skipped, reason in report.skipped:
        assert skipped == str(path) and reason and "\n" not in reason, reason
    for item in report.added:
        assert item.path.exists() and item.width > 0 and item.height > 0
