"""Import: copies files and folders, skips duplicates and bad files with reasons, can be cancelled and undone."""

from __future__ import annotations

import threading

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED
from desktop_app.core.hashing import file_hash
from desktop_app.core.importer import import_paths, iter_image_files
from desktop_app.core.progress import CancelToken, Progress

GOOD = {
    "whole", "cmyk", "deep16", "palette_alpha", "animated", "rotated", "tiny", "la", "webp",
    "space", "unicode", "hash", "dash",
}  # fmt: skip
BAD = {"truncated": "truncated", "empty": "empty", "text": "text file", "bomb": "bomb"}


def test_the_bad_file_corpus_imports_what_it_can_and_says_why_not_the_rest(dataset, bad_files):
    files = bad_files()
    originals = {path: (path.read_bytes(), path.stat().st_mtime_ns) for path in files.values()}
    report = import_paths(dataset, [files["whole"].parent], HOT_DOG)
    assert len(report.added) == len(GOOD)
    assert {item.source for item in report.added} == {str(files[k]) for k in GOOD}
    reasons = dict(report.skipped)
    assert set(reasons) == {str(files[k]) for k in BAD}
    for kind, words in BAD.items():
        assert words in reasons[str(files[kind])]
        assert "\n" not in reasons[str(files[kind])]
    assert dataset.counts()[HOT_DOG] == len(GOOD)
    for path, (data, mtime) in originals.items():  # the originals are untouched
        assert path.exists() and path.read_bytes() == data and path.stat().st_mtime_ns == mtime
    rotated = next(i for i in report.added if i.source == str(files["rotated"]))
    assert (rotated.width, rotated.height) == (20, 40)


def test_folders_are_walked_recursively_and_hidden_files_passed_over(tmp_path, make_image):
    top = tmp_path / "holiday"
    make_image(folder=top)
    make_image(folder=top / "day 2" / "evening")
    make_image(folder=top / ".thumbnails")
    (top / ".DS_Store").write_bytes(b"\x00\x01")
    found = list(iter_image_files([top]))
    assert len(found) == 2
    assert all(".thumbnails" not in str(p) for p in found)


def test_duplicates_are_reported_with_the_label_they_already_have(dataset, make_image):
    paths = [make_image() for _ in range(4)]
    import_paths(dataset, paths[:2], NOT_HOT_DOG)
    copy = paths[0].with_name("copy of it.jpg")
    copy.write_bytes(paths[0].read_bytes())
    report = import_paths(dataset, [*paths, copy], HOT_DOG)
    assert len(report.added) == 2
    duplicates = {path: item.label for path, item in report.duplicates}
    assert duplicates == {
        str(paths[0]): NOT_HOT_DOG,
        str(paths[1]): NOT_HOT_DOG,
        str(copy): NOT_HOT_DOG,
    }
    assert report.to_dict()["duplicates"] == 3
    assert dataset.counts() == {HOT_DOG: 2, NOT_HOT_DOG: 2, UNLABELED: 0}


def test_the_same_content_twice_in_one_import_is_stored_once(dataset, make_image):
    path = make_image()
    twin = path.with_name("twin.jpg")
    twin.write_bytes(path.read_bytes())
    report = import_paths(dataset, [path, twin])
    assert len(report.added) == 1 and len(report.duplicates) == 1


def test_missing_paths_and_other_files_are_skipped_not_fatal(dataset, make_image, tmp_path):
    good = make_image()
    readme = tmp_path / "README.md"
    readme.write_text("# hello")
    report = import_paths(dataset, [tmp_path / "nowhere", good, readme])
    assert len(report.added) == 1
    assert dict(report.skipped) == {
        str(tmp_path / "nowhere"): "no such file",
        str(readme): "not an image file (.md)",
    }


def test_stored_files_are_named_by_content_hash(dataset, bad_files):
    files = bad_files()
    report = import_paths(dataset, [files["space"], files["unicode"], files["dash"]])
    for item in report.added:
        assert item.path.name == item.hash[:16] + item.path.suffix
        assert file_hash(item.path) == item.hash


def test_progress_reaches_the_total_and_undo_removes_the_whole_import(dataset, make_image):
    paths = [make_image() for _ in range(12)]
    events: list[Progress] = []
    report = import_paths(dataset, paths, HOT_DOG, progress=events.append)
    assert events[0].done == 0 and events[0].total == 12
    assert events[-1].done == 12 and "12 added" in events[-1].message
    assert [e.done for e in events] == sorted(e.done for e in events)
    assert dataset.undo()  # one step for the whole import
    assert dataset.counts()[HOT_DOG] == 0
    assert {i.hash for i in dataset.trashed()} == {i.hash for i in report.added}
    assert dataset.redo() and dataset.counts()[HOT_DOG] == 12


def test_cancel_keeps_what_was_added_and_leaves_no_staged_files(dataset, make_image):
    paths = [make_image() for _ in range(200)]
    cancel = CancelToken()

    def cancel_after_some(event: Progress) -> None:
        if event.done >= 20:
            cancel.cancel()

    report = import_paths(dataset, paths, progress=cancel_after_some, cancel=cancel)
    assert report.cancelled
    assert 20 <= len(report.added) < 200
    assert dataset.counts()[UNLABELED] == len(report.added)
    assert list((dataset.studio_dir / "tmp").iterdir()) == []


def test_importing_a_folder_that_holds_the_dataset_skips_the_dataset(tmp_path, make_image):
    from desktop_app.core.dataset import Dataset

    make_image(folder=tmp_path / "photos")
    with Dataset.create(tmp_path / "photos" / "my-dataset") as inside:
        first = import_paths(inside, [tmp_path / "photos"])
        second = import_paths(inside, [tmp_path / "photos"])
    assert len(first.added) == 1
    assert len(second.added) == 0 and len(second.duplicates) == 1


def test_importing_a_trashed_photo_again_brings_it_back(dataset, make_image):
    path = make_image()
    item = import_paths(dataset, [path], HOT_DOG).added[0]
    dataset.trash([item.hash])
    report = import_paths(dataset, [path], NOT_HOT_DOG)
    assert [i.hash for i in report.added] == [item.hash]
    assert dataset.get(item.hash).label == NOT_HOT_DOG and dataset.trashed() == []


def test_an_import_thread_and_label_changes_on_another_thread_interleave(dataset, make_image):
    """The window labels while its import worker runs: both land, folders and index agree."""
    first = [dataset.add_file(make_image()).item for _ in range(5)]
    paths = [make_image() for _ in range(60)]
    worker = threading.Thread(target=import_paths, args=(dataset, paths, NOT_HOT_DOG))
    worker.start()
    for item in first:
        dataset.set_label([item.hash], HOT_DOG)
    worker.join()
    assert dataset.counts() == {HOT_DOG: 5, NOT_HOT_DOG: 60, UNLABELED: 0}
    for item in dataset.items():
        assert item.path.parent.name == item.label and item.path.exists()
