"""The Under the hood view's "Weights that move" and "Your photos on a map" panels, driven as a user
would, on small CNNs really trained (a few epochs at 32 px): replay a run's weights epoch by epoch,
watch them grow live while the Train view trains, and click a photo on the map."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from ui_helpers import isolate_settings

from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.under_the_hood.hood_view import UnderTheHoodView

RED, BLUE = (200, 40, 40), (40, 60, 200)
TIMEOUT_MS = 120_000  # the first model in a process also imports TensorFlow


def noisy(colour, size=48, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.array(colour) + rng.integers(-30, 30, (size, size, 3)), 0, 255).astype(
        np.uint8
    )


def make_dataset(root: Path, count: int = 10):
    from desktop_app.core.dataset import Dataset

    dataset = Dataset.create(root)
    for i in range(count):
        dataset.add_image(Image.fromarray(noisy(RED, seed=i)), "hot_dog", source=f"red {i}")
        dataset.add_image(
            Image.fromarray(noisy(BLUE, seed=50 + i)), "not_hot_dog", source=f"blue {i}"
        )
    return dataset


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A dataset with a small CNN trained for 3 epochs, and one photo Check labels doubted."""
    from desktop_app.ml.training import TrainSettings, train

    root = tmp_path_factory.mktemp("panels") / "dataset"
    with make_dataset(root) as dataset:
        record = train(dataset, TrainSettings(backbone="small_cnn", epochs=3, input_size=32))
        doubted = dataset.items("hot_dog")[0]
        check = {"created": "", "fingerprint": "", "suspects": [{"hash": doubted.hash}]}
        check["suspects"][0]["label"] = doubted.label
        (Path(dataset.studio_dir) / "label_check.json").write_text(json.dumps(check))
    return root, record, doubted.hash


@pytest.fixture
def view(qtbot, trained):
    session = DatasetSession()
    view = UnderTheHoodView(session)
    qtbot.addWidget(view)
    view.resize(1200, 900)
    view.show()
    assert session.open(trained[0])
    yield view
    view.shutdown()
    session.close()


def show_tab(view, panel) -> None:
    for i in range(view.panels.count()):
        page = view.panels.widget(i)
        if page is panel or getattr(page, "widget", lambda: None)() is panel:
            view.panels.setCurrentIndex(i)
            return
    raise AssertionError("no such tab")


def heights(panel) -> dict:
    """What the histograms draw now: every bar item's heights, read from pyqtgraph."""
    return {key: np.array(bar.opts["height"]) for key, bar in panel._plots["bars"].items()}


def test_the_weights_replay_the_run_from_its_random_start(qtbot, view, trained):
    from desktop_app.ml.weight_history import load_weight_history

    record = trained[1]
    history = load_weight_history(record.dir)
    assert history is not None and len(history.epochs) >= 2
    panel = view.weights
    show_tab(view, panel)
    qtbot.waitUntil(lambda: panel.shown_epoch == 0, timeout=TIMEOUT_MS)
    assert "random start" in panel.caption.text()
    assert panel.slider.maximum() == len(history.epochs) - 1
    start = heights(panel)
    layers = range(len(history.bins))  # the small CNN's head: one Dense layer
    assert set(start) == {(i, part) for i in layers for part in ("kernel", "bias")}
    assert list(start[(0, "kernel")]) == list(history.epochs[0].layers[0].kernel.counts)
    assert not panel.heatmap.pixmap().isNull()

    panel.slider.setValue(panel.slider.maximum())
    last = history.epochs[-1]
    qtbot.waitUntil(lambda: panel.shown_epoch == last.epoch, timeout=10_000)
    end = heights(panel)
    assert any(not np.array_equal(start[key], end[key]) for key in start)
    for (i, part), drawn in end.items():
        assert list(drawn) == list(getattr(last.layers[i], part).counts)
    # The update plot's marker sits on the chosen epoch, at that epoch's relative update.
    marker = panel._plots["markers"][0].getData()
    assert list(marker[0]) == [last.epoch]
    assert marker[1][0] == pytest.approx(last.layers[0].relative_update)
    assert panel.epoch_label.text() == f"Epoch {last.epoch} of {last.epoch}"


def test_play_steps_to_the_last_epoch(qtbot, view):
    panel = view.weights
    show_tab(view, panel)
    qtbot.waitUntil(lambda: panel.shown_epoch == 0, timeout=TIMEOUT_MS)
    panel.play_button.click()
    assert panel.play_button.text() == "Pause"
    last = panel.epochs[-1].epoch
    qtbot.waitUntil(
        lambda: panel.shown_epoch == last and not panel.player.isActive(), timeout=30_000
    )
    assert panel.slider.value() == panel.slider.maximum()
    assert panel.play_button.text() == "Play"


def test_a_run_without_a_history_says_so(qtbot, tmp_path):
    from desktop_app.ml.training import TrainSettings, train
    from desktop_app.ml.weight_history import HISTORY_FILE

    root = tmp_path / "old"
    with make_dataset(root, 5) as dataset:
        record = train(dataset, TrainSettings(backbone="small_cnn", epochs=1, input_size=32))
    (record.dir / HISTORY_FILE).unlink()  # as runs made before it was recorded
    session = DatasetSession()
    hood = UnderTheHoodView(session)
    qtbot.addWidget(hood)
    hood.show()
    assert session.open(root)
    qtbot.waitUntil(
        lambda: "before weights were recorded" in hood.weights.caption.text(), timeout=60000
    )
    assert hood.weights.shown_epoch is None and not hood.weights.play_button.isEnabled()
    hood.shutdown()
    session.close()


def test_the_weights_grow_live_while_the_train_view_trains(qtbot, tmp_path):
    from PySide6.QtCore import Qt

    from desktop_app.ui.shell.main_window import VIEW_FACTORIES, MainWindow

    root = tmp_path / "live"
    make_dataset(root, 8).close()
    isolate_settings(tmp_path / "settings")
    wanted = ("Train", "Under the hood")
    window = MainWindow(views=[(t, target) for t, target in VIEW_FACTORIES if t in wanted])
    qtbot.addWidget(window)
    window.show()
    assert window.session.open(root)
    trainer, hood = window.views["Train"], window.views["Under the hood"]
    window.tabs.setCurrentWidget(hood)
    show_tab(hood, hood.weights)
    qtbot.waitUntil(lambda: "No model yet" in hood.weights.caption.text(), timeout=TIMEOUT_MS)

    grown: list[tuple[int, ...]] = []  # the panel's epochs after each event bringing weights
    trainer.progress_seen.connect(
        lambda event: event.weights and grown.append(tuple(e.epoch for e in hood.weights.epochs))
    )
    panel = trainer.settings_panel
    panel.backbone.setCurrentIndex(panel.backbone.findData("small_cnn"))
    panel.epochs.setValue(3)
    panel.batch_size.setValue(8)
    qtbot.mouseClick(trainer.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(grown) >= 1, timeout=TIMEOUT_MS)
    assert grown[0] == (0, 1)  # the first epoch event brings epoch 0, the start, along
    qtbot.waitUntil(lambda: not trainer.is_training, timeout=TIMEOUT_MS)
    assert len(grown) >= 2 and grown == [tuple(range(len(g))) for g in grown]
    assert [len(g) for g in grown] == sorted({len(g) for g in grown})  # one epoch more each time
    # Once trained, the view loads the run and its saved history: the same epochs.
    last = grown[-1][-1]
    qtbot.waitUntil(
        lambda: hood.weights.run_id is not None and hood.weights.shown_epoch is not None,
        timeout=TIMEOUT_MS,
    )
    assert [e.epoch for e in hood.weights.epochs] == list(range(last + 1))
    window.close()


def test_the_map_has_a_dot_per_photo_and_a_click_shows_it(qtbot, view, trained):
    panel = view.photo_map
    assert panel.drawing is None  # not computed while its tab is hidden
    qtbot.waitUntil(lambda: view.diagram.tree.topLevelItemCount() == 2, timeout=TIMEOUT_MS)
    qtbot.wait(200)
    assert panel.drawing is None
    show_tab(view, panel)
    qtbot.waitUntil(lambda: panel.drawing is not None, timeout=TIMEOUT_MS)
    drawing = panel.drawing
    labeled = [it for it in view.session.dataset.items() if it.label in ("hot_dog", "not_hot_dog")]
    assert sorted(drawing.hashes) == sorted(it.hash for it in labeled)
    dots = panel._items["dots"]
    assert set(dots) == {"hot_dog", "not_hot_dog"}
    assert sum(len(item.points()) for item in dots.values()) == len(labeled)
    for label, item in dots.items():
        for point in item.points():
            assert drawing.labels[point.data()] == label
    rings = panel._items["rings"].points()
    assert [drawing.hashes[p.data()] for p in rings] == [trained[2]]  # Check labels' suspect
    assert "PCA" in panel.caption.text() and "50% boundary" in panel.caption.text()
    assert len(drawing.segments) > 0  # red and blue are told apart: the boundary crosses the plane

    # A click on a real dot of the scatter: the view shows that photo.
    item = dots["not_hot_dog"]
    point = item.points()[0]
    wanted = drawing.hashes[point.data()]
    item.sigClicked.emit(item, [point], None)
    assert view.photo.hash == wanted
    assert view.photo.path == view.session.dataset.get(wanted).path
    qtbot.waitUntil(lambda: view.caption.text() == view.photo.title, timeout=10_000)


def test_the_view_opens_without_pyqtgraph(tmp_path):
    """The window opens before the plotting library loads: a fresh process."""
    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(['x'])\n"
        "from desktop_app.ui.shell.dataset_session import DatasetSession\n"
        "from desktop_app.ui.under_the_hood.hood_view import UnderTheHoodView\n"
        "view = UnderTheHoodView(DatasetSession())\n"
        "assert view.panels.count() >= 3\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'pyqtgraph') if m in sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
