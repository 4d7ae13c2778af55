"""The Label view's order control and Accept all, driven by clicks and keys on a dataset with a
real tiny model: red squares are hot dogs, blue ones are not, and the inbox holds the colours in
between, so the model is sure of some and unsure of others."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from ui_helpers import files_in, open_window, wait_fully_visible

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset

RED, BLUE = np.array((220, 50, 40)), np.array((40, 70, 220))
WAIT_MS = 180_000  # the first model in a process also imports TensorFlow
INBOX = 12


def square(colour, seed: int, size: int = 48) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = np.clip(np.asarray(colour) + rng.integers(-30, 30, (size, size, 3)), 0, 255)
    return Image.fromarray(pixels.astype(np.uint8))


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """12 labeled squares a class (24 labels: past the cold start), INBOX mixed colours, and a
    current model; made once, copied for each test."""
    from desktop_app.ml.training import TrainSettings, train

    root = tmp_path_factory.mktemp("label_next") / "dataset"
    with Dataset.create(root) as dataset:
        for i in range(12):
            dataset.add_image(square(RED, i), HOT_DOG, source=f"red {i}")
            dataset.add_image(square(BLUE, 100 + i), NOT_HOT_DOG, source=f"blue {i}")
        for i in range(INBOX):
            mix = i / (INBOX - 1)
            dataset.add_image(
                square(RED * mix + BLUE * (1 - mix), 500 + i), UNLABELED, source=f"mix {i}"
            )
        settings = TrainSettings(backbone="small_cnn", epochs=8, input_size=32, batch_size=8)
        train(dataset, settings)
    return root


@pytest.fixture
def studio(qapp, qtbot, tmp_path, trained):
    root = tmp_path / "dataset"
    shutil.copytree(trained, root)
    window = open_window(qtbot, tmp_path / "settings", root)
    window.root = root
    tools = window.label_view.tools
    # The model's guesses arrive for the import order first (the order shown at open).
    qtbot.waitUntil(lambda: tools.source.latest is not None, timeout=WAIT_MS)
    return window


def expected(root: Path, order: str):
    from desktop_app.ml.suggest import suggest

    with Dataset.open(root, readonly=True) as dataset:
        return suggest(dataset, order, allow_download=False)


def choose(qtbot, combo, title: str) -> None:
    """Opens the combo's list with a click, walks to the entry with the arrow keys, Enter."""
    qtbot.mouseClick(combo, Qt.MouseButton.LeftButton)
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    steps = combo.findText(title) - view.currentIndex().row()
    for _ in range(abs(steps)):
        qtbot.keyClick(view, Qt.Key.Key_Down if steps > 0 else Qt.Key.Key_Up)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: combo.currentText() == title and not view.isVisible())
    window = combo.window()
    window.activateWindow()  # the closed popup had the keyboard: the inbox's keys need it back
    qtbot.waitUntil(window.isActiveWindow)


def test_label_next_orders_the_inbox_with_a_reason_and_import_order_is_one_click_back(
    qtbot, studio
):
    tools, inbox = studio.label_view.tools, studio.label_view.inbox
    wait_fully_visible(qtbot, [tools.order_bar.combo, tools.order_bar.reason, tools.accept_bar])
    wait_fully_visible(qtbot, [tools.duplicates_button, tools.health_button])
    imported = [s.hash for s in expected(studio.root, "import").suggestions]
    assert inbox.current == imported[0]
    assert tools.order_bar.reason.text().startswith("In import order; the model is")

    ordered = expected(studio.root, "next")
    assert [s.hash for s in ordered.suggestions] != imported  # the order means something here
    choose(qtbot, tools.order_bar.combo, "Label next")
    first = ordered.suggestions[0]
    qtbot.waitUntil(lambda: inbox.current == first.hash, timeout=WAIT_MS)
    reason = tools.order_bar.reason.text()
    assert reason == f"Next because {first.reason}" and "the model is" in reason
    assert inbox.upcoming(3) == [s.hash for s in ordered.suggestions[:4]]

    # Labeling by key moves on to the next photo of this order, with its own reason.
    name = studio.session.dataset.get(first.hash).path.name
    assert inbox.hasFocus()  # the combo gave the keys back to the inbox
    qtbot.keyClick(inbox, Qt.Key.Key_H)
    second = ordered.suggestions[1]
    assert inbox.current == second.hash
    assert tools.order_bar.reason.text() == f"Next because {second.reason}"
    qtbot.waitUntil(lambda: name in files_in(studio.root / HOT_DOG))

    choose(qtbot, tools.order_bar.combo, "Import order")
    rest = [h for h in imported if h != first.hash]
    qtbot.waitUntil(lambda: inbox.current == rest[0], timeout=WAIT_MS)
    qtbot.waitUntil(lambda: tools.order_bar.reason.text().startswith("In import order"))

    # At the window's smallest size every control is still whole, the reason on its own line.
    studio.resize(studio.minimumSize())
    bar = tools.accept_bar
    controls = [tools.order_bar.combo, tools.order_bar.reason, bar.spin, bar.button]
    wait_fully_visible(qtbot, [*controls, tools.duplicates_button, tools.health_button])
    assert bar.button.width() >= bar.button.sizeHint().width()  # its count is not cut off


def test_accept_all_labels_exactly_the_guesses_above_the_threshold_and_one_undo_takes_all_back(
    qtbot, studio
):
    tools, inbox = studio.label_view.tools, studio.label_view.inbox
    bar = tools.accept_bar
    found = expected(studio.root, "import")
    sure = sorted(s.confidence for s in found.suggestions)
    percent = int(sure[len(sure) // 2] * 100)  # about half the inbox is at least this sure
    wanted = {s.hash: s.guess for s in found.above(percent / 100)}
    assert 0 < len(wanted) < INBOX, sure

    qtbot.mouseClick(bar.spin, Qt.MouseButton.LeftButton)
    bar.spin.selectAll()
    qtbot.keyClicks(bar.spin, str(percent))
    qtbot.keyClick(bar.spin, Qt.Key.Key_Return)
    assert bar.spin.value() == percent
    assert bar.button.text() == f"Accept {len(wanted)} guess{'' if len(wanted) == 1 else 'es'}"
    wait_fully_visible(qtbot, [bar.spin, bar.button])

    names = {s.hash: studio.session.dataset.get(s.hash).path.name for s in found.suggestions}
    qtbot.mouseClick(bar.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: all(names[h] in files_in(studio.root / label) for h, label in wanted.items())
    )
    left = set(names) - set(wanted)
    assert {names[h] for h in left} == files_in(studio.root / UNLABELED)
    qtbot.waitUntil(lambda: tools.message.text().startswith(f"Labeled {len(wanted)} photo(s)"))
    qtbot.waitUntil(lambda: bar.button.text() == "Accept 0 guesses")
    assert not bar.button.isEnabled()

    inbox.setFocus()
    qtbot.keyClick(inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: files_in(studio.root / UNLABELED) == set(names.values()))
    assert (
        len(files_in(studio.root / HOT_DOG)) == 12
        and len(files_in(studio.root / NOT_HOT_DOG)) == 12
    )
    qtbot.waitUntil(lambda: bar.button.text().startswith(f"Accept {len(wanted)} "))
