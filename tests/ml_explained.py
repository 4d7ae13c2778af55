"""A fast-mode model trained on drawn photos with the tiny backbone, for the explain and one-step
tests: real Keras training, a real run folder with run.json, and the dataset's feature cache."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

from ml_synthetic import fill
from ml_tiny import register_tiny

from desktop_app.core.dataset import Dataset


@contextmanager
def keras_home(home: Path):
    """KERAS_HOME for a module-scoped fixture (monkeypatch is per test)."""
    before = os.environ.get("KERAS_HOME")
    os.environ["KERAS_HOME"] = str(home)
    try:
        yield register_tiny(home)
    finally:
        if before is None:
            os.environ.pop("KERAS_HOME", None)
        else:
            os.environ["KERAS_HOME"] = before


def train_fast(root: Path, backbone: str, per_class: int = 12):
    """(dataset root, run record) of a fast-mode training on per_class drawn photos a class."""
    from desktop_app.ml.training import TrainSettings, train

    with Dataset.create(root / "dataset") as dataset:
        fill(dataset, root, per_class=per_class)
        settings = TrainSettings(backbone=backbone, epochs=15, batch_size=16, learning_rate=3e-3)
        record = train(dataset, settings)
    assert record.status == "complete"
    return root / "dataset", record
