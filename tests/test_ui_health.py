"""Near-duplicates and the dataset's health in the Label view, clicked as a user clicks them, on
real drawn photos with planted copies: a mirrored hot dog filed as not hot dog (a label conflict),
a recompressed copy of an inbox photo, and a very dark photo."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from ml_synthetic import draw, fill
from PIL import Image, ImageOps
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication
from ui_helpers import files_in, open_window, wait_fully_visible

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset

WAIT_MS = 60_000


@pytest.fixture
def studio(qapp, qtbot, tmp_path: Path):
    root = tmp_path / "dataset"
    planted = {}
    rng = random.Random("inbox")
    with Dataset.create(root) as dataset:
        fill(dataset, tmp_path, per_class=8)
        for n in range(4):
            path = tmp_path / f"inbox-{n}.png"
            draw(HOT_DOG if n % 2 else NOT_HOT_DOG, rng).save(path)
            dataset.add_file(path)
        original = dataset.items(UNLABELED)[0]
        copy = tmp_path / "copy.jpg"
        Image.open(original.path).convert("RGB").save(copy, quality=70)
        planted["copy"] = (original.hash, dataset.add_file(copy).item.hash)
        first = dataset.items(HOT_DOG)[0]
        ImageOps.mirror(Image.open(first.path)).save(tmp_path / "mirrored.png")
        mirrored = dataset.add_file(tmp_path / "mirrored.png", NOT_HOT_DOG).item.hash
        planted["conflict"] = (first.hash, mirrored)
        noise = np.random.default_rng(1).integers(0, 30, (120, 160, 3), dtype=np.uint8)
        Image.fromarray(noise).save(tmp_path / "dark.png")
        planted["dark"] = dataset.add_file(tmp_path / "dark.png").item.hash
    window = open_window(qtbot, tmp_path / "settings", root)
    window.root, window.planted = root, planted
    return window


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def click_row(qtbot, view, row: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    rect = view.visualRect(view.model().index(row, 0))
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, modifier, rect.center())


def trashed(root: Path) -> set[str]:
    return files_in(root / ".studio" / "trash")


def test_a_planted_group_shows_its_conflict_and_keep_one_trashes_the_rest_undoably(qtbot, studio):
    tools = studio.label_view.tools
    click(qtbot, tools.duplicates_button)
    dialog = tools.dialogs["duplicates"]
    qtbot.waitUntil(lambda: bool(dialog.cards), timeout=WAIT_MS)
    by_members = {frozenset(card.group.hashes): card for card in dialog.cards}
    conflict = by_members[frozenset(studio.planted["conflict"])]
    copy = by_members[frozenset(studio.planted["copy"])]
    assert conflict.conflict.text() == "⚠ The copies carry different labels: hot dog vs not hot dog"
    assert not copy.conflict.isVisibleTo(copy)
    assert copy.strip.count() == 2 and "1 with copies labeled differently" in dialog.status.text()
    wait_fully_visible(qtbot, [dialog.status, conflict.keep_one, conflict.keep_all, conflict.strip])
    qtbot.waitUntil(lambda: copy.strip.item(1).icon().pixmap(32).toImage().pixel(16, 16) != 0)

    # Keep the copy (selected), not the first: the original goes to the trash, in one step.
    original, duplicate = studio.planted["copy"]
    dataset = studio.session.dataset
    names = {h: dataset.get(h).path.name for h in (original, duplicate)}
    click_row(qtbot, copy.strip, copy.group.hashes.index(duplicate))
    click(qtbot, copy.keep_one)
    qtbot.waitUntil(lambda: names[original] not in files_in(studio.root / UNLABELED))
    assert len(trashed(studio.root)) == 1 and names[duplicate] in files_in(studio.root / UNLABELED)
    assert copy not in dialog.cards and len(dialog.cards) == len(by_members) - 1

    click(qtbot, conflict.keep_all)  # dismissed: nothing moves
    assert conflict not in dialog.cards

    studio.activateWindow()
    qtbot.waitUntil(studio.isActiveWindow)
    inbox = studio.label_view.inbox
    inbox.setFocus()
    qtbot.keyClick(inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: set(names.values()) <= files_in(studio.root / UNLABELED))
    assert trashed(studio.root) == set()


def test_the_health_panel_lists_its_lines_and_a_click_reaches_the_photos(qtbot, studio):
    tools = studio.label_view.tools
    click(qtbot, tools.health_button)
    dialog = tools.dialogs["health"]
    qtbot.waitUntil(lambda: dialog.list.count() > 0, timeout=WAIT_MS)
    texts = [dialog.list.item(i).text() for i in range(dialog.list.count())]
    assert texts[0].startswith(f"{8 + 8 + 4 + 3} photos: ")
    dark_row = next(i for i, t in enumerate(texts) if "very dark" in t)
    assert texts[dark_row].startswith("⚠ 1 very dark") and texts[dark_row].endswith("1 photo ›")
    assert any("1 near-duplicate group(s) whose copies carry different labels" in t for t in texts)
    wait_fully_visible(qtbot, [dialog.list, dialog.status, dialog.recheck])

    click_row(qtbot, dialog.list, dark_row)
    qtbot.waitUntil(lambda: dialog.photos is not None and dialog.photos.isVisible())
    photos = dialog.photos
    assert photos.strip.hashes() == [studio.planted["dark"]]
    wait_fully_visible(qtbot, [photos.strip, *photos.actions.values()])

    click(qtbot, photos.actions["trash"])  # nothing selected yet: says so, moves nothing
    assert photos.note.text() == "Select one or more photos first."
    name = studio.session.dataset.get(studio.planted["dark"]).path.name
    click_row(qtbot, photos.strip, 0)
    click(qtbot, photos.actions[NOT_HOT_DOG])
    qtbot.waitUntil(lambda: name in files_in(studio.root / NOT_HOT_DOG))
    assert photos.strip.item(0).text() == "Not hot dog"
    click_row(qtbot, photos.strip, 0)
    click(qtbot, photos.actions["trash"])
    qtbot.waitUntil(lambda: name in trashed(studio.root))
    assert photos.strip.count() == 0

    # A line with no photos says so instead of opening an empty list.
    empty = next(i for i, t in enumerate(texts) if "suspected wrong labels: not checked yet" in t)
    click_row(qtbot, dialog.list, empty)
    assert dialog.status.text().startswith("No photos to show for")


def test_the_view_menu_opens_the_health_panel(qtbot, studio):
    action = next(a for a in studio.view_menu.actions() if a.text() == "Dataset &Health…")
    action.trigger()
    dialog = studio.label_view.tools.dialogs["health"]
    qtbot.waitUntil(lambda: dialog.list.count() > 0, timeout=WAIT_MS)
    assert QApplication.activeModalWidget() is None  # a panel beside the window, not a modal
    assert dialog.list.visualItemRect(dialog.list.item(0)).topLeft() != QPoint(-1, -1)


def test_the_train_view_notes_the_groups_and_what_the_split_does_with_them(qtbot, studio, tmp_path):
    from desktop_app.ml.health import health

    studio.close()
    window = open_window(qtbot, tmp_path / "settings2", studio.root, all_views=True)
    train_view = window.views["Train"]
    window.tabs.setCurrentWidget(train_view)
    note = train_view.split_note
    qtbot.waitUntil(note.isVisible, timeout=WAIT_MS)  # the conflict pair is labeled: one group
    with Dataset.open(studio.root, readonly=True) as dataset:
        leaks = next(line for line in health(dataset) if line.check == "split_leaks")
    text = note.text()
    assert text.startswith("1 near-duplicate group(s) among the labeled photos.")
    assert "photos of one class whose dHashes differ by at most 6 bits on one side" in text
    straddling = leaks.details["groups"]
    tail = f"{straddling} group(s) sit on both sides now: the score is flattered."
    assert text.endswith(tail if straddling else "Right now no group sits on both sides.")
    wait_fully_visible(qtbot, [note])


def test_label_next_without_a_model_or_features_says_why_it_keeps_the_import_order(qtbot, studio):
    tools, inbox = studio.label_view.tools, studio.label_view.inbox
    qtbot.waitUntil(lambda: inbox.current is not None)
    first = inbox.current
    assert tools.order_bar.reason.text() == "In import order"
    tools.order_bar.combo.setFocus()
    qtbot.keyClick(tools.order_bar.combo, Qt.Key.Key_Up)  # Label next, the entry above
    assert tools.order_bar.combo.currentText() == "Label next"
    qtbot.waitUntil(lambda: not tools.order_bar._busy, timeout=180_000)  # imports Keras
    assert tools.order_bar.reason.text() == "In import order (no features or model to order by)"
    tip = tools.order_bar.reason.toolTip()
    assert "no model yet: train one to get guesses" in tip and "downloads are off" in tip
    assert inbox.current == first and not tools.accept_bar.button.isEnabled()
    assert tools.accept_bar.button.text() == "Accept 0 guesses"
