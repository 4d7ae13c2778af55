"""Accept every model guess at least X% sure, as one undoable step through the session: the
button says how many photos it will label before it is pressed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QSpinBox, QWidget

DEFAULT_PERCENT = 90


class AcceptAllBar(QWidget):
    accepted = Signal(int)  # photos labeled by the step just made
    message = Signal(str)  # one line for the user (what happened, or why nothing did)

    def __init__(self, session: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("acceptAllBar")
        self.session = session
        self.found: Any = None  # ml.suggest.Suggestions with the model's guesses
        self.inbox: set[str] = set()  # the photos still in the inbox
        self.spin = QSpinBox(objectName="acceptPercent")
        self.spin.setRange(50, 100)
        self.spin.setValue(DEFAULT_PERCENT)
        self.spin.setPrefix("≥ ")
        self.spin.setSuffix("%")
        self.spin.setToolTip("How sure the model must be of a photo for Accept all to label it")
        self.spin.valueChanged.connect(self._update)
        self.button = QPushButton(objectName="acceptAllButton")
        self.button.clicked.connect(self.accept_all)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.spin)
        layout.addWidget(self.button)
        self._update()

    @property
    def threshold(self) -> float:
        return self.spin.value() / 100

    def wanted(self) -> list[Any]:
        """The suggestions the button would accept now."""
        if self.found is None or self.found.model is None:
            return []
        return [s for s in self.found.above(self.threshold) if s.hash in self.inbox]

    def set_suggestions(self, found: Any) -> None:
        self.found = found
        self._update()

    def set_inbox(self, hashes: list[str]) -> None:
        self.inbox = set(hashes)
        self._update()

    def accept_all(self) -> None:
        from desktop_app.ml.suggest import accept_above  # plain NumPy and JSON

        found, threshold, count = self.found, self.threshold, len(self.wanted())
        if found is None or found.model is None:
            self.message.emit("No model yet to accept guesses from: train one first.")
            return
        if not count:
            self.message.emit(f"No guess in the inbox is at least {self.spin.value()}% sure.")
            return
        self.session.edit(lambda ds: accept_above(ds, found, threshold), self._done)

    def _done(self, done: list) -> None:
        count = len(done)
        self.message.emit(f"Labeled {count} photo(s) with the model's guess; Ctrl+Z takes it back.")
        self.accepted.emit(count)

    def _update(self) -> None:
        count = len(self.wanted())
        self.button.setText(f"Accept {count} guess{'' if count == 1 else 'es'}")
        self.button.setEnabled(bool(count))
        if self.found is None or self.found.model is None:
            tip = "No model yet: train one in the Train view to get guesses."
        else:
            tip = f"Label the {count} inbox photo(s) the model guesses at least that surely."
        self.button.setToolTip(f"{tip} One step: Ctrl+Z takes all of them back.")
