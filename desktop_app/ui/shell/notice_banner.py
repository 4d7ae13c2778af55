"""A line of news above the views ("closed unexpectedly last time") that stays until dismissed.

Not a dialog: nothing waits on it, so it blocks neither the user nor a test.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

BANNER_STYLE = (
    "#noticeBanner { background: #fef3c7; border-bottom: 1px solid #f59e0b; }"
    "#noticeBanner QLabel { color: #78350f; }"
)


class NoticeBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("noticeBanner")
        self.setStyleSheet(BANNER_STYLE)
        self.label = QLabel()
        self.label.setWordWrap(True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.dismiss_button = QPushButton("Dismiss")
        self.dismiss_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 6, 8, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.dismiss_button)
        self.hide()

    def show_text(self, text: str) -> None:
        self.label.setText(text)
        self.show()


def above(banner: NoticeBanner, content: QWidget) -> QWidget:
    """One widget: the banner (hidden until it has news) on top of content."""
    holder = QWidget()
    layout = QVBoxLayout(holder)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(banner)
    layout.addWidget(content, 1)
    return holder
