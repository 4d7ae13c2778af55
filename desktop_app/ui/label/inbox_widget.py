"""The inbox: one large unlabeled image, labeled at the speed of a keystroke.

H hot dog, N not hot dog, S skip, Enter accepts the model's guess. The next images are
decoded ahead on pool threads. Labels are applied on the session's edit thread and the inbox
moves on at once, without waiting for the dataset.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QImage, QKeySequence, QPainter, QPainterPath
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedLayout,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.label.drop_target import DropTarget
from desktop_app.ui.label.gallery_model import GalleryModel
from desktop_app.ui.label.image_prefetch import ImagePrefetcher
from desktop_app.ui.label.thumbnail_cache import ThumbnailCache
from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.shell.percent import percent
from desktop_app.ui.shell.style import label_title

HOT_DOG, NOT_HOT_DOG, UNLABELED = "hot_dog", "not_hot_dog", "unlabeled"
PREFETCH_AHEAD = 3
RECALL_MEMORY = 50  # recently labeled images come back to the front when undone


class ImageCanvas(QWidget):
    """Paints one image scaled to fit, centred, with rounded corners."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.setMinimumSize(240, 200)

    def set_image(self, image: QImage | None) -> None:
        self.image = image
        self.update()

    def paintEvent(self, event: Any) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        area = QRectF(self.rect()).adjusted(4, 4, -4, -4)
        painter.fillRect(self.rect(), QColor("#ffffff"))
        if self.image is None or self.image.isNull():
            painter.setPen(QColor("#9aa1ab"))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Loading…")
            return
        size = self.image.size().toSizeF().scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRectF(0, 0, size.width(), size.height())
        target.moveCenter(area.center())
        clip = QPainterPath()
        clip.addRoundedRect(target, 10, 10)
        painter.setClipPath(clip)
        painter.drawImage(target, self.image)


class InboxWidget(QFrame):
    labeled = Signal(str, str)  # hash, label: the user labeled the shown image
    current_changed = Signal(str)  # hash now shown ("" when the inbox is empty)

    def __init__(
        self, session: DatasetSession, thumbnails: ThumbnailCache, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.queue = GalleryModel(UNLABELED, thumbnails, self)  # the unlabeled hashes, stable order
        self.prefetch = ImagePrefetcher(parent=self)
        self.drop_target = DropTarget(self, UNLABELED)
        self.current: str | None = None
        self._pending: set[str] = set()  # labeled here, not yet gone from the queue
        self._skipped: set[str] = set()
        self._recall: list[str] = []  # labeled here lately; shown again if they come back
        self._guesses: dict[str, tuple[str, float]] = {}
        self._rank: dict[str, int] = {}  # a label-next order (empty: the import order)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._build()
        self.queue.reloaded.connect(self._queue_changed)
        self.queue.count_changed.connect(self._update_header)
        self.prefetch.ready.connect(self._image_ready)
        # After an undo, an image labeled here may come back: stop treating it as gone.
        session.history_moved.connect(self._pending.clear)

    # -- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.header = QLabel("Inbox", objectName="inboxHeader")
        hint = QLabel(
            "H hot dog · N not hot dog · S skip · Ctrl+Z undo · drop photos or folders here",
            objectName="inboxHint",
        )
        self.canvas = ImageCanvas(self)
        self.empty = QLabel(objectName="inboxEmpty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setText(
            "Inbox empty — drop photos here\n\nor paste an image (Ctrl+V), or File ▸ Import Photos…"
        )
        self.stack = QStackedLayout()
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.canvas)

        self.guess_label = QLabel(objectName="guessLabel")
        self.guess_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.guess_label.hide()

        self.hot_button = self._label_button(HOT_DOG, "Hot dog  [H]", "H")
        self.not_button = self._label_button(NOT_HOT_DOG, "Not hot dog  [N]", "N")
        self.skip_button = QPushButton("Skip  [S]")
        self.skip_button.setToolTip("Leave this image in the inbox and show the next one (S)")
        self.skip_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward)
        )
        self.skip_button.clicked.connect(self.skip)
        for button in (self.hot_button, self.not_button, self.skip_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # keys stay with the inbox

        buttons = QHBoxLayout()
        buttons.addWidget(self.hot_button, 2)
        buttons.addWidget(self.not_button, 2)
        buttons.addWidget(self.skip_button, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 12)
        layout.setSpacing(8)
        top = QHBoxLayout()
        top.addWidget(self.header)
        top.addStretch(1)
        top.addWidget(hint)
        layout.addLayout(top)
        layout.addLayout(self.stack, 1)
        layout.addWidget(self.guess_label)
        layout.addLayout(buttons)

        self.key_actions = [
            self._action("Label Hot dog", "H", lambda: self.label_current(HOT_DOG)),
            self._action("Label Not hot dog", "N", lambda: self.label_current(NOT_HOT_DOG)),
            self._action("Skip", "S", self.skip),
            self._action("Accept model guess", "Return", self.accept_guess, extra=["Enter"]),
        ]
        self._update_header(0)
        self._show_current()

    def _label_button(self, label: str, text: str, key: str) -> QPushButton:
        button = QPushButton(text, objectName="labelButton")
        button.setProperty("label", label)
        button.setToolTip(f"Label this image {label_title(label).lower()} ({key})")
        button.clicked.connect(lambda: self.label_current(label))
        return button

    def _action(self, text: str, key: str, slot: Any, extra: list[str] | None = None) -> QAction:
        action = QAction(text, self)
        action.setShortcuts([QKeySequence(k) for k in [key, *(extra or [])]])
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        action.triggered.connect(slot)
        self.addAction(action)
        return action

    # -- the dataset ------------------------------------------------------------------------

    def set_dataset(self, dataset: Any) -> None:
        self.current = None
        self._pending.clear()
        self._skipped.clear()
        self._recall.clear()
        self._guesses.clear()
        self._rank = {}
        self.prefetch.clear()
        self.queue.set_dataset(dataset)
        self._show_current()

    def refresh(self) -> None:
        self.queue.schedule_reload()

    def set_order(self, hashes: list[str], keep_current: bool = False) -> None:
        """Show the inbox in this order (photos it does not name after, in import order);
        an empty list: the import order. The first photo of the new order is shown, unless
        keep_current: the photo on screen stays, and the new order follows it."""
        self._rank = {h: n for n, h in enumerate(hashes)}
        if keep_current and self.current is not None and self.current in self._candidates():
            self._rank[self.current] = -1  # first, so the order goes on from it
            self._prefetch_ahead()
            return
        self._skipped.clear()
        self.current = None
        self._advance()

    # -- labeling -------------------------------------------------------------------------

    def label_current(self, label: str) -> None:
        hash_ = self.current
        if hash_ is None or not self.session.writable():  # refused: the photo stays on screen
            return
        self._pending.add(hash_)
        self._recall = [h for h in self._recall if h != hash_][-RECALL_MEMORY + 1 :] + [hash_]
        self.session.set_label([hash_], label)
        self.labeled.emit(hash_, label)
        self._advance()

    def skip(self) -> None:
        if self.current is None:
            return
        self._skipped.add(self.current)
        self._advance()

    def accept_guess(self) -> None:
        guess = self._guesses.get(self.current or "")
        if guess is not None:
            self.label_current(guess[0])

    def clear_guesses(self) -> None:
        """A new model: guesses from the old one no longer stand."""
        self._guesses.clear()
        self._show_guess()

    def upcoming(self, ahead: int = PREFETCH_AHEAD) -> list[str]:
        """The image on screen, then the next `ahead` ones the inbox will show."""
        if self.current is None:
            return []
        candidates = self._candidates()
        at = candidates.index(self.current) if self.current in candidates else 0
        return [
            self.current,
            *(h for h in candidates[at + 1 : at + 1 + ahead] if h != self.current),
        ]

    def set_guess(self, hash_: str, label: str, score: float) -> None:
        """The model's guess for an image (fed by the training side); shown while it is current."""
        self._guesses[hash_] = (label, float(score))
        if hash_ == self.current:
            self._show_guess()

    # -- choosing what to show ----------------------------------------------------------

    def _candidates(self) -> list[str]:
        hashes = [h for h in self.queue.hashes() if h not in self._pending]
        if self._rank:
            hashes.sort(key=lambda h: self._rank.get(h, len(self._rank)))  # stable: import order
        fresh = [h for h in hashes if h not in self._skipped]
        if not fresh and hashes:  # everything was skipped: go round again
            self._skipped.clear()
            fresh = hashes
        return fresh

    def _advance(self) -> None:
        candidates = self._candidates()
        if self.current in candidates:
            at = candidates.index(self.current)
            rest = candidates[at + 1 :] + candidates[:at]
            self.current = rest[0] if rest else self.current
        else:
            self.current = candidates[0] if candidates else None
        self._show_current()

    def _queue_changed(self) -> None:
        present = set(self.queue.hashes())
        self._pending &= present
        self._skipped &= present
        returned = [h for h in reversed(self._recall) if h in present and h not in self._pending]
        if returned:  # an undo brought back an image labeled here: show it again
            self.current = returned[0]
            self._recall = [h for h in self._recall if h not in present]
            self._show_current()
        elif self.current not in present or self.current in self._pending:
            self.current = None
            self._advance()
        else:
            self._prefetch_ahead()

    def _show_current(self) -> None:
        if self.current is None:
            self.stack.setCurrentWidget(self.empty)
            self.canvas.set_image(None)
        else:
            self.stack.setCurrentWidget(self.canvas)
            self.canvas.set_image(self.prefetch.image(self.current))
        enabled = self.current is not None
        for button in (self.hot_button, self.not_button, self.skip_button):
            button.setEnabled(enabled)
        self._show_guess()
        self._prefetch_ahead()
        self.current_changed.emit(self.current or "")

    def _show_guess(self) -> None:
        guess = self._guesses.get(self.current or "")
        if guess is None:
            self.guess_label.hide()
            return
        label, score = guess
        self.guess_label.setText(
            f"Model guess: {label_title(label)} {percent(score)} — Enter to accept"
        )
        self.guess_label.show()

    def _prefetch_ahead(self) -> None:
        dataset = self.queue.dataset
        if dataset is None or self.current is None:
            return
        for hash_ in self.upcoming():
            if self.prefetch.image(hash_) is None:
                self.prefetch.request(hash_, dataset)

    def _image_ready(self, hash_: str) -> None:
        if hash_ == self.current:
            self.canvas.set_image(self.prefetch.image(hash_))

    def _update_header(self, count: int) -> None:
        self.header.setText(f"Inbox  ({count:,})")
