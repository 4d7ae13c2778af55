"""ImageNet weights, found the way Keras finds them: `$KERAS_HOME/models/<official file name>`.

Present: used offline (the path is passed to Keras, so it never tries the network). Absent: fetched
from the official address (or `HOTDOG_WEIGHTS_URL`, a base address standing in for it) with progress
events, written atomically. Neither: `WeightsMissing`, naming the file and the folder.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from desktop_app.core.errors import StudioError
from desktop_app.core.progress import EtaClock, Progress, ProgressCallback, emit
from desktop_app.ml.backbones import BackboneSpec

CHUNK = 1 << 16


class WeightsMissing(StudioError):
    """The backbone's pretrained weights are neither on disk nor downloadable."""


def keras_home() -> Path:
    """Keras' own rule: $KERAS_HOME, else ~/.keras."""
    home = os.environ.get("KERAS_HOME")
    return Path(home) if home else Path.home() / ".keras"


def weights_dir() -> Path:
    return keras_home() / "models"


def download_url(spec: BackboneSpec, base_url: str | None = None) -> str:
    base = base_url or os.environ.get("HOTDOG_WEIGHTS_URL")
    if base:
        return base.rstrip("/") + "/" + spec.weights_file
    return spec.weights_url


def resolve_weights(
    spec: BackboneSpec,
    *,
    allow_download: bool = True,
    base_url: str | None = None,
    progress: ProgressCallback | None = None,
    timeout_s: float = 20.0,
) -> Path | None:
    """The local weights file for `spec` (None for a backbone trained from scratch)."""
    if not spec.pretrained:
        return None
    target = weights_dir() / spec.weights_file
    if target.is_file():
        return target
    missing = (
        f"The weights file {spec.weights_file} is not in {target.parent}"
        " and could not be downloaded{why}; put it there, or choose the 'small_cnn' backbone."
    )
    if not allow_download:
        raise WeightsMissing(missing.format(why=" (downloads are off)"))
    try:
        _download(download_url(spec, base_url), target, progress, timeout_s)
    except urllib.error.HTTPError as error:
        raise WeightsMissing(missing.format(why=f" (HTTP {error.code} {error.reason})")) from None
    except (OSError, urllib.error.URLError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        raise WeightsMissing(missing.format(why=f" ({reason})")) from None
    return target


def _download(url: str, target: Path, progress: ProgressCallback | None, timeout_s: float) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".part")
    clock = EtaClock()
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response, open(partial, "wb") as out:
            total = int(response.headers.get("Content-Length") or 0) or None
            done = 0
            while chunk := response.read(CHUNK):
                out.write(chunk)
                done += len(chunk)
                emit(
                    progress,
                    Progress(
                        "downloading weights",
                        done,
                        total,
                        message=target.name,
                        eta_s=clock.eta(done, total),
                    ),
                )
            if total is not None and done != total:
                raise OSError(f"download ended after {done} of {total} bytes")
        os.replace(partial, target)  # never leave a half file under the real name
    finally:
        partial.unlink(missing_ok=True)
