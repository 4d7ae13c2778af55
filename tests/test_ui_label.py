"""The Label view driven as a user drives it: drops from the file manager, keys, thumbnail drags."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from ui_helpers import (
    drag_enter,
    drag_leave,
    drop,
    file_mime,
    files_in,
    make_photos,
    open_window,
    seed_dataset,
    wait_loaded,
)

from desktop_app.core.dataset import Dataset

HOT, NOT, INBOX = "hot_dog", "not_hot_dog", "unlabeled"


@pytest.fixture
def studio(qtbot, tmp_path: Path):
    """A window on a dataset with 3 hot dogs, 2 not hot dogs and 3 inbox images."""
    root = tmp_path / "dataset"
    hashes = seed_dataset(root, tmp_path / "seed", {HOT: 3, NOT: 2, INBOX: 3})
    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {HOT: 3, NOT: 2, INBOX: 3})
    window.hashes = hashes
    return window


def target_of(window, label: str):
    view = window.label_view
    return view.inbox if label == INBOX else view.galleries[label]


def disk_counts(root: Path) -> dict[str, int]:
    return {label: len(files_in(root / label)) for label in (HOT, NOT, INBOX)}


@pytest.mark.parametrize("label", [HOT, NOT, INBOX])
def test_dropping_files_and_a_folder_imports_them_with_the_targets_label(
    qtbot, studio, tmp_path, label
):
    root = studio.session.dataset.root
    loose = make_photos(tmp_path / "drop" / "loose", 2, 1)
    folder = tmp_path / "drop" / "holiday"
    make_photos(folder / "day1", 2, 10)  # nested: the whole tree is imported
    before = disk_counts(root)

    with qtbot.waitSignal(studio.imports.finished, timeout=15000) as finished:
        event = drop(target_of(studio, label), file_mime([*loose, folder]))
    assert event.isAccepted()
    assert len(finished.args[0].added) == 4

    after = disk_counts(root)
    assert after[label] == before[label] + 4
    assert all(after[other] == before[other] for other in after if other != label)
    expected = {HOT: 3, NOT: 2, INBOX: 3}
    expected[label] += 4
    wait_loaded(qtbot, studio, expected)
    if label != INBOX:
        header = studio.label_view.galleries[label].header.text()
        assert f"({expected[label]})" in header
    assert all(p.exists() for p in loose)  # originals untouched


def test_drop_target_lights_up_while_dragging_and_clears_on_leave(studio, tmp_path):
    photo = make_photos(tmp_path / "drag", 1, 50)
    for label in (HOT, NOT, INBOX):
        target = target_of(studio, label)
        assert target.property("dropActive") is False
        enter = drag_enter(target, file_mime(photo))
        assert enter.isAccepted()
        assert target.property("dropActive") is True
        drag_leave(target)
        assert target.property("dropActive") is False


def test_keys_label_skip_undo_and_redo_in_the_inbox(qtbot, studio):
    root = studio.session.dataset.root
    inbox = studio.label_view.inbox
    inbox.setFocus()
    first = inbox.current
    assert first in studio.hashes[INBOX]
    stored = studio.session.dataset.get(first).path.name

    qtbot.keyClick(inbox, Qt.Key.Key_H)
    qtbot.waitUntil(lambda: stored in files_in(root / HOT))
    assert stored not in files_in(root / INBOX)
    second = inbox.current
    assert second not in (None, first)

    qtbot.keyClick(inbox, Qt.Key.Key_S)  # skip: nothing moves, the next one shows
    assert inbox.current not in (None, second)
    third = inbox.current
    third_name = studio.session.dataset.get(third).path.name
    qtbot.keyClick(inbox, Qt.Key.Key_N)
    qtbot.waitUntil(lambda: third_name in files_in(root / NOT))
    assert disk_counts(root) == {HOT: 4, NOT: 3, INBOX: 1}

    qtbot.keyClick(inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: third_name in files_in(root / INBOX))
    qtbot.waitUntil(lambda: inbox.current == third)  # the undone image is shown again
    qtbot.keyClick(inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: stored in files_in(root / INBOX))
    qtbot.keyClick(
        inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(lambda: stored in files_in(root / HOT))
    assert disk_counts(root) == {HOT: 4, NOT: 2, INBOX: 2}


def test_the_next_image_is_decoded_before_it_is_shown(qtbot, studio):
    inbox = studio.label_view.inbox
    qtbot.waitUntil(lambda: inbox.prefetch.image(inbox.current) is not None)
    upcoming = [h for h in inbox.queue.hashes() if h != inbox.current]
    qtbot.waitUntil(lambda: all(inbox.prefetch.image(h) is not None for h in upcoming))
    inbox.skip()
    assert inbox.canvas.image is inbox.prefetch.image(inbox.current)
    assert not inbox.canvas.image.isNull()


def test_model_guess_shows_and_enter_accepts_it(qtbot, studio):
    root = studio.session.dataset.root
    inbox = studio.label_view.inbox
    current = inbox.current
    name = studio.session.dataset.get(current).path.name
    inbox.set_guess(current, NOT, 0.93)
    assert inbox.guess_label.isVisibleTo(inbox)
    assert "Not hot dog 93%" in inbox.guess_label.text()
    qtbot.keyClick(inbox, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: name in files_in(root / NOT))
    assert not inbox.guess_label.isVisibleTo(inbox)  # the next image has no guess


def test_labeling_every_image_shows_the_empty_inbox(qtbot, studio):
    inbox = studio.label_view.inbox
    for _ in range(3):
        qtbot.keyClick(inbox, Qt.Key.Key_H)
    assert inbox.current is None
    assert inbox.stack.currentWidget() is inbox.empty
    assert "Inbox empty" in inbox.empty.text()
    qtbot.waitUntil(lambda: len(files_in(studio.session.dataset.root / INBOX)) == 0)


def test_thumbnails_dragged_to_the_other_class_are_relabeled_then_deleted_and_undone(qtbot, studio):
    root = studio.session.dataset.root
    hot = studio.label_view.galleries[HOT]
    view = hot.view
    moved = [hot.model.index(0), hot.model.index(2)]
    for index in moved:
        view.selectionModel().select(index, QItemSelectionModel.SelectionFlag.Select)
    mime = hot.model.mimeData(view.selectionModel().selectedIndexes())
    hashes = set(view.selected_hashes())
    assert len(hashes) == 2

    drop(studio.label_view.galleries[NOT], mime)
    wait_loaded(qtbot, studio, {HOT: 1, NOT: 4})
    with Dataset.open(root, readonly=True) as on_disk:
        assert {item.hash for item in on_disk.items(NOT)} >= hashes

    not_view = studio.label_view.galleries[NOT].view
    not_view.setFocus()
    not_view.clearSelection()
    not_view.selectionModel().select(
        not_view.model().index(0), QItemSelectionModel.SelectionFlag.Select
    )
    doomed = not_view.selected_hashes()
    qtbot.keyClick(not_view, Qt.Key.Key_Delete)
    wait_loaded(qtbot, studio, {NOT: 3})
    assert len(files_in(root / ".studio" / "trash")) == 1

    qtbot.keyClick(not_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the delete
    wait_loaded(qtbot, studio, {HOT: 1, NOT: 4})
    assert doomed[0] in studio.label_view.galleries[NOT].model.hashes()
    qtbot.keyClick(not_view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the move
    wait_loaded(qtbot, studio, {HOT: 3, NOT: 2})


def test_thumbnails_dragged_onto_the_inbox_are_unlabeled(qtbot, studio):
    hot = studio.label_view.galleries[HOT]
    mime = hot.model.mimeData([hot.model.index(1)])
    drop(studio.label_view.inbox, mime)
    wait_loaded(qtbot, studio, {HOT: 2, INBOX: 4})
    assert len(files_in(studio.session.dataset.root / INBOX)) == 4


def test_confidence_reads_as_people_expect():
    from desktop_app.ui.shell.percent import percent

    assert percent(0.93) == "93%"
    assert percent(0.999) == ">99%"
    assert percent(1.0) == "100%"
    assert percent(0.001) == "<1%"


def test_ctrl_z_in_a_new_window_undoes_a_label_from_the_last_session(qtbot, studio, tmp_path):
    root = studio.session.dataset.root
    inbox = studio.label_view.inbox
    inbox.setFocus()
    stored = studio.session.dataset.get(inbox.current).path.name
    qtbot.keyClick(inbox, Qt.Key.Key_H)
    qtbot.waitUntil(lambda: stored in files_in(root / HOT))
    studio.close()  # quits: the dataset is closed and its lock released
    qtbot.waitUntil(lambda: studio.session.dataset is None)

    window = open_window(qtbot, tmp_path / "settings", root, fresh=False)
    wait_loaded(qtbot, window, {HOT: 4, NOT: 2, INBOX: 2})
    inbox = window.label_view.inbox
    inbox.setFocus()
    qtbot.keyClick(inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: stored in files_in(root / INBOX))
    assert disk_counts(root) == {HOT: 3, NOT: 2, INBOX: 3}
