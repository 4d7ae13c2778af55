"""The Under the hood tab: the lesson of how neurons learn, on the user's own model and photos.

Left, the model drawn from Keras (section 1). Right, one photo at a time, chosen from the dataset,
dropped in, opened, or the Live view's current frame: its forward pass and the panels that follow
it. All computing happens on the view's model thread; the GUI thread sets pictures and text.
"""

from __future__ import annotations

import random
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.shell.local_files import local_paths
from desktop_app.ui.under_the_hood.forward_panel import ForwardPanel, forward_work
from desktop_app.ui.under_the_hood.map_panel import MapPanel
from desktop_app.ui.under_the_hood.model_diagram import ModelDiagram
from desktop_app.ui.under_the_hood.model_thread import ModelThread
from desktop_app.ui.under_the_hood.one_step_panel import OneStepPanel
from desktop_app.ui.under_the_hood.pictures import rgb_image
from desktop_app.ui.under_the_hood.votes_panel import VotesPanel
from desktop_app.ui.under_the_hood.weights_panel import WeightsPanel

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
PHOTO_SIDE = 160
# A followed Live feed redraws at most 10 times a second: enough to watch the maps change, and the
# cores stay with Live's own verdicts (30 a second on a 30 fps video).
FOLLOW_EVERY_S = 0.1


class Photo:
    """The photo on show: a file (dataset photo, opened, dropped) or pixels (a Live frame)."""

    def __init__(
        self,
        title: str,
        path: Path | None = None,
        pixels: np.ndarray | None = None,
        label: str | None = None,
        hash_: str | None = None,
    ) -> None:
        self.title, self.path, self.pixels, self.label, self.hash = (
            title,
            path,
            pixels,
            label,
            hash_,
        )

    def at(self, size: int) -> np.ndarray:
        """The model's input: size x size x 3 uint8, decoded and squashed as training does."""
        if self.path is not None:
            from desktop_app.core.imaging import load_array

            return load_array(self.path, size)
        from desktop_app.ml.predict import resize_to

        return resize_to(self.pixels, size)


class UnderTheHoodView(QWidget):
    title = "Under the hood"
    status_message = Signal(str)
    following = Signal(bool)  # showing the Live view's frames now: Live plays on while hidden

    def __init__(self, session=None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("underTheHoodView")
        self.setAcceptDrops(True)
        self.session = session
        self.photo: Photo | None = None
        self.block: str | None = None
        self._shut_down = False
        self._given: Any = None  # the dataset the model thread has
        self._followed: Any = None  # the newest Live frame not yet taken
        self._followed_at = 0.0
        self._follow_timer = QTimer(self)
        self._follow_timer.setSingleShot(True)
        self._follow_timer.timeout.connect(self._take_followed)
        self.thread = ModelThread(self)
        self.thread.model_changed.connect(self._model_changed)
        self.thread.failed.connect(self._failed)

        self.diagram = ModelDiagram()
        self.picture = QLabel()
        self.picture.setFixedSize(PHOTO_SIDE, PHOTO_SIDE)
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setStyleSheet("background: #222; color: #ccc;")
        self.picture.setText("No photo")
        self.caption = QLabel("Pick a photo: from the dataset, a file, or the Live view.")
        self.caption.setWordWrap(True)
        self.another = QPushButton("Another dataset photo")
        self.another.clicked.connect(self.random_photo)
        self.open_button = QPushButton("Open file…")
        self.open_button.clicked.connect(self._open_file)
        self.follow = QCheckBox("Follow the Live view's frame")
        self.follow.setToolTip("While Live plays, this view shows its current frame's pass.")
        self.follow.toggled.connect(lambda _on: self._say_following())

        self.forward = ForwardPanel()
        self.forward.block_changed.connect(self._block_changed)
        self.panels = QTabWidget()
        self.panels.addTab(_scrolled(self.forward), "Forward pass")
        self.votes = VotesPanel(self.thread)
        self.votes.photo_chosen.connect(self._open_chosen)
        self.panels.addTab(_scrolled(self.votes), "Why this verdict")
        self.one_step = OneStepPanel(self.thread)
        self.panels.addTab(_scrolled(self.one_step), "One step")
        self.weights = WeightsPanel(self.thread.ask)
        self.panels.addTab(_scrolled(self.weights), "Weights that move")
        self.photo_map = MapPanel(self.thread.ask)
        self.photo_map.photo_clicked.connect(self.show_dataset_photo)
        self.panels.addTab(self.photo_map, "Your photos on a map")

        buttons = QVBoxLayout()
        buttons.addWidget(self.caption)
        row = QHBoxLayout()
        row.addWidget(self.another)
        row.addWidget(self.open_button)
        row.addStretch(1)
        buttons.addLayout(row)
        follow_row = QHBoxLayout()  # the box its own size: a click beside its text does nothing
        follow_row.addWidget(self.follow)
        follow_row.addStretch(1)
        buttons.addLayout(follow_row)
        buttons.addStretch(1)
        photo_row = QHBoxLayout()
        photo_row.addWidget(self.picture)
        photo_row.addLayout(buttons, 1)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(photo_row)
        right_layout.addWidget(self.panels, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.diagram)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([420, 860])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)

        if session is not None:
            session.opened.connect(self._dataset_opened)
            session.closed.connect(self._dataset_closed)
            if session.dataset is not None:
                self._dataset_opened(session.dataset)

    # -- the dataset and its model: loaded when the tab is first shown, not at start-up ----------
    def _dataset_opened(self, dataset: Any) -> None:
        self._given = None  # a new dataset: hand it to the thread when the tab shows
        if self.isVisible():
            self._hand_over()

    def _dataset_closed(self) -> None:
        self.photo = None
        self.picture.setText("No photo")
        if self._given is not None and not self._shut_down:
            self.thread.set_dataset(None)
        self._given = None

    def _hand_over(self) -> None:
        dataset = self.session.dataset if self.session is not None else None
        if dataset is not None and dataset is not self._given and not self._shut_down:
            self._given = dataset
            self.thread.set_dataset(dataset)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._hand_over()
        self._say_following()

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        self._say_following()

    def _say_following(self) -> None:
        self.following.emit(self.follow.isChecked() and self.isVisible() and not self._shut_down)

    def check_model(self) -> None:
        """A training finished: the window calls this; show the new model."""
        if self._given is not None and not self._shut_down:
            self.thread.check_model()

    def _model_changed(self, run) -> None:
        self.weights.model_changed(run)
        self.photo_map.model_changed(run)
        self.another.setEnabled(run is not None)
        self.open_button.setEnabled(run is not None)
        if run is None:
            self.diagram.show_anatomy(None)
            self.caption.setText("No model yet: train one in the Train view, then come back.")
            return
        self.thread.ask("anatomy", lambda ctx: _anatomy(ctx), self.diagram.show_anatomy)
        if self.photo is None:
            self.random_photo()
        else:
            self.show_photo(self.photo)

    def _failed(self, kind: str, message: str) -> None:
        self.caption.setText(message)
        self.status_message.emit(message)

    # -- the photo -------------------------------------------------------------------------------
    def random_photo(self) -> None:
        dataset = self.session.dataset if self.session is not None else None
        if dataset is None:
            return
        items = [it for it in dataset.items() if it.label in dataset.classes]
        if not items:
            self.caption.setText("Label a few photos first: the view shows them one at a time.")
            return
        item = random.choice(items)
        self.show_photo(
            Photo(
                f"{item.path.name} (labeled {item.label})",
                item.path,
                label=item.label,
                hash_=item.hash,
            )
        )

    def _open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a photo", "", IMAGE_FILTER)
        if path:
            self.show_photo(Photo(Path(path).name, Path(path)))

    def follow_live(self, picture) -> None:
        """The Live view showed a frame (the window connects this); taken when following, at most
        every FOLLOW_EVERY_S: the newest frame waits in a one-slot mailbox until then."""
        if not self.follow.isChecked() or not self.isVisible() or self._shut_down:
            return
        self._followed = picture
        if not self._follow_timer.isActive():
            wait = FOLLOW_EVERY_S - (time.monotonic() - self._followed_at)
            self._follow_timer.start(max(0, round(wait * 1000)))

    def _take_followed(self) -> None:
        picture, self._followed = self._followed, None
        if picture is None or not self.follow.isChecked() or not self.isVisible():
            return
        if self._shut_down:
            return
        if self.thread.busy_with("forward"):  # still on an older frame: try the newest later
            self._followed = picture
            self._follow_timer.start(round(FOLLOW_EVERY_S * 1000))
            return
        self._followed_at = time.monotonic()
        pixels = getattr(picture, "model_pixels", None)
        if pixels is None:
            pixels = _qimage_pixels(picture.image)
        self.show_photo(Photo("The Live view's frame", pixels=pixels))

    def follow_training(self, event) -> None:
        """A Progress event of the Train view's training (the window connects this): its weight
        records join the weights panel, which redraws on its own timer."""
        if not self._shut_down:
            self.weights.follow_training(event)

    def show_dataset_photo(self, hash_: str) -> None:
        """A dataset photo by hash: a dot of the map, or "Look under the hood…" in Label."""
        dataset = self.session.dataset if self.session is not None else None
        item = dataset.get(hash_) if dataset is not None else None
        if item is not None:
            self.show_photo(
                Photo(
                    f"{item.path.name} (labeled {item.label})",
                    item.path,
                    label=item.label,
                    hash_=item.hash,
                )
            )

    def show_photo(self, photo: Photo) -> None:
        self.photo = photo
        self.caption.setText(photo.title)
        self.thread.ask("photo", _thumbnail_work(photo), self._show_thumbnail)
        self.thread.ask(
            "forward", _with_photo(photo, self._forward_work), self.forward.show_drawing
        )
        self.votes.show_photo(photo)  # asks only while its tab is on screen
        self.one_step.show_photo(photo)  # steps only when asked

    def _forward_work(self, image: np.ndarray):
        return forward_work(image, self.block)

    def _show_thumbnail(self, image: QImage) -> None:
        self.picture.setPixmap(QPixmap.fromImage(image))

    def _open_chosen(self, chosen) -> None:
        """A photo that excites a vote was clicked: show it."""
        self.show_photo(Photo(chosen.title, chosen.path, label=chosen.label, hash_=chosen.hash))

    def _block_changed(self, block: str | None) -> None:
        self.block = block
        if self.photo is not None:
            self.show_photo(self.photo)

    # -- drops -----------------------------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:
        if local_paths(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = local_paths(event.mimeData())
        if paths:
            event.acceptProposedAction()
            self.show_photo(Photo(Path(paths[0]).name, Path(paths[0])))

    # -- the end ---------------------------------------------------------------------------------
    def shutdown(self) -> None:
        self._shut_down = True
        self.thread.stop()


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(widget)
    area.setWidgetResizable(True)
    return area


def _anatomy(context):
    from desktop_app.ml.anatomy import anatomy

    return anatomy(context.predictor.model)


def _with_photo(photo: Photo, make_work):
    """Work that first decodes the photo at the model's size, then runs make_work(image)."""

    def work(context):
        image = photo.at(context.predictor.input_size)
        return make_work(image)(context)

    return work


def _thumbnail_work(photo: Photo):
    def work(context) -> QImage:
        image = photo.at(context.predictor.input_size)
        return rgb_image(image).scaled(
            PHOTO_SIDE,
            PHOTO_SIDE,
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )

    return work


def _qimage_pixels(image: QImage) -> np.ndarray:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w = rgb.height(), rgb.width()
    data = np.frombuffer(rgb.constBits(), np.uint8, rgb.bytesPerLine() * h)
    return data.reshape(h, rgb.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()
