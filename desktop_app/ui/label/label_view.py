"""The Label view: the inbox large on the left, the two class galleries on the right."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from desktop_app.ui.label.gallery_view import THUMB_DISPLAY, GalleryPanel
from desktop_app.ui.label.inbox_guesser import InboxGuesser
from desktop_app.ui.label.inbox_widget import InboxWidget
from desktop_app.ui.label.label_tools import LabelTools
from desktop_app.ui.label.thumbnail_cache import ThumbnailCache
from desktop_app.ui.shell.dataset_session import DatasetSession

HOT_DOG, NOT_HOT_DOG, UNLABELED = "hot_dog", "not_hot_dog", "unlabeled"


class LabelView(QWidget):
    import_requested = Signal(list, str)  # paths dropped on a target, label to give them
    inspect_requested = Signal(str)  # a photo's hash, to be shown in Under the hood

    def __init__(self, session: DatasetSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("labelView")
        self.session = session
        self.thumbnails = ThumbnailCache(parent=self)
        self.thumbnails.set_display_size(THUMB_DISPLAY, self.devicePixelRatioF())
        self.inbox = InboxWidget(session, self.thumbnails, self)
        self.guesser = InboxGuesser(self)
        self.guesser.guessed.connect(self._guessed)
        self.guesser.model_changed.connect(self._guess_model_changed)
        self.inbox.current_changed.connect(self._ask_for_guesses)
        self.galleries = {
            label: GalleryPanel(label, self.thumbnails, [HOT_DOG, NOT_HOT_DOG, UNLABELED], self)
            for label in (HOT_DOG, NOT_HOT_DOG)
        }

        right = QSplitter(Qt.Orientation.Vertical)
        for panel in self.galleries.values():
            right.addWidget(panel)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.inbox)
        split.addWidget(right)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        split.setChildrenCollapsible(False)
        split.setSizes([560, 440])
        self.splitter = split
        self.tools = LabelTools(self)  # order, accept all, near-duplicates, health
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 10, 10, 10)
        layout.addWidget(self.tools)
        layout.addWidget(split, 1)

        for target in [self.inbox.drop_target, *(p.drop_target for p in self.galleries.values())]:
            target.files_dropped.connect(self.import_requested)
            target.hashes_dropped.connect(self.relabel)
        for panel in self.galleries.values():
            panel.move_requested.connect(self.relabel)
            panel.inspect_requested.connect(self.inspect_requested)
            panel.view.delete_requested.connect(self.session.trash)

        session.opened.connect(self._set_dataset)
        session.closed.connect(lambda: self._set_dataset(None))
        session.changed.connect(self._dataset_changed)
        if session.dataset is not None:
            self._set_dataset(session.dataset)

    def shutdown(self) -> None:
        """Stop the guessing thread for good and let the decoding threads finish, before the
        dataset they read from closes."""
        self.guesser.stop()
        self.thumbnails.set_dataset(None)
        self.thumbnails.wait_idle()
        self.inbox.prefetch.wait_idle()

    def check_model(self) -> None:
        """A training run finished: guess with the dataset's new current model."""
        self.guesser.check_model()
        self.tools.refresh()

    def _ask_for_guesses(self, _current: str = "") -> None:
        dataset = self.session.dataset
        if dataset is not None:
            self.guesser.request(dataset, self.inbox.upcoming())

    def _guessed(self, hash_: str, label: str, confidence: float) -> None:
        """The saved model's guess, unless a live update's stands for that photo."""
        if hash_ not in self.tools.live_guesses:
            self.inbox.set_guess(hash_, label, confidence)

    def _guess_model_changed(self, model_path: str) -> None:
        self.inbox.clear_guesses()
        live = self.tools.live_guesses
        latest = self.tools.source.latest
        if (
            live
            and latest is not None
            and model_path
            and Path(model_path).parent.name == latest.run
        ):
            for hash_, (label, confidence) in live.items():  # still the live head of this model
                self.inbox.set_guess(hash_, label, confidence)
        else:
            self.tools.live_guesses = {}
        self._ask_for_guesses()

    def offer_inspect(self) -> None:
        """The galleries' menus offer "Look under the hood…" (the window has such a view)."""
        for panel in self.galleries.values():
            panel.inspectable = True

    def relabel(self, hashes: list[str], label: str) -> None:
        self.session.set_label(hashes, label)

    def _set_dataset(self, dataset: Any) -> None:
        if dataset is None:
            self.guesser.forget_dataset()
        self.thumbnails.set_dataset(dataset)
        self.inbox.set_dataset(dataset)
        for panel in self.galleries.values():
            panel.set_dataset(dataset)

    def _dataset_changed(self, kind: str, hashes: list) -> None:
        if kind == "rebuilt":
            self.thumbnails.forget(hashes)
        self.inbox.refresh()
        for panel in self.galleries.values():
            panel.model.schedule_reload()
