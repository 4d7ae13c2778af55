"""The import and stats commands, as scripts call them: JSON on stdout, progress on stderr, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import HOTDOG_PHOTOS, REPO

from desktop_app.cli import run_command
from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset


def hotdog_studio(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )


def test_import_creates_the_dataset_and_prints_one_json_object(tmp_path, make_image, bad_files):
    photos = [make_image() for _ in range(3)]
    bad = bad_files()
    root = tmp_path / "new dataset"
    result = hotdog_studio("import", root, *photos, bad["text"], "--label", HOT_DOG, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["added"] == 3 and report["duplicates"] == 0
    assert report["skipped"] == [{"path": str(bad["text"]), "reason": "a text file, not an image"}]
    assert report["counts"] == {HOT_DOG: 3, NOT_HOT_DOG: 0, UNLABELED: 0}
    assert "importing" in result.stderr  # progress and messages go to stderr
    assert "Traceback" not in result.stderr
    again = json.loads(hotdog_studio("import", root, photos[0], "--json").stdout)
    assert again["added"] == 0 and again["duplicates"] == 1
    assert again["duplicate_files"][0]["label"] == HOT_DOG


def test_import_without_json_prints_a_readable_report(tmp_path, make_image, capsys):
    photo = make_image()
    assert (
        run_command(["import", str(tmp_path / "ds"), str(photo), str(tmp_path / "gone.jpg")]) == 0
    )
    out = capsys.readouterr().out
    assert "1 added" in out and "1 skipped" in out
    assert f"skipped: {tmp_path / 'gone.jpg'}: no such file" in out


def test_an_unknown_label_is_bad_usage_and_creates_nothing(tmp_path, make_image, capsys):
    root = tmp_path / "ds"
    assert run_command(["import", str(root), str(make_image()), "--label", "cat"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unknown label 'cat'" in err
    assert not root.exists()


def test_import_into_a_locked_dataset_fails_with_one_line(tmp_path, make_image):
    with Dataset.create(tmp_path / "ds"):
        result = hotdog_studio("import", tmp_path / "ds", make_image(), "--json")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "open in another window or command (pid" in result.stderr
    assert "Traceback" not in result.stderr


def test_stats_reports_counts_and_size(tmp_path, make_image, capsys):
    root = tmp_path / "ds"
    run_command(["import", str(root), str(make_image()), str(make_image()), "--label", HOT_DOG])
    run_command(["import", str(root), str(make_image())])
    capsys.readouterr()
    assert run_command(["stats", str(root), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["counts"] == {HOT_DOG: 2, NOT_HOT_DOG: 0, UNLABELED: 1}
    assert (stats["total"], stats["labeled"], stats["unlabeled"]) == (3, 2, 1)
    assert stats["bytes"] == sum(p.stat().st_size for p in root.glob("*/*.jpg"))
    assert run_command(["stats", str(root)]) == 0
    table = capsys.readouterr().out
    assert "hot_dog" in table and "total" in table and " 3 " in table


def test_stats_of_a_missing_dataset_is_one_line_and_exit_1(tmp_path):
    result = hotdog_studio("stats", tmp_path / "nothing here")
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and "no dataset at" in result.stderr


def test_stats_works_while_the_window_has_the_dataset_open(dataset, make_image):
    dataset.add_file(make_image(), NOT_HOT_DOG)
    result = hotdog_studio("stats", dataset.root, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"][NOT_HOT_DOG] == 1


@pytest.mark.slow
@pytest.mark.skipif(not HOTDOG_PHOTOS.is_dir(), reason="../shared/data/hotdog is not here")
def test_the_real_photos_import_with_the_counts_of_their_manifest(tmp_path):
    manifest = json.loads((HOTDOG_PHOTOS / "manifest.json").read_text())
    expected = {
        label: sum(1 for e in manifest if e["label"] == label) for label in (HOT_DOG, NOT_HOT_DOG)
    }
    root = tmp_path / "hotdog"
    for label in (HOT_DOG, NOT_HOT_DOG):
        result = hotdog_studio("import", root, HOTDOG_PHOTOS / label, "--label", label, "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["added"] == expected[label] and report["skipped"] == []
    stats = json.loads(hotdog_studio("stats", root, "--json").stdout)
    assert stats["counts"] == {**expected, UNLABELED: 0}


def test_progress_is_one_final_line_when_stderr_is_not_a_terminal():
    import io

    from desktop_app.commands._terminal import TerminalProgress
    from desktop_app.core.progress import Progress

    quiet = io.StringIO()
    with TerminalProgress(quiet, interactive=False) as bar:
        for done in range(0, 101, 10):
            bar(Progress("importing", done, 100, f"file{done}.jpg"))
    assert quiet.getvalue() == "importing 100/100: file100.jpg\n"
    drawn = io.StringIO()
    with TerminalProgress(drawn, interactive=True) as bar:
        bar(Progress("importing", 0, 4))
        bar(Progress("fitting", 2, 10, kind="epoch", logs={"loss": 0.5}))
        bar(Progress("importing", 4, 4, "done"))
    text = drawn.getvalue()
    assert "\r" in text and "[########################]" in text and "4/4" in text
    assert "fitting 2/10  loss 0.5\n" in text and text.endswith("\n")
