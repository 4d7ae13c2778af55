"""Section 5, right and wrong, one step: the photo's verdict against a label, the loss, and one
plain SGD step on the head's weights by hand (ml/one_step.py), from the model's own weights each
time; the model itself is never changed. The final layer's connections into the hot dog neuron
are drawn one square per input: green where the step strengthens them, red where it weakens them,
brighter for a bigger change. Flip the label and the colours flip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG
from desktop_app.ui.shell.percent import percent
from desktop_app.ui.under_the_hood.pictures import rgb_image
from desktop_app.ui.under_the_hood.votes_panel import explainer_of

RATES = (0.01, 0.05, 0.2, 1.0)
DEFAULT_RATE = 0.05
COLUMNS = 16  # connections to a row of the strip
CELL = 14  # pixels a connection
GAP = 1
STRONGER = np.array([22, 163, 74], float)  # green
WEAKER = np.array([220, 38, 38], float)  # red
NEUTRAL = np.array([235, 235, 235], float)
SHOWN = 5  # connections named each way


@dataclass
class StepDrawing:
    photo: Any
    label: str
    learning_rate: float
    step: Any  # ml.one_step.OneStep
    inputs_kind: str
    changes: np.ndarray  # the final kernel's change for the hot dog neuron, one per input
    bias_change: float
    strip: QImage  # the changes drawn, COLUMNS to a row, CELL pixels each
    note: str | None = None

    def cell_centre(self, index: int) -> tuple[int, int]:
        """Where connection `index` is drawn in the strip (x, y)."""
        row, column = divmod(index, COLUMNS)
        return column * (CELL + GAP) + CELL // 2, row * (CELL + GAP) + CELL // 2


def strip_of(changes: np.ndarray) -> QImage:
    """The changes as coloured squares: green up, red down, intensity by |change| / max."""
    changes = np.asarray(changes, np.float64).ravel()
    biggest = float(np.abs(changes).max()) if changes.size else 0.0
    strength = np.abs(changes) / biggest if biggest > 0 else np.zeros_like(changes)
    colours = np.where(changes[:, None] >= 0, STRONGER, WEAKER)
    cells = NEUTRAL + strength[:, None] * (colours - NEUTRAL)
    rows = max(1, -(-changes.size // COLUMNS))
    side = CELL + GAP
    out = np.full((rows * side - GAP, COLUMNS * side - GAP, 3), 255, np.uint8)
    for index, colour in enumerate(cells.astype(np.uint8)):
        x, y = (index % COLUMNS) * side, (index // COLUMNS) * side
        out[y : y + CELL, x : x + CELL] = colour
    return rgb_image(out)


def step_work(photo, label: str, learning_rate: float):
    """The question for the model thread: one step on the head for the photo and label."""

    def work(context) -> StepDrawing:
        from desktop_app.ml.metrics import score_index
        from desktop_app.ml.one_step import one_step

        explainer = explainer_of(context)
        if explainer.head is None or label not in explainer.classes:
            note = explainer.note or f"This model's classes are {explainer.classes}, not {label}."
            return StepDrawing(
                photo, label, learning_rate, None, "", np.zeros(0), 0.0, QImage(), note
            )
        features = explainer.features_of(photo.at(context.predictor.input_size))[0]
        step = one_step(explainer.head, features, label, explainer.classes, learning_rate)
        column = score_index(explainer.classes)
        changes = step.final_kernel.change[:, column]
        return StepDrawing(
            photo,
            label,
            learning_rate,
            step,
            explainer.inputs_kind,
            changes,
            float(step.final_bias.change[column]),
            strip_of(changes),
        )

    return work


class OneStepPanel(QWidget):
    def __init__(self, thread) -> None:
        super().__init__()
        self.thread = thread
        self.photo: Any = None
        self.drawing: StepDrawing | None = None

        self.hot_dog = QRadioButton("Hot dog")
        self.not_hot_dog = QRadioButton("Not hot dog")
        self.labels = QButtonGroup(self)
        self.labels.addButton(self.hot_dog)
        self.labels.addButton(self.not_hot_dog)
        self.hot_dog.setChecked(True)
        self.rate = QComboBox()
        for rate in RATES:
            self.rate.addItem(f"{rate:g}", rate)
        self.rate.setCurrentIndex(RATES.index(DEFAULT_RATE))
        self.rate.setToolTip("How far one step moves each weight: the learning rate.")
        self.step_button = QPushButton("Take one step")
        self.step_button.clicked.connect(self.take_step)
        self.step_button.setEnabled(False)
        choices = QHBoxLayout()
        choices.addWidget(QLabel("The label is:"))
        choices.addWidget(self.hot_dog)
        choices.addWidget(self.not_hot_dog)
        choices.addSpacing(16)
        choices.addWidget(QLabel("Learning rate:"))
        choices.addWidget(self.rate)
        choices.addSpacing(16)
        choices.addWidget(self.step_button)
        choices.addStretch(1)

        self.intro = QLabel(
            "One step of training, by hand, on this photo alone: the forward pass, the loss"
            " against the label, the gradient of the loss for each of the head's weights, and"
            " each weight moved a little against its gradient. Always from the model's own"
            " weights: the model itself does not change."
        )
        self.intro.setWordWrap(True)
        self.summary = QLabel("Choose a label and take a step.")
        self.summary.setWordWrap(True)
        font = self.summary.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.summary.setFont(font)
        self.numbers = QLabel()
        self.numbers.setWordWrap(True)
        self.strip_caption = QLabel()
        self.strip_caption.setWordWrap(True)
        self.strip = QLabel()
        self.strip.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.biggest = QLabel()
        self.biggest.setWordWrap(True)
        self.biggest.setTextFormat(Qt.TextFormat.RichText)
        layout = QVBoxLayout(self)
        layout.addWidget(self.intro)
        layout.addLayout(choices)
        layout.addWidget(self.summary)
        layout.addWidget(self.numbers)
        layout.addWidget(self.strip_caption)
        layout.addWidget(self.strip)
        layout.addWidget(self.biggest)
        layout.addStretch(1)

    @property
    def label(self) -> str:
        return HOT_DOG if self.hot_dog.isChecked() else NOT_HOT_DOG

    def set_label(self, label: str) -> None:
        (self.hot_dog if label == HOT_DOG else self.not_hot_dog).setChecked(True)

    @property
    def learning_rate(self) -> float:
        return float(self.rate.currentData())

    def show_photo(self, photo) -> None:
        """A new photo: the label defaults to its own; the last step was another photo's."""
        self.photo = photo
        if photo.label in (HOT_DOG, NOT_HOT_DOG):
            self.set_label(photo.label)
        self.step_button.setEnabled(True)
        self.drawing = None
        has_label = photo.label in (HOT_DOG, NOT_HOT_DOG)
        self.summary.setText(
            "Choose a label and take a step."
            if has_label
            else "This photo has no label: say what it is, and take a step."
        )
        for label in (self.numbers, self.strip_caption, self.biggest):
            label.setText("")
        self.strip.clear()

    def take_step(self) -> None:
        if self.photo is None:
            return
        self.summary.setText("Taking one step…")
        self.thread.ask(
            "one step", step_work(self.photo, self.label, self.learning_rate), self.show_drawing
        )

    def show_drawing(self, drawing: StepDrawing) -> None:
        if drawing.photo is not self.photo:
            return  # a step for a photo no longer on show
        self.drawing = drawing
        if drawing.step is None:
            self.summary.setText(drawing.note or "")
            return
        step = drawing.step
        self.summary.setText(step.summary)
        self.numbers.setText(
            f"Loss (−log P(the label)): {step.loss_before:.4f} → {step.loss_after:.4f}.   "
            f"Score: {percent(step.score_before)} → {percent(step.score_after)} hot dog"
            f" ({step.score_before:.4f} → {step.score_after:.4f}), learning rate"
            f" {drawing.learning_rate:g}."
        )
        kind = drawing.inputs_kind
        self.strip_caption.setText(
            f"The final layer's {drawing.changes.size} connections into the hot dog neuron, one"
            f" square per {kind}: green strengthened, red weakened, brighter for a bigger change."
            f" Its bias moves by {drawing.bias_change:+.5f}."
        )
        self.strip.setPixmap(QPixmap.fromImage(drawing.strip))
        order = np.argsort(-np.abs(drawing.changes), kind="stable")[:SHOWN]
        named = ", ".join(
            f"<span style='color:{_css(c)}'>{kind} {int(i)} {c:+.5f}</span>"
            for i, c in ((i, float(drawing.changes[i])) for i in order)
        )
        self.biggest.setText(f"The biggest changes: {named}." if named else "")


def _css(change: float) -> str:
    colour = STRONGER if change >= 0 else WEAKER
    return "#" + "".join(f"{int(v):02x}" for v in colour)
