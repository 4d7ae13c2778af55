"""Training on images the tests draw themselves: tiny models, real Keras, real files and datasets."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ml_synthetic import fill
from ml_tiny import register_tiny

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG
from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken
from desktop_app.ml.callbacks import FeatureValidation
from desktop_app.ml.predict import Predictor
from desktop_app.ml.runs import current_run, list_runs, load_run
from desktop_app.ml.training import TrainSettings, train


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return register_tiny(home)


def test_small_cnn_from_scratch_learns_the_synthetic_set(dataset, tmp_path):
    fill(dataset, tmp_path, per_class=40)
    events = []
    record = train(
        dataset,
        TrainSettings(backbone="small_cnn", input_size=48, epochs=25, batch_size=16),
        progress=events.append,
    )
    assert record.status == "complete"
    assert record.metrics["val_accuracy"] >= 0.95
    assert record.metrics["val_count"] >= 10
    assert record.device  # e.g. "CPU (no GPU found)"
    # The events the Train view draws: batches and epochs with their logs, and named phases.
    batches = [e for e in events if e.kind == "batch"]
    epochs = [e for e in events if e.kind == "epoch"]
    assert batches and epochs
    assert {"loss", "accuracy", "epoch", "batch"} <= set(batches[0].logs)
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(epochs[-1].logs)
    assert [e.done for e in epochs] == list(range(1, len(epochs) + 1))
    assert {"loading backbone", "decoding", "fitting", "evaluating", "saving"} <= {
        e.phase for e in events
    }
    assert len(record.curves["val_loss"]) == len(epochs)


def test_fast_mode_saves_a_run_and_reuses_features(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=30)
    settings = TrainSettings(backbone=tiny, epochs=40, batch_size=16, learning_rate=3e-3)
    first = train(dataset, settings)
    assert first.metrics["embedded_images"] == 60
    assert first.metrics["val_accuracy"] >= 0.95

    sidecar = json.loads((first.dir / "run.json").read_text())
    assert sidecar["classes"] == [HOT_DOG, NOT_HOT_DOG]
    assert sidecar["backbone"] == tiny and sidecar["input_size"] == 48
    assert sidecar["dataset_fingerprint"] == dataset.fingerprint()
    assert {"keras", "backend"} <= set(sidecar["versions"])
    confusion = np.array(sidecar["metrics"]["confusion"])
    assert confusion.sum() == first.metrics["val_count"]
    assert set(sidecar["metrics"]["per_class"]) == {HOT_DOG, NOT_HOT_DOG}
    assert (dataset.studio_dir / "features").is_dir()

    # Ten new labels: the second run embeds only those.
    fill(dataset, tmp_path, per_class=5, seed=1)
    second = train(dataset, settings)
    assert second.metrics["embedded_images"] == 10
    assert second.metrics["train_count"] + second.metrics["val_count"] == 70
    assert [r.id for r in list_runs(dataset)] == [second.id, first.id]
    assert current_run(dataset).id == second.id
    assert load_run(second.dir).metrics == second.metrics

    # The saved model takes raw RGB files and agrees with the labels it learned.
    predictor = Predictor(second.model_path)
    items = dataset.items(HOT_DOG)[:5] + dataset.items(NOT_HOT_DOG)[:5]
    answers = list(predictor.predict_paths([item.path for item in items]))
    right = sum(a["label"] == item.label for a, item in zip(answers, items, strict=True))
    assert right >= 9


@pytest.mark.parametrize("head_in_numpy", [True, False], ids=["cpu-numpy", "keras-as-on-a-gpu"])
def test_a_few_new_labels_warm_start_the_head_and_nothing_new_starts_afresh(
    dataset, tmp_path, tiny, monkeypatch, head_in_numpy
):
    from desktop_app.ml import head_numpy

    monkeypatch.setattr(head_numpy, "applies", lambda: head_in_numpy)
    fill(dataset, tmp_path, per_class=40)
    settings = TrainSettings(backbone=tiny, epochs=30, batch_size=16, learning_rate=3e-3)
    first = train(dataset, settings)
    assert first.metrics["warm_start"] is False
    assert first.metrics["head_fit"] == ("NumPy" if head_in_numpy else "Keras")

    # One new label is little next to 64 trained-on images: a few epochs from the last weights.
    fill(dataset, tmp_path, per_class=1, seed=2)
    warm = train(dataset, settings)
    assert warm.metrics["embedded_images"] == 2
    assert warm.metrics["warm_start"] is True
    assert len(warm.curves["loss"]) <= 5
    assert warm.metrics["val_accuracy"] >= 0.9
    answers = list(Predictor(warm.model_path).predict_paths([it.path for it in dataset.items()]))
    right = sum(a["label"] == it.label for a, it in zip(answers, dataset.items(), strict=True))
    assert right >= 0.9 * len(answers)

    # Training again with nothing new is a fresh start, as the first model was.
    again = train(dataset, settings)
    assert again.metrics["warm_start"] is False
    assert len(again.curves["loss"]) > 5


def test_the_heads_validation_in_memory_reports_what_keras_evaluate_does():
    """FeatureValidation replaces fit()'s evaluate for the head: same loss (label smoothing and
    the L2 penalty included) and accuracy, and early stopping and the curves read it."""
    from desktop_app.ml import head as head_module

    settings = TrainSettings(batch_size=16)
    head = head_module.compiled_head(24, 2, settings)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 24)).astype("float32")
    y = head_module.one_hot((x[:, 0] > 0).astype("int32"), 2)
    xv, yv = x[:30] + 0.1, y[:30]
    seen = []

    class Reads(FeatureValidation.__base__):  # a later callback, as EarlyStopping and the curves
        def on_epoch_end(self, epoch, logs=None):
            seen.append((logs["val_loss"], logs["val_accuracy"]))
            keras_says = self.model.evaluate(xv, yv, verbose=0, return_dict=True)
            seen.append((keras_says["loss"], keras_says["accuracy"]))

    FeatureValidation.CHUNK = 7  # several chunks: their means are weighted by size
    try:
        head.fit(x, y, epochs=3, verbose=0, callbacks=[FeatureValidation(xv, yv), Reads()])
    finally:
        FeatureValidation.CHUNK = 4096
    ours, theirs = seen[0::2], seen[1::2]
    assert len(ours) == 3
    for (loss, accuracy), (keras_loss, keras_accuracy) in zip(ours, theirs, strict=True):
        assert abs(loss - keras_loss) < 1e-5 and abs(accuracy - keras_accuracy) < 1e-6


def test_fine_tuning_runs_the_frozen_layers_once_and_trains_only_the_top(
    dataset, tmp_path, tiny, monkeypatch
):
    """ADR 0012: each photo goes once through the layers fine-tuning leaves frozen; the epochs
    run only the top and the head, and the saved model carries the tuned top."""
    from desktop_app.ml import cached_bottom, training
    from desktop_app.ml import model as models
    from desktop_app.ml.backbones import build_backbone, get_spec
    from desktop_app.ml.runtime import keras_module
    from desktop_app.ml.weights import resolve_weights

    fill(dataset, tmp_path, per_class=20)
    bottom_runs = []
    real = cached_bottom.bottom_outputs
    monkeypatch.setattr(
        cached_bottom, "bottom_outputs", lambda b, px: bottom_runs.append(len(px)) or real(b, px)
    )
    # Fine-tuning's result is kept only if it beats the warm-up head; here it always does.
    monkeypatch.setattr(training, "_plain_val_loss", lambda *args: float("inf"))
    events = []
    settings = TrainSettings(backbone=tiny, mode="finetune", epochs=4, batch_size=16)
    record = train(dataset, settings, progress=events.append)
    assert record.status == "complete" and record.metrics["finetune_improved"] is True
    assert sum(bottom_runs) == record.metrics["train_count"] + record.metrics["val_count"]
    assert "running the frozen layers" in {e.phase for e in events}

    spec = get_spec(tiny)
    start = build_backbone(spec, resolve_weights(spec, allow_download=False), spec.input_size)
    models.unfreeze_top(start)
    saved = keras_module().saving.load_model(record.model_path, compile=False)
    tuned = next(layer for layer in saved.layers if layer.name == "tiny_backbone")
    for layer, after in zip(start.layers, tuned.layers, strict=True):  # names differ: by place
        if not layer.weights:
            continue
        same = all(
            np.array_equal(a, b)
            for a, b in zip(layer.get_weights(), after.get_weights(), strict=True)
        )
        if layer.trainable:
            assert not same, layer.name  # the top was trained, and is in the saved model
        else:
            assert same, layer.name  # frozen: exactly the pretrained weights


def test_stop_during_an_epoch_keeps_the_best_weights(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=30)
    cancel = CancelToken()

    def progress(event):
        if event.kind == "batch" and event.logs["epoch"] == 3:  # mid-epoch: 6 batches an epoch
            cancel.cancel()

    record = train(
        dataset,
        TrainSettings(backbone=tiny, epochs=50, batch_size=8, patience=50),
        progress=progress,
        cancel=cancel,
    )
    assert record.status == "stopped"
    assert len(record.curves["loss"]) == 4  # Keras finishes the epoch's validation pass
    assert record.model_path.is_file()
    # The kept weights are those of the epoch with the lowest validation loss.
    best = int(np.argmin(record.curves["val_loss"]))
    assert record.metrics["val_accuracy"] == pytest.approx(record.curves["val_accuracy"][best])
    assert current_run(dataset).id == record.id
    Predictor(record.model_path)


def test_finetune_mode_warms_up_then_trains_the_backbone_top(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=20)
    record = train(dataset, TrainSettings(backbone=tiny, mode="finetune", epochs=3, batch_size=16))
    assert record.status == "complete"
    assert len(record.curves["loss"]) == 3 + 3  # warm-up epochs, then fine-tune epochs
    assert record.settings["mode"] == "finetune"
    assert Predictor(record.model_path).input_size == 48
    assert record.metrics["finetune_improved"] in (True, False)


def test_too_few_labels_is_a_clear_error(dataset, tmp_path, tiny):
    fill(dataset, tmp_path, per_class=1)
    with pytest.raises(StudioError, match="at least 2 images of each class"):
        train(dataset, TrainSettings(backbone=tiny))


def test_finetune_that_does_worse_keeps_the_warmed_up_head(dataset, tmp_path, tiny, monkeypatch):
    from desktop_app.ml import training

    fill(dataset, tmp_path, per_class=20)
    monkeypatch.setattr(training, "FINETUNE_LR_FACTOR", 1e4)  # a learning rate of 10: it diverges
    messages = []
    record = train(
        dataset,
        TrainSettings(backbone=tiny, mode="finetune", epochs=3, batch_size=16),
        progress=lambda event: messages.append(event.message or ""),
    )
    assert record.metrics["finetune_improved"] is False
    assert any("the head alone is kept" in message for message in messages)
    # The saved model is the warm-up head's best epoch, not the diverged fine-tune.
    warmup = slice(0, 3)
    best = int(np.argmin(record.curves["val_loss"][warmup]))
    assert record.metrics["val_accuracy"] >= record.curves["val_accuracy"][best] - 0.1
    assert record.metrics["val_accuracy"] > max(record.curves["val_accuracy"][3:])


def test_run_json_records_the_architecture_with_every_parameter(dataset, tmp_path, tiny):
    from desktop_app.ml.architecture import totals
    from desktop_app.ml.runtime import keras_module

    fill(dataset, tmp_path, per_class=10)
    record = train(dataset, TrainSettings(backbone=tiny, epochs=2, batch_size=16))
    rows = load_run(record.dir).architecture
    names = [row["layer"] for row in rows]
    assert names[0] == "image" and "preprocess" in names
    assert names[-1] == "head › probabilities"
    assert rows[-1]["output"] == "N×2" and rows[-1]["trainable"] == rows[-1]["params"] > 0
    backbone = next(row for row in rows if "layers" in row["kind"])
    assert backbone["trainable"] == 0  # fast mode: the backbone is frozen
    model = keras_module().saving.load_model(record.model_path)
    assert totals(rows)[0] == model.count_params()


def test_photos_damaged_on_disk_since_their_import_fail_the_training_in_one_line(
    dataset, tmp_path, tiny
):
    fill(dataset, tmp_path, per_class=4)
    for item in dataset.items():
        item.path.write_bytes(b"not a picture any more")
    with pytest.raises(StudioError, match="None of the photos to train on could be read"):
        train(dataset, TrainSettings(backbone=tiny, epochs=2, batch_size=4))
