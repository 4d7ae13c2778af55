"""The Live view end to end: a real trained model, real video files played by QMediaPlayer,
real drops and key presses. No timings are asserted (benchmarks/bench_live.py measures them)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from desktop_app.ui.live.live_view import LiveView
from desktop_app.ui.live.overlay import HOT_DOG_GREEN, NOT_HOT_DOG_RED
from desktop_app.ui.live.predict_worker import default_predictor_factory

RED, BLUE = (220, 50, 40), (40, 70, 220)  # the "hot dog" and "not hot dog" of these tests
WAIT_MS = 60_000


def noisy(colour, size=48, seed=0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(np.array(colour) + rng.integers(-30, 30, (size, size, 3)), 0, 255).astype(
        np.uint8
    )


@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A dataset of red (hot dog) and blue (not hot dog) squares, and a small CNN trained on it
    through the ML layer, as the Train view would."""
    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.training import TrainSettings, train

    root = tmp_path_factory.mktemp("live") / "dataset"
    with Dataset.create(root) as dataset:
        for i in range(12):
            dataset.add_image(Image.fromarray(noisy(RED, seed=i)), "hot_dog", source=f"red {i}")
            dataset.add_image(
                Image.fromarray(noisy(BLUE, seed=100 + i)), "not_hot_dog", source=f"blue {i}"
            )
        settings = TrainSettings(backbone="small_cnn", epochs=6, input_size=32, batch_size=8)
        record = train(dataset, settings)
    return root, record.model_path


@pytest.fixture(scope="session")
def video(tmp_path_factory) -> Path:
    """Two seconds at 30 fps: a red second, then a blue one."""
    import imageio_ffmpeg

    path = tmp_path_factory.mktemp("video") / "lunch.mp4"
    width, height = 160, 120
    writer = imageio_ffmpeg.write_frames(
        str(path),
        (width, height),
        fps=30,
        codec="libx264",
        pix_fmt_out="yuv420p",
        macro_block_size=8,
    )
    writer.send(None)
    for frame in range(60):
        colour = RED if frame < 30 else BLUE
        writer.send(_frame(colour, width, height, frame).tobytes())
    writer.close()
    return path


def _frame(colour, width, height, seed) -> np.ndarray:
    return np.array(Image.fromarray(noisy(colour, size=48, seed=seed)).resize((width, height)))


def picture_file(folder: Path, name: str, colour, seed=0) -> Path:
    path = folder / name
    Image.fromarray(noisy(colour, size=64, seed=seed)).save(path)
    return path


class Verdicts:
    """Collects the worker's verdict signals."""

    def __init__(self, view: LiveView) -> None:
        self.items: list[tuple] = []
        view.ensure_worker().verdict.connect(lambda *args: self.items.append(args))

    @property
    def labels(self) -> set[str]:
        return {item[0] for item in self.items}


def make_view(qtbot, model_path=None, session=None, factory=default_predictor_factory) -> LiveView:
    locator = (lambda: model_path) if model_path is not None else None
    view = LiveView(session=session, model_locator=locator, predictor_factory=factory)
    qtbot.addWidget(view)
    view.resize(720, 540)
    return view


def shown_with_model(qtbot, view: LiveView) -> Verdicts:
    verdicts = Verdicts(view)
    with qtbot.waitSignal(view.worker.model_ready, timeout=WAIT_MS):
        view.show()
    return verdicts


def banner_colour(view: LiveView):
    image = view.picture.grab().toImage()
    return image.pixelColor(6, 6)


def drop(widget, paths: list[Path]) -> None:
    """A real drag entering and dropping file URLs, as from a file manager."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    enter = QDragEnterEvent(
        centre,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(centre),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


@pytest.fixture(autouse=True)
def _shutdown_views(qtbot):
    yield
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, LiveView):
            widget.shutdown()


def test_a_video_gives_verdicts_and_the_banner_shows_them(qtbot, trained, video):
    view = make_view(qtbot, trained[1])
    verdicts = shown_with_model(qtbot, view)
    view.loop_box.setChecked(False)
    source = view.open_video(video)
    qtbot.waitUntil(lambda: verdicts.labels == {"hot_dog", "not_hot_dog"}, timeout=WAIT_MS)
    with qtbot.waitSignal(source.finished, timeout=WAIT_MS):
        pass
    qtbot.waitUntil(lambda: view.picture.label == "not_hot_dog", timeout=WAIT_MS)
    assert banner_colour(view) == NOT_HOT_DOG_RED
    # Every verdict carries a rate and a latency for the overlay to show.
    label, score, rate, latency_ms, frame_id = verdicts.items[-1]
    assert 0.0 <= score <= 1.0 and latency_ms > 0 and frame_id > 0 and rate >= 0

    # The threshold decides the label from the score: at 0.95 a sure "red" may flip, at 0.05
    # everything is a hot dog.
    view.threshold_box.setValue(0.05)
    if view.picture.score >= 0.05:
        assert view.picture.label == "hot_dog"
        assert banner_colour(view) == HOT_DOG_GREEN


def test_a_red_picture_is_a_hot_dog_in_green(qtbot, trained, tmp_path):
    view = make_view(qtbot, trained[1])
    verdicts = shown_with_model(qtbot, view)
    view.show_image(picture_file(tmp_path, "red.png", RED))
    qtbot.waitUntil(
        lambda: bool(verdicts.items) and view.picture.score is not None, timeout=WAIT_MS
    )
    assert verdicts.items[-1][0] == "hot_dog"
    assert banner_colour(view) == HOT_DOG_GREEN
    assert "sure" not in view.picture.message  # the message gives way to the picture


class SlowPredictor:
    """The real predictor, made slow: as a big model on a slow machine would be."""

    def __init__(self, predictor, delay_s: float) -> None:
        self.predictor, self.delay_s = predictor, delay_s
        self.input_size, self.classes = predictor.input_size, predictor.classes

    def predict_image(self, image):
        time.sleep(self.delay_s)
        return self.predictor.predict_image(image)


def test_a_slow_model_drops_frames_instead_of_falling_behind(qtbot, trained, video):
    slow = lambda path: SlowPredictor(default_predictor_factory(path), delay_s=0.2)  # noqa: E731
    view = make_view(qtbot, trained[1], factory=slow)
    verdicts = shown_with_model(qtbot, view)
    view.loop_box.setChecked(False)
    source = view.open_video(video)
    with qtbot.waitSignal(source.finished, timeout=WAIT_MS):
        pass
    last_frame = view._next_frame_id
    # With a queue the worker would still be chewing through a backlog; with the mailbox its
    # last verdict is on the last frame, and most frames were never predicted at all.
    qtbot.waitUntil(
        lambda: bool(verdicts.items) and verdicts.items[-1][4] == last_frame, timeout=WAIT_MS
    )
    assert view.frames_dropped > 0
    assert len(verdicts.items) < last_frame / 2
    frame_ids = [item[4] for item in verdicts.items]
    assert frame_ids == sorted(frame_ids)
    assert max(b - a for a, b in zip(frame_ids, frame_ids[1:], strict=False)) > 1


def test_h_and_n_add_the_frame_on_screen_to_the_dataset(qtbot, trained, tmp_path):
    from desktop_app.ui.shell.dataset_session import DatasetSession

    session = DatasetSession()
    assert session.open(trained[0])
    try:
        view = make_view(qtbot, session=session)  # the dataset's own current model
        verdicts = shown_with_model(qtbot, view)
        before = session.dataset.counts()

        view.show_image(picture_file(tmp_path, "red.png", RED, seed=7))
        qtbot.waitUntil(lambda: len(verdicts.items) == 1, timeout=WAIT_MS)
        qtbot.keyClick(view, Qt.Key.Key_H)
        qtbot.waitUntil(
            lambda: session.dataset.counts()["hot_dog"] == before["hot_dog"] + 1, timeout=WAIT_MS
        )
        qtbot.waitUntil(lambda: "Hot dog" in view.picture.toast_text, timeout=WAIT_MS)

        view.show_image(picture_file(tmp_path, "blue.png", BLUE, seed=8))
        qtbot.waitUntil(lambda: len(verdicts.items) == 2, timeout=WAIT_MS)
        qtbot.keyClick(view, Qt.Key.Key_N)
        qtbot.waitUntil(
            lambda: session.dataset.counts()["not_hot_dog"] == before["not_hot_dog"] + 1,
            timeout=WAIT_MS,
        )
        # The count changes on the pool thread; the toast follows as a queued signal.
        qtbot.waitUntil(lambda: "Not hot dog" in view.picture.toast_text, timeout=WAIT_MS)
        added = [
            item
            for item in session.dataset.items("not_hot_dog")
            if (item.source or "").startswith("live:")
        ]
        assert len(added) == 1
    finally:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, LiveView):
                widget.shutdown()
        session.close()


def test_without_a_camera_the_view_says_so_and_offers_files(qtbot, trained):
    view = make_view(qtbot, trained[1])
    view.show()
    assert not view.has_camera  # this machine has none
    assert view.source_box.currentText() == "No camera found"
    assert "No camera found" in view.picture.message
    assert view.open_button.isEnabled()
    view._on_source_chosen(0)  # choosing the placeholder does nothing
    assert view.source is None
    view.camera_list.changed.emit()  # a camera list refresh must not crash either
    image = view.grab().toImage()
    assert (
        len(
            {
                image.pixel(x, y)
                for x in range(0, image.width(), 7)
                for y in range(0, image.height(), 7)
            }
        )
        > 3
    )


def test_without_a_model_the_view_says_how_to_get_one(qtbot):
    view = make_view(qtbot, session=None)
    with qtbot.waitSignal(view.ensure_worker().model_missing, timeout=WAIT_MS):
        view.show()
    assert "train one" in view.picture.message


def test_a_dropped_picture_gets_a_verdict(qtbot, trained, tmp_path):
    view = make_view(qtbot, trained[1])
    verdicts = shown_with_model(qtbot, view)
    drop(view, [picture_file(tmp_path, "blue.jpg", BLUE)])
    qtbot.waitUntil(lambda: len(verdicts.items) == 1, timeout=WAIT_MS)
    assert verdicts.items[0][0] == "not_hot_dog"
    qtbot.waitUntil(lambda: view.current is not None, timeout=WAIT_MS)
    assert view.picture.picture.size().width() == 64


def test_a_dropped_folder_gives_a_grid_least_sure_first(qtbot, trained, tmp_path):
    folder = tmp_path / "lunch"
    folder.mkdir()
    for i in range(3):
        picture_file(folder, f"red{i}.png", RED, seed=i)
        picture_file(folder, f"blue{i}.png", BLUE, seed=10 + i)
    # A purple square sits between the two: the model should be least sure of it.
    picture_file(folder, "purple.png", (130, 60, 130))
    (folder / "notes.txt").write_text("not a picture")
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    view = make_view(qtbot, trained[1])
    shown_with_model(qtbot, view)
    drop(view, [folder])
    assert view.stack.currentWidget() is view.folder_grid
    with qtbot.waitSignal(view.worker.folder_done, timeout=WAIT_MS) as done:
        pass
    grid = view.folder_grid
    assert done.args == [8]  # 7 pictures and the broken one; the text file is not offered
    assert grid.list.count() == 8
    ordered = grid.ordered()
    assert "error" in ordered[-1] and ordered[-1]["path"].endswith("broken.jpg")
    distances = [abs(r["score"] - 0.5) for r in ordered[:-1]]
    assert distances == sorted(distances)
    assert "least sure first" in grid.header.text()
    assert grid.list.item(0).icon().isNull() is False


def test_the_heatmap_appears_when_toggled(qtbot, trained, tmp_path):
    view = make_view(qtbot, trained[1])
    verdicts = shown_with_model(qtbot, view)
    view.show_image(picture_file(tmp_path, "red.png", RED))
    qtbot.waitUntil(lambda: len(verdicts.items) == 1 and view.current is not None, timeout=WAIT_MS)
    plain = view.picture.grab().toImage()
    with qtbot.waitSignal(view.worker.heatmap_ready, timeout=WAIT_MS) as heat:
        view.heatmap_box.setChecked(True)
        view.show_image(picture_file(tmp_path, "red2.png", RED, seed=3))
    heatmap = heat.args[0]
    assert heatmap.shape == (32, 32) and 0.0 <= heatmap.min() <= heatmap.max() <= 1.0
    qtbot.waitUntil(lambda: view.picture.heatmap is not None, timeout=WAIT_MS)
    with_heat = view.picture.grab().toImage()
    centre = QPoint(with_heat.width() // 2, with_heat.height() * 2 // 3)
    assert with_heat.pixelColor(centre) != plain.pixelColor(centre)
    view.heatmap_box.setChecked(False)
    assert view.picture.heatmap is None


def test_predict_video_prints_one_json_line_per_analysed_frame(qtbot, trained, video, capsys):
    from desktop_app.ui.live.video_cli import predict_video

    printed = predict_video(trained[1], video)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert printed == len(lines) > 0
    assert set(lines[0]) == {"time_s", "label", "score"}
    times = [line["time_s"] for line in lines]
    assert times == sorted(times) and times[-1] > 1.5
    assert lines[0]["label"] == "hot_dog" and lines[-1]["label"] == "not_hot_dog"
