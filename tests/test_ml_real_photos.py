"""The default backbone on real photos (../shared): the accuracy a user would get. Slow; skipped
with a reason where ../shared is absent."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from desktop_app.core.dataset import Dataset
from desktop_app.core.importer import import_paths
from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
from desktop_app.ml.predict import Predictor
from desktop_app.ml.training import TrainSettings, train

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
PHOTOS = SHARED / "data" / "hotdog"
WEIGHTS = SHARED / "weights"

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (PHOTOS / "manifest.json").is_file() or not WEIGHTS.is_dir(),
        reason="../shared/data/hotdog or ../shared/weights is absent",
    ),
]


def test_default_backbone_on_real_photos(tmp_path, monkeypatch):
    spec = get_spec(DEFAULT_BACKBONE)
    models = tmp_path / "keras_home" / "models"
    models.mkdir(parents=True)
    (models / spec.weights_file).symlink_to(WEIGHTS / spec.weights_file)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))

    # A held-out fifth chosen by file hash, never imported; the rest trains the model.
    manifest = json.loads((PHOTOS / "manifest.json").read_text())
    held_out, training = [], []
    for entry in manifest:
        digest = int(hashlib.sha256((PHOTOS / entry["file"]).read_bytes()).hexdigest()[:8], 16)
        if digest % 5 == 0:
            held_out.append(entry)
        else:
            training.append(entry)
    with Dataset.create(tmp_path / "dataset") as dataset:
        for label in ("hot_dog", "not_hot_dog"):
            files = [PHOTOS / e["file"] for e in training if e["label"] == label]
            import_paths(dataset, files, label)
        record = train(dataset, TrainSettings(allow_download=False))
    assert record.status == "complete"

    predictor = Predictor(record.model_path)
    answers = list(predictor.predict_paths([PHOTOS / e["file"] for e in held_out]))
    right = sum(a["label"] == e["label"] for a, e in zip(answers, held_out, strict=True))
    assert right / len(held_out) >= 0.97, f"{right}/{len(held_out)} right on held-out photos"
