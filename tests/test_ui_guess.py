"""The inbox shows the current model's guess, and Enter accepts it; a run trained in the Train view
becomes the guessing (and Live) model at once. Real tiny models trained on drawn pictures: red
squares are the hot dogs, blue ones are not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from ui_helpers import files_in, open_window

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset

RED, BLUE = (220, 50, 40), (40, 70, 220)
WAIT_MS = 180_000  # the first model in a process also imports TensorFlow


def square(colour, seed: int, size: int = 48) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.array(colour) + rng.integers(-30, 30, (size, size, 3)), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8))


def make_dataset(root: Path, inbox_colours: list) -> list[str]:
    """12 labeled squares of each colour, plus unlabeled ones; returns the unlabeled hashes."""
    with Dataset.create(root) as dataset:
        for i in range(12):
            dataset.add_image(square(RED, i), HOT_DOG, source=f"red {i}")
            dataset.add_image(square(BLUE, 100 + i), NOT_HOT_DOG, source=f"blue {i}")
        return [
            dataset.add_image(square(colour, 500 + i), UNLABELED, source=f"inbox {i}").item.hash
            for i, colour in enumerate(inbox_colours)
        ]


def train_tiny(root: Path):
    from desktop_app.ml.training import TrainSettings, train

    with Dataset.open(root) as dataset:
        settings = TrainSettings(backbone="small_cnn", epochs=8, input_size=32, batch_size=8)
        return train(dataset, settings)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return tmp_path / "dataset"


def test_opening_a_dataset_with_a_model_shows_its_guess_and_enter_accepts_it(qtbot, tmp_path, root):
    make_dataset(root, [RED, RED, BLUE])
    train_tiny(root)
    window = open_window(qtbot, tmp_path / "settings", root)
    inbox = window.label_view.inbox
    qtbot.waitUntil(lambda: inbox.current is not None)
    qtbot.waitUntil(lambda: inbox.guess_label.isVisibleTo(inbox), timeout=WAIT_MS)

    current = inbox.current
    colour = window.session.dataset.get(current).source
    expected = "Hot dog" if colour in ("inbox 0", "inbox 1") else "Not hot dog"
    text = inbox.guess_label.text()
    assert text.startswith(f"Model guess: {expected} ") and "Enter to accept" in text
    name = window.session.dataset.get(current).path.name

    inbox.setFocus()
    qtbot.keyClick(inbox, Qt.Key.Key_Return)
    folder = HOT_DOG if expected == "Hot dog" else NOT_HOT_DOG
    qtbot.waitUntil(lambda: name in files_in(root / folder))
    assert name not in files_in(root / UNLABELED)
    # The next images were guessed ahead: the next one shows its guess too.
    qtbot.waitUntil(lambda: inbox.guess_label.isVisibleTo(inbox), timeout=WAIT_MS)
    assert inbox.current != current


def test_a_run_trained_in_the_window_starts_guessing_and_reloads_live(qtbot, tmp_path, root):
    (hot,) = make_dataset(root, [RED])
    window = open_window(qtbot, tmp_path / "settings", root, all_views=True)
    inbox = window.label_view.inbox
    qtbot.waitUntil(lambda: inbox.current == hot)
    live = window.views["Live"]
    qtbot.waitUntil(lambda: live.worker is not None and live.model_note != "", timeout=WAIT_MS)
    assert not inbox.guess_label.isVisibleTo(inbox)  # no model yet: no guess

    train_view = window.views["Train"]
    panel = train_view.settings_panel
    panel.backbone.setCurrentIndex(panel.backbone.findData("small_cnn"))
    panel.epochs.setValue(8)
    panel.batch_size.setValue(8)
    with qtbot.waitSignal(train_view.model_trained, timeout=WAIT_MS) as trained:
        qtbot.mouseClick(train_view.train_button, Qt.MouseButton.LeftButton)
    record = trained.args[0]

    qtbot.waitUntil(lambda: inbox.guess_label.isVisibleTo(inbox), timeout=WAIT_MS)
    assert inbox.guess_label.text().startswith("Model guess: Hot dog ")
    assert window.label_view.guesser.model_path == record.model_path
    # The Live view predicts with the new model without being shown first.
    qtbot.waitUntil(lambda: live.worker.model_path == record.model_path, timeout=WAIT_MS)
