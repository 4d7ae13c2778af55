"""The Train view driven as a user would: press Train, watch the curves, Stop, fix a mislabeled
photo from the results, compare two runs. Real Keras training of the small CNN on drawn pictures
(red sausages against blue circles), a few seconds each."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw
from PySide6.QtCore import QPoint, Qt
from ui_helpers import distinct_colours, isolate_settings, wait_fully_visible

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, Dataset
from desktop_app.core.progress import Progress
from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.train.train_view import TrainView, progress_text

TRAIN_TIMEOUT_MS = 180_000  # the first training in a process also imports TensorFlow


def drawing(kind: str, seed: int, size: int = 64) -> Image.Image:
    """A red horizontal sausage or a blue circle on a textured background of its own."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(150, 256, (3, 3, 3)).astype(np.uint8)
    background = np.kron(blocks, np.ones((size // 3 + 1, size // 3 + 1, 1), np.uint8))
    image = Image.fromarray(background[:size, :size], "RGB")
    draw = ImageDraw.Draw(image)
    if kind == "sausage":
        w, h = int(rng.integers(36, 56)), int(rng.integers(12, 20))
        x, y = int(rng.integers(2, size - w - 2)), int(rng.integers(2, size - h - 2))
        red = 200 + int(rng.integers(0, 50))
        draw.rounded_rectangle([x, y, x + w, y + h], radius=h // 2, fill=(red, 30, 20))
    else:
        r = int(rng.integers(10, 22))
        x, y = int(rng.integers(r + 2, size - r - 2)), int(rng.integers(r + 2, size - r - 2))
        draw.ellipse([x - r, y - r, x + r, y + r], fill=(20, 40, 200 + int(rng.integers(0, 50))))
    return image


def make_dataset(root: Path, sausages: int = 20, circles: int = 20, mislabeled: int = 0) -> None:
    """sausages as hot dogs, circles as not hot dogs, and `mislabeled` extra sausages labeled
    not hot dog: photos a user put in the wrong class."""
    with Dataset.create(root) as dataset:
        for i in range(sausages):
            dataset.add_image(drawing("sausage", i), HOT_DOG, source=f"sausage{i}")
        for i in range(circles):
            dataset.add_image(drawing("circle", 500 + i), NOT_HOT_DOG, source=f"circle{i}")
        for i in range(mislabeled):
            dataset.add_image(drawing("sausage", 900 + i), NOT_HOT_DOG, source=f"wrong{i}")


@pytest.fixture
def open_view(qtbot, tmp_path):
    """open_view(root) -> a shown TrainView on the dataset at root."""
    isolate_settings(tmp_path / "settings")
    sessions = []

    def open_(root: Path) -> TrainView:
        session = DatasetSession()
        sessions.append(session)
        assert session.open(root), session.last_error
        view = TrainView(session)
        qtbot.addWidget(view)
        view.resize(1280, 860)
        view.show()
        qtbot.waitExposed(view)
        return view

    yield open_
    for session in sessions:
        session.close()


def choose(view: TrainView, *, epochs: int, batch_size: int = 8, val_percent: int = 20) -> None:
    """Sets the form as a user would: the small CNN (no download needed) and a few epochs."""
    panel = view.settings_panel
    panel.backbone.setCurrentIndex(panel.backbone.findData("small_cnn"))
    panel.epochs.setValue(epochs)
    panel.batch_size.setValue(batch_size)
    panel.val_share.setValue(val_percent)


def press_train(qtbot, view: TrainView) -> None:
    qtbot.mouseClick(view.train_button, Qt.MouseButton.LeftButton)


def wait_trained(qtbot, view: TrainView) -> None:
    qtbot.waitUntil(lambda: not view.is_training, timeout=TRAIN_TIMEOUT_MS)


def test_progress_text_names_the_phase_and_the_time_left():
    assert progress_text(Progress("embedding", 120, 688, eta_s=42.4), 30) == (
        "Embedding 120/688 · 0:42 left"
    )
    batch = Progress("fitting", 25, 300, kind="batch", eta_s=75, logs={"loss": 0.5})
    assert progress_text(batch, 30) == "Fitting epoch 3/30 · 1:15 left"
    assert progress_text(Progress("saving", 0, 1), 30) == "Saving 0/1"


def test_train_shows_curves_progress_results_history_and_fixes_a_mislabeled_photo(
    qtbot, open_view, tmp_path
):
    root = tmp_path / "dataset"
    make_dataset(root, sausages=16, circles=16, mislabeled=8)
    view = open_view(root)
    assert view.runs_list.topLevelItemCount() == 0
    choose(view, epochs=6, val_percent=50)

    bar_values: list[int] = []
    view.progress_bar.valueChanged.connect(bar_values.append)
    press_train(qtbot, view)
    assert view.train_button.text() == "Stop"
    assert not view.settings_panel.isEnabled()
    # Curves grow while the run trains: the plot items get data, not just the buffers.
    qtbot.waitUntil(lambda: view.curves.point_count("batch_loss") > 0, timeout=TRAIN_TIMEOUT_MS)
    wait_trained(qtbot, view)

    assert view.message.text().startswith("Trained in"), view.message.text()
    assert view.train_button.text() == "Train"
    assert view.settings_panel.isEnabled()
    assert len(set(bar_values)) > 2 and view.progress_bar.value() == view.progress_bar.maximum()
    curves = view.curves
    assert curves.point_count("batch_loss") >= 6 * 3  # at least 3 batches an epoch
    assert curves.point_count("loss") == curves.point_count("val_loss") >= 1
    assert curves.point_count("val_accuracy") == curves.point_count("loss")

    # The run is in the history, and is the current model.
    assert view.runs_list.topLevelItemCount() == 1
    row = view.runs_list.topLevelItem(0)
    assert row.text(1) == "small_cnn" and row.text(2) == "fast"
    assert row.text(4) == "complete (current)"
    record = row.data(0, Qt.ItemDataRole.UserRole)
    assert record.model_path.is_file()

    # Results: accuracy, per-class table and a confusion matrix that counts every validation photo.
    results = view.results
    assert results.accuracy_label.text().endswith("%")
    assert results.per_class.rowCount() == 2
    # Both tables whole on screen (the confusion matrix's right side was cut off), and every
    # column as wide as its header ("Precision" was cut short).
    wait_fully_visible(qtbot, [results.per_class, results.confusion])
    for table in (results.per_class, results.confusion):
        header = table.horizontalHeader()
        qtbot.waitUntil(
            lambda h=header: all(h.sectionSize(c) >= h.sectionSizeHint(c) for c in range(h.count()))
        )
    confusion = results.confusion
    assert confusion.rowCount() == confusion.columnCount() == 2
    counted = sum(
        int(confusion.item(r, c).text().split("\n")[0]) for r in range(2) for c in range(2)
    )
    assert counted == record.metrics["val_count"] > 0

    # The model's architecture, one click away: every layer, and the head listed as trained here.
    qtbot.mouseClick(results.architecture_button, Qt.MouseButton.LeftButton)
    dialog = results.architecture_dialog
    assert dialog.isVisible()
    assert dialog.table.rowCount() == len(record.architecture) > 3
    last = dialog.table.rowCount() - 1
    assert dialog.table.item(last, 0).text() == "head › probabilities"
    assert dialog.table.item(last, 4).text() != "0"
    assert "parameters" in dialog.header.text()
    dialog.close()

    # Misclassified photos (here, at least the sausages labeled "not hot dog" in validation).
    wrong = record.metrics["misclassified"]
    assert len(wrong) >= 2, "eight mislabeled photos and hardly any misclassified"
    qtbot.waitUntil(lambda: len(results.cards) == len(wrong))
    assert set(results.cards) == {entry["hash"] for entry in wrong}
    entry = wrong[0]
    card = results.cards[entry["hash"]]
    qtbot.waitUntil(lambda: card.image.pixmap() is not None and not card.image.pixmap().isNull())
    # The relabel buttons are on screen, not under the strip's edge (they were, at 2x scale).
    # A user on a small screen scrolls the results to the card, as this does.
    first = next(iter(results.cards.values()))
    for button in first.buttons.values():
        view.results_scroll.ensureWidgetVisible(button, 0, 0)
    wait_fully_visible(qtbot, first.buttons.values())
    target = entry["predicted"]
    qtbot.mouseClick(card.buttons[target], Qt.MouseButton.LeftButton)
    assert entry["hash"] not in results.cards
    assert view.session.wait_for_edits()
    moved = view.dataset.get(entry["hash"])
    assert moved.label == target
    assert moved.path.parent == root / target and moved.path.is_file()
    assert len(results.cards) == len(wrong) - 1

    # A photo relabeled elsewhere (the Label view does it through the session) leaves the list.
    other = next(iter(results.cards))
    other_label = NOT_HOT_DOG if view.dataset.get(other).label == HOT_DOG else HOT_DOG
    view.session.set_label([other], other_label)
    qtbot.waitUntil(lambda: other not in results.cards)
    assert len(results.cards) == len(wrong) - 2

    # What a user sees is not blank.
    image = view.grab().toImage()
    assert distinct_colours(image, step=8) > 50


def test_stop_ends_cleanly_and_keeps_a_model(qtbot, open_view, tmp_path):
    root = tmp_path / "dataset"
    make_dataset(root)
    view = open_view(root)
    choose(view, epochs=300)
    press_train(qtbot, view)
    qtbot.waitUntil(lambda: view.curves.point_count("batch_loss") > 0, timeout=TRAIN_TIMEOUT_MS)

    press_train(qtbot, view)  # the same button, now "Stop"
    assert view.train_button.text() == "Stopping…"
    assert not view.train_button.isEnabled()
    wait_trained(qtbot, view)

    assert view.train_button.text() == "Train" and view.train_button.isEnabled()
    assert view.message.text().startswith("Stopped"), view.message.text()
    assert view.progress_bar.format() == "Stopped"
    assert view.runs_list.topLevelItemCount() == 1
    record = view.runs_list.topLevelItem(0).data(0, Qt.ItemDataRole.UserRole)
    assert record.status == "stopped"
    assert record.model_path.is_file()
    assert len(record.curves["loss"]) < 300


def test_closing_mid_run_stops_and_saves_before_the_dataset_closes(qtbot, open_view, tmp_path):
    from desktop_app.ml.runs import list_runs

    root = tmp_path / "dataset"
    make_dataset(root)
    view = open_view(root)
    choose(view, epochs=300)
    press_train(qtbot, view)
    qtbot.waitUntil(lambda: view.curves.point_count("batch_loss") > 0, timeout=TRAIN_TIMEOUT_MS)

    view.shutdown()  # what the main window calls when it closes
    assert view.train_thread is None or view.train_thread.isFinished()
    runs = list_runs(view.dataset)
    assert [run.status for run in runs] == ["stopped"] and runs[0].model_path.is_file()


def test_training_problem_is_one_line_in_the_view(qtbot, open_view, tmp_path):
    root = tmp_path / "dataset"
    make_dataset(root, sausages=3, circles=0)
    view = open_view(root)
    choose(view, epochs=2)
    press_train(qtbot, view)
    wait_trained(qtbot, view)
    message = view.message.text()
    assert "at least 2" in message and "\n" not in message and "Traceback" not in message
    assert view.train_button.text() == "Train"
    assert view.runs_list.topLevelItemCount() == 0


def test_two_selected_runs_overlay_their_curves(qtbot, open_view, tmp_path):
    from desktop_app.ml.training import TrainSettings, train

    root = tmp_path / "dataset"
    make_dataset(root, sausages=10, circles=10)
    with Dataset.open(root) as dataset:  # two earlier runs, made as the CLI would make them
        for epochs in (2, 3):
            train(dataset, TrainSettings(backbone="small_cnn", epochs=epochs, batch_size=8))
    view = open_view(root)
    runs = view.runs_list
    assert runs.topLevelItemCount() == 2
    # The current model's run is selected on opening; its curves alone are drawn.
    assert len(runs.selected_runs()) == 1
    assert view.curves.overlay_count() == 4  # loss, val loss, accuracy, val accuracy

    second = runs.visualItemRect(runs.topLevelItem(1)).center()
    qtbot.mouseClick(
        runs.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier,
        QPoint(second.x(), second.y()),
    )  # fmt: skip
    assert len(runs.selected_runs()) == 2
    assert view.curves.overlay_count() == 8
    legend = [label.text for _, label in view.curves.loss_plot.plotItem.legend.items]
    assert len(legend) == 4 and all("small_cnn" in text for text in legend)
    lengths = sorted(
        len(item.getData()[0])
        for _, item in view.curves._overlay_items
        if item.getData()[0] is not None
    )
    assert lengths == [2, 2, 2, 2, 3, 3, 3, 3]


def test_the_view_loads_neither_keras_nor_pyqtgraph_until_needed(tmp_path):
    """The window opens before TensorFlow (and the plotting library) load: a fresh process."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from PySide6.QtWidgets import QApplication\n"
        "app = QApplication(['x'])\n"
        "from desktop_app.ui.shell.dataset_session import DatasetSession\n"
        "from desktop_app.ui.train.train_view import TrainView\n"
        "view = TrainView(DatasetSession())\n"
        "assert view.settings_panel.backbone.count() > 1\n"
        "print(sorted(m for m in ('tensorflow', 'keras', 'pyqtgraph') if m in sys.modules))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_finished_message_says_when_fine_tuning_was_not_kept():
    from types import SimpleNamespace

    from desktop_app.ui.train.train_view import finished_message

    kept_head = SimpleNamespace(
        status="complete", metrics={"val_accuracy": 0.981, "finetune_improved": False}
    )
    assert finished_message(kept_head, "2 min") == (
        "Trained in 2 min: 98.1% validation accuracy. Fine-tuning did not beat the head alone"
        " on the validation photos: the head was kept."
    )
    tuned = SimpleNamespace(
        status="stopped", metrics={"val_accuracy": 0.5, "finetune_improved": True}
    )
    assert "head was kept" not in finished_message(tuned, "3 s")
    assert finished_message(tuned, "3 s").startswith("Stopped after 3 s; the best model")


def test_a_run_saved_before_architectures_were_recorded_has_the_button_off(qtbot):
    from types import SimpleNamespace

    from desktop_app.ui.train.results_panel import ResultsPanel

    panel = ResultsPanel()
    qtbot.addWidget(panel)
    old = SimpleNamespace(
        metrics={"val_accuracy": 0.9},
        classes=[HOT_DOG, NOT_HOT_DOG],
        status="complete",
        backbone="mobilenet_v2_0.35",
        settings={"mode": "fast"},
        device="CPU",
    )  # no `architecture` at all, as load_run gives for an old run.json it defaults to []
    panel.show_run(old, None)
    assert not panel.architecture_button.isEnabled()


def test_check_labels_lists_the_misfiled_photos_and_fixes_one_with_a_click(
    qtbot, open_view, tmp_path, monkeypatch
):
    from ml_tiny import register_tiny

    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    tiny = register_tiny(home)  # a "pretrained" backbone whose weights file is on disk
    root = tmp_path / "dataset"
    make_dataset(root, sausages=20, circles=20, mislabeled=3)
    view = open_view(root)
    misfiled = {it.hash for it in view.dataset.items(NOT_HOT_DOG) if it.source.startswith("wrong")}
    panel = view.settings_panel
    panel.backbone.setCurrentIndex(panel.backbone.findData(tiny))
    panel.epochs.setValue(100)
    panel.batch_size.setValue(16)
    panel.learning_rate.setValue(0.01)

    said: list[str] = []
    view.status_message.connect(said.append)
    qtbot.mouseClick(view.check_button, Qt.MouseButton.LeftButton)
    assert view.train_button.text() == "Stop" and not view.check_button.isEnabled()
    wait_trained(qtbot, view)

    assert view.message.text().startswith("Checked 43 labeled photos"), view.message.text()
    assert said[-1].startswith("Label check: ") and "(listed in the Train view)" in said[-1]
    results = view.results
    qtbot.waitUntil(lambda: results.misclassified_count == len(results.cards) > 0)
    assert misfiled <= set(results.cards), "a misfiled sausage was not listed"
    assert len(results.cards) <= 6
    assert results.misclassified_title.text().startswith("Labels to check")
    assert view.runs_list.topLevelItemCount() == 0  # a check trains no model and saves no run
    assert view.check_button.isEnabled() and view.train_button.text() == "Train"

    wrong = next(iter(misfiled))
    qtbot.mouseClick(results.cards[wrong].buttons[HOT_DOG], Qt.MouseButton.LeftButton)
    assert view.session.wait_for_edits()
    assert view.dataset.get(wrong).label == HOT_DOG
    assert wrong not in results.cards
