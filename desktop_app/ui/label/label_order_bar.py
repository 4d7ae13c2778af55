"""The inbox's order: Label next (ml/label_next.py's order, the photos that teach the model most
first) or Import order, one combo apart; and why the photo on screen comes now, with how current
the guesses are when a live update (the head fitted again after a few labels) made them."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QWidget

ORDERS = [("Label next", "next"), ("Import order", "import")]


class LabelOrderBar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelOrderBar")
        self.combo = QComboBox(objectName="orderCombo")
        for title, order in ORDERS:
            self.combo.addItem(title, order)
        self.combo.setCurrentIndex(1)  # the import order until asked: nothing heavy at open
        self.combo.setToolTip(
            "Label next: the photos that teach the model most come first (typical ones before"
            " any model, then the ones the model is least sure of). Import order: as they came."
        )
        self.reason = QLabel(objectName="orderReason")
        self.reason.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.reason.setMinimumWidth(200)
        self.reason.setStyleSheet("color: #4b5563;")
        self._reasons: dict[str, str] = {}
        self._notes = ""
        self._busy = False
        self._live = ""  # "updated after 5 new labels, 2.1 s"; "" when the saved model guessed
        self._updating = ""  # "updating after 5 new labels…" while a live update runs
        self._live_off = ""  # why this model is not updated live (the tooltip says it, quietly)
        self._current = ""
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel("Order:"))
        layout.addWidget(self.combo)
        # self.reason is laid out by the view, on a line of its own: a long reason needs room.

    @property
    def order(self) -> str:
        return str(self.combo.currentData())

    def set_suggestions(self, found: Any) -> None:
        """ml.suggest.Suggestions for the order shown; their reasons explain the photo on screen."""
        self._reasons = {s.hash: s.reason for s in found.suggestions} if found else {}
        self._notes = "; ".join(found.notes) if found and self.order == "next" else ""
        self._busy = False

    def set_live(self, note: str) -> None:
        """How current the guesses are ("updated after 5 new labels, 2.1 s"; "": the saved
        model's)."""
        self._live = note
        self.show_reason(self._current)

    def show_updating(self, text: str) -> None:
        self._updating = text
        self.show_reason(self._current)

    def set_live_off(self, why: str) -> None:
        self._live_off = why
        self.show_reason(self._current)

    def set_busy(self, busy: bool) -> None:
        self._busy = busy
        if busy and self.order == "next":
            self.reason.setText("Working out what to label next…")

    def show_progress(self, text: str) -> None:
        if self._busy and self.order == "next":
            self.reason.setText(f"Working out what to label next… {text}")

    def show_reason(self, current: str) -> None:
        self._current = current
        if self._busy and self.order == "next":
            return
        why = self._reasons.get(current, "")
        if self.order == "import" and not why:
            why = "in import order"
        ordered = why and self.order == "next" and not why.startswith("in import order")
        text = f"Next because {why}" if ordered else why[:1].upper() + why[1:]
        live = self._updating or self._live
        if text and live:
            text = f"{text} — {live}"
        # What the order had to do without goes in the tooltip: the line stays one short reason.
        self.reason.setText(text or self._notes)
        self.reason.setToolTip("\n".join(t for t in (text, self._notes, self._live_off) if t))
