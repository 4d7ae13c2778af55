"""The live curves put every per-batch point inside its own epoch: real fast-mode and fine-tune
trainings of the tiny backbone (a few seconds each) feed their progress events to the widget,
as the Train view does."""

from __future__ import annotations

import math

import pytest
from ml_synthetic import fill
from ml_tiny import register_tiny

from desktop_app.core.progress import Progress
from desktop_app.ml.training import TrainSettings, train
from desktop_app.ui.train.curves_widget import CurvesWidget


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return register_tiny(home)


def drawn(widget: CurvesWidget, key: str) -> list[float]:
    xs, _ = widget.series[key].item.getData()
    return [] if xs is None else [float(x) for x in xs]


def replay(qtbot, events: list[Progress], form_epochs: int) -> CurvesWidget:
    """What the Train view does with a run's events (the form's epoch count, as it passes)."""
    widget = CurvesWidget()
    qtbot.addWidget(widget)
    widget.start_live(form_epochs)
    for event in events:
        if event.kind == "batch":
            widget.add_batch(event.done, event.total, event.logs)
        elif event.kind == "epoch":
            widget.add_epoch(event.done, event.logs)
    widget.stop_live()
    return widget


def assert_batches_inside_their_epochs(events: list[Progress], widget: CurvesWidget) -> None:
    """Batch events before the k-th epoch event belong to epoch k: x in (k-1, k]."""
    batch_xs = iter(drawn(widget, "batch_loss"))
    finished = 0
    batches = 0
    for event in events:
        if event.kind == "epoch":
            finished = event.done
        elif event.kind == "batch":
            if not math.isfinite(event.logs["loss"]):
                continue  # not drawn
            x = next(batch_xs)
            batches += 1
            assert finished < x <= finished + 1, (x, finished + 1)
            assert 0 < event.done <= event.total  # the bar's fraction stays within the run
    assert batches > 0
    epoch_xs = drawn(widget, "loss")
    xs = drawn(widget, "batch_loss")
    assert math.ceil(min(xs)) == min(epoch_xs) and max(xs) == max(epoch_xs)


def test_fast_mode_batches_sit_inside_their_epochs_fresh_and_warm(qtbot, dataset, tmp_path, tiny):
    """The head runs a whole epoch per call into Keras (steps_per_execution), which reports the
    batch index 255 for an epoch of a few steps: the batch line once ran from 51 to 70."""
    fill(dataset, tmp_path, per_class=40)
    settings = TrainSettings(backbone=tiny, epochs=30, batch_size=16, patience=3)
    events: list[Progress] = []
    first = train(dataset, settings, progress=events.append)
    assert first.metrics["warm_start"] is False
    assert_batches_inside_their_epochs(events, replay(qtbot, events, settings.epochs))

    # A warm start runs at most 5 epochs of the form's 30: its steps total covers those 5.
    fill(dataset, tmp_path, per_class=1, seed=2)
    events = []
    warm = train(dataset, settings, progress=events.append)
    assert warm.metrics["warm_start"] is True
    assert_batches_inside_their_epochs(events, replay(qtbot, events, settings.epochs))


def test_finetune_batches_sit_inside_their_epochs_across_both_fits(qtbot, dataset, tmp_path, tiny):
    """Fine-tuning fits the head (warm-up), then the whole model: epochs number on across both."""
    fill(dataset, tmp_path, per_class=20)
    settings = TrainSettings(backbone=tiny, mode="finetune", epochs=3, batch_size=8)
    events: list[Progress] = []
    record = train(dataset, settings, progress=events.append)
    assert len(record.curves["loss"]) == 6
    widget = replay(qtbot, events, settings.epochs)
    assert_batches_inside_their_epochs(events, widget)
    assert drawn(widget, "loss") == [1, 2, 3, 4, 5, 6]
