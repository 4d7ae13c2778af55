"""The dataset on disk: adding, labeling, trash, undo/redo, change events, thumbnails."""

from __future__ import annotations

import json
import threading

import pytest
from conftest import picture
from PIL import Image

from desktop_app.core.dataset import (
    HOT_DOG,
    NOT_HOT_DOG,
    UNLABELED,
    ChangeEvent,
    Dataset,
)
from desktop_app.core.errors import BadImage, DatasetError
from desktop_app.core.hashing import file_hash
from desktop_app.core.importer import import_paths


def files_in(folder):
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_create_makes_the_layout_any_tool_can_read(dataset):
    root = dataset.root
    for name in (HOT_DOG, NOT_HOT_DOG, UNLABELED, ".studio"):
        assert (root / name).is_dir()
    config = json.loads((root / ".studio" / "dataset.json").read_text())
    assert config["classes"] == [HOT_DOG, NOT_HOT_DOG]
    assert dataset.counts() == {HOT_DOG: 0, NOT_HOT_DOG: 0, UNLABELED: 0}


def test_add_file_copies_it_under_its_content_hash(dataset, make_image):
    original = make_image("lunch.jpg")
    before = (original.read_bytes(), original.stat().st_mtime)
    result = dataset.add_file(original, HOT_DOG)
    assert result.status == "added"
    item = result.item
    assert item.hash == file_hash(original)
    assert item.path == dataset.root / HOT_DOG / (item.hash[:16] + ".jpg")
    assert item.path.read_bytes() == before[0]
    assert (original.read_bytes(), original.stat().st_mtime) == before  # untouched
    assert (item.width, item.height, item.label) == (48, 32, HOT_DOG)
    assert item.source == str(original)
    assert dataset.get(item.hash) == item
    assert dataset.counts()[HOT_DOG] == 1


def test_the_same_file_twice_is_a_duplicate_that_names_its_label(dataset, make_image):
    path = make_image()
    first = dataset.add_file(path, NOT_HOT_DOG)
    again = dataset.add_file(path, HOT_DOG)
    assert again.status == "duplicate" and not again.added
    assert again.item.label == NOT_HOT_DOG and again.item.hash == first.item.hash
    assert dataset.counts() == {HOT_DOG: 0, NOT_HOT_DOG: 1, UNLABELED: 0}
    assert not list((dataset.studio_dir / "tmp").iterdir())  # no staged copy left behind


def test_a_bad_file_is_refused_and_nothing_changes(dataset, bad_files):
    with pytest.raises(BadImage, match="truncated"):
        dataset.add_file(bad_files()["truncated"])
    assert sum(dataset.counts().values()) == 0
    assert not dataset.can_undo


def test_unknown_label_is_refused(dataset, make_image):
    with pytest.raises(DatasetError, match="unknown label 'cat'"):
        dataset.add_file(make_image(), "cat")


def test_relabel_moves_the_file_and_unlabel_moves_it_back(dataset, make_image):
    item = dataset.add_file(make_image()).item
    dataset.set_label([item.hash], HOT_DOG)
    moved = dataset.get(item.hash)
    assert moved.label == HOT_DOG and moved.path.parent == dataset.root / HOT_DOG
    assert moved.path.exists() and not item.path.exists()
    dataset.set_label([item.hash], NOT_HOT_DOG)
    dataset.set_label([item.hash], UNLABELED)
    assert files_in(dataset.root / UNLABELED) == [item.path.name]
    assert files_in(dataset.root / HOT_DOG) == files_in(dataset.root / NOT_HOT_DOG) == []


def test_trash_is_recoverable_by_undo_and_by_restore(dataset, make_image):
    items = [dataset.add_file(make_image(), HOT_DOG).item for _ in range(3)]
    dataset.trash([items[0].hash, items[1].hash])
    assert dataset.counts()[HOT_DOG] == 1
    assert len(files_in(dataset.trash_dir)) == 2
    assert {i.label for i in dataset.trashed()} == {HOT_DOG}  # remembers where it came from
    assert dataset.get(items[0].hash) is None
    dataset.undo()
    assert dataset.counts()[HOT_DOG] == 3 and files_in(dataset.trash_dir) == []
    dataset.trash([items[2].hash])
    dataset.restore([items[2].hash])
    assert dataset.get(items[2].hash).label == HOT_DOG


def test_undo_and_redo_walk_through_every_kind_of_step(dataset, make_image):
    item = dataset.add_file(make_image()).item
    dataset.set_label([item.hash], HOT_DOG)
    dataset.trash([item.hash])
    assert dataset.get(item.hash) is None
    assert dataset.undo() and dataset.get(item.hash).label == HOT_DOG
    assert dataset.undo() and dataset.get(item.hash).label == UNLABELED
    assert dataset.undo()  # undoing the add puts the file in the trash: nothing is lost
    assert dataset.get(item.hash) is None and dataset.trashed()[0].hash == item.hash
    assert not dataset.undo() and not dataset.can_undo
    assert dataset.redo() and dataset.get(item.hash).label == UNLABELED
    assert dataset.redo() and dataset.get(item.hash).label == HOT_DOG
    assert dataset.redo() and dataset.get(item.hash) is None
    assert not dataset.redo() and not dataset.can_redo


def test_a_new_change_clears_redo(dataset, make_image):
    item = dataset.add_file(make_image()).item
    dataset.set_label([item.hash], HOT_DOG)
    dataset.undo()
    assert dataset.can_redo
    dataset.set_label([item.hash], NOT_HOT_DOG)
    assert not dataset.can_redo


def test_adding_a_trashed_file_again_brings_it_back(dataset, make_image):
    path = make_image()
    item = dataset.add_file(path, HOT_DOG).item
    dataset.trash([item.hash])
    again = dataset.add_file(path, NOT_HOT_DOG)
    assert again.added and again.item.label == NOT_HOT_DOG
    assert files_in(dataset.trash_dir) == []


def test_subscribers_hear_every_change_with_the_hashes(dataset, make_image):
    events: list[ChangeEvent] = []
    dataset.subscribe(events.append)
    item = dataset.add_file(make_image()).item
    dataset.set_label([item.hash], HOT_DOG)
    dataset.trash([item.hash])
    dataset.undo()
    assert [e.kind for e in events] == ["added", "labeled", "trashed", "restored"]
    assert all(e.hashes == (item.hash,) for e in events)
    dataset.unsubscribe(events.append)
    dataset.set_label([item.hash], NOT_HOT_DOG)
    assert len(events) == 4


def test_fingerprint_follows_labels_and_contents(dataset, make_image):
    empty = dataset.fingerprint()
    item = dataset.add_file(make_image()).item
    added = dataset.fingerprint()
    dataset.set_label([item.hash], HOT_DOG)
    labeled = dataset.fingerprint()
    assert len({empty, added, labeled}) == 3
    dataset.undo()
    assert dataset.fingerprint() == added


def test_thumbnail_is_made_once_and_fits_the_size(dataset, make_image):
    item = dataset.add_file(make_image(size=(600, 300))).item
    path = dataset.thumbnail(item.hash, 128)
    with Image.open(path) as thumb:
        assert thumb.format == "JPEG" and thumb.size == (128, 64)
    stamp = path.stat().st_mtime_ns
    assert dataset.thumbnail(item.hash, 128) == path and path.stat().st_mtime_ns == stamp


def test_add_image_stores_a_picture_from_memory(dataset):
    result = dataset.add_image(picture(5, (64, 48)), HOT_DOG, source="camera")
    assert result.added and result.item.path.suffix == ".jpg"
    assert (result.item.width, result.item.height, result.item.source) == (64, 48, "camera")
    png = dataset.add_image(picture(6), UNLABELED, source="clipboard", format="PNG")
    assert png.item.path.suffix == ".png"


def test_formats_keras_cannot_read_are_stored_as_png(dataset, bad_files):
    item = dataset.add_file(bad_files()["webp"]).item
    assert item.path.suffix == ".png"
    with Image.open(item.path) as stored:
        assert stored.format == "PNG"


def test_class_folders_hold_only_images(dataset, make_image, bad_files):
    """image_dataset_from_directory reads class folders as they are: nothing else may live there."""
    import_paths(dataset, [bad_files().get("whole").parent], HOT_DOG)
    for label in dataset.labels:
        for path in (dataset.root / label).iterdir():
            assert path.suffix in {".jpg", ".png", ".gif", ".bmp"}, path


def test_read_only_dataset_refuses_changes(dataset, make_image):
    item = dataset.add_file(make_image()).item
    with Dataset.open(dataset.root, readonly=True) as reader:
        assert reader.get(item.hash) == item
        with pytest.raises(DatasetError, match="read-only"):
            reader.set_label([item.hash], HOT_DOG)


def test_open_refuses_what_is_not_a_dataset(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        Dataset.open(tmp_path / "missing")
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "a.txt").write_text("x")
    with pytest.raises(DatasetError, match="not a dataset"):
        Dataset.open(tmp_path / "photos")
    with pytest.raises(DatasetError, match="not empty"):
        Dataset.create(tmp_path / "photos")


def test_more_classes_come_from_dataset_json(tmp_path, make_image):
    root = tmp_path / "three"
    (root / ".studio").mkdir(parents=True)
    (root / ".studio" / "dataset.json").write_text(
        json.dumps({"version": 1, "classes": [HOT_DOG, NOT_HOT_DOG, "taco"]})
    )
    with Dataset.open(root) as three:
        three.add_file(make_image(), "taco")
        assert three.counts() == {HOT_DOG: 0, NOT_HOT_DOG: 0, "taco": 1, UNLABELED: 0}
        assert (root / "taco").is_dir()


def test_reading_from_another_thread_while_writing(dataset, make_image):
    paths = [make_image() for _ in range(30)]
    seen: list[int] = []
    errors: list[BaseException] = []

    def read_while_importing() -> None:
        try:
            while not done.is_set():
                seen.append(sum(dataset.counts().values()))
                dataset.items()
        except BaseException as error:  # surfaced below
            errors.append(error)

    done = threading.Event()
    reader = threading.Thread(target=read_while_importing)
    reader.start()
    for path in paths:
        dataset.add_file(path)
    done.set()
    reader.join()
    assert not errors
    assert seen and seen == sorted(seen)  # the reader only ever saw whole additions
    assert dataset.counts()[UNLABELED] == 30
