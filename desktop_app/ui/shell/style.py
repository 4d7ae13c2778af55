"""The app's look: one stylesheet in point sizes (readable at any DPI) and the two class colours."""

from __future__ import annotations

from PySide6.QtGui import QColor

HOT_DOG_COLOR = "#2e9d44"
NOT_HOT_DOG_COLOR = "#d64541"
INBOX_COLOR = "#3b6fb6"
ACCENT_BY_LABEL = {
    "hot_dog": HOT_DOG_COLOR,
    "not_hot_dog": NOT_HOT_DOG_COLOR,
    "unlabeled": INBOX_COLOR,
}

# Words a user reads for each label in the dataset.
TITLE_BY_LABEL = {"hot_dog": "Hot dog", "not_hot_dog": "Not hot dog", "unlabeled": "Inbox"}


def label_title(label: str) -> str:
    return TITLE_BY_LABEL.get(label, label.replace("_", " ").capitalize())


def label_color(label: str) -> QColor:
    return QColor(ACCENT_BY_LABEL.get(label, "#777777"))


STYLESHEET = f"""
QMainWindow, QWidget#welcomePage, QWidget#labelView {{ background: #f4f5f7; }}
QToolBar {{ spacing: 6px; border: none; background: #ffffff; }}
QStatusBar {{ background: #ffffff; }}
QTabWidget::pane {{ border: none; }}
QTabBar::tab {{ padding: 0.45em 1.4em; font-size: 10.5pt; }}
QTabBar::tab:selected {{ font-weight: 600; }}

/* Panels that accept drops light up while something is dragged over them. */
QFrame[dropTarget="true"] {{
    background: #ffffff; border: 2px solid #dfe2e6; border-radius: 10px;
}}
QFrame[dropTarget="true"][dropActive="true"] {{
    background: #fff8e1; border: 2px dashed #f0a500;
}}

QLabel#galleryHeader {{
    color: white; font-size: 12pt; font-weight: 700; padding: 0.3em 0.7em;
    border-radius: 6px;
}}
QLabel#galleryHeader[label="hot_dog"] {{ background: {HOT_DOG_COLOR}; }}
QLabel#galleryHeader[label="not_hot_dog"] {{ background: {NOT_HOT_DOG_COLOR}; }}
QLabel#inboxHeader {{ font-size: 13pt; font-weight: 700; color: #2b2f36; }}
QLabel#inboxHint {{ font-size: 9.5pt; color: #6b7280; }}
QLabel#inboxEmpty {{ font-size: 17pt; color: #8a919c; }}
QLabel#guessLabel {{
    font-size: 11pt; padding: 0.3em 0.7em; border-radius: 6px; background: #eef2f8; color: #2b2f36;
}}

QPushButton {{ font-size: 10.5pt; padding: 0.35em 0.9em; }}
QPushButton#labelButton {{
    font-size: 12pt; font-weight: 700; color: white; padding: 0.55em 1.2em;
    border: none; border-radius: 8px;
}}
QPushButton#labelButton[label="hot_dog"] {{ background: {HOT_DOG_COLOR}; }}
QPushButton#labelButton[label="hot_dog"]:hover {{ background: #268a3b; }}
QPushButton#labelButton[label="not_hot_dog"] {{ background: {NOT_HOT_DOG_COLOR}; }}
QPushButton#labelButton[label="not_hot_dog"]:hover {{ background: #bf3a36; }}
QPushButton#labelButton:disabled {{ background: #c3c7cd; }}

QListView#gallery {{ background: #ffffff; border: none; }}
QListView#gallery::item:selected {{ background: #cfe3ff; border-radius: 4px; }}

QLabel#welcomeTitle {{ font-size: 24pt; font-weight: 800; color: #2b2f36; }}
QLabel#welcomeSubtitle {{ font-size: 11.5pt; color: #6b7280; }}
QPushButton#welcomeButton {{
    font-size: 13pt; padding: 0.7em 1.6em; border-radius: 8px;
    background: #ffffff; border: 1px solid #c9ced6; color: #2b2f36;
}}
QPushButton#welcomeButton:hover {{ background: #f0f2f5; }}
QPushButton#welcomeButton[primary="true"] {{ background: {HOT_DOG_COLOR}; color: white; border: none; }}
QPushButton#welcomeButton[primary="true"]:hover {{ background: #268a3b; }}
QListWidget#recentList {{ font-size: 10.5pt; border: 1px solid #dfe2e6; border-radius: 6px; }}
"""
