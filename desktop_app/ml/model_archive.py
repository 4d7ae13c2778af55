"""A `.keras` file is a zip archive. Its central directory is checked before anything is
decompressed: entry count, declared sizes, paths. Only then is config.json read, with a bound."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path, PurePosixPath, PureWindowsPath

from desktop_app.core.errors import StudioError
from desktop_app.ml.model_errors import BadModelFile, UnsafeModel

# A Keras archive holds config.json, metadata.json, model.weights.h5 and perhaps a few assets.
MAX_ENTRIES = 1000
# The largest keras.applications backbone saves to well under 1 GiB.
MAX_TOTAL_BYTES = 2 * 1024**3
# Keras writes entries stored (ratio 1); a big entry declaring more is a decompression bomb.
MAX_RATIO, RATIO_FLOOR_BYTES = 100, 16 * 1024**2
MAX_CONFIG_BYTES = 64 * 1024**2
CONFIG, WEIGHTS = "config.json", "model.weights.h5"
# zipfile's errors for a file that is no zip, a cut one, or one using features it cannot read.
_NOT_A_ZIP = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError)


def read_config(path: Path) -> dict:
    """The archive's config.json as a dict; raises a StudioError saying why there is none to trust."""
    path = Path(path)
    if not path.is_file():
        raise StudioError(f"No model file at {path}.")
    name = path.name
    try:
        with zipfile.ZipFile(path) as archive:
            check_entries(name, archive.infolist())
            with archive.open(CONFIG) as member:
                raw = member.read(MAX_CONFIG_BYTES + 1)
    except _NOT_A_ZIP:
        raise BadModelFile(f"{name} is not a Keras 3 model file (.keras).") from None
    try:
        config = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: JSON nested to blow the stack
        raise BadModelFile(f"{name} is damaged: its {CONFIG} is not valid JSON.") from None
    if not isinstance(config, dict):
        raise BadModelFile(f"{name} is damaged: its {CONFIG} does not describe a model.")
    return config


def check_entries(name: str, infos: list[zipfile.ZipInfo]) -> None:
    """Refuses an archive from its central directory alone: nothing is decompressed here."""
    if len(infos) > MAX_ENTRIES:
        raise UnsafeModel(
            f"{name} holds {len(infos)} files (a model holds a handful); refusing to open it."
        )
    names = [info.filename for info in infos]
    for info in infos:
        if escapes(info.filename):
            raise UnsafeModel(
                f"{name} contains the path {quoted(info.filename)}, outside the archive's folder;"
                " refusing to open it."
            )
        if info.file_size > RATIO_FLOOR_BYTES and info.file_size > MAX_RATIO * info.compress_size:
            raise UnsafeModel(
                f"{name}: {quoted(info.filename)} would expand {info.compress_size} bytes to"
                f" {info.file_size} (a decompression bomb); refusing to open it."
            )
    total = sum(info.file_size for info in infos)
    if total > MAX_TOTAL_BYTES:
        raise UnsafeModel(
            f"{name} declares {total / 1024**3:.1f} GiB uncompressed (a decompression bomb);"
            " refusing to open it."
        )
    if len(set(names)) != len(names):
        raise UnsafeModel(f"{name} names the same file twice; refusing an ambiguous archive.")
    if CONFIG not in names:
        raise BadModelFile(f"{name} is not a Keras 3 model file (.keras): it has no {CONFIG}.")
    if WEIGHTS not in names:
        raise BadModelFile(f"{name} is damaged: it has no weights ({WEIGHTS}).")
    config = next(info for info in infos if info.filename == CONFIG)
    if config.file_size > MAX_CONFIG_BYTES:
        raise UnsafeModel(f"{name}: its {CONFIG} declares {config.file_size} bytes; refusing it.")


def escapes(member: str) -> bool:
    """True for a name that, extracted, would land outside the folder: absolute, `..`, a drive."""
    if "\0" in member:
        return True
    for flavour in (PurePosixPath(member), PureWindowsPath(member)):
        if flavour.is_absolute() or flavour.drive or flavour.root or ".." in flavour.parts:
            return True
    return False


def quoted(text: str, limit: int = 60) -> str:
    """A name from the file, quoted and clipped: it must not stretch or break the one-line message."""
    shown = repr(text)
    half = limit // 2  # both ends: a path's tail says the most
    return shown if len(shown) <= limit else shown[:half] + "..." + shown[-half:]
