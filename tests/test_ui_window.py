"""The window as a whole: welcome page, paste, import with Cancel, a locked dataset, settings, looks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from conftest import picture
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication
from ui_helpers import (
    distinct_colours,
    drop,
    file_mime,
    files_in,
    make_photos,
    open_window,
    seed_dataset,
    wait_loaded,
)

from desktop_app.core.dataset import Dataset
from desktop_app.ui.label.clipboard_import import qimage_to_pil
from desktop_app.ui.shell.heartbeat import Heartbeat
from desktop_app.ui.shell.workers import ImportWorker

HOT, NOT, INBOX = "hot_dog", "not_hot_dog", "unlabeled"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "dataset"
    seed_dataset(root, tmp_path / "seed", {HOT: 4, NOT: 3, INBOX: 2})
    return root


def test_first_run_shows_the_welcome_page_then_a_new_dataset_opens_the_label_view(qtbot, tmp_path):
    window = open_window(qtbot, tmp_path / "settings")
    assert window.stack.currentWidget() is window.welcome
    assert not window.import_files_action.isEnabled()
    assert window.welcome.new_button.isVisible() and window.welcome.open_button.isVisible()

    assert window.session.create(tmp_path / "fresh")
    assert window.stack.currentWidget() is window.tabs
    assert (tmp_path / "fresh" / "hot_dog").is_dir()
    assert window.windowTitle().startswith("fresh")
    assert window.import_files_action.isEnabled()
    assert window.session.recent() == [str((tmp_path / "fresh").resolve())]


def test_the_last_dataset_reopens_and_the_geometry_is_remembered(qtbot, tmp_path, root):
    window = open_window(qtbot, tmp_path / "settings", root)
    window.resize(777, 555)  # the offscreen screen is 800 × 600
    window.close()  # saves geometry and the dataset's place; releases the lock

    again = open_window(qtbot, tmp_path / "settings", fresh=False)
    assert again.session.reopen_last()
    assert again.session.dataset.root == root.absolute()
    assert (again.width(), again.height()) == (777, 555)
    assert str(root.resolve()) in [a.text() for a in again.recent_menu.actions()]


def test_a_locked_dataset_gives_a_message_not_a_crash(qtbot, tmp_path, root):
    holder = Dataset.open(root)  # another writer holds the lock
    try:
        window = open_window(qtbot, tmp_path / "settings")
        assert not window.session.open(root)
        assert window.session.dataset is None
        assert window.message_box is not None and window.message_box.isVisible()
        assert "in use" in window.message_box.windowTitle().lower()
        assert "open in another window" in window.message_box.text()
        assert window.stack.currentWidget() is window.welcome
    finally:
        holder.close()


def test_paste_from_the_clipboard_adds_the_image_to_the_inbox(qtbot, tmp_path, root):
    window = open_window(qtbot, tmp_path / "settings", root)
    wait_loaded(qtbot, window, {INBOX: 2})
    image = QImage(str(make_photos(tmp_path / "clip", 1, 77, size=(90, 60))[0]))
    QGuiApplication.clipboard().setImage(image)

    qtbot.keyClick(window.label_view.inbox, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_loaded(qtbot, window, {INBOX: 3})
    assert len(files_in(root / INBOX)) == 3
    pasted = [i for i in window.session.dataset.items(INBOX) if i.source == "clipboard"]
    assert len(pasted) == 1 and (pasted[0].width, pasted[0].height) == (90, 60)


def test_clipboard_images_convert_to_pillow_pixel_for_pixel(tmp_path):
    original = picture(5, (37, 21))  # an odd width: rows are padded in the QImage
    path = tmp_path / "p.png"
    original.save(path)
    assert list(qimage_to_pil(QImage(str(path))).getdata()) == list(original.getdata())


def test_cancel_mid_import_keeps_a_consistent_dataset(qtbot, tmp_path, root, monkeypatch):
    photos = make_photos(tmp_path / "many", 30, 500)
    reached, resume = threading.Event(), threading.Event()
    forward = ImportWorker._on_progress

    def hold_after_five(self, event):  # the import thread waits here until Cancel was clicked
        forward(self, event)
        if event.total and event.done >= 5 and not reached.is_set():
            reached.set()
            resume.wait(10)

    monkeypatch.setattr(ImportWorker, "_on_progress", hold_after_five)
    window = open_window(qtbot, tmp_path / "settings", root)
    window.imports.import_paths([tmp_path / "many"], HOT)
    qtbot.waitUntil(reached.is_set)
    assert window.imports.widget.isVisible()
    with qtbot.waitSignal(window.imports.finished, timeout=15000) as finished:
        qtbot.mouseClick(window.imports.widget.cancel_button, Qt.MouseButton.LeftButton)
        resume.set()
    report = finished.args[0]
    assert report.cancelled
    assert 5 <= len(report.added) < len(photos)
    assert "cancelled" in window.statusBar().currentMessage()

    window.close()
    with Dataset.open(root) as reopened:  # the folders and the index agree
        counts = reopened.counts()
        assert counts[HOT] == 4 + len(report.added) == len(files_in(root / HOT))
        assert counts[INBOX] == 2 and counts[NOT] == 3


def test_an_import_with_bad_files_opens_a_report_listing_them(qtbot, tmp_path, root):
    folder = tmp_path / "mixed"
    make_photos(folder, 2, 900)
    (folder / "notes.jpg").write_text("not an image")
    (folder / "empty.png").write_bytes(b"")
    window = open_window(qtbot, tmp_path / "settings", root)
    with qtbot.waitSignal(window.imports.finished, timeout=15000):
        drop(window.label_view.galleries[NOT], file_mime([folder]))
    assert len(window.imports.reports) == 1
    dialog = window.imports.reports[0]
    assert dialog.isVisible() and not dialog.isModal()
    skipped = dialog.tree.topLevelItem(0)
    names = {Path(skipped.child(i).text(0)).name for i in range(skipped.childCount())}
    assert names == {"notes.jpg", "empty.png"}
    assert all(skipped.child(i).text(1) for i in range(skipped.childCount()))  # each has a reason


def test_every_view_renders_something_not_blank(qtbot, tmp_path, root):
    window = open_window(qtbot, tmp_path / "settings", root, all_views=True)
    window.resize(1200, 800)
    wait_loaded(qtbot, window, {HOT: 4, NOT: 3, INBOX: 2})
    gallery = window.label_view.galleries[HOT]
    qtbot.waitUntil(lambda: all(gallery.thumbnails_shown() for _ in [0]), timeout=10000)
    inbox = window.label_view.inbox
    qtbot.waitUntil(lambda: inbox.canvas.image is not None)

    shot = window.grab().toImage()
    shot.save(str(tmp_path / "label_view.png"))
    assert (tmp_path / "label_view.png").stat().st_size > 0
    assert distinct_colours(shot) > 50
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        QApplication.processEvents()
        view = window.tabs.widget(index).grab().toImage()
        assert distinct_colours(view) > 3, window.tabs.tabText(index)

    window.session.close()
    assert distinct_colours(window.grab().toImage()) > 3  # the welcome page


def test_heartbeat_reports_a_stall_of_the_event_loop(qtbot):
    beat = Heartbeat(interval_ms=5)
    beat.start()
    qtbot.wait(50)
    calm = beat.max_stall_ms
    time.sleep(0.2)  # the GUI thread is blocked: the next tick is late
    qtbot.waitUntil(lambda: beat.ticks > 12)
    beat.stop()
    assert beat.max_stall_ms >= 150 > calm
    beat.reset()
    assert beat.max_stall_ms == 0.0
