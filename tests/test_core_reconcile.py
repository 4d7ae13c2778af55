"""The folders are the truth: the index is rebuilt or corrected from them, and no label is lost."""

from __future__ import annotations

import os
import sqlite3

from desktop_app.core import reconcile
from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset


def labels_of(dataset: Dataset) -> dict[str, str]:
    return {item.hash: item.label for item in dataset.items()}


def filled(dataset: Dataset, make_image) -> dict[str, str]:
    for label in (HOT_DOG, HOT_DOG, NOT_HOT_DOG, UNLABELED):
        dataset.add_file(make_image(), label)
    trashed = dataset.add_file(make_image(), NOT_HOT_DOG).item
    dataset.trash([trashed.hash])
    return labels_of(dataset)


def test_a_deleted_index_is_rebuilt_with_every_label(dataset, make_image):
    before = filled(dataset, make_image)
    items_before = {item.hash: item for item in dataset.items()}
    dataset.close()
    os.remove(dataset.studio_dir / "index.sqlite")
    with Dataset.open(dataset.root) as reopened:
        assert labels_of(reopened) == before
        assert [i.label for i in reopened.trashed()] == [UNLABELED]  # trash kept, old label unknown
        for item in reopened.items():
            old = items_before[item.hash]
            assert (item.path, item.width, item.height, item.size, item.phash) == (
                old.path,
                old.width,
                old.height,
                old.size,
                old.phash,
            )


def test_a_corrupted_index_is_set_aside_and_rebuilt(dataset, make_image):
    before = filled(dataset, make_image)
    dataset.close()
    index = dataset.studio_dir / "index.sqlite"
    index.write_bytes(os.urandom(8192))
    with Dataset.open(dataset.root) as reopened:
        assert labels_of(reopened) == before
    assert list(dataset.studio_dir.glob("index.corrupt-*.sqlite"))  # kept for a post-mortem
    sqlite3.connect(index).execute("SELECT COUNT(*) FROM items").fetchone()


def test_files_moved_added_and_removed_by_hand_are_picked_up(dataset, make_image):
    filled(dataset, make_image)
    hot = dataset.items(HOT_DOG)
    unlabeled = dataset.items(UNLABELED)[0]
    dataset.close()
    # In a file manager: move one hot dog to not_hot_dog, delete the other, drop in a new photo.
    os.rename(hot[0].path, dataset.root / NOT_HOT_DOG / hot[0].path.name)
    os.remove(hot[1].path)
    os.rename(unlabeled.path, dataset.root / HOT_DOG / "renamed by hand.jpg")
    new = make_image(folder=dataset.root / HOT_DOG, name="from the camera.jpg")
    (dataset.root / NOT_HOT_DOG / "notes.txt").write_text("not a picture")
    with Dataset.open(dataset.root) as reopened:
        labels = labels_of(reopened)
        assert labels[hot[0].hash] == NOT_HOT_DOG
        assert hot[1].hash not in labels
        renamed = reopened.get(unlabeled.hash)
        assert renamed.label == HOT_DOG and renamed.path.name == "renamed by hand.jpg"
        assert renamed.source == unlabeled.source  # kept: the same content, renamed
        assert any(i.path == new for i in reopened.items(HOT_DOG))
        assert [os.path.basename(p) for p, _reason in reopened.ignored] == ["notes.txt"]
        assert reopened.counts() == {HOT_DOG: 2, NOT_HOT_DOG: 2, UNLABELED: 0}


def test_nothing_is_read_again_when_nothing_changed(dataset, make_image, monkeypatch):
    filled(dataset, make_image)
    dataset.close()
    described: list[str] = []
    original = reconcile._describe
    monkeypatch.setattr(
        reconcile, "_describe", lambda path: described.append(path) or original(path)
    )
    with Dataset.open(dataset.root):
        pass
    assert described == []
    make_image(folder=dataset.root / UNLABELED)
    with Dataset.open(dataset.root) as reopened:
        assert reopened.counts()[UNLABELED] == 2
    assert len(described) == 1  # only the new file was read


def test_refresh_picks_up_changes_while_open_and_says_so(dataset, make_image):
    events = []
    dataset.subscribe(events.append)
    make_image(folder=dataset.root / HOT_DOG)
    assert dataset.refresh()
    assert dataset.counts()[HOT_DOG] == 1
    assert [e.kind for e in events] == ["rebuilt"]
    assert not dataset.refresh()


def test_a_read_only_open_of_a_plain_class_folder_tree_writes_nothing(tmp_path, make_image):
    """A folder laid out for Keras (hot_dog/, not_hot_dog/) can be read without being changed."""
    root = tmp_path / "keras-style"
    make_image(folder=root / HOT_DOG)
    make_image(folder=root / NOT_HOT_DOG)
    os.chmod(root, 0o555)
    try:
        with Dataset.open(root, readonly=True) as reader:
            assert reader.counts() == {HOT_DOG: 1, NOT_HOT_DOG: 1, UNLABELED: 0}
    finally:
        os.chmod(root, 0o755)
    assert sorted(p.name for p in root.iterdir()) == [HOT_DOG, NOT_HOT_DOG]


def test_a_crash_between_rename_and_index_update_is_repaired(dataset, make_image):
    """Simulate a kill after a label change renamed the file but before the index was written."""
    item = dataset.add_file(make_image(), UNLABELED).item
    dataset.close()
    os.rename(item.path, dataset.root / HOT_DOG / item.path.name)
    (dataset.studio_dir / "tmp").mkdir(exist_ok=True)
    (dataset.studio_dir / "tmp" / "half-written.part").write_bytes(b"\xff\xd8")
    with Dataset.open(dataset.root) as reopened:
        assert reopened.get(item.hash).label == HOT_DOG
        assert not (dataset.studio_dir / "tmp" / "half-written.part").exists()
