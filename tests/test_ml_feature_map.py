"""Your photos on a map: PCA of real cached features and the real head's boundary on that plane."""

from __future__ import annotations

import numpy as np
import pytest
from ml_synthetic import fill, write_images
from ml_tiny import register_tiny

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED
from desktop_app.core.errors import StudioError
from desktop_app.ml.feature_map import feature_map
from desktop_app.ml.label_check import LabelCheck, Suspect
from desktop_app.ml.label_check_record import save_check
from desktop_app.ml.map_features import load_model
from desktop_app.ml.predict import Predictor
from desktop_app.ml.runtime import keras_module
from desktop_app.ml.training import TrainSettings, train


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return register_tiny(home)


def _labeled(dataset) -> dict[str, str]:
    return {it.hash: it.label for name in dataset.classes for it in dataset.items(name)}


def _predicted(record, hashes, dataset) -> np.ndarray:
    paths = [dataset.get(h).path for h in hashes]
    return np.array([a["score"] for a in Predictor(record.model_path).predict_paths(paths)])


def test_every_labeled_photo_is_on_the_map_under_the_real_head(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=15)
    record = train(dataset, TrainSettings(backbone=tiny, epochs=20, batch_size=16))
    # Labeled since the training (not in the feature cache yet), and two in the inbox.
    fill(dataset, tmp_path, per_class=2, seed=3)
    for path in write_images(tmp_path / "inbox", HOT_DOG, 2, seed=4):
        dataset.add_file(path, UNLABELED)
    # Check labels doubted two photos; one of them has been relabeled since.
    doubted, fixed = dataset.items(HOT_DOG)[0], dataset.items(NOT_HOT_DOG)[0]
    suspects = [Suspect(it.hash, it.path, it.label, "other", 0.9) for it in (doubted, fixed)]
    save_check(dataset, LabelCheck(checked=30, suspects=suspects, backbone=tiny))
    dataset.set_label([fixed.hash], HOT_DOG)

    found = feature_map(dataset)
    labeled = _labeled(dataset)
    assert found.features == "cache" and found.run_id == record.id
    assert sorted(found.hashes) == sorted(labeled)
    assert found.labels == [labeled[h] for h in found.hashes]
    assert found.points.shape == (len(labeled), 2)
    assert [h for h, s in zip(found.hashes, found.suspect, strict=True) if s] == [doubted.hash]
    np.testing.assert_allclose(found.components @ found.components.T, np.eye(2), atol=1e-5)
    assert found.explained[0] >= found.explained[1] > 0

    # Each dot's score is the head on its own features: what the saved model predicts.
    np.testing.assert_allclose(found.scores, _predicted(record, found.hashes, dataset), atol=0.02)

    # The grid's values are the head's real outputs on the plane mean + u·pc1 + v·pc2.
    head = load_model(record).get_layer("head")
    steps = len(found.grid_u)
    assert found.boundary.shape == (steps, steps)
    for i, j in [(0, 0), (steps - 1, steps - 1), (steps // 2, steps // 3), (5, steps - 2)]:
        plane = found.mean + np.array([found.grid_u[j], found.grid_v[i]]) @ found.components
        direct = keras_module().ops.convert_to_numpy(head(plane[None], training=False))[0, 0]
        assert found.boundary[i, j] == pytest.approx(float(direct), abs=1e-5)
    assert found.boundary.min() < 0.5 < found.boundary.max()  # the 0.5 contour crosses the map

    with_inbox = feature_map(dataset, unlabeled=True)
    inbox = {it.hash for it in dataset.items(UNLABELED)}
    assert set(with_inbox.hashes) == set(labeled) | inbox
    assert {
        lab for h, lab in zip(with_inbox.hashes, with_inbox.labels, strict=True) if h in inbox
    } == {UNLABELED}


def test_a_model_trained_end_to_end_maps_with_its_own_backbone(dataset, tmp_path):
    fill(dataset, tmp_path, per_class=8)
    record = train(dataset, TrainSettings(backbone="small_cnn", input_size=48, epochs=2))
    found = feature_map(dataset, record)
    assert found.features == "model"
    assert sorted(found.hashes) == sorted(_labeled(dataset))
    assert found.mean.shape == (128,)  # the small CNN's pooled features
    np.testing.assert_allclose(found.scores, _predicted(record, found.hashes, dataset), atol=1e-4)


def test_no_model_yet_is_one_clear_line(dataset, tmp_path):
    fill(dataset, tmp_path, per_class=3)
    with pytest.raises(StudioError, match="Train a model first"):
        feature_map(dataset)
