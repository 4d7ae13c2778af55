"""Faults (#11) in the window: a read-only folder, the folder pulled away while open, a second
writer in another process, a full disk while importing and thumbnailing. Each says so in one line
(a banner or the status bar), and nothing crashes on the next key press, drop or timer tick.

Read-only and full disks are simulated here (root writes through chmod a-w, and the window runs in
this process): the probe write fails, or the staged copy's write raises the kernel's ENOSPC.
tests/test_core_faults.py meets the real ones on a tmpfs and a read-only bind mount.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from ui_helpers import (
    drop,
    file_mime,
    files_in,
    isolate_settings,
    make_photos,
    open_window,
    seed_dataset,
    wait_loaded,
)

from desktop_app.core import staging, writable
from desktop_app.core.dataset import Dataset

HOT, NOT, INBOX = "hot_dog", "not_hot_dog", "unlabeled"
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "dataset"
    seed_dataset(root, tmp_path / "seed", {HOT: 2, NOT: 2, INBOX: 3})
    return root


def on_disk(root: Path) -> dict[str, set[str]]:
    return {label: files_in(root / label) for label in (HOT, NOT, INBOX)}


def status(window) -> str:
    return window.statusBar().currentMessage()


def no_message_box(window) -> bool:
    return window.message_box is None or not window.message_box.isVisible()


def refuse_writes_to_thumbs(monkeypatch, code: int) -> None:
    """Putting a finished thumbnail in .studio/thumbs/ fails with the kernel's error code."""
    real = os.replace

    def replace(src, dst, **kwargs):
        if "thumbs" in Path(dst).parts:
            raise OSError(code, os.strerror(code), str(dst))
        return real(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def test_a_read_only_folder_opens_with_a_banner_and_refuses_every_change(
    qapp, qtbot, tmp_path, root, monkeypatch
):
    before = on_disk(root)
    monkeypatch.setattr(writable, "unwritable_reason", lambda folder: "Read-only file system")
    refuse_writes_to_thumbs(monkeypatch, errno.EROFS)
    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 3})
    cache = window.label_view.thumbnails  # none can be kept on disk: made in memory instead
    hashes = [i.hash for i in window.session.dataset.items(HOT)]
    qtbot.waitUntil(lambda: all(cache.get(h) is not None for h in hashes))

    assert window.session.dataset.readonly
    assert window.notice.isVisible()
    assert window.notice.label.text().startswith(f"Opened read-only: {root} is read-only")
    for action in (window.import_files_action, window.paste_action, window.delete_action):
        assert not action.isEnabled()
    assert not (root / ".studio" / "lock").exists()  # a reader takes no lock

    shown = window.label_view.inbox.current
    window.label_view.inbox.setFocus()
    qtbot.keyClick(window.label_view.inbox, Qt.Key.Key_H)
    assert status(window) == "dataset is open read-only: nothing can be changed"
    assert window.label_view.inbox.current == shown  # refused: the photo stays on screen
    drop(window.label_view.galleries[HOT], file_mime(make_photos(tmp_path / "new", 2, 500)))
    assert not window.imports.busy
    assert status(window) == "dataset is open read-only: nothing can be changed"
    window.session.wait_for_edits()
    assert on_disk(root) == before and no_message_box(window)


def test_on_a_read_only_folder_train_and_check_labels_are_off_and_say_why(
    qapp, qtbot, tmp_path, root, monkeypatch
):
    monkeypatch.setattr(writable, "unwritable_reason", lambda folder: "Read-only file system")
    window = open_window(qtbot, tmp_path / "settings", root, all_views=True)
    train = window.views["Train"]
    qtbot.waitUntil(lambda: "read-only" in train.summary.text())
    assert not train.train_button.isEnabled() and not train.check_button.isEnabled()
    assert "training and Check labels save inside the dataset" in train.summary.text()


def test_the_folder_pulled_away_while_open_closes_the_dataset_and_it_reopens(
    qapp, qtbot, tmp_path, root
):
    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 3})
    inbox = window.label_view.inbox
    inbox.setFocus()
    before = on_disk(root)
    away = root.with_name("unplugged")
    root.rename(away)  # like a USB drive pulled out

    qtbot.keyClick(inbox, Qt.Key.Key_H)  # the next key press finds it gone, before any write
    assert window.session.dataset is None
    assert window.stack.currentWidget() is window.welcome
    assert window.notice.isVisible()
    assert window.notice.label.text().startswith(f"The dataset folder {root} is gone (")
    assert no_message_box(window)
    qtbot.keyClick(inbox, Qt.Key.Key_N)  # stale widgets: nothing happens, nothing crashes
    drop(window.label_view.galleries[HOT], file_mime(make_photos(tmp_path / "new", 1, 600)))
    qtbot.wait(2 * window.session.PRESENCE_CHECK_MS)  # timer ticks with nothing open
    assert not window.imports.busy and on_disk(away) == before  # nothing written after
    assert not root.exists()  # nor made again, empty, where the drive was

    away.rename(root)  # plugged back in
    assert window.session.open(root), window.session.last_error
    assert not window.notice.isVisible()
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 3})
    window.label_view.inbox.setFocus()
    qtbot.keyClick(window.label_view.inbox, Qt.Key.Key_H)
    qtbot.waitUntil(lambda: len(files_in(root / HOT)) == 3)


def test_the_timer_notices_the_folder_gone_without_a_key_press(qapp, qtbot, tmp_path, root):
    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 3})
    with qtbot.waitSignal(window.session.lost, timeout=5000) as lost:
        root.rename(root.with_name("renamed"))
    assert lost.args[0].startswith(f"The dataset folder {root} is gone")
    assert window.session.dataset is None and window.notice.isVisible()
    qtbot.wait(500)  # thumbnails still loading, views reacting
    assert not root.exists()


def test_a_second_writer_in_another_process_gets_one_line_both_ways(qapp, qtbot, tmp_path, root):
    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 3})
    first = window.session.dataset.items(INBOX)[0]
    label = subprocess.run(
        [sys.executable, "-m", "desktop_app", "label", str(root), first.hash, "--as", HOT],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert label.returncode == 1 and "Traceback" not in label.stderr
    assert label.stderr.strip() == (
        f"error: {root} is open in another window or command (pid {os.getpid()})"
    )
    assert first.path.name in files_in(root / INBOX)
    window.close()  # lets go of the lock

    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root)],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        again = open_window(qtbot, tmp_path / "settings")
        assert not again.session.open(root)
        assert again.message_box.text() == (
            f"{root} is open in another window or command (pid {holder.pid})"
        )
        assert again.session.dataset is None
    finally:
        holder.communicate("", timeout=30)
    assert again.session.open(root)  # free again once the other process let go


HOLD = """
import sys
from desktop_app.core.dataset import Dataset
with Dataset.open(sys.argv[1]):
    print("holding", flush=True)
    sys.stdin.read()
"""


def test_an_import_that_fills_the_disk_says_so_and_the_next_one_finishes(
    qapp, qtbot, tmp_path, root, monkeypatch
):
    photos = make_photos(tmp_path / "many", 8, 700)
    full_from = {p.name for p in photos[5:]}  # the disk fills at the sixth photo
    real = staging._write_staged

    def write(data, folder, ext, facts, source, digest=None):
        if source is not None and Path(source).name in full_from:
            error = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # the kernel's no room
            raise staging.disk_full(error, f"the dataset's copy of {source}")
        return real(data, folder, ext, facts, source, digest)

    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 3})
    with monkeypatch.context() as full:
        full.setattr(staging, "_write_staged", write)
        with qtbot.waitSignal(window.imports.failed, timeout=15000) as failed:
            drop(window.label_view.galleries[HOT], file_mime([tmp_path / "many"]))
    message = failed.args[0]
    assert message.startswith("The disk is full: could not write the dataset's copy of ")
    assert "\n" not in message and status(window) == message
    assert len(files_in(root / HOT)) == 2 + 5  # the five before the disk filled are kept
    assert not list((root / ".studio" / "tmp").iterdir())
    assert no_message_box(window)

    with qtbot.waitSignal(window.imports.finished, timeout=15000) as finished:
        drop(window.label_view.galleries[HOT], file_mime([tmp_path / "many"]))
    assert len(finished.args[0].added) == 3 and len(finished.args[0].duplicates) == 5
    wait_loaded(qtbot, window, {HOT: 10, NOT: 2, INBOX: 3})
    with Dataset.open(root, readonly=True) as reader:
        assert len({i.source for i in reader.items(HOT)}) == 10  # each photo once


def test_thumbnails_on_a_full_disk_still_show_and_the_status_bar_says_why(
    qapp, qtbot, tmp_path, root, monkeypatch
):
    refuse_writes_to_thumbs(monkeypatch, errno.ENOSPC)
    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 3})
    qtbot.waitUntil(lambda: status(window).startswith("The disk is full: could not write a "))
    cache = window.label_view.thumbnails
    hashes = [i.hash for i in window.session.dataset.items(HOT)]
    qtbot.waitUntil(lambda: all(cache.get(h) is not None for h in hashes))  # made in memory
    assert cache.wait_idle()  # the other classes' thumbnails may still be mid-write
    assert not [p for p in (root / ".studio" / "thumbs").rglob("*") if p.is_file()]
    assert no_message_box(window)


def test_labels_made_while_a_training_runs_all_land_and_the_run_counts_its_snapshot(
    qapp, qtbot, tmp_path, monkeypatch
):
    from desktop_app.ml import training
    from desktop_app.ui.shell.main_window import VIEW_FACTORIES, MainWindow

    root = tmp_path / "dataset"
    seed_dataset(root, tmp_path / "seed", {HOT: 4, NOT: 4, INBOX: 4})
    taken, go = threading.Event(), threading.Event()
    real = training._labeled_data

    def held(dataset, settings):  # the training has its data; it waits while the user labels
        data = real(dataset, settings)
        taken.set()
        go.wait(60)
        return data

    monkeypatch.setattr(training, "_labeled_data", held)
    isolate_settings(tmp_path / "settings")
    views = [(title, target) for title, target in VIEW_FACTORIES if title in ("Label", "Train")]
    window = MainWindow(views=views)
    qtbot.addWidget(window)
    window.show()
    assert window.session.open(root)
    wait_loaded(qtbot, window, {HOT: 4, NOT: 4, INBOX: 4})
    started = window.session.dataset.fingerprint()
    trainer = window.views["Train"]
    panel = trainer.settings_panel
    panel.backbone.setCurrentIndex(panel.backbone.findData("small_cnn"))
    panel.epochs.setValue(2)
    panel.val_share.setValue(25)

    qtbot.mouseClick(trainer.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(taken.is_set, timeout=120_000)  # the first training imports TensorFlow
    inbox = window.label_view.inbox
    inbox.setFocus()
    for key in (Qt.Key.Key_H, Qt.Key.Key_N, Qt.Key.Key_H, Qt.Key.Key_N):
        qtbot.keyClick(inbox, key)
    qtbot.waitUntil(lambda: len(files_in(root / INBOX)) == 0)  # every label landed meanwhile
    assert trainer.is_training
    with qtbot.waitSignal(trainer.model_trained, timeout=120_000) as trained:
        go.set()
    record = trained.args[0]
    assert record.dataset_fingerprint == started  # the snapshot it trained on
    assert record.metrics["train_count"] + record.metrics["val_count"] == 8
    assert {label: len(files_in(root / label)) for label in (HOT, NOT)} == {HOT: 6, NOT: 6}
    with Dataset.open(root, readonly=True) as reader:
        assert reader.counts() == {HOT: 6, NOT: 6, INBOX: 0}
    assert no_message_box(window)


def test_the_folder_pulled_away_mid_import_stops_it_and_loses_nothing(
    qapp, qtbot, tmp_path, root, monkeypatch, capfd
):
    from desktop_app.ui.shell.workers import ImportWorker

    make_photos(tmp_path / "many", 30, 800)
    reached, resume = threading.Event(), threading.Event()
    forward = ImportWorker._on_progress

    def hold_after_five(self, event):  # the import thread waits here while the drive goes
        forward(self, event)
        if event.total and event.done >= 5 and not reached.is_set():
            reached.set()
            resume.wait(10)

    monkeypatch.setattr(ImportWorker, "_on_progress", hold_after_five)
    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {HOT: 2, NOT: 2, INBOX: 3})
    failures: list[str] = []
    window.imports.failed.connect(failures.append)
    window.imports.import_paths([tmp_path / "many"], HOT)
    qtbot.waitUntil(reached.is_set)
    away = root.with_name("unplugged")
    root.rename(away)
    resume.set()
    qtbot.waitUntil(lambda: window.session.dataset is None, timeout=10000)
    qtbot.waitUntil(lambda: not window.imports.busy, timeout=10000)
    assert window.notice.label.text().startswith(f"The dataset folder {root} is gone (")
    assert all(f.startswith(f"The dataset folder {root} is gone (") for f in failures), failures
    assert "Traceback" not in capfd.readouterr().err

    away.rename(root)
    assert window.session.open(root), window.session.last_error
    dataset = window.session.dataset
    stored = files_in(root / HOT)
    assert not [name for name in stored if name.endswith(".part")]
    assert {i.path.name for i in dataset.items(HOT)} == stored  # the index agrees
    assert len({i.source for i in dataset.items(HOT)}) == len(stored)  # each photo once
    with qtbot.waitSignal(window.imports.finished, timeout=15000):
        window.imports.import_paths([tmp_path / "many"], HOT)  # the rest comes in
    assert len(files_in(root / HOT)) == 2 + 30
