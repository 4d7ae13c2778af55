"""Section 3, why this verdict: the photo's logit as the bias plus one vote per input of the head's
final layer, drawn as signed bars (the biggest for hot dog, the biggest against, the rest summed),
so the bars on show add up to the logit in the caption. A click on a vote shows the labeled photos
that excite that input most (ml/exciting_photos.py); a click on one of those opens it in the view.

Only asked for while the panel is on screen: a view following the Live feed does not explain
frames nobody looks at.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QImage, QPainter, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.errors import StudioError
from desktop_app.ui.shell.percent import percent

TOP = 10  # votes shown each way
THUMB = 96
THUMB_COLUMNS = 4
FOR_COLOUR, AGAINST_COLOUR, OTHER_COLOUR = "#16a34a", "#dc2626", "#9ca3af"


def explainer_of(context):
    """The Explainer of the thread's model, made once per model (cached with it)."""
    explainer = context.cache.get("explainer")
    if explainer is None:
        from desktop_app.ml.explain import Explainer

        # No backbone statistics: the panels show votes and steps, not per-layer numbers.
        explainer = context.cache.setdefault(
            "explainer", Explainer(context.predictor, backbone_layers=0)
        )
    return explainer


@dataclass(frozen=True)
class VoteRow:
    """One bar: a vote (unit is its input's index), the other votes summed, or the bias."""

    kind: str  # "for", "against", "rest" or "bias"
    text: str
    value: float  # what it adds to the logit
    unit: int | None = None
    detail: str = ""


@dataclass
class VotesDrawing:
    photo: Any  # the Photo explained
    model: int  # which loaded model (id of its Predictor): exciting photos of another are stale
    score: float  # P(hot dog), the Predictor's
    logit: float | None
    bias: float | None
    inputs_kind: str  # "hidden unit" or "feature"
    rows: list[VoteRow] = field(default_factory=list)  # bias first; they add up to the logit
    caption: str = ""
    note: str | None = None

    @property
    def votes(self) -> float:
        return sum(row.value for row in self.rows if row.kind != "bias")


@dataclass(frozen=True)
class ChosenPhoto:
    """A labeled dataset photo to open in the view."""

    title: str
    path: Path
    label: str
    hash: str


@dataclass
class ExcitingDrawing:
    unit: int
    inputs_kind: str
    photos: list[tuple[Any, QImage, ChosenPhoto]]  # (ExcitingPhoto, thumbnail, what to open)
    note: str | None = None  # why there are none (a model that trained its backbone)


def votes_work(photo):
    """The question for the model thread: the votes of the photo's verdict."""

    def work(context) -> VotesDrawing:
        explainer = explainer_of(context)
        image = photo.at(context.predictor.input_size)
        explanation = explainer.explain_image(image)
        drawing = VotesDrawing(
            photo=photo,
            model=id(context.predictor),
            score=explanation.score,
            logit=explanation.logit,
            bias=explanation.bias,
            inputs_kind=explanation.inputs_kind,
            note=explanation.note,
        )
        if explanation.logit is None:
            drawing.caption = f"{percent(explanation.score)} hot dog: this verdict has no split."
            return drawing
        drawing.rows = _rows(explanation)
        drawing.caption = (
            f"logit = bias + votes = {explanation.bias:+.3f} {drawing.votes:+.3f}"
            f" = {explanation.logit:.3f} → {percent(explanation.score)} hot dog"
        )
        return drawing

    return work


def _rows(explanation) -> list[VoteRow]:
    kind = explanation.inputs_kind
    shown_for, shown_against = explanation.top_for(TOP), explanation.top_against(TOP)
    shown = {vote.index for vote in shown_for + shown_against}
    rest = [vote for vote in explanation.votes if vote.index not in shown]
    rows = [VoteRow("bias", "bias", explanation.bias, detail="the bias: a vote without input")]
    for side, votes in (("for", shown_for), ("against", shown_against)):
        rows += [
            VoteRow(
                side,
                f"{kind} {vote.index}",
                vote.contribution,
                vote.index,
                f"{kind} {vote.index}: input {vote.input:.3f} × weight {vote.weight:+.3f}"
                f" = {vote.contribution:+.3f}",
            )
            for vote in votes
        ]
    if rest:
        total = sum(vote.contribution for vote in rest)
        rows.append(
            VoteRow("rest", f"the other {len(rest)}", total, detail="the smaller votes, summed")
        )
    return rows


def exciting_work(unit: int, inputs_kind: str):
    """The question for the model thread: the labeled photos that excite `unit` most."""

    def work(context) -> ExcitingDrawing:
        from desktop_app.ml.exciting_photos import exciting_photos

        explainer = explainer_of(context)
        try:
            found = exciting_photos(explainer, context.dataset, unit)
        except StudioError as error:
            return ExcitingDrawing(unit, inputs_kind, [], note=str(error))
        photos = []
        for exciting in found:
            item = context.dataset.get(exciting.hash)
            path = context.dataset.locate(exciting.hash) if item is not None else None
            if path is None:
                continue  # trashed or gone since the features were cached
            thumbnail = QImage(str(context.dataset.thumbnail(exciting.hash))).scaled(
                THUMB,
                THUMB,
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
            chosen = ChosenPhoto(
                f"{path.name} (labeled {exciting.label})", path, exciting.label, exciting.hash
            )
            photos.append((exciting, thumbnail, chosen))
        return ExcitingDrawing(unit, inputs_kind, photos)

    return work


class VoteBars(QWidget):
    """Signed horizontal bars, one row each, zero in the middle; a click on a row picks it."""

    row_clicked = Signal(int)
    ROW = 20
    NAME = 110  # room for the row's name on the left
    VALUE = 70  # ... and its value on the right

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[VoteRow] = []
        self.setMouseTracking(True)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_rows(self, rows: list[VoteRow]) -> None:
        self.rows = rows
        self.setFixedHeight(max(1, len(rows)) * self.ROW + 4)
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(520, max(1, len(self.rows)) * self.ROW + 4)

    def row_rect(self, index: int) -> QRect:
        return QRect(0, 2 + index * self.ROW, self.width(), self.ROW)

    def row_at(self, y: float) -> int | None:
        index = int((y - 2) // self.ROW)
        return index if 0 <= index < len(self.rows) else None

    def mousePressEvent(self, event) -> None:
        index = self.row_at(event.position().y())
        if index is not None and event.button() == Qt.MouseButton.LeftButton:
            self.row_clicked.emit(index)
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        index = self.row_at(event.position().y())
        row = self.rows[index] if index is not None else None
        self.setToolTip(row.detail if row else "")
        clickable = row is not None and row.unit is not None
        self.setCursor(
            Qt.CursorShape.PointingHandCursor if clickable else Qt.CursorShape.ArrowCursor
        )
        super().mouseMoveEvent(event)

    def paintEvent(self, _event) -> None:
        if not self.rows:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        left, right = self.NAME, max(self.NAME + 40, self.width() - self.VALUE)
        middle = (left + right) / 2
        half = (right - left) / 2 - 2
        biggest = max(abs(row.value) for row in self.rows) or 1.0
        for index, row in enumerate(self.rows):
            rect = self.row_rect(index)
            painter.setPen(QColor("#374151"))
            name = QRect(0, rect.top(), left - 6, rect.height())
            painter.drawText(
                name, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, row.text
            )
            length = half * abs(row.value) / biggest
            x = middle if row.value >= 0 else middle - length
            colour = {"for": FOR_COLOUR, "against": AGAINST_COLOUR}.get(row.kind, OTHER_COLOUR)
            painter.fillRect(
                int(x), rect.top() + 3, max(1, round(length)), rect.height() - 6, QColor(colour)
            )
            value = QRect(right + 4, rect.top(), self.VALUE - 4, rect.height())
            painter.drawText(
                value,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                f"{row.value:+.3f}",
            )
        painter.setPen(QColor("#111827"))
        painter.drawLine(int(middle), 0, int(middle), self.height())
        painter.end()


class VotesPanel(QWidget):
    photo_chosen = Signal(object)  # a ChosenPhoto: the view opens it

    def __init__(self, thread) -> None:
        super().__init__()
        self.thread = thread
        self.photo: Any = None
        self._asked: Any = None  # the photo last asked about (the panel asks only when shown)
        self.drawing: VotesDrawing | None = None
        self.exciting: ExcitingDrawing | None = None
        self.buttons: list[QToolButton] = []

        self.caption = QLabel("Choose a photo to see why the model says what it says.")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.caption.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.caption.setFont(font)
        self.explain = QLabel(
            "The last layer adds one vote per input (input × weight) to a bias. Green bars vote"
            " for hot dog, red against; grey: the bias and the smaller votes summed."
            " Click a vote to see the training photos that excite that input most."
        )
        self.explain.setWordWrap(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.hide()
        self.bars = VoteBars()
        self.bars.row_clicked.connect(self._row_clicked)
        self.exciting_caption = QLabel()
        self.exciting_caption.setWordWrap(True)
        self.grid = QGridLayout()
        self.grid.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        layout = QVBoxLayout(self)
        layout.addWidget(self.caption)
        layout.addWidget(self.explain)
        layout.addWidget(self.note)
        layout.addWidget(self.bars)
        layout.addWidget(self.exciting_caption)
        layout.addLayout(self.grid)
        layout.addStretch(1)

    # -- the photo, asked about only while on screen ---------------------------------------------
    def show_photo(self, photo) -> None:
        self.photo = photo
        if self.isVisible():
            self._ask()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self.photo is not None and self.photo is not self._asked:
            self._ask()

    def _ask(self) -> None:
        self._asked = self.photo
        self.thread.ask("votes", votes_work(self.photo), self.show_drawing)

    def show_drawing(self, drawing: VotesDrawing) -> None:
        if self.drawing is not None and drawing.model != self.drawing.model:
            self._show_exciting(None)  # another model: its units are not these
        self.drawing = drawing
        self.caption.setText(drawing.caption)
        self.note.setText(drawing.note or "")
        self.note.setVisible(bool(drawing.note))
        self.bars.set_rows(drawing.rows)

    # -- a vote clicked: the photos that excite its input ---------------------------------------
    def pick(self, index: int) -> None:
        """Asks for the exciting photos of row `index` (a vote; the bias and the rest have none)."""
        row = self.drawing.rows[index] if self.drawing is not None else None
        if row is None or row.unit is None:
            return
        kind = self.drawing.inputs_kind
        self.exciting_caption.setText(f"Looking for the photos that excite {kind} {row.unit}…")
        self.thread.ask("exciting", exciting_work(row.unit, kind), self._show_exciting)

    def _row_clicked(self, index: int) -> None:
        self.pick(index)

    def _show_exciting(self, drawing: ExcitingDrawing | None) -> None:
        self.exciting = drawing
        for button in self.buttons:
            self.grid.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        if drawing is None:
            self.exciting_caption.setText("")
            return
        if drawing.note:
            self.exciting_caption.setText(drawing.note)
            return
        if not drawing.photos:
            self.exciting_caption.setText("No labeled photo with cached features to show.")
            return
        self.exciting_caption.setText(
            f"The labeled photos where {drawing.inputs_kind} {drawing.unit} is highest"
            " (click one to open it):"
        )
        for i, (exciting, thumbnail, chosen) in enumerate(drawing.photos):
            button = QToolButton()
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setIcon(QIcon(QPixmap.fromImage(thumbnail)))
            button.setIconSize(QSize(THUMB, THUMB))
            button.setText(f"{exciting.label.replace('_', ' ')}\n{_value(exciting.activation)}")
            button.setToolTip(chosen.title)
            button.clicked.connect(lambda _checked=False, c=chosen: self.photo_chosen.emit(c))
            self.grid.addWidget(button, i // THUMB_COLUMNS, i % THUMB_COLUMNS)
            self.buttons.append(button)


def _value(x: float) -> str:
    return f"{x:.3f}" if math.isfinite(x) else str(x)
