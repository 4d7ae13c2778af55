"""The row above the Label view: the inbox's order and why the photo on screen is next, Accept
all above X%, Near-duplicates… and Health…; wired to the view's inbox and the session.

The suggestions (guesses and order) are worked out again when the dataset opens, the order
changes, photos arrive or a new model is trained; a label only takes its photo off them. After
every LIVE_EVERY photos labeled (or relabeled; a photo labeled and undone counts once), while a model guesses, the head is fitted again in the background
first (live update, fast-mode models only), so guesses and order keep up with the labels.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.ui.label.accept_all_bar import AcceptAllBar
from desktop_app.ui.label.label_order_bar import LabelOrderBar
from desktop_app.ui.label.suggestion_source import SuggestionSource

LIVE_EVERY = 5  # photos whose label changed, between two live updates


class LabelTools(QWidget):
    def __init__(self, view: Any) -> None:
        super().__init__(view)
        self.setObjectName("labelTools")
        self.view = view
        self.session = view.session
        self.inbox = view.inbox
        self.source = SuggestionSource(self)
        self.order_bar = LabelOrderBar(self)
        self.accept_bar = AcceptAllBar(self.session, self)
        self.duplicates_button = QPushButton("Near-duplicates…", objectName="duplicatesButton")
        self.duplicates_button.setToolTip("Groups of near-identical photos, to keep one of each")
        self.duplicates_button.clicked.connect(self.show_duplicates)
        self.health_button = QPushButton("Health…", objectName="healthButton")
        self.health_button.setToolTip("What is wrong with the data, each finding with its photos")
        self.health_button.clicked.connect(self.show_health)
        self.message = QLabel(objectName="labelToolsMessage")
        self.message.setWordWrap(True)
        self.message.hide()
        self.dialogs: dict[str, Any] = {}
        self.live_guesses: dict[str, tuple[str, float]] = {}  # hash -> the live head's guess
        self._changed: set[str] = set()  # photos whose label changed since the last live update
        self._live_off_run: str | None = None  # the run whose model cannot be updated live
        self.source_run: str | None = None  # the run behind the suggestions shown

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.order_bar)
        row.addStretch(1)
        row.addWidget(self.accept_bar)
        row.addWidget(self.duplicates_button)
        row.addWidget(self.health_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 4)
        layout.setSpacing(4)
        layout.addLayout(row)
        layout.addWidget(self.order_bar.reason)  # why the photo on screen comes now
        layout.addWidget(self.message)

        self.order_bar.combo.currentIndexChanged.connect(self._order_changed)
        self.source.ready.connect(self._suggestions_ready)
        self.source.busy.connect(self.order_bar.set_busy)
        self.source.progress.connect(self.order_bar.show_progress)
        self.source.failed.connect(lambda text: self.say(f"No suggestions: {text}"))
        self.source.updating.connect(self.order_bar.show_updating)
        self.source.live_off.connect(self._live_off)
        self.accept_bar.message.connect(self.say)
        self.accept_bar.accepted.connect(lambda _count: self.inbox.setFocus())
        self.inbox.current_changed.connect(self.order_bar.show_reason)
        self.inbox.queue.reloaded.connect(self._inbox_reloaded)
        self.session.opened.connect(self._opened)
        self.session.closed.connect(self._closed)
        self.session.changed.connect(self._dataset_changed)
        if self.session.dataset is not None:
            self.refresh()

    def refresh(self) -> None:
        self.source.refresh(self.session.dataset, self.order_bar.order)

    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def show_duplicates(self) -> None:
        from desktop_app.ui.label.duplicates_dialog import DuplicatesDialog

        self._open("duplicates", DuplicatesDialog)

    def show_health(self) -> None:
        from desktop_app.ui.label.health_dialog import HealthDialog

        self._open("health", HealthDialog)

    def _open(self, name: str, kind: type) -> None:
        if self.session.dataset is None:
            self.say("Open a dataset first.")
            return
        old = self.dialogs.pop(name, None)
        if old is not None:
            old.close()
            old.deleteLater()
        dialog = kind(self.session, self.view.thumbnails, self.window())
        self.dialogs[name] = dialog
        dialog.show()
        dialog.start()

    def _opened(self, _dataset: Any) -> None:
        self.refresh()

    def _order_changed(self, _index: int) -> None:
        if self.order_bar.order == "import":
            self.inbox.set_order([])
        self.inbox.setFocus()  # H, N and S label at once, not search the combo
        self.refresh()

    def _suggestions_ready(self, found: Any) -> None:
        previous = self.source_run
        self.source_run = found.run
        if found.run != previous:  # a new model learned from the labels so far
            self._changed = set()
        self.order_bar.set_suggestions(found)
        self.accept_bar.set_suggestions(found)
        self._show_live_guesses(found)
        if found.order == "next":
            # A live update reorders what comes next, never the photo on screen: the key about
            # to be pressed is for the photo the person sees.
            self.inbox.set_order([s.hash for s in found.suggestions], keep_current=bool(found.live))
        self.order_bar.set_live(self.source.live_note if found.live is not None else "")
        self.order_bar.show_reason(self.inbox.current or "")

    def _show_live_guesses(self, found: Any) -> None:
        """The live head's guesses stand in the inbox too (Enter accepts them)."""
        if found.live is None:
            self.live_guesses = {}
            return
        self.live_guesses = {
            s.hash: (s.guess, s.confidence) for s in found.suggestions if s.guess is not None
        }
        for hash_, (label, confidence) in self.live_guesses.items():
            self.inbox.set_guess(hash_, label, confidence)

    def _live_off(self, run: str, why: str) -> None:
        """Said once, quietly (the reason line's tooltip): this model is not updated live."""
        self._live_off_run = run
        self.order_bar.set_live_off(f"No live update: {why}")

    def _maybe_update_live(self) -> None:
        latest = self.source.latest
        if len(self._changed) < LIVE_EVERY or self.session.dataset is None or latest is None:
            return
        if latest.run is None or latest.run == self._live_off_run:  # no model, or not fast
            return
        count, self._changed = len(self._changed), set()
        self.source.refresh(self.session.dataset, self.order_bar.order, retrain=count)

    def _inbox_reloaded(self) -> None:
        self.accept_bar.set_inbox(self.inbox.queue.hashes())

    def _dataset_changed(self, kind: str, hashes: list) -> None:
        if kind in ("added", "rebuilt"):  # new photos need a guess and a place in the order
            self.refresh()
        elif kind == "labeled":
            self._changed.update(hashes)
            self._maybe_update_live()

    def _closed(self) -> None:
        self.source.forget()
        self._changed, self.source_run, self.live_guesses = set(), None, {}
        self.order_bar.set_live("")
        self.order_bar.set_live_off("")
        for dialog in self.dialogs.values():
            dialog.close()
        self.dialogs.clear()
        self.accept_bar.set_suggestions(None)
        self.order_bar.set_suggestions(None)
        self.say("")
