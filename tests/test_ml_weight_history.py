"""Weights that move: real tiny trainings record the head's Dense layers epoch by epoch."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ml_synthetic import fill
from ml_tiny import register_tiny

from desktop_app.ml.training import TrainSettings, train
from desktop_app.ml.weight_history import BINS, HISTORY_FILE, load_weight_history


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return register_tiny(home)


def _kernel_mean(histogram, bins) -> float:
    """The mean the histogram shows (bin centres weighted by counts)."""
    edges = bins.edges("kernel")
    centres = (edges[:-1] + edges[1:]) / 2
    return float(np.dot(centres, histogram.counts) / max(1, sum(histogram.counts)))


def test_fast_mode_records_every_epoch_from_the_initialisation(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=20)
    events = []
    record = train(
        dataset,
        TrainSettings(backbone=tiny, epochs=6, batch_size=16, learning_rate=3e-3, patience=50),
        progress=events.append,
    )
    history = load_weight_history(record.dir)
    assert history is not None and history.warm_start is False
    trained = len(record.curves["loss"])
    assert [e.epoch for e in history.epochs] == list(range(trained + 1))
    assert [(b.name, b.kernel_shape) for b in history.bins] == [
        (history.bins[0].name, (32, 128)),
        ("probabilities", (128, 2)),
    ]

    start, end = history.epochs[0], history.epochs[-1]
    for bins, layer in zip(history.bins, start.layers, strict=True):
        size = int(np.prod(bins.kernel_shape))
        assert sum(layer.kernel.counts) == size and layer.kernel.below == layer.kernel.above == 0
        # Random and near zero: centred, and well inside the bins (which span 3× the start).
        assert abs(layer.kernel.mean) < 0.05 * bins.kernel_limit
        assert abs(_kernel_mean(layer.kernel, bins)) < 0.05 * bins.kernel_limit
        assert layer.kernel.std > 0
        # Biases start at exactly zero: all of them in the middle bin.
        assert layer.bias.counts[BINS // 2] == sum(layer.bias.counts) > 0 and layer.bias.std == 0
        assert layer.update is None and layer.relative_update is None

    for epoch in history.epochs[1:]:
        assert all(row.update > 0 and 0 < row.relative_update < 10 for row in epoch.layers)
    assert any(
        a.kernel.counts != b.kernel.counts for a, b in zip(start.layers, end.layers, strict=True)
    )
    assert any(b.bias.std > 0 for b in end.layers)
    assert end.last_kernel.shape == (128, 2)
    assert not np.allclose(end.last_kernel, start.last_kernel)

    # Live: the epoch events carry the same records, epoch 0 with the first of them.
    epoch_events = [e for e in events if e.kind == "epoch"]
    assert [w.epoch for w in epoch_events[0].weights] == [0, 1]
    assert all(len(e.weights) == 1 for e in epoch_events[1:])
    live = [w for e in epoch_events for w in e.weights]
    assert [w.epoch for w in live] == [w.epoch for w in history.epochs]
    for sent, stored in zip(live, history.epochs, strict=True):
        assert [r.kernel.counts for r in sent.layers] == [r.kernel.counts for r in stored.layers]
        np.testing.assert_allclose(sent.last_kernel, stored.last_kernel, rtol=1e-4, atol=1e-7)

    # The heatmap's weights are the model's: the saved head's last kernel is one of the epochs'.
    from desktop_app.ml.runtime import keras_module

    model = keras_module().saving.load_model(record.model_path, compile=False)
    saved = model.get_layer("head").get_layer("probabilities").kernel.numpy()
    assert any(np.allclose(saved, e.last_kernel, rtol=1e-3, atol=1e-6) for e in history.epochs)


def test_finetune_numbers_its_epochs_after_the_warm_up(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=12)
    record = train(dataset, TrainSettings(backbone=tiny, mode="finetune", epochs=2, batch_size=16))
    history = load_weight_history(record.dir)
    assert [e.epoch for e in history.epochs] == list(range(len(record.curves["loss"]) + 1))
    assert len(history.epochs) == 2 + 2 + 1
    assert all(row.update > 0 for e in history.epochs[1:] for row in e.layers)


def test_small_cnn_records_its_one_dense_layer(dataset, tmp_path):
    fill(dataset, tmp_path, per_class=8)
    record = train(dataset, TrainSettings(backbone="small_cnn", input_size=48, epochs=2))
    history = load_weight_history(record.dir)
    assert [(b.name, b.kernel_shape) for b in history.bins] == [("probabilities", (128, 2))]
    assert [e.epoch for e in history.epochs] == [0, 1, 2]


def test_runs_without_a_history_load_as_none(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=6)
    record = train(dataset, TrainSettings(backbone=tiny, epochs=1, batch_size=16))
    stored = json.loads((record.dir / HISTORY_FILE).read_text())
    assert stored["format"] == 1 and len(stored["epochs"]) == 2

    (record.dir / HISTORY_FILE).write_text("{not json")
    assert load_weight_history(record.dir) is None
    (record.dir / HISTORY_FILE).unlink()  # as a run made before the history existed
    assert load_weight_history(record.dir) is None
