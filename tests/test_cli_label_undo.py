"""hotdog-studio label / undo / redo: the window's relabel and Ctrl+Z, from a script.

Real files in a real dataset; the history outlives each process, as the window's does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO

from desktop_app.cli import run_command
from desktop_app.commands._dataset_items import NoSuchItem, find_items
from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset, Item


def hotdog_studio(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )


@pytest.fixture
def dataset_root(tmp_path, make_image) -> Path:
    """Three unlabeled pictures, imported as the window would (one undoable step each)."""
    root = tmp_path / "ds"
    with Dataset.create(root) as dataset:
        for _ in range(3):
            dataset.add_file(make_image())
    return root


def state(root: Path) -> dict:
    """Every file under the class folders and the trash, and where the index puts each image."""
    folders = [root / HOT_DOG, root / NOT_HOT_DOG, root / UNLABELED, root / ".studio" / "trash"]
    files = sorted(
        str(path.relative_to(root))
        for folder in folders
        if folder.is_dir()
        for path in folder.iterdir()
    )
    with Dataset.open(root, readonly=True) as dataset:
        labels = {item.hash: item.label for item in dataset.items()}
        trashed = sorted(item.hash for item in dataset.trashed())
        fingerprint = dataset.fingerprint()
    return {"files": files, "labels": labels, "trash": trashed, "fingerprint": fingerprint}


def unlabeled_files(root: Path) -> list[Path]:
    return sorted((root / UNLABELED).iterdir())


def test_label_then_undo_then_redo_restores_each_exact_state(dataset_root):
    first, second, _third = unlabeled_files(dataset_root)
    imported = state(dataset_root)

    labeled = hotdog_studio("label", dataset_root, first, second, "--as", HOT_DOG)
    assert labeled.returncode == 0, labeled.stderr
    assert "2 image(s) now hot_dog." in labeled.stdout
    after_label = state(dataset_root)
    assert (dataset_root / HOT_DOG / first.name).is_file()
    assert not first.exists()
    assert after_label["fingerprint"] != imported["fingerprint"]

    undone = hotdog_studio("undo", dataset_root)  # another process: the history was saved
    assert undone.returncode == 0, undone.stderr
    assert f"hot_dog -> unlabeled     {first}" in undone.stdout
    assert "Undid a step: 2 image(s) moved." in undone.stdout
    assert state(dataset_root) == imported

    redone = hotdog_studio("redo", dataset_root)
    assert redone.returncode == 0, redone.stderr
    assert "Redid a step: 2 image(s) moved." in redone.stdout
    assert state(dataset_root) == after_label

    assert hotdog_studio("undo", dataset_root).returncode == 0
    assert state(dataset_root) == imported


def test_label_by_hash_prefix_prints_what_changed_as_json(dataset_root, capsys):
    with Dataset.open(dataset_root, readonly=True) as dataset:
        items = dataset.items()
    target, already = items[0], items[1]
    assert run_command(["label", str(dataset_root), already.hash, "--as", UNLABELED]) == 0
    capsys.readouterr()
    argv = ["label", str(dataset_root), target.hash[:8].upper(), already.hash, "--as", NOT_HOT_DOG]
    assert run_command([*argv, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    new_path = dataset_root / NOT_HOT_DOG / target.path.name
    assert result["label"] == NOT_HOT_DOG
    assert result["changed"][0] == {
        "hash": target.hash,
        "from": UNLABELED,
        "to": NOT_HOT_DOG,
        "path": str(new_path),
    }
    assert [change["hash"] for change in result["changed"]] == [target.hash, already.hash]
    assert result["unchanged"] == []
    assert result["counts"] == {HOT_DOG: 0, NOT_HOT_DOG: 2, UNLABELED: 1}
    assert new_path.is_file()


def test_a_label_already_there_changes_nothing_and_adds_no_step(dataset_root, capsys):
    first = unlabeled_files(dataset_root)[0]
    before = state(dataset_root)
    assert run_command(["label", str(dataset_root), str(first), "--as", UNLABELED, "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] == [] and result["unchanged"][0]["path"] == str(first)
    assert state(dataset_root) == before
    assert run_command(["undo", str(dataset_root)]) == 0  # the last import, not a no-op label
    assert "unlabeled -> trash" in capsys.readouterr().out


def bad_label(root: Path, *targets: object, label: str = HOT_DOG) -> str:
    """Run a label that must be refused: exit 2, nothing changed; returns its one stderr line."""
    before = state(root)
    result = hotdog_studio("label", root, *targets, "--as", label)
    assert result.returncode == 2, result.stderr
    assert result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert state(root) == before
    return result.stderr


def test_what_names_no_image_is_refused_and_nothing_changes(dataset_root, make_image, tmp_path):
    good = unlabeled_files(dataset_root)[0]
    outside = make_image()
    assert bad_label(dataset_root, good, "deadbeef00") == (
        f"error: no image with hash deadbeef00 in {dataset_root}\n"
    )
    assert bad_label(dataset_root, good, outside) == (
        f"error: {outside}: not an image of {dataset_root} (a file in a class folder)\n"
    )
    assert "no such file, and not an image hash (8 or more hex digits)" in bad_label(
        dataset_root, good, tmp_path / "gone.jpg"
    )
    assert "a folder, and not an image hash" in bad_label(dataset_root, dataset_root / HOT_DOG)
    assert "abc1234: no such file, and not an image hash" in bad_label(dataset_root, "abc1234")
    assert bad_label(dataset_root, good, label="cat") == (
        "error: unknown class 'cat': use one of hot_dog, not_hot_dog, unlabeled\n"
    )


def test_an_image_in_the_trash_is_named_as_such(dataset_root):
    with Dataset.open(dataset_root) as dataset:
        gone = dataset.items()[0]
        dataset.trash([gone.hash])
    assert f"image {gone.hash[:12]} is in the trash" in bad_label(dataset_root, gone.hash[:12])
    trashed_file = dataset_root / ".studio" / "trash" / gone.path.name
    assert "not an image of" in bad_label(dataset_root, trashed_file)


class StubDataset:
    """Two images whose hashes share their first 10 hex digits (sha256 would take ages to)."""

    root = Path("/stub")

    def __init__(self) -> None:
        def item(hash: str) -> Item:
            return Item(hash, UNLABELED, self.root / f"{hash[:16]}.jpg", 1, 1, 1, 0, None, 0.0)

        self._items = [item("abcdef0123" + "4" * 54), item("abcdef0123" + "5" * 54)]

    def items(self) -> list[Item]:
        return self._items

    def trashed(self) -> list[Item]:
        return []


def test_an_ambiguous_hash_prefix_is_refused_and_a_longer_one_is_not():
    stub = StubDataset()
    with pytest.raises(NoSuchItem, match="hash abcdef0123 is ambiguous: 2 images start with it"):
        find_items(stub, ["abcdef0123"])
    assert find_items(stub, ["abcdef01235", "ABCDEF01234"]) == stub.items()[::-1]
    assert find_items(stub, ["abcdef01234", "abcdef012344"]) == stub.items()[:1]  # named twice


def test_a_second_writer_is_refused_with_one_line_and_nothing_changes(dataset_root, capsys):
    first = unlabeled_files(dataset_root)[0]
    before = state(dataset_root)
    with Dataset.open(dataset_root):  # the window, or another command, has it open
        for command in (["label", first, "--as", HOT_DOG], ["undo"], ["redo"]):
            result = hotdog_studio(command[0], dataset_root, *command[1:])
            assert result.returncode == 1
            assert result.stdout == ""
            assert result.stderr.startswith(f"error: {dataset_root} is open in another window")
            assert result.stderr.count("\n") == 1
        assert run_command(["label", str(dataset_root), str(first), "--as", HOT_DOG]) == 1
        assert "is open in another window or command (pid" in capsys.readouterr().err
    assert state(dataset_root) == before


def test_nothing_to_undo_or_redo_is_exit_code_1_with_one_line(tmp_path, capsys):
    root = tmp_path / "empty"
    Dataset.create(root).close()
    assert run_command(["undo", str(root)]) == 1
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", f"nothing to undo in {root}\n")
    assert run_command(["redo", str(root), "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["done"] is False
    assert captured.err == f"nothing to redo in {root}\n"


def test_undo_json_names_each_move(dataset_root, capsys):
    first = unlabeled_files(dataset_root)[0]
    run_command(["label", str(dataset_root), str(first), "--as", HOT_DOG])
    capsys.readouterr()
    assert run_command(["undo", str(dataset_root), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["action"] == "undo" and result["done"] is True
    assert result["moved"] == [
        {"hash": result["moved"][0]["hash"], "from": HOT_DOG, "to": UNLABELED, "path": str(first)}
    ]
    assert result["counts"][UNLABELED] == 3
