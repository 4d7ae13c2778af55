"""Faults (#11) below the window: a full disk, a read-only folder, a second writer, labels that
change under a training. Each gives one line, and nothing already in the dataset is lost.

The full disk and the read-only folder are real where the machine allows it: the command line
runs in a private mount namespace (`unshare -m`) on a tiny tmpfs, or on a read-only bind mount
of the dataset, so the kernel itself refuses the writes. Elsewhere (in process) the failing write
is simulated by raising the OSError the kernel would.
"""

from __future__ import annotations

import errno
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from ml_synthetic import fill
from ml_tiny import register_tiny
from PIL import Image

from desktop_app.core import writable
from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset
from desktop_app.core.errors import DatasetLocked, DatasetReadOnly, StudioError
from desktop_app.core.index import TRASH, Index
from desktop_app.core.write_errors import DiskFull

REPO = Path(__file__).resolve().parents[1]
CLI = f"{shlex.quote(sys.executable)} -m desktop_app"


def _can_mount() -> bool:
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    sys.platform != "linux" or not _can_mount(),
    reason="needs `unshare -m` and mount rights (root in a container) for a real tmpfs",
)


def in_namespace(script: str, tmp_path: Path) -> None:
    """Run a shell script in a private mount namespace (its mounts vanish when it ends)."""
    done = subprocess.run(
        ["unshare", "-m", "sh", "-ec", textwrap.dedent(script)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def noisy_photos(folder: Path, count: int, side: int = 192) -> list[Path]:
    """Photos of noise: they compress badly, so a few fill a small disk."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(11)
    paths = []
    for i in range(count):
        path = folder / f"noise_{i:02d}.jpg"
        Image.fromarray(rng.integers(0, 256, (side, side, 3), dtype=np.uint8)).save(
            path, quality=95
        )
        paths.append(path)
    return paths


def files_of(root: Path, label: str) -> list[str]:
    folder = root / label if label != TRASH else root / ".studio" / "trash"
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def index_agrees_with_folders(root: Path) -> dict[str, list[str]]:
    """Every class folder holds exactly the files the index names there; returns them."""
    index = Index(root / ".studio" / "index.sqlite")
    try:
        named: dict[str, list[str]] = {}
        for row in index.all_rows():
            named.setdefault(row.label, []).append(row.name)
    finally:
        index.close()
    for label in [HOT_DOG, NOT_HOT_DOG, UNLABELED, TRASH]:
        assert files_of(root, label) == sorted(named.get(label, [])), label
    return named


def one_error_line(stderr: str) -> str:
    """The one error line, last on stderr (after the progress lines of a run that failed)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr, stderr
    assert [line for line in lines if line.startswith("error:")] == lines[-1:], stderr
    return lines[-1]


# -- a full disk ---------------------------------------------------------------------------------


@needs_mounts
def test_an_import_that_fills_the_disk_keeps_what_came_before_and_resumes(tmp_path):
    photos = noisy_photos(tmp_path / "photos", 24)
    first, rest = photos[:8], photos[8:]
    room = sum(p.stat().st_size for p in first) + 150_000 + sum(p.stat().st_size for p in rest) // 3
    disk, out = tmp_path / "disk", tmp_path / "out"
    disk.mkdir()
    out.mkdir()
    ds = disk / "ds"
    in_namespace(
        f"""
        mount -t tmpfs -o size={room} tmpfs {disk}
        {CLI} import {ds} {" ".join(map(str, first))} --label hot_dog >/dev/null 2>&1
        {CLI} import {ds} {tmp_path / "photos"} --label hot_dog >{out}/1.out 2>{out}/1.err \\
            || echo $? >{out}/1.rc
        cp -a {ds} {out}/full
        mount -o remount,size={room * 4} {disk}
        {CLI} import {ds} {tmp_path / "photos"} --label hot_dog >{out}/2.out 2>{out}/2.err
        cp -a {ds} {out}/after
        """,
        tmp_path,
    )
    assert (out / "1.rc").read_text().strip() == "1"
    line = one_error_line((out / "1.err").read_text())
    assert line.startswith("error: The disk is full: "), line

    kept = index_agrees_with_folders(out / "full")[HOT_DOG]
    assert len(first) <= len(kept) < len(photos)  # the earlier import, and any stored since
    assert not [n for n in files_of(out / "full", HOT_DOG) if n.endswith(".part")]
    assert not list((out / "full" / ".studio" / "tmp").glob("*"))  # no staged copy left

    after = index_agrees_with_folders(out / "after")
    assert len(after[HOT_DOG]) == len(set(after[HOT_DOG])) == len(photos)  # each exactly once
    assert f"{len(photos) - len(kept)} added" in (out / "2.out").read_text()


def fail_writes_to(monkeypatch: pytest.MonkeyPatch, matches) -> list[str]:
    """os.replace raises ENOSPC for targets that match; the calls refused are returned."""
    real, refused = os.replace, []

    def replace(src, dst, **kwargs):
        if matches(Path(dst)):
            refused.append(str(dst))
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(dst))
        return real(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)
    return refused


def test_a_thumbnail_on_a_full_disk_says_so_and_leaves_no_part_file(dataset, tmp_path, monkeypatch):
    item = dataset.add_file(noisy_photos(tmp_path / "p", 1)[0], HOT_DOG).item
    with pytest.MonkeyPatch.context() as full:
        refused = fail_writes_to(full, lambda dst: "thumbs" in dst.parts)
        with pytest.raises(DiskFull, match=r"^The disk is full: could not write a thumbnail in "):
            dataset.thumbnail(item.hash, 64)
    assert refused
    assert not [p for p in dataset.thumbs_dir.rglob("*") if p.is_file()]
    # Space is back:
    assert Image.open(dataset.thumbnail(item.hash, 64)).size == (64, 64)


def test_a_training_that_cannot_save_leaves_no_half_run_and_the_next_one_saves(
    dataset, tmp_path, monkeypatch
):
    from desktop_app.ml.runs import current_run, list_runs
    from desktop_app.ml.training import TrainSettings, train

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    settings = TrainSettings(backbone=register_tiny(tmp_path / "keras_home"), epochs=2)
    fill(dataset, tmp_path, per_class=6)
    with pytest.MonkeyPatch.context() as full:
        fail_writes_to(full, lambda dst: dst.name == "model.keras")
        with pytest.raises(DiskFull, match=r"^The disk is full: could not write the trained model"):
            train(dataset, settings)
    assert list(dataset.runs_dir.iterdir()) == []  # no folder a half-saved run left
    assert list_runs(dataset) == []
    record = train(dataset, settings)
    assert current_run(dataset).id == record.id and record.model_path.is_file()


def test_the_command_line_says_the_disk_is_full_in_one_line(tmp_path, monkeypatch, capsys):
    from desktop_app.cli import run_command

    Dataset.create(tmp_path / "ds").close()
    photo = noisy_photos(tmp_path / "p", 1)[0]
    with pytest.MonkeyPatch.context() as full:
        fail_writes_to(full, lambda dst: True)  # even the staged copy's rename
        assert run_command(["import", str(tmp_path / "ds"), str(photo)]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("error: The disk is full: could not write "), line
    with Dataset.open(tmp_path / "ds", readonly=True) as ds:
        assert ds.counts()[UNLABELED] == 0


# -- a read-only folder ------------------------------------------------------------------------


def test_a_folder_that_refuses_writes_opens_only_for_reading(dataset, tmp_path, monkeypatch):
    from desktop_app.ml.training import TrainSettings, train

    item = dataset.add_file(noisy_photos(tmp_path / "p", 1)[0], HOT_DOG).item
    root = dataset.root
    dataset.close()
    # Simulated: root passes chmod a-w, so the probe's write is made to fail as the kernel would.
    monkeypatch.setattr(writable, "unwritable_reason", lambda folder: "Read-only file system")
    with pytest.raises(DatasetReadOnly, match=r"is read-only \(Read-only file system\)$"):
        Dataset.open(root)
    with Dataset.open(root, readonly=True) as reader:
        assert [i.hash for i in reader.items(HOT_DOG)] == [item.hash]
        # Training is refused before it starts, not after an hour it could not save.
        with pytest.raises(StudioError, match=r"is read-only \(Read-only file system\): a model"):
            train(reader, TrainSettings(backbone="small_cnn"))
    assert not (root / ".studio" / "lock").exists()
    assert not list(reader.runs_dir.iterdir())


@needs_mounts
def test_on_a_read_only_mount_the_readers_work_and_a_writer_is_refused(tmp_path, monkeypatch):
    from desktop_app.ml.training import TrainSettings, train

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    root, out = tmp_path / "ds", tmp_path / "out"
    out.mkdir()
    with Dataset.create(root) as dataset:
        fill(dataset, tmp_path, per_class=5)
        unlabeled = dataset.add_file(noisy_photos(tmp_path / "p", 1)[0]).item
        train(dataset, TrainSettings(backbone=register_tiny(tmp_path / "keras_home"), epochs=1))
    before = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    in_namespace(
        f"""
        mount --bind {root} {root}
        mount -o remount,bind,ro {root}
        {CLI} stats {root} >{out}/stats.out 2>{out}/stats.err
        {CLI} label {root} {unlabeled.hash[:12]} --as hot_dog >{out}/label.out 2>{out}/label.err \\
            || echo $? >{out}/label.rc
        {CLI} predict {root} {unlabeled.path} >{out}/predict.out 2>{out}/predict.err
        """,
        tmp_path,
    )
    assert "hot_dog" in (out / "stats.out").read_text()
    assert (out / "label.rc").read_text().strip() == "1"
    line = one_error_line((out / "label.err").read_text())
    assert line == f"error: {root} is read-only (Read-only file system)", line
    assert unlabeled.path.name in (out / "predict.out").read_text()
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*")) == before


# -- a second writer ---------------------------------------------------------------------------


def test_a_second_writer_process_is_refused_in_one_line_and_changes_nothing(dataset, tmp_path):
    item = dataset.add_file(noisy_photos(tmp_path / "p", 1)[0]).item
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "desktop_app",
            "label",
            str(dataset.root),
            item.hash,
            "--as",
            HOT_DOG,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    line = one_error_line(done.stderr)
    assert line == (
        f"error: {dataset.root} is open in another window or command (pid {os.getpid()})"
    )
    assert dataset.get(item.hash).label == UNLABELED
    assert files_of(dataset.root, UNLABELED) == [item.path.name]


# -- labeling while a training runs --------------------------------------------------------------


def test_a_training_counts_the_labels_it_started_with_while_labeling_goes_on(
    dataset, tmp_path, monkeypatch
):
    import threading

    from desktop_app.core.progress import Progress
    from desktop_app.ml.training import TrainSettings, train

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    fill(dataset, tmp_path, per_class=6)
    inbox = [dataset.add_file(p).item for p in noisy_photos(tmp_path / "inbox", 6)]
    started = dataset.fingerprint()
    in_training, labeled = threading.Event(), threading.Event()

    def progress(event: Progress) -> None:  # the training waits while the user labels
        if event.phase == "fitting" and not in_training.is_set():
            in_training.set()
            assert labeled.wait(30)

    result: dict = {}
    settings = TrainSettings(backbone=register_tiny(tmp_path / "keras_home"), epochs=2)
    worker = threading.Thread(target=lambda: result.update(run=train(dataset, settings, progress)))
    worker.start()
    assert in_training.wait(60)
    for i, item in enumerate(inbox):
        dataset.set_label([item.hash], HOT_DOG if i % 2 else NOT_HOT_DOG)
    labeled.set()
    worker.join(60)

    record = result["run"]
    assert record.dataset_fingerprint == started  # what it trained on, not what is there now
    assert record.metrics["train_count"] + record.metrics["val_count"] == 12
    assert dataset.fingerprint() != started
    assert dataset.counts() == {HOT_DOG: 9, NOT_HOT_DOG: 9, UNLABELED: 0}  # every label landed
    index_agrees_with_folders(dataset.root)


def test_a_writer_on_another_machine_is_named_with_its_host(dataset):
    import json

    root = dataset.root
    dataset.close()
    lock = root / ".studio" / "lock"
    lock.write_text(json.dumps({"pid": 4242, "host": "other-laptop", "since": 0}))
    with pytest.raises(DatasetLocked, match=r"command \(pid 4242 on other-laptop\)$"):
        Dataset.open(root)


def test_labeling_on_a_full_disk_puts_every_file_back_and_says_why(dataset, tmp_path, monkeypatch):
    import sqlite3

    from desktop_app.core.write_errors import explain

    items = [dataset.add_file(p).item for p in noisy_photos(tmp_path / "p", 3)]

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    with pytest.MonkeyPatch.context() as disk:
        disk.setattr(Index, "move", staticmethod(full))
        with pytest.raises(sqlite3.OperationalError) as error:
            dataset.set_label([i.hash for i in items], HOT_DOG)
    assert explain(error.value).startswith("The disk is full: the dataset's index could not be")
    assert files_of(dataset.root, UNLABELED) == sorted(i.path.name for i in items)
    assert files_of(dataset.root, HOT_DOG) == []
    index_agrees_with_folders(dataset.root)
    dataset.set_label([items[0].hash], HOT_DOG)  # space back: labeling goes on
    assert files_of(dataset.root, HOT_DOG) == [items[0].path.name]


def test_each_failed_write_reads_as_one_line_and_a_bug_stays_a_bug():
    import sqlite3

    from desktop_app.core.write_errors import explain

    def os_error(code: int, name: str | None = "/data/x.jpg") -> OSError:
        return OSError(code, os.strerror(code), name)

    assert explain(os_error(errno.ENOSPC)) == (
        "The disk is full: could not write /data/x.jpg; free some space and try again;"
        " nothing already in the dataset was lost."
    )
    assert explain(os_error(errno.ENOSPC, None)).startswith("The disk is full: a write failed;")
    assert explain(os_error(errno.EROFS)) == "The disk is read-only: could not write /data/x.jpg."
    assert explain(os_error(errno.EACCES)) == "Permission denied: /data/x.jpg"
    assert explain(sqlite3.OperationalError("database or disk is full")).startswith(
        "The disk is full: the dataset's index"
    )
    assert explain(os_error(errno.ENOENT)) is None  # not a write that failed: a bug or a race
    assert explain(ValueError("no")) is None
    assert explain(sqlite3.OperationalError("no such table: items")) is None
