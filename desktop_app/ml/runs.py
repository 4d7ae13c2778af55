"""Every training run kept in `.studio/runs/<id>/`: model.keras plus the run.json sidecar."""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from desktop_app.core.errors import StudioError

MODEL_FILE = "model.keras"
SIDECAR = "run.json"


@dataclass
class RunRecord:
    id: str
    dir: Path
    model_path: Path
    status: str  # "complete" | "stopped"
    created: str  # ISO 8601, UTC
    settings: dict
    backbone: str
    input_size: int
    classes: list[str]
    device: str
    metrics: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)
    dataset_fingerprint: str = ""
    versions: dict = field(default_factory=dict)
    duration_s: float | None = None
    architecture: list = field(default_factory=list)  # ml/architecture.py rows; [] in older runs
    runtime: str = ""  # what ran the backbone: "CPU · XNNPACK", "GPU · Keras"; "" in older runs

    def to_json(self) -> dict:
        data = asdict(self)
        data["dir"] = str(self.dir)
        data["model_path"] = str(self.model_path)
        return data


def runs_dir(dataset) -> Path:
    return Path(dataset.studio_dir) / "runs"


def new_run_dir(dataset) -> tuple[str, Path]:
    """A fresh folder whose name sorts by time: 20261128-024512-1a2b."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    run_id = f"{stamp}-{uuid.uuid4().hex[:4]}"
    path = runs_dir(dataset) / run_id
    # .studio/ may be new (a folder made by hand), the dataset folder never: one pulled away while
    # a training ran must not be made again, empty, where the drive was.
    path.parent.parent.mkdir(exist_ok=True)
    path.parent.mkdir(exist_ok=True)
    path.mkdir()
    return run_id, path


def now_iso() -> str:
    # Milliseconds: two fast-mode runs on cached features can end within one second, and the
    # newer must sort first (list_runs, current_run).
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def write_json_atomic(path: Path, data: dict) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".json.tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=1, allow_nan=False, default=_nan_safe)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _nan_safe(value):
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def save_record(record: RunRecord) -> None:
    write_json_atomic(record.dir / SIDECAR, _finite(record.to_json()))


def _finite(value):
    """NaN/inf (a loss that never got a value) becomes null so run.json stays valid JSON."""
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    return value


def load_run(run_dir) -> RunRecord:
    run_dir = Path(run_dir)
    try:
        data = json.loads((run_dir / SIDECAR).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise StudioError(f"Cannot read the run in {run_dir}: {error}") from None
    fields = set(RunRecord.__dataclass_fields__)
    data = {k: v for k, v in data.items() if k in fields}
    data["dir"] = run_dir
    data["model_path"] = run_dir / Path(data.get("model_path") or MODEL_FILE).name
    return RunRecord(**data)


def list_runs(dataset) -> list[RunRecord]:
    """Newest first; folders without a readable run.json (a crash mid-run) are skipped."""
    root = runs_dir(dataset)
    if not root.is_dir():
        return []
    records = []
    for run_dir in sorted(root.iterdir(), reverse=True):
        if (run_dir / SIDECAR).is_file():
            try:
                records.append(load_run(run_dir))
            except StudioError:
                continue
    records.sort(key=lambda r: (r.created, r.id), reverse=True)
    return records


def current_run(dataset) -> RunRecord | None:
    """The dataset's current model: the newest complete or stopped run whose model exists."""
    for record in list_runs(dataset):
        if record.status in ("complete", "stopped") and record.model_path.is_file():
            return record
    return None


def model_path_for(path) -> Path:
    """A `.keras` file as given, or a dataset folder meaning "that dataset's current model"."""
    from desktop_app.core.dataset import Dataset

    path = Path(path)
    if path.is_dir() and Dataset.is_dataset(path):
        with Dataset.open(path, readonly=True) as dataset:
            record = current_run(dataset)
        if record is None:
            raise StudioError(f"{path} has no trained model yet: run `hotdog-studio train {path}`.")
        return record.model_path
    if not path.is_file():
        raise StudioError(f"No model at {path} (expected a .keras file or a dataset folder).")
    return path
