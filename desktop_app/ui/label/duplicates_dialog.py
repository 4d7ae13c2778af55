"""The near-duplicate groups of the open dataset (ml/near_duplicates.py, found on a pool thread),
each with its thumbnails, a flag where its copies carry different labels, Keep one (the others to
the trash, one undoable step) and Keep all (the group leaves this list)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.label.photo_strip import PhotoStrip
from desktop_app.ui.shell.style import label_title
from desktop_app.ui.shell.workers import run_in_pool


class GroupCard(QFrame):
    """One group: which photos, whether their labels disagree, and what to do with it."""

    def __init__(self, number: int, group: Any, dialog: DuplicatesDialog) -> None:
        super().__init__()
        self.setObjectName("duplicateGroup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.group = group
        self.title = QLabel(f"<b>Group {number}</b> · {len(group.hashes)} photos")
        self.conflict = QLabel(objectName="conflictFlag")
        if group.conflict:
            classes = " vs ".join(label_title(c).lower() for c in group.classes)
            self.conflict.setText(f"⚠ The copies carry different labels: {classes}")
            self.conflict.setStyleSheet("color: #b42318; font-weight: 600;")
        self.conflict.setVisible(group.conflict)
        self.strip = PhotoStrip(dialog.thumbnails)
        self.strip.set_photos(list(zip(group.hashes, group.labels, strict=True)))
        self.keep_one = QPushButton("Keep one", objectName="keepOne")
        self.keep_one.setToolTip(
            "Keep the selected photo (else the first) and move the others to the trash (Ctrl+Z)"
        )
        self.keep_all = QPushButton("Keep all", objectName="keepAll")
        self.keep_all.setToolTip("They are different photos: take the group off this list")
        self.keep_one.clicked.connect(lambda: dialog.keep_one(self))
        self.keep_all.clicked.connect(lambda: dialog.dismiss(self))
        self.conflict.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(self.keep_one)
        top.addWidget(self.keep_all)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.conflict)
        layout.addWidget(self.strip)

    def kept(self) -> str:
        selected = self.strip.selected_hashes()
        return selected[0] if selected else self.group.hashes[0]


class DuplicatesDialog(QDialog):
    def __init__(self, session: Any, thumbnails: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicatesDialog")
        self.setWindowTitle("Near-duplicates")
        self.session = session
        self.thumbnails = thumbnails
        self.cards: list[GroupCard] = []
        self.status = QLabel("Looking for near-duplicates…", objectName="duplicatesStatus")
        self.status.setWordWrap(True)
        self.list = QWidget()
        self.list_layout = QVBoxLayout(self.list)
        self.list_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(self.list)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # strips scroll
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addWidget(scroll, 1)
        layout.addWidget(buttons)
        self.resize(760, 560)

    def start(self) -> None:
        """Find the groups of the dataset open now, off the GUI thread."""
        from desktop_app.ml.near_duplicates import find_near_duplicates  # no Keras

        dataset = self.session.dataset
        if dataset is None:
            self.status.setText("Open a dataset first.")
            return
        run_in_pool(
            lambda: find_near_duplicates(dataset).groups,
            self._show,
            self._failed,
        )

    def _failed(self, message: str) -> None:
        self.status.setText(f"Could not look for near-duplicates: {message}")

    def _show(self, groups: list) -> None:
        for number, group in enumerate(groups, 1):
            card = GroupCard(number, group, self)
            self.cards.append(card)
            self.list_layout.insertWidget(self.list_layout.count() - 1, card)
        self._update_status()

    def keep_one(self, card: GroupCard) -> None:
        kept = card.kept()
        self.session.trash([h for h in card.group.hashes if h != kept])
        self.dismiss(card)

    def dismiss(self, card: GroupCard) -> None:
        self.cards.remove(card)
        card.hide()
        card.deleteLater()
        self._update_status()

    def _update_status(self) -> None:
        conflicts = sum(card.group.conflict for card in self.cards)
        if not self.cards:
            self.status.setText("No near-duplicates left to look at.")
            return
        flagged = f", {conflicts} with copies labeled differently" if conflicts else ""
        self.status.setText(
            f"{len(self.cards)} group(s) of near-identical photos{flagged}. Keep one moves the"
            " others to the trash (select the one to keep first); Ctrl+Z puts them back."
        )
