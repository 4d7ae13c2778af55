"""The Under the hood view, driven as a user would: a dataset with a trained model opens, the
model is drawn, a photo's forward pass shows, a block is picked, a file is dropped in."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt
from ui_helpers import drop, file_mime

from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.under_the_hood.hood_view import UnderTheHoodView

RED, BLUE = (200, 40, 40), (40, 60, 200)


def noisy(colour, size=48, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.array(colour) + rng.integers(-30, 30, (size, size, 3)), 0, 255).astype(
        np.uint8
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.training import TrainSettings, train

    root = tmp_path_factory.mktemp("hood") / "dataset"
    with Dataset.create(root) as dataset:
        for i in range(10):
            dataset.add_image(Image.fromarray(noisy(RED, seed=i)), "hot_dog", source=f"red {i}")
            dataset.add_image(
                Image.fromarray(noisy(BLUE, seed=50 + i)), "not_hot_dog", source=f"blue {i}"
            )
        record = train(dataset, TrainSettings(backbone="small_cnn", epochs=3, input_size=32))
    return root, record.model_path


@pytest.fixture
def view(qtbot, trained):
    root, _model = trained
    session = DatasetSession()
    view = UnderTheHoodView(session)
    qtbot.addWidget(view)
    view.resize(1200, 800)
    view.show()
    assert session.open(root)
    yield view
    view.shutdown()
    session.close()


def drawn(qtbot, view, previous=None):
    qtbot.waitUntil(
        lambda: view.forward.drawing is not None and view.forward.drawing is not previous,
        timeout=60000,
    )
    return view.forward.drawing


def test_the_model_is_drawn_and_a_photo_goes_through_it(qtbot, view, trained):
    from desktop_app.ml.predict import Predictor

    qtbot.waitUntil(lambda: view.diagram.tree.topLevelItemCount() == 2, timeout=60000)
    backbone, head = (view.diagram.tree.topLevelItem(i) for i in range(2))
    assert backbone.childCount() >= 5 and "stage 1" in backbone.child(1).text(0)
    rows = [head.child(i) for i in range(head.childCount())]
    assert rows[-1].text(0) == "probabilities  (2 neurons)"  # the verdict's two neurons
    view.diagram.tree.setCurrentItem(rows[-1])
    detail = view.diagram.detail.text()
    assert "2 neurons: 256 weights and 2 biases" in detail  # 128 features in, 2 out

    drawing = drawn(qtbot, view)
    assert len(drawing.rows) == 4 and drawing.feature_count == 128
    photo = view.photo
    predictor = Predictor(trained[1])
    assert drawing.score == pytest.approx(
        predictor.predict_image(photo.at(predictor.input_size)), abs=1e-5
    )
    assert "hot dog" in view.forward.score.text()
    qtbot.waitUntil(lambda: not view.picture.pixmap().isNull(), timeout=10000)  # the photo shown


def test_picking_a_block_shows_its_maps_alone(qtbot, view):
    first = drawn(qtbot, view)
    view.forward.picker.setCurrentIndex(2)  # the second block
    chosen = view.forward.picker.currentText()
    again = drawn(qtbot, view, first)
    assert [caption.split(":")[0] for caption, _ in again.rows] == [chosen]


def test_a_dropped_photo_is_shown_and_followed_through(qtbot, view, tmp_path):
    first = drawn(qtbot, view)
    path = tmp_path / "my red thing.png"
    Image.fromarray(noisy(RED, 64, seed=99)).save(path)
    drop(view, file_mime([path]))
    again = drawn(qtbot, view, first)
    assert view.caption.text() == "my red thing.png"
    assert again.score > 0.5  # red is a hot dog to this model


def test_the_live_frame_is_followed_only_when_asked(qtbot, view):
    first = drawn(qtbot, view)

    class Frame:  # what the Live view hands on: pixels already at the model's size
        model_pixels = noisy(BLUE, 32, seed=7)
        image = None

    view.follow_live(Frame())
    assert view.photo.title != "The Live view's frame"
    view.follow.setChecked(True)
    view.follow_live(Frame())
    drawn(qtbot, view, first)
    assert view.photo.title == "The Live view's frame"


def test_a_burst_of_live_frames_ends_on_the_newest(qtbot, view, monkeypatch):
    """Frames come faster than passes: the view skips to the newest, and never stops on an old
    one (the last frame of a paused video is the one shown)."""
    first = drawn(qtbot, view)
    view.follow.setChecked(True)
    shown = []
    real = view.show_photo
    monkeypatch.setattr(view, "show_photo", lambda photo: (shown.append(photo), real(photo)))
    frames = [noisy(BLUE if seed % 2 else RED, 32, seed=100 + seed) for seed in range(12)]
    for pixels in frames:

        class Frame:
            model_pixels = pixels
            image = None

        view.follow_live(Frame())
    drawn(qtbot, view, first)
    qtbot.wait(500)  # time for any older frame to turn up: none may
    assert [len(shown), np.array_equal(view.photo.pixels, frames[-1])] == [1, True]


def test_the_model_is_not_loaded_until_the_tab_is_shown(qtbot, trained):
    session = DatasetSession()
    hidden = UnderTheHoodView(session)
    qtbot.addWidget(hidden)
    assert session.open(trained[0])
    qtbot.wait(300)
    assert not hidden.thread.isRunning() and hidden.diagram.tree.topLevelItemCount() == 0
    hidden.show()
    qtbot.waitUntil(lambda: hidden.diagram.tree.topLevelItemCount() == 2, timeout=60000)
    hidden.shutdown()
    session.close()


def test_live_plays_on_behind_a_following_view_and_pauses_when_it_stops(qtbot, trained, tmp_path):
    from PySide6.QtWidgets import QTabWidget

    from desktop_app.ui.journey import media
    from desktop_app.ui.live.live_view import LiveView

    session = DatasetSession()
    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    live, hood = LiveView(session), UnderTheHoodView(session)
    live.picture_shown.connect(hood.follow_live)
    hood.following.connect(live.set_followed)  # as the main window wires them
    tabs.addTab(live, "Live")
    tabs.addTab(hood, "Under the hood")
    tabs.show()
    assert session.open(trained[0])
    try:
        live.open_video(media.write_clip(tmp_path))
        qtbot.waitUntil(lambda: live.current is not None, timeout=30000)
        tabs.setCurrentWidget(hood)
        qtbot.waitUntil(lambda: not live.source.playing, timeout=5000)  # nobody sees it: paused
        qtbot.mouseClick(hood.follow, Qt.MouseButton.LeftButton, pos=hood.follow.rect().center())
        qtbot.waitUntil(lambda: live.source.playing, timeout=5000)
        qtbot.waitUntil(
            lambda: hood.photo and hood.photo.title == "The Live view's frame", timeout=60000
        )
        qtbot.mouseClick(hood.follow, Qt.MouseButton.LeftButton, pos=hood.follow.rect().center())
        qtbot.waitUntil(lambda: not live.source.playing, timeout=5000)
        tabs.setCurrentWidget(live)
        qtbot.waitUntil(lambda: live.source.playing, timeout=5000)  # back on screen: it plays
    finally:
        live.shutdown()
        hood.shutdown()
        session.close()


def test_look_under_the_hood_from_a_gallery_shows_that_photo(qtbot, trained, tmp_path):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMenu
    from ui_helpers import isolate_settings

    from desktop_app.ui.shell.main_window import VIEW_FACTORIES, MainWindow

    isolate_settings(tmp_path / "settings")
    views = [v for v in VIEW_FACTORIES if v[0] in ("Label", "Under the hood")]
    window = MainWindow(views=views)
    qtbot.addWidget(window)
    window.show()
    assert window.session.open(trained[0])
    gallery = window.label_view.galleries["hot_dog"]
    qtbot.waitUntil(lambda: gallery.model.rowCount() == 10, timeout=10000)
    index = gallery.model.index(3, 0)
    gallery.view.setCurrentIndex(index)
    wanted = gallery.view.selected_hashes()[0]
    chosen = []

    def choose() -> None:  # the context menu is modal: pick its item the way a click would
        menu = QApplication.activePopupWidget()
        if not isinstance(menu, QMenu):
            QTimer.singleShot(50, choose)
            return
        action = next(a for a in menu.actions() if a.text().startswith("Look under the hood"))
        chosen.append(action.text())
        action.trigger()
        menu.close()

    QTimer.singleShot(50, choose)
    gallery.view.customContextMenuRequested.emit(gallery.view.visualRect(index).center())
    hood = window.views["Under the hood"]
    assert chosen and window.tabs.currentWidget() is hood
    qtbot.waitUntil(lambda: hood.photo is not None and hood.photo.hash == wanted, timeout=10000)
    qtbot.waitUntil(lambda: hood.forward.drawing is not None, timeout=60000)
    assert "labeled hot_dog" in hood.caption.text()
    window.close()
