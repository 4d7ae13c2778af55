"""Section 2: one photo's forward pass. Activation maps of a few blocks (small multiples, a block
picker), the pooled feature vector, the head's neurons lighting up, and the final score."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from desktop_app.ui.shell.percent import percent
from desktop_app.ui.under_the_hood.pictures import heat_image, tile, vector_strip

SPREAD = "Four blocks, first to last"
MAP_SIDE = 56  # every map shown this size: a 9x9 map enlarged, a 144x144 one shrunk


@dataclass
class ForwardDrawing:
    """What the model thread hands the GUI: pictures made, numbers read."""

    blocks: list[tuple[str, str]]  # every block that has maps, for the picker
    rows: list[tuple[str, QImage]]  # (caption, tiled maps)
    features: QImage
    feature_count: int
    neurons: list[tuple[str, QImage, int]]  # (Dense layer, its neurons, how many)
    score: float  # P(hot dog), as the Predictor (and `predict`) gives it


def forward_work(image: np.ndarray, block: str | None):
    """The question for the model thread: the drawing of image's pass (block: None = spread)."""

    def work(context) -> ForwardDrawing:
        from desktop_app.ml.forward_pass import ForwardPassModel

        predictor = context.predictor
        model = context.cache.get("forward")
        if model is None:
            model = context.cache["forward"] = ForwardPassModel(predictor.model, predictor.classes)
        chosen = [b for b in model.blocks if b[0] == block] if block else None
        passed = model.run(image, chosen or None)
        rows = []
        for maps in passed.maps:
            h, w, c = maps.shape
            caption = f"{maps.block}: {h}×{w}, the {len(maps.channels)} strongest of {c} channels"
            rows.append((caption, heat_image(tile(_resized(maps.maps, MAP_SIDE)))))
        neurons = [
            (name, heat_image(vector_strip(values, 32)), values.size)
            for name, values in passed.head
        ]
        return ForwardDrawing(
            blocks=model.blocks,
            rows=rows,
            features=heat_image(vector_strip(passed.features)),
            feature_count=passed.features.size,
            neurons=neurons,
            # The Predictor's own answer (its runtime may be XNNPACK): what predict prints.
            score=predictor.predict_image(image),
        )

    return work


def _resized(maps: np.ndarray, side: int) -> np.ndarray:
    """Each map to side x side: nearest pixels when enlarging (a map's cells stay visible)."""
    from PIL import Image

    h, w = maps.shape[1:]
    method = Image.Resampling.NEAREST if h < side else Image.Resampling.BOX
    return np.stack([np.asarray(Image.fromarray(m).resize((side, side), method)) for m in maps])


def _pixmap(image: QImage, scale: int) -> QPixmap:
    return QPixmap.fromImage(image).scaled(
        image.width() * scale,
        image.height() * scale,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation,
    )


class ForwardPanel(QWidget):
    block_changed = Signal(object)  # a block name, or None for the spread

    def __init__(self) -> None:
        super().__init__()
        self.picker = QComboBox()
        self.picker.addItem(SPREAD, None)
        self.picker.currentIndexChanged.connect(
            lambda _i: self.block_changed.emit(self.picker.currentData())
        )
        self.score = QLabel("Choose a photo to see it go through the model.")
        self.score.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(QLabel("Activation maps of:"))
        top.addWidget(self.picker, 1)
        self.grid = QGridLayout()
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(self.grid)
        layout.addWidget(self.score)
        layout.addStretch(1)
        self.drawing: ForwardDrawing | None = None
        self._slots: list[tuple[QLabel, QLabel]] = []  # (caption, picture), top to bottom

    def _make_slots(self, count: int) -> None:
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._slots = [(QLabel(), QLabel()) for _ in range(count)]
        for row, (text, picture) in enumerate(self._slots):
            self.grid.addWidget(text, 2 * row, 0)
            self.grid.addWidget(picture, 2 * row + 1, 0)

    def show_drawing(self, drawing: ForwardDrawing) -> None:
        self.drawing = drawing
        if self.picker.count() != len(drawing.blocks) + 1:
            self.picker.blockSignals(True)
            self.picker.clear()
            self.picker.addItem(SPREAD, None)
            for name, _layer in drawing.blocks:
                self.picker.addItem(name, name)
            self.picker.blockSignals(False)
        shown = [(caption, image, 1) for caption, image in drawing.rows]
        shown.append(
            (f"Pooled: the {drawing.feature_count} features the head reads", drawing.features, 6)
        )
        for name, image, count in drawing.neurons:
            what = "the verdict's neurons" if name == "probabilities" else f"{count} neurons"
            shown.append((f"Head layer {name}: {what}", image, 8))
        if len(self._slots) != len(shown):
            self._make_slots(len(shown))
        # The same labels get new pictures: a followed Live feed redraws several times a second,
        # where making and laying out new widgets each time costs far more than a new pixmap.
        for (caption, image, scale), (text, picture) in zip(shown, self._slots, strict=True):
            text.setText(caption)
            picture.setPixmap(_pixmap(image, scale))
        self.score.setText(f"<b>{percent(drawing.score)} hot dog</b> at the end of the pass.")
