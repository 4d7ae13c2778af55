"""The moving map of fine-tune mode (ml/map_history.py), on the tiny backbone really fine-tuned: a
fixed sample on one plane fixed at epoch 0, the points moving with the backbone, the boundary the
real head's, and nothing recorded in fast mode."""

from __future__ import annotations

import random

import numpy as np
import pytest
from ml_synthetic import fill
from ml_tiny import register_tiny

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG
from desktop_app.core.imaging import load_array
from desktop_app.ml.feature_map import feature_map, lift
from desktop_app.ml.map_features import feature_part, load_model
from desktop_app.ml.map_history import HISTORY_FILE, load_map_history, sample_items
from desktop_app.ml.metrics import score_index
from desktop_app.ml.runtime import keras_module
from desktop_app.ml.training import TrainSettings, train

FINETUNE = TrainSettings(mode="finetune", epochs=3, batch_size=16, learning_rate=1e-2)


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return register_tiny(home)


def _labeled(dataset) -> dict[str, str]:
    return {it.hash: it.label for name in dataset.classes for it in dataset.items(name)}


def _fine_tuned(dataset, tiny, monkeypatch):
    """A fine-tune run whose tuned backbone is kept (never undone for a head-alone loss that the
    tiny set happens to tie), so the saved model is one of the recorded epochs."""
    from desktop_app.ml import training

    monkeypatch.setattr(training, "_plain_val_loss", lambda *_args: None)
    settings = TrainSettings(**{**FINETUNE.__dict__, "backbone": tiny})
    record = train(dataset, settings)
    assert record.metrics["finetune_improved"] is True
    return record


def test_fine_tuning_records_its_photos_moving_on_one_fixed_plane(
    dataset, tmp_path, tiny, monkeypatch
):
    fill(dataset, tmp_path, per_class=12)
    record = _fine_tuned(dataset, tiny, monkeypatch)
    history = load_map_history(record.dir)
    assert history is not None

    # Epoch 0 (the warmed-up head, before fine-tuning) and one record per fine-tune epoch.
    warmup = history.epoch_offset
    assert warmup == 3  # min(epochs, WARMUP_EPOCHS) epochs of the head alone came first
    assert [e.epoch for e in history.epochs] == list(range(len(record.curves["loss"]) - warmup + 1))
    assert len(history.epochs) == 1 + 3
    assert len(history.seconds) == len(history.epochs)

    # The same sample every epoch: here every labeled photo (24 < SAMPLE_SIZE), both classes.
    labeled = _labeled(dataset)
    assert sorted(history.hashes) == sorted(labeled)
    assert history.labels == [labeled[h] for h in history.hashes]
    n = len(history.hashes)
    assert all(e.points.shape == (n, 2) and e.scores.shape == (n,) for e in history.epochs)
    np.testing.assert_allclose(history.components @ history.components.T, np.eye(2), atol=1e-5)

    # The backbone's top trained: the photos moved on the fixed plane.
    first, last = history.epochs[0].points, history.epochs[-1].points
    assert np.abs(last - first).max() > 0.05 * np.ptp(first, axis=0).max()

    # Each epoch >= 1 is the backbone of that epoch: the saved model (the last epoch, or the best
    # one early stopping put back) is one of them, its features and its head's boundary.
    model = load_model(record)
    size = record.input_size
    pixels = np.stack([load_array(dataset.get(h).path, size) for h in history.hashes])
    saved = history.project(
        keras_module().ops.convert_to_numpy(feature_part(model)(pixels.astype("float32")))
    )
    spread = np.ptp(first, axis=0).max()
    matching = [
        e for e in history.epochs[1:] if np.abs(e.points - saved).max() < 1e-4 * max(spread, 1)
    ]
    assert matching, "no recorded epoch is the saved model's backbone"
    kept = matching[0]
    head = model.get_layer("head")
    steps = len(kept.grid_u)
    uu, vv = np.meshgrid(kept.grid_u, kept.grid_v)
    plane = lift(np.stack([uu.ravel(), vv.ravel()], 1), history.mean, history.components)
    column = score_index(record.classes)
    direct = keras_module().ops.convert_to_numpy(head(plane, training=False))[:, column]
    np.testing.assert_allclose(kept.boundary, direct.reshape(steps, steps), atol=2e-3)
    scores = keras_module().ops.convert_to_numpy(model(pixels.astype("float32")))[:, column]
    np.testing.assert_allclose(kept.scores, scores, atol=1e-4)


def test_epoch_zero_is_the_static_map_of_the_cached_features_and_fast_mode_records_none(
    dataset, tmp_path, tiny, monkeypatch
):
    fill(dataset, tmp_path, per_class=10)
    tuned = _fine_tuned(dataset, tiny, monkeypatch)
    history = load_map_history(tuned.dir)
    # A fast-mode run on the same photos: its (static) map is PCA of the same cached features.
    fast = train(dataset, TrainSettings(backbone=tiny, epochs=2, batch_size=16))
    assert load_map_history(fast.dir) is None and not (fast.dir / HISTORY_FILE).exists()
    static = feature_map(dataset, fast)
    assert static.features == "cache"
    where = {h: i for i, h in enumerate(static.hashes)}
    rows = [where[h] for h in history.hashes]
    np.testing.assert_allclose(history.epochs[0].points, static.points[rows], atol=1e-4)
    np.testing.assert_allclose(history.mean, static.mean, atol=1e-4)
    np.testing.assert_allclose(history.components @ static.components.T, np.eye(2), atol=1e-4)


def test_the_sample_is_chosen_by_hash_from_both_classes(dataset, tmp_path):
    fill(dataset, tmp_path, per_class=20)
    items = dataset.items(HOT_DOG)[:20] + dataset.items(NOT_HOT_DOG)[:3]
    chosen = sample_items(items, size=10, seed=0)
    assert len(chosen) == 10
    assert sum(it.label == NOT_HOT_DOG for it in chosen) == 3  # all of the short class, then fill
    shuffled = items[:]
    random.Random(1).shuffle(shuffled)
    assert [it.hash for it in sample_items(shuffled, size=10, seed=0)] == [it.hash for it in chosen]
    even = sample_items(dataset.items(HOT_DOG) + dataset.items(NOT_HOT_DOG), size=10)
    assert sum(it.label == HOT_DOG for it in even) == 5
    other = sample_items(dataset.items(HOT_DOG) + dataset.items(NOT_HOT_DOG), size=10, seed=1)
    assert {it.hash for it in other} != {it.hash for it in even}


def test_a_damaged_or_inconsistent_file_loads_as_none(dataset, tmp_path, tiny, monkeypatch):
    fill(dataset, tmp_path, per_class=6)
    record = train(dataset, TrainSettings(**{**FINETUNE.__dict__, "backbone": tiny, "epochs": 1}))
    path = record.dir / HISTORY_FILE
    assert load_map_history(record.dir) is not None
    with np.load(path) as data:
        arrays = {key: data[key] for key in data.files}
    np.savez(path, **{**arrays, "points": arrays["points"][:, :-1]})  # one photo short
    assert load_map_history(record.dir) is None
    path.write_bytes(b"not a zip")
    assert load_map_history(record.dir) is None


def test_the_frozen_bottom_is_cut_where_no_skip_connection_crosses(tiny):
    """Each epoch runs only the trainable top on activations kept from the frozen bottom: the cut
    must be a single tensor every path goes through, and the top must share the backbone's layers."""
    from desktop_app.ml.backbones import get_spec
    from desktop_app.ml.map_history import sample_forward, split_backbone
    from desktop_app.ml.model import feature_extractor

    keras = keras_module()
    layers = keras.layers
    inputs = keras.Input((16, 16, 3))
    c1 = layers.Conv2D(4, 3, padding="same", name="c1")(inputs)
    c2 = layers.Conv2D(4, 3, padding="same", name="c2")(c1)
    c3 = layers.Conv2D(4, 3, padding="same", name="c3")(c2)  # the first trainable layer
    out = layers.GlobalAveragePooling2D()(layers.Add(name="skip")([c3, c1]))
    backbone = keras.Model(inputs, out)
    for layer in backbone.layers:
        layer.trainable = layer.name == "c3"
    spec = get_spec(tiny)  # its preprocessing: x / 127.5 - 1

    bottom, top = split_backbone(spec, backbone, 16)
    assert top.inputs[0].shape[1:] == (16, 16, 4)
    assert "c2" in [layer.name for layer in top.layers]  # c2's output is not a cut: c1 skips it
    pixels = np.random.default_rng(0).integers(0, 256, (5, 16, 16, 3)).astype(np.uint8)
    whole = feature_extractor(spec, backbone, 16)
    forward = sample_forward(spec, backbone, 16, pixels)
    np.testing.assert_allclose(forward(), whole.predict_on_batch(pixels), atol=1e-5)
    c3_layer = backbone.get_layer("c3")
    c3_layer.kernel.assign(c3_layer.kernel.numpy() * 3.0)  # as a training step would
    np.testing.assert_allclose(forward(), whole.predict_on_batch(pixels), atol=1e-5)


@pytest.mark.caught_bugs_expected
def test_a_recording_that_fails_costs_the_map_not_the_training(
    dataset, tmp_path, tiny, monkeypatch
):
    from desktop_app.ml import feature_map as feature_map_module

    fill(dataset, tmp_path, per_class=6)
    real, calls = feature_map_module.boundary_grid, []

    def broken_after_epoch_zero(*args, **kwargs):
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("a bug in the picture")
        return real(*args, **kwargs)

    monkeypatch.setattr(feature_map_module, "boundary_grid", broken_after_epoch_zero)
    record = train(dataset, TrainSettings(**{**FINETUNE.__dict__, "backbone": tiny}))
    assert record.status == "complete" and len(record.curves["loss"]) == 3 + 3
    history = load_map_history(record.dir)
    assert [e.epoch for e in history.epochs] == [0]  # recorded until it failed, then no more
    assert len(calls) == 2
