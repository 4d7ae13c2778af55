"""The undo history outlives the app: Ctrl+Z after a restart undoes the last session's steps."""

from __future__ import annotations

import pytest

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset
from desktop_app.core.importer import import_paths
from desktop_app.core.undo import Step, UndoStack
from desktop_app.core.undo_journal import UndoJournal


@pytest.fixture
def root(tmp_path):
    return tmp_path / "lunch"


def reopened(dataset: Dataset) -> Dataset:
    dataset.close()
    return Dataset.open(dataset.root)


def test_a_label_is_undone_and_redone_after_a_restart(root, make_image):
    dataset = Dataset.create(root)
    item = dataset.add_file(make_image(), UNLABELED).item
    dataset.set_label([item.hash], HOT_DOG)
    dataset.set_label([item.hash], NOT_HOT_DOG)

    dataset = reopened(dataset)
    assert dataset.undo()
    assert dataset.get(item.hash).label == HOT_DOG
    dataset = reopened(dataset)
    assert dataset.undo()
    assert dataset.get(item.hash).label == UNLABELED
    assert dataset.undo() and dataset.get(item.hash) is None  # the add: to the trash
    assert not dataset.undo()
    dataset = reopened(dataset)
    assert dataset.redo() and dataset.redo() and dataset.redo() and not dataset.redo()
    assert dataset.get(item.hash).label == NOT_HOT_DOG
    dataset.close()


def test_an_import_is_undone_after_a_restart_and_nothing_is_lost(root, make_image):
    dataset = Dataset.create(root)
    report = import_paths(dataset, [make_image(), make_image()], HOT_DOG)
    names = sorted(item.path.name for item in report.added)
    dataset = reopened(dataset)
    assert dataset.undo()
    assert dataset.counts()[HOT_DOG] == 0
    assert sorted(p.name for p in dataset.trash_dir.iterdir()) == names  # undoable, not deleted
    dataset.close()


def test_a_new_step_after_undo_forgets_the_redo_on_disk_too(root, make_image):
    dataset = Dataset.create(root)
    item = dataset.add_file(make_image(), UNLABELED).item
    dataset.set_label([item.hash], HOT_DOG)
    assert dataset.undo()
    dataset.set_label([item.hash], NOT_HOT_DOG)
    dataset = reopened(dataset)
    assert not dataset.redo()
    assert dataset.undo() and dataset.get(item.hash).label == UNLABELED
    dataset.close()


def test_folders_changed_by_hand_between_sessions_clear_the_history(root, make_image):
    dataset = Dataset.create(root)
    item = dataset.add_file(make_image(), UNLABELED).item
    dataset.set_label([item.hash], HOT_DOG)
    dataset.close()
    make_image("dropped-in-by-hand.png", folder=root / NOT_HOT_DOG)
    dataset = Dataset.open(root)
    assert not dataset.can_undo
    dataset = reopened(dataset)
    assert not dataset.can_undo
    dataset.close()


def test_a_crash_right_after_the_repair_leaves_no_stale_history(root, make_image, monkeypatch):
    """The open that repairs the index from hand-changed folders dies the moment the repair has
    committed (here: the next line raises). The history was cleared in that same transaction,
    so the next open, finding nothing left to repair, has no step naming a file that is gone."""
    from desktop_app.core import dataset as dataset_module

    dataset = Dataset.create(root)
    item = dataset.add_file(make_image(), UNLABELED).item
    dataset.set_label([item.hash], HOT_DOG)
    dataset.close()
    (root / HOT_DOG / item.path.name).rename(root / NOT_HOT_DOG / item.path.name)  # by hand

    class Killed(BaseException):
        pass

    def die(*_args, **_kwargs):
        raise Killed

    with monkeypatch.context() as crash:
        crash.setattr(dataset_module, "UndoStack", die)  # made right after the repair
        with pytest.raises(Killed):
            Dataset.open(root)
    with Dataset.open(root) as dataset:
        assert dataset.get(item.hash).label == NOT_HOT_DOG
        assert not dataset.can_undo


def test_the_history_on_disk_keeps_only_the_newest_steps(root):
    dataset = Dataset.create(root)
    stack = UndoStack(limit=3, journal=UndoJournal(dataset.index))
    stack.clear()
    for n in range(5):
        stack.push(Step("label", ((f"hash{n}", UNLABELED, HOT_DOG),)))
    undo, redo = UndoJournal(dataset.index).load()
    assert [step.moves[0][0] for step in undo] == ["hash2", "hash3", "hash4"] and redo == []
    dataset.close()


def test_a_read_only_window_neither_loads_nor_writes_the_history(root, make_image):
    writer = Dataset.create(root)
    item = writer.add_file(make_image(), UNLABELED).item
    writer.set_label([item.hash], HOT_DOG)
    reader = Dataset.open(root, readonly=True)
    assert not reader.can_undo
    reader.close()
    assert writer.undo() and writer.get(item.hash).label == UNLABELED
    writer.close()
