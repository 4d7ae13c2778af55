"""A run's results: validation accuracy, precision and recall per class, the confusion matrix, and
the photos the model got wrong, each one click from being relabeled."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QColor, QImage, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.core.dataset import HOT_DOG
from desktop_app.ui.shell.style import HOT_DOG_COLOR, NOT_HOT_DOG_COLOR, label_color, label_title
from desktop_app.ui.shell.workers import run_in_pool

THUMB_PX = 96
CARDS_PER_TICK = 6  # cards are made a few at a time, so a long list never stalls the window

# One stylesheet for every card: parsed once, not once per widget.
CARD_STYLE = f"""
QFrame#misclassifiedCard {{ background: white; border: 1px solid #dfe2e6; border-radius: 8px; }}
QLabel#cardImage {{ background: #eceef1; border: none; border-radius: 4px; }}
QLabel#cardCaption {{ font-size: 9pt; color: #374151; border: none; }}
QPushButton#relabelButton {{
    font-size: 9pt; padding: 2px 6px; color: white; background: #6b7280;
    border: none; border-radius: 4px;
}}
QPushButton#relabelButton[label="hot_dog"] {{ background: {HOT_DOG_COLOR}; }}
QPushButton#relabelButton[label="not_hot_dog"] {{ background: {NOT_HOT_DOG_COLOR}; }}
"""
MAX_CARDS = 60  # more than this is a labeling problem, not a list to click through


def _blend(base: QColor, strength: float) -> QColor:
    """base mixed into white: strength 0 is white, 1 is base."""
    s = max(0.0, min(1.0, strength))
    return QColor(
        round(255 + (base.red() - 255) * s),
        round(255 + (base.green() - 255) * s),
        round(255 + (base.blue() - 255) * s),
    )


def _readonly_table(rows: int, columns: int) -> QTableWidget:
    table = QTableWidget(rows, columns)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    table.setSizeAdjustPolicy(QTableWidget.SizeAdjustPolicy.AdjustToContents)
    table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    return table


def _fit_height(table: QTableWidget) -> None:
    """As tall as its rows: no empty band under a two-row table."""
    rows = sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setFixedHeight(table.horizontalHeader().height() + rows + 2 * table.frameWidth())


def _fit_width(table: QTableWidget) -> None:
    """Never narrower than its headers and cells: stretched columns cut "Precision" short.
    Stretched columns share the width equally, so each needs the widest one's room."""
    header = table.horizontalHeader()
    widest = max(
        (max(header.sectionSizeHint(c), table.sizeHintForColumn(c)) for c in range(header.count())),
        default=0,
    )
    width = table.verticalHeader().sizeHint().width() + widest * header.count()
    table.setMinimumWidth(width + 2 * table.frameWidth() + header.count())


def _cell(text: str) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    return item


class MisclassifiedCard(QFrame):
    """One wrongly predicted photo with a button per class; a click relabels and removes it."""

    relabel_requested = Signal(str, str)  # hash, label

    def __init__(self, entry: dict[str, Any], classes: list[str], current_label: str) -> None:
        super().__init__()
        self.hash = str(entry["hash"])
        self.label = current_label
        self.setObjectName("misclassifiedCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Never squeezed: a narrower card wraps its caption taller than the strip, cutting
        # the buttons off; the strip scrolls sideways instead.
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.setSpacing(4)

        self.image = QLabel(objectName="cardImage")
        self.image.setFixedSize(THUMB_PX, THUMB_PX)
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.image, alignment=Qt.AlignmentFlag.AlignHCenter)

        predicted = str(entry.get("predicted", ""))
        score = entry.get("score")  # the hot-dog probability; say how sure of its own verdict
        sure = ""
        if score is not None and len(classes) == 2:
            sure = f" {float(score) if predicted == HOT_DOG else 1 - float(score):.0%}"
        caption = QLabel(
            f"Labeled <b>{label_title(current_label)}</b><br>"
            f"Model: <b style='color:{label_color(predicted).name()}'>"
            f"{label_title(predicted)}</b>{sure}"
        )
        caption.setObjectName("cardCaption")
        caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(caption)

        self.buttons: dict[str, QPushButton] = {}
        row = QHBoxLayout()
        row.setSpacing(4)
        layout.addLayout(row)
        for label in classes:
            button = QPushButton(f"→ {label_title(label)}", objectName="relabelButton")
            button.setProperty("label", label)
            if label == current_label:
                button.setToolTip(f"The label is right: keep it as {label_title(label)}.")
            else:
                button.setToolTip(f"Move this photo to {label_title(label)}.")
            button.clicked.connect(
                lambda _=False, lab=label: self.relabel_requested.emit(self.hash, lab)
            )
            self.buttons[label] = button
            row.addWidget(button)

    def set_image(self, image: QImage) -> None:
        if image.isNull():
            self.image.setText("?")
            return
        pixmap = QPixmap.fromImage(image).scaled(
            QSize(THUMB_PX, THUMB_PX),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.image.setPixmap(pixmap)


class CardStripScroll(QScrollArea):
    """The horizontal strip of cards, as tall as a card plus the scroll bar under it.

    A fixed allowance (it was THUMB_PX + 90) cut the relabel buttons off wherever fonts
    measure taller, at 2x scale for one, and once a narrow window brings the scroll bar in."""

    def __init__(self, strip: QWidget) -> None:
        super().__init__()
        self.setWidget(strip)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:
        content = max(self.widget().sizeHint().height(), THUMB_PX + 70)
        bar = self.horizontalScrollBar().sizeHint().height()
        return QSize(super().sizeHint().width(), content + bar + 2 * self.frameWidth())

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())


class ResultsPanel(QWidget):
    """Shows one RunRecord's metrics. `relabeled(hash, label)` after a one-click relabel."""

    relabeled = Signal(str, str)
    height_needed = Signal(int)  # the content's height changed: the view above may make room

    def __init__(
        self,
        relabel: Callable[[list[str], str], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        # How a relabel reaches the dataset; the view routes it through the session's edit queue.
        self._relabel_with = relabel or (
            lambda hashes, label: self.dataset.set_label(hashes, label)
        )
        self.dataset: Any = None
        self.run: Any = None
        self.cards: dict[str, MisclassifiedCard] = {}
        self._suspects = False  # the strip lists a label check's suspects, not a run's errors

        self.accuracy_label = QLabel("–")
        self.accuracy_label.setObjectName("accuracyLabel")
        self.accuracy_label.setStyleSheet("font-size: 28pt; font-weight: 800; color: #111827;")
        self.accuracy_caption = QLabel("No model yet: label some photos and press Train.")
        self.accuracy_caption.setWordWrap(True)
        self.accuracy_caption.setStyleSheet("font-size: 9.5pt; color: #6b7280;")
        self.architecture_button = QPushButton("Model architecture…")
        self.architecture_button.setToolTip("The layers of this run's model and what was trained")
        self.architecture_button.setEnabled(False)
        self.architecture_button.clicked.connect(self.show_architecture)
        accuracy_box = QVBoxLayout()
        accuracy_box.addWidget(self.accuracy_label)
        accuracy_box.addWidget(self.accuracy_caption)
        accuracy_box.addWidget(self.architecture_button, alignment=Qt.AlignmentFlag.AlignLeft)
        accuracy_box.addStretch(1)

        self.per_class = _readonly_table(0, 3)
        self.per_class.setHorizontalHeaderLabels(["Precision", "Recall", "Photos"])
        self.per_class.setToolTip(
            "Precision: of the photos the model called this class, the share that are.\n"
            "Recall: of the photos of this class, the share the model found."
        )
        self.confusion = _readonly_table(0, 0)
        self.confusion.setToolTip(
            "Rows: the label you gave. Columns: what the model said. The diagonal is right."
        )

        top = QHBoxLayout()
        top.addLayout(accuracy_box, 2)
        top.addWidget(self._titled("Per class", self.per_class), 3)
        top.addWidget(
            self._titled("Confusion matrix (rows: label, columns: model)", self.confusion), 3
        )

        self.misclassified_title = QLabel("Misclassified photos")
        self.misclassified_title.setStyleSheet("font-weight: 700; color: #2b2f36;")
        self.strip = QWidget()
        self.strip.setStyleSheet(CARD_STYLE)
        self._pending: list[tuple[dict[str, Any], list[str], str]] = []
        self._card_timer = QTimer(self)
        self._card_timer.setInterval(0)
        self._card_timer.timeout.connect(self._add_some_cards)
        self.strip_layout = QHBoxLayout(self.strip)
        self.strip_layout.setContentsMargins(0, 0, 0, 0)
        self.all_right_note = QLabel("Every validation photo was classified as you labeled it.")
        self.all_right_note.setStyleSheet("font-size: 11pt; color: #6b7280; padding-left: 12px;")
        self.all_right_note.hide()
        self.strip_layout.addWidget(self.all_right_note)
        self.strip_layout.addStretch(1)
        scroll = CardStripScroll(self.strip)
        self.strip_scroll = scroll

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.misclassified_title)
        layout.addWidget(scroll)

    @staticmethod
    def _titled(title: str, widget: QWidget) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        heading = QLabel(title)
        heading.setStyleSheet("font-weight: 700; color: #2b2f36;")
        heading.setWordWrap(True)  # a long title must not set the table's minimum width
        layout.addWidget(heading)
        layout.addWidget(widget)
        layout.addStretch(1)
        return box

    def show_suspects(self, check: Any, dataset: Any) -> None:
        """Lists a label check's suspects in the strip (the run's figures above stay)."""
        self.dataset = dataset
        self._suspects = True
        entries = [
            {
                "hash": s.hash,
                "true": s.label,
                "predicted": s.predicted,
                # The cards state the hot-dog probability, as a run's misclassified entries do.
                "score": s.confidence if s.predicted == HOT_DOG else 1 - s.confidence,
            }
            for s in check.suspects
        ]
        self._fill_misclassified(list(dataset.classes), entries)
        self.all_right_note.hide()
        self._hold_content_height()

    def show_run(self, run: Any, dataset: Any) -> None:
        self.run, self.dataset = run, dataset
        self._suspects = False
        metrics = getattr(run, "metrics", None) or {}
        classes = list(getattr(run, "classes", None) or [])
        accuracy = metrics.get("val_accuracy")
        self.accuracy_label.setText("–" if accuracy is None else f"{float(accuracy):.1%}")
        per_class = metrics.get("per_class") or {}
        photos = sum(int(v.get("support", 0)) for v in per_class.values())
        status = "" if run.status == "complete" else f" · {run.status}"
        self.accuracy_caption.setText(
            f"validation accuracy ({photos} photos it did not train on){status}\n"
            f"{run.backbone} · {(run.settings or {}).get('mode', '')}"
            f" · {getattr(run, 'runtime', '') or run.device}"
        )
        # Runs saved before the architecture was recorded have none to show.
        self.architecture_button.setEnabled(bool(getattr(run, "architecture", None)))
        self._fill_per_class(classes, per_class)
        self._fill_confusion(classes, metrics.get("confusion") or [])
        self._fill_misclassified(classes, metrics.get("misclassified") or [])
        self._hold_content_height()

    def _hold_content_height(self) -> None:
        """Asks the splitter above for the height the content needs. The layout's own minimum
        undercounts wrapped captions and fixed-height tables, and the card strip, drawn last, was
        cut through its relabel buttons."""
        height = self.layout().totalSizeHint().height()
        self.setMinimumHeight(height)
        self.height_needed.emit(height)

    def show_architecture(self) -> None:
        from desktop_app.ui.train.architecture_dialog import ArchitectureDialog

        self.architecture_dialog = ArchitectureDialog(self.run, self)
        self.architecture_dialog.show()  # non-modal: the results stay usable beside it

    def clear(self) -> None:
        self.run = None
        self._suspects = False
        self.architecture_button.setEnabled(False)
        self.accuracy_label.setText("–")
        self.accuracy_caption.setText("No model yet: label some photos and press Train.")
        self.per_class.setRowCount(0)
        self.confusion.setRowCount(0)
        self.confusion.setColumnCount(0)
        self._remove_cards()
        self.all_right_note.hide()

    def _fill_per_class(self, classes: list[str], per_class: dict[str, Any]) -> None:
        self.per_class.setRowCount(len(classes))
        self.per_class.setVerticalHeaderLabels([label_title(c) for c in classes])
        for row, name in enumerate(classes):
            values = per_class.get(name, {})
            for column, key in enumerate(("precision", "recall")):
                value = values.get(key)
                self.per_class.setItem(row, column, _cell("–" if value is None else f"{value:.1%}"))
            self.per_class.setItem(row, 2, _cell(str(values.get("support", "–"))))
        self.per_class.resizeRowsToContents()
        _fit_height(self.per_class)
        _fit_width(self.per_class)

    def _fill_confusion(self, classes: list[str], matrix: list[list[int]]) -> None:
        titles = [label_title(c) for c in classes]
        self.confusion.setRowCount(len(classes))
        self.confusion.setColumnCount(len(classes))
        self.confusion.setVerticalHeaderLabels(titles)
        self.confusion.setHorizontalHeaderLabels(titles)
        right, wrong = QColor("#2e9d44"), QColor("#d64541")
        for row, counts in enumerate(matrix[: len(classes)]):
            total = sum(counts) or 1
            for column, count in enumerate(counts[: len(classes)]):
                share = count / total
                item = _cell(f"{count}\n{share:.0%}")
                base = right if row == column else wrong
                colour = _blend(base, 0.15 + 0.85 * share if count else 0.0)
                item.setBackground(QBrush(colour))
                item.setForeground(
                    QBrush(QColor("white" if colour.lightness() < 150 else "#111827"))
                )
                self.confusion.setItem(row, column, item)
        self.confusion.resizeRowsToContents()
        _fit_height(self.confusion)
        _fit_width(self.confusion)

    def _remove_cards(self) -> None:
        self._pending = []
        self._card_timer.stop()
        for card in self.cards.values():
            self.strip_layout.removeWidget(card)
            card.deleteLater()
        self.cards.clear()

    def _fill_misclassified(self, classes: list[str], entries: list[dict[str, Any]]) -> None:
        self._remove_cards()
        self._pending = []
        for entry in entries:
            item = self.dataset.get(str(entry["hash"])) if self.dataset is not None else None
            # Gone, or already relabeled since this run: nothing left to fix.
            if item is None or item.label != entry.get("true"):
                continue
            if len(self._pending) >= MAX_CARDS:
                break
            self._pending.append((entry, classes, item.label))
        self._update_title()
        if self._pending:
            self._card_timer.start()

    def _add_some_cards(self) -> None:
        batch, self._pending = self._pending[:CARDS_PER_TICK], self._pending[CARDS_PER_TICK:]
        for entry, classes, label in batch:
            card = MisclassifiedCard(entry, classes, label)
            card.relabel_requested.connect(self._relabel)
            self.strip_layout.insertWidget(self.strip_layout.count() - 1, card)
            self.cards[card.hash] = card
            self._load_thumbnail(card)
        self.strip_scroll.updateGeometry()  # a taller card (a wrapped caption) asks for room
        self._hold_content_height()
        if not self._pending:
            self._card_timer.stop()

    @property
    def misclassified_count(self) -> int:
        """Photos still listed to check: cards shown plus those about to be."""
        return len(self.cards) + len(self._pending)

    def _load_thumbnail(self, card: MisclassifiedCard) -> None:
        dataset, digest = self.dataset, card.hash

        def load() -> QImage:  # off the GUI thread: making a thumbnail may decode a big photo
            return QImage(str(dataset.thumbnail(digest)))

        def done(image: QImage) -> None:
            if self.cards.get(digest) is card:
                card.set_image(image)

        run_in_pool(load, done, lambda _message: None)

    def _relabel(self, digest: str, label: str) -> None:
        item = self.dataset.get(digest)
        if item is not None and item.label != label:
            self._relabel_with([digest], label)
            self.relabeled.emit(digest, label)
        self._drop_card(digest)
        self._update_title()

    def prune(self) -> None:
        """Drops the cards of photos relabeled or deleted elsewhere (the Label view, undo)."""
        if self.dataset is None:
            return
        for digest, card in list(self.cards.items()):
            item = self.dataset.get(digest)
            if item is None or item.label != card.label:
                self._drop_card(digest)
        self._update_title()

    def _drop_card(self, digest: str) -> None:
        card = self.cards.pop(digest, None)
        if card is not None:
            self.strip_layout.removeWidget(card)
            card.deleteLater()

    def _update_title(self) -> None:
        count = self.misclassified_count
        if self._suspects:
            self.misclassified_title.setText(
                f"Labels to check ({count}): a model that never saw these photos disagrees"
                if count
                else "Labels to check: none left"
            )
            return
        if count:
            self.misclassified_title.setText(
                f"Misclassified photos ({count}): relabel the ones you labeled wrong"
            )
        else:
            self.misclassified_title.setText("Misclassified photos: none left to check")
        wrong_at_first = (getattr(self.run, "metrics", None) or {}).get("misclassified")
        self.all_right_note.setVisible(self.run is not None and not wrong_at_first)
