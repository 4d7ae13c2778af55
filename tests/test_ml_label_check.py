"""Finding mislabeled photos: each labeled photo judged by a head that never saw it."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from ml_synthetic import draw, fill
from ml_tiny import register_tiny
from test_cli_train import cli

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG
from desktop_app.core.errors import Cancelled, StudioError
from desktop_app.core.progress import CancelToken
from desktop_app.ml.label_check import check_labels
from desktop_app.ml.training import TrainSettings, train


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return register_tiny(home)


def plant_wrong_labels(dataset, tmp_path, count: int) -> set[str]:
    """Drawn hot dogs filed under not hot dog: the mistakes a fast labeler makes."""
    rng = random.Random("planted")
    hashes = set()
    for index in range(count):
        path = tmp_path / f"wrong-{index}.png"
        draw(HOT_DOG, rng).save(path)
        hashes.add(dataset.add_file(path, NOT_HOT_DOG).item.hash)
    return hashes


def test_planted_wrong_labels_are_the_top_suspects(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=30)
    planted = plant_wrong_labels(dataset, tmp_path, 3)
    events = []
    result = check_labels(dataset, tiny, progress=events.append)

    assert result.checked == 63 and result.skipped == 0
    top = {s.hash for s in result.suspects[:3]}
    assert top == planted
    assert all(s.label == NOT_HOT_DOG and s.predicted == HOT_DOG for s in result.suspects[:3])
    assert len(result.suspects) <= 5  # a few honest doubts at most, not a flood
    confidences = [s.confidence for s in result.suspects]
    assert confidences == sorted(confidences, reverse=True) and confidences[0] > 0.5
    assert [e.done for e in events if e.phase == "checking"] == [0, 1, 2, 3, 4, 5]
    assert json.loads(json.dumps(result.to_dict()))["suspects"][0]["hash"] in planted
    # Nothing was changed: the check only reads.
    assert dataset.counts()[NOT_HOT_DOG] == 33


def test_features_embedded_by_training_are_reused(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=12)
    train(dataset, TrainSettings(backbone=tiny, epochs=2, batch_size=16))
    events = []
    check_labels(dataset, tiny, progress=events.append)
    assert not [e for e in events if e.phase == "embedding"]


def test_too_few_labels_and_a_scratch_network_are_clear_errors(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=4)
    with pytest.raises(StudioError, match="at least 5 photos of each class"):
        check_labels(dataset, tiny)
    with pytest.raises(StudioError, match="no pretrained features"):
        check_labels(dataset, "small_cnn")


def test_cancel_ends_the_check(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=10)
    cancel = CancelToken()

    def cancel_at_the_second_fold(event):
        if event.phase == "checking" and event.done == 1:
            cancel.cancel()

    with pytest.raises(Cancelled):
        check_labels(dataset, tiny, progress=cancel_at_the_second_fold, cancel=cancel)

    last = CancelToken()

    def cancel_during_the_last_fold(event):
        if event.phase == "checking" and event.done == 4:
            last.cancel()  # the fit stops early; its half-made verdicts must not come back

    with pytest.raises(Cancelled):
        check_labels(dataset, tiny, progress=cancel_during_the_last_fold, cancel=last)


def test_the_command_line_lists_suspects_and_refuses_too_few_labels(dataset, tmp_path):
    fill(dataset, tmp_path, per_class=3)
    result = cli("check-labels", dataset.root)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "error: Label at least 5 photos of each class to check labels (too few: hot_dog, not_hot_dog)."
    ]


WEIGHTS = Path(__file__).resolve().parent.parent.parent / "shared" / "weights"


@pytest.mark.skipif(not WEIGHTS.is_dir(), reason="../shared/weights is absent")
def test_the_command_line_finds_a_misfiled_photo_with_the_default_backbone(dataset, tmp_path):
    from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec

    models = tmp_path / "keras_home" / "models"
    models.mkdir(parents=True)
    weights = get_spec(DEFAULT_BACKBONE).weights_file
    (models / weights).symlink_to(WEIGHTS / weights)
    fill(dataset, tmp_path, per_class=20)
    slip = plant_wrong_labels(dataset, tmp_path, 1)
    result = cli("check-labels", dataset.root, "--json", env_extra=str(tmp_path / "keras_home"))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["checked"] == 41 and report["backbone"] == DEFAULT_BACKBONE
    assert {report["suspects"][0]["hash"]} == slip
    assert report["suspects"][0]["label"] == NOT_HOT_DOG


def test_a_fold_left_empty_by_a_small_set_is_skipped(dataset, tmp_path, tiny):
    from desktop_app.ml.label_check import _folds

    fill(dataset, tmp_path, per_class=5)
    items = [it for name in dataset.classes for it in dataset.items(name)]
    assert len(set(_folds(items, 5))) < 5  # ten photos by hash: some fold gets none
    result = check_labels(dataset, tiny)
    assert result.checked == 10
