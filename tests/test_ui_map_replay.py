"""The map panel's replay of a fine-tuned run, driven as a user would on the tiny backbone really
fine-tuned: the slider and Play walk the dots and the boundary to the last epoch, a click on a dot
still shows that photo, and a fast-mode run shows the static map with no slider."""

from __future__ import annotations

import numpy as np
import pytest
from ml_explained import keras_home
from ml_synthetic import fill
from PySide6.QtCore import Qt

from desktop_app.core.dataset import Dataset
from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.under_the_hood.hood_view import UnderTheHoodView

TIMEOUT_MS = 120_000  # the first model in a process also imports TensorFlow


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(dataset root, fine-tune run, fast run) on the tiny backbone; the dataset's current run is
    the fine-tuned one, the fast one is shown by pointing a second dataset at it."""
    from desktop_app.ml.training import TrainSettings, train

    root = tmp_path_factory.mktemp("replay")
    with keras_home(root / "keras_home") as tiny:
        with Dataset.create(root / "tuned") as dataset:
            fill(dataset, root, per_class=10)
            tuned = train(
                dataset,
                TrainSettings(
                    backbone=tiny, mode="finetune", epochs=3, batch_size=16, learning_rate=1e-2
                ),
            )
        with Dataset.create(root / "fast") as dataset:
            fill(dataset, root, per_class=10)
            fast = train(dataset, TrainSettings(backbone=tiny, epochs=3, batch_size=16))
        yield root, tuned, fast


def open_view(qtbot, root):
    session = DatasetSession()
    view = UnderTheHoodView(session)
    qtbot.addWidget(view)
    view.resize(1200, 900)
    view.show()
    assert session.open(root)
    for i in range(view.panels.count()):  # the map's tab (a panel may sit in a scroll area)
        page = view.panels.widget(i)
        if page is view.photo_map or getattr(page, "widget", lambda: None)() is view.photo_map:
            view.panels.setCurrentIndex(i)
    return view, session


def dot_positions(panel) -> dict[str, np.ndarray]:
    """Every drawn dot's (x, y) by the row of the drawing it stands for, read from pyqtgraph."""
    found = {}
    for item in panel._items["dots"].values():
        x, y = item.getData()
        for point, px, py in zip(item.points(), x, y, strict=True):
            found[point.data()] = (px, py)
    return np.array([found[i] for i in range(len(found))])


def test_the_slider_and_play_replay_the_photos_moving(qtbot, runs):
    from desktop_app.ml.map_history import load_map_history

    root, tuned, _fast = runs
    history = load_map_history(tuned.dir)
    view, session = open_view(qtbot, root / "tuned")
    panel = view.photo_map
    qtbot.waitUntil(lambda: panel.shown_epoch == 0, timeout=TIMEOUT_MS)
    assert panel.bar.isVisible() and panel.bar.slider.isEnabled()
    assert panel.bar.slider.maximum() == len(history.epochs) - 1
    assert "Fine-tuning moves the photos themselves" in panel.caption.text()
    assert "Before fine-tuning" in panel.bar.epoch_label.text()
    assert panel.drawing.hashes == history.hashes
    np.testing.assert_allclose(dot_positions(panel), history.epochs[0].points, atol=1e-5)
    start_line = panel._items["line"].getData()

    # The user drags the slider to its end (End key on the focused slider).
    panel.bar.slider.setFocus()
    qtbot.keyClick(panel.bar.slider, Qt.Key.Key_End)
    last = history.epochs[-1]
    qtbot.waitUntil(lambda: panel.shown_epoch == last.epoch, timeout=10_000)
    moved = dot_positions(panel)
    np.testing.assert_allclose(moved, last.points, atol=1e-5)
    assert not np.allclose(moved, history.epochs[0].points, atol=1e-3)
    x, _y = panel._items["line"].getData()
    assert len(x) == 2 * len(panel.drawing.epochs[-1].segments)
    assert len(start_line[0]) != len(x) or not np.allclose(start_line[0], x)
    assert panel.bar.epoch_label.text().startswith(f"Fine-tune epoch {last.epoch} of")

    # Play from the end starts over at epoch 0 and steps to the last epoch, then stops.
    qtbot.mouseClick(panel.bar.play_button, Qt.MouseButton.LeftButton)
    assert panel.bar.play_button.text() == "Pause"
    seen = []
    panel.bar.show_index.connect(seen.append)
    qtbot.waitUntil(
        lambda: panel.shown_epoch == last.epoch and not panel.bar.player.isActive(),
        timeout=30_000,
    )
    assert seen and seen[-1] == len(history.epochs) - 1 and seen == sorted(seen)
    assert panel.bar.play_button.text() == "Play"

    # A click on a dot still shows that photo.
    item = panel._items["dots"]["hot_dog"]
    point = item.points()[0]
    wanted = panel.drawing.hashes[point.data()]
    item.sigClicked.emit(item, [point], None)
    assert view.photo.hash == wanted
    view.shutdown()
    session.close()


def test_a_fast_mode_run_shows_the_static_map_without_a_slider(qtbot, runs):
    from desktop_app.ui.under_the_hood.map_panel import MapDrawing

    root, _tuned, _fast = runs
    view, session = open_view(qtbot, root / "fast")
    panel = view.photo_map
    qtbot.waitUntil(lambda: panel.drawing is not None, timeout=TIMEOUT_MS)
    assert isinstance(panel.drawing, MapDrawing)
    assert not panel.bar.isVisible() and panel.shown_epoch is None
    assert "PCA" in panel.caption.text() and "moves the photos" not in panel.caption.text()
    view.shutdown()
    session.close()
