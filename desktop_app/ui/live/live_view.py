"""The Live view: pick a camera or open a file, see "Hot dog!" or "Not hot dog!" over it.

Frames flow sink -> raw mailbox -> FrameConverter (decode once) -> picture mailbox -> PredictWorker
(own model) -> verdict signal -> LivePicture. The GUI thread only stores frames and paints.
H or N adds the frame on screen to the dataset with that label.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtMultimedia import QVideoFrame, QVideoSink
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.mailbox import Mailbox
from desktop_app.ui.live.folder_grid import FolderGrid
from desktop_app.ui.live.frame_convert import (
    FrameConverter,
    Picture,
    RawFrame,
    now,
    pil_from_qimage,
)
from desktop_app.ui.live.overlay import LivePicture
from desktop_app.ui.live.predict_worker import (
    HOT_DOG,
    NOT_HOT_DOG,
    PredictWorker,
    default_predictor_factory,
)
from desktop_app.ui.live.sources import (
    IMAGE_SUFFIXES,
    NO_CAMERA,
    VIDEO_SUFFIXES,
    CameraList,
    CameraSource,
    VideoFileSource,
    is_image,
    is_video,
)
from desktop_app.ui.shell.workers import run_in_pool

TITLES = {HOT_DOG: "Hot dog", NOT_HOT_DOG: "Not hot dog"}
FILE_FILTER = "Pictures and videos ({})".format(
    " ".join(f"*{s}" for s in sorted(IMAGE_SUFFIXES | VIDEO_SUFFIXES))
)


class LiveView(QWidget):
    title = "Live"
    status_message = Signal(str)  # for the main window's status bar
    picture_shown = Signal(object)  # the Picture now on screen (Under the hood can follow it)

    def __init__(
        self,
        session=None,
        model_locator: Callable[[], Path | None] | None = None,
        predictor_factory: Callable = default_predictor_factory,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("liveView")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAcceptDrops(True)
        self.session = session
        self.model_locator = model_locator or self._dataset_model
        self.predictor_factory = predictor_factory
        self.source = None
        self.current: Picture | None = None
        self._next_frame_id = 0
        self.model_note = ""

        self.sink = QVideoSink(self)
        self.sink.videoFrameChanged.connect(self._on_video_frame)
        self.raw: Mailbox[RawFrame] = Mailbox()
        self.pictures: Mailbox[Picture] = Mailbox()
        self.converter = FrameConverter(self.raw, self.pictures, self)
        self.converter.picture_ready.connect(self._show_picture)
        self.converter.failed.connect(self._say)
        self.worker: PredictWorker | None = None
        self._shut_down = False  # once True, no thread starts again (the window is closing)
        self._followed = False  # another view shows these frames: play on while hidden

        self.picture = LivePicture()
        self.folder_grid = FolderGrid()
        self.folder_grid.back.connect(lambda: self.stack.setCurrentWidget(self.picture))
        self.stack = QStackedWidget()
        self.stack.addWidget(self.picture)
        self.stack.addWidget(self.folder_grid)

        self.camera_list = CameraList(self)
        self.camera_list.changed.connect(self._fill_cameras)
        self.source_box = QComboBox()
        self.source_box.setMinimumContentsLength(18)
        self.source_box.activated.connect(self._on_source_chosen)
        self.open_button = QPushButton("Open file…")
        self.open_button.clicked.connect(self._open_dialog)
        self.play_button = QPushButton("Pause")
        self.play_button.setEnabled(False)
        self.play_button.clicked.connect(self._toggle_play)
        self.loop_box = QCheckBox("Loop")
        self.loop_box.setChecked(True)
        self.loop_box.toggled.connect(self._set_loop)
        self.threshold_box = QDoubleSpinBox()
        self.threshold_box.setRange(0.05, 0.95)
        self.threshold_box.setSingleStep(0.05)
        self.threshold_box.setValue(0.5)
        self.threshold_box.setToolTip("A score at or above this is called a hot dog.")
        self.threshold_box.valueChanged.connect(self._set_threshold)
        self.heatmap_box = QCheckBox("Heatmap")
        self.heatmap_box.setToolTip("Show where the model looks (Grad-CAM).")
        self.heatmap_box.toggled.connect(self._set_heatmap)
        hint = QLabel("H / N: add this frame as Hot dog / Not hot dog")
        hint.setObjectName("liveHint")

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Source"))
        controls.addWidget(self.source_box)
        controls.addWidget(self.open_button)
        controls.addWidget(self.play_button)
        controls.addWidget(self.loop_box)
        controls.addSpacing(16)
        controls.addWidget(QLabel("Threshold"))
        controls.addWidget(self.threshold_box)
        controls.addWidget(self.heatmap_box)
        controls.addStretch(1)
        controls.addWidget(hint)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.stack, 1)

        if session is not None:
            session.opened.connect(lambda _dataset: self.check_model())
            session.closed.connect(self.check_model)
        self._resume_on_show = False
        self.converter.start()
        self._fill_cameras()
        QCoreApplication.instance().aboutToQuit.connect(self.shutdown)

    # -- the model -----------------------------------------------------------------------

    def _dataset_model(self) -> Path | None:
        """Runs in the worker thread: the dataset's current trained model, if any."""
        dataset = getattr(self.session, "dataset", None)
        if dataset is None:
            return None
        from desktop_app.ml.runs import current_run

        run = current_run(dataset)
        return run.model_path if run is not None else None

    def ensure_worker(self) -> PredictWorker | None:
        """The predict thread, started on first need; None once the view has shut down."""
        if self.worker is None and not self._shut_down:
            worker = PredictWorker(self.pictures, self.model_locator, self.predictor_factory)
            worker.threshold = self.threshold_box.value()
            worker.set_heatmap(self.heatmap_box.isChecked())
            worker.verdict.connect(self._show_verdict)
            worker.heatmap_ready.connect(self._show_heatmap)
            worker.model_ready.connect(self._on_model_ready)
            worker.model_missing.connect(self._on_model_missing)
            worker.folder_item.connect(self.folder_grid.add)
            worker.folder_done.connect(self.folder_grid.finish)
            worker.start()
            self.worker = worker
        return self.worker

    def check_model(self) -> None:
        """A training run finished or the dataset changed: predict with its current model."""
        worker = self.ensure_worker()
        if worker is not None:
            worker.check_model()

    def _on_model_ready(self, path: str) -> None:
        predictor = self.worker.predictor if self.worker is not None else None
        self.converter.model_size = getattr(predictor, "input_size", None)
        self.model_note = ""
        if self.isVisible():  # from another tab, a note about this view's model only puzzles
            runtime = getattr(predictor, "runtime", "")
            self.status_message.emit(
                "Live: predicting with the newest model" + (f" ({runtime})" if runtime else "")
            )
        self._refresh_message()

    def _on_model_missing(self, reason: str) -> None:
        self.model_note = reason
        self.picture.set_verdict(None)
        self._refresh_message()
        self.status_message.emit(reason)

    # -- sources -------------------------------------------------------------------------

    def _fill_cameras(self) -> None:
        cameras = self.camera_list.cameras()
        self.source_box.clear()
        for device in cameras:
            self.source_box.addItem(device.description(), device)
        if not cameras:
            self.source_box.addItem("No camera found")
            self.source_box.model().item(0).setEnabled(False)
        if isinstance(self.source, VideoFileSource | type(None)) or not cameras:
            self._refresh_message()

    @property
    def has_camera(self) -> bool:
        return bool(self.camera_list.cameras())

    def _on_source_chosen(self, index: int) -> None:
        device = self.source_box.itemData(index)
        if device is not None:
            self.use_source(CameraSource(device, self.sink, self))

    def use_source(self, source) -> None:
        """Switch to a camera or video source; the previous one stops."""
        self._stop_source()
        self.stack.setCurrentWidget(self.picture)
        self.source = source
        source.failed.connect(self._on_source_failed)
        is_file = isinstance(source, VideoFileSource)
        self.play_button.setEnabled(is_file)
        if is_file:
            source.playing_changed.connect(
                lambda playing: self.play_button.setText("Pause" if playing else "Play")
            )
        self.ensure_worker()
        source.start()
        self.status_message.emit(f"Live: {source.description}")

    def open_video(self, path: str | Path) -> VideoFileSource:
        source = VideoFileSource(Path(path), self.sink, loop=self.loop_box.isChecked(), parent=self)
        self.use_source(source)
        return source

    def show_image(self, path: str | Path) -> None:
        """A still picture: decoded by the converter thread, predicted once."""
        self._stop_source()
        self.stack.setCurrentWidget(self.picture)
        self.ensure_worker()
        self._put(Path(path))
        self.status_message.emit(f"Live: {Path(path).name}")

    def predict_folder(self, folder: str | Path) -> None:
        folder = Path(folder)
        paths = sorted(p for p in folder.rglob("*") if p.is_file() and is_image(p))
        self.folder_grid.threshold = self.threshold_box.value()
        self.folder_grid.start(folder, len(paths))
        self.stack.setCurrentWidget(self.folder_grid)
        worker = self.ensure_worker()
        if worker is not None:
            worker.predict_folder(paths)

    def open_path(self, path: str | Path) -> None:
        path = Path(path)
        if path.is_dir():
            self.predict_folder(path)
        elif is_video(path):
            self.open_video(path)
        elif is_image(path):
            self.show_image(path)
        else:
            self._say(f"{path.name}: not a picture or a video this view can open.")

    def _open_dialog(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a picture or a video", "", FILE_FILTER)
        if path:
            self.open_path(path)

    def _toggle_play(self) -> None:
        if isinstance(self.source, VideoFileSource):
            self.source.toggle()

    def _set_loop(self, loop: bool) -> None:
        if isinstance(self.source, VideoFileSource):
            self.source.set_loop(loop)

    def _stop_source(self) -> None:
        if self.source is not None:
            self.source.stop()
            self.source.deleteLater()
            self.source = None
        self.play_button.setEnabled(False)

    def _on_source_failed(self, message: str) -> None:
        self._say(message)
        if self.current is None:
            self.picture.set_message(message)

    # -- frames --------------------------------------------------------------------------

    def _on_video_frame(self, frame: QVideoFrame) -> None:
        # GUI thread, at the video's rate: only hand the (shared, not copied) frame on.
        if frame.isValid():
            self._put(frame, frame.startTime() / 1e6 if frame.startTime() >= 0 else None)

    def _put(self, source, time_s: float | None = None) -> None:
        self._next_frame_id += 1
        self.raw.put(RawFrame(self._next_frame_id, source, now(), time_s))

    def _show_picture(self, picture: Picture) -> None:
        self.current = picture
        self.picture.set_picture(picture.image)
        self.picture_shown.emit(picture)

    def _show_verdict(self, _label: str, score: float, rate: float, latency_ms: float, _id: int):
        self.picture.set_verdict(score, rate, latency_ms)

    def _show_heatmap(self, heat, _frame_id: int) -> None:
        if self.heatmap_box.isChecked():  # one may arrive just after switching off
            self.picture.set_heatmap(heat)

    @property
    def frames_dropped(self) -> int:
        return self.raw.dropped + self.pictures.dropped

    # -- settings ------------------------------------------------------------------------

    def _set_threshold(self, value: float) -> None:
        self.picture.set_threshold(value)
        self.folder_grid.set_threshold(value)
        if self.worker is not None:
            self.worker.threshold = value

    def _set_heatmap(self, on: bool) -> None:
        self.picture.show_heatmap = on
        if not on:
            self.picture.set_heatmap(None)
        if self.worker is not None:
            self.worker.set_heatmap(on)

    # -- feedback into the dataset -------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:
        label = {Qt.Key.Key_H: HOT_DOG, Qt.Key.Key_N: NOT_HOT_DOG}.get(Qt.Key(event.key()))
        if label is not None and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            self.add_current_frame(label)
            return
        if event.key() == Qt.Key.Key_Space and isinstance(self.source, VideoFileSource):
            self.source.toggle()
            return
        super().keyPressEvent(event)

    def add_current_frame(self, label: str) -> None:
        dataset = getattr(self.session, "dataset", None)
        if dataset is None:
            self._say("Open a dataset first: there is nowhere to add this frame.")
            return
        if self.current is None:
            self._say("No picture to add yet.")
            return
        image = self.current.image
        where = self.source.description if self.source is not None else "picture"
        title = TITLES[label]

        def add():
            return dataset.add_image(pil_from_qimage(image), label, source=f"live:{where}")

        def done(result) -> None:
            if not getattr(result, "added", True):
                self._say(f"Already in the dataset ({title}).")
            else:
                self._say(f"Added this frame to {title}.")

        run_in_pool(add, done, self._say)

    # -- messages ------------------------------------------------------------------------

    def _say(self, text: str) -> None:
        self.picture.toast(text)
        self.status_message.emit(text)

    def _refresh_message(self) -> None:
        parts = []
        if self.source is None and not self.has_camera:
            parts.append(NO_CAMERA)
        elif self.source is None:
            parts.append("Choose a camera, or open a video or an image file, or drop one here.")
        if self.model_note:
            parts.append(self.model_note)
        self.picture.set_message("\n\n".join(parts))

    # -- drops ---------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        self.open_path(paths[0])

    # -- life cycle ----------------------------------------------------------------------

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.check_model()  # a run may have finished while another tab was showing
        if self._resume_on_show and self.source is not None:
            self.source.start()
        self._resume_on_show = False
        self.setFocus()

    def hideEvent(self, event) -> None:
        # Another tab: stop spending the CPU on a picture nobody sees (unless a view follows it).
        if not self._followed and not self.window().isMinimized():
            self._pause_while_hidden()
        super().hideEvent(event)

    def set_followed(self, followed: bool) -> None:
        """Another view shows this one's frames (Under the hood): keep playing while hidden."""
        self._followed = followed
        if followed and self._resume_on_show and self.source is not None:
            self.source.start()
            self._resume_on_show = False
        elif not followed and not self.isVisible():
            self._pause_while_hidden()

    def _pause_while_hidden(self) -> None:
        playing = isinstance(self.source, CameraSource) or getattr(self.source, "playing", False)
        if playing:
            self._resume_on_show = True
            self.source.pause() if isinstance(self.source, VideoFileSource) else self.source.stop()

    def shutdown(self) -> None:
        """Stop the source and both threads, for good (on close, and when the application
        quits). Final: the dataset closing next emits `closed`, which must not start a new
        predict thread that nobody would stop (Qt aborts the process on a running QThread's
        destruction)."""
        self._shut_down = True
        self._stop_source()
        self.converter.stop()
        if self.worker is not None:
            self.worker.stop()
            self.worker = None

    def closeEvent(self, event) -> None:
        self.shutdown()
        super().closeEvent(event)
