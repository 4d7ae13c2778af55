"""What the window shows before any dataset is open: two big buttons and the recent list."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)


class WelcomePage(QWidget):
    new_requested = Signal()
    open_requested = Signal()
    recent_chosen = Signal(str)

    def __init__(self, icon: QIcon | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("welcomePage")
        logo = QLabel()
        if icon is not None and not icon.isNull():
            logo.setPixmap(icon.pixmap(96, 96))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = QLabel("Hot Dog Studio", objectName="welcomeTitle")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        subtitle = QLabel(
            "Label photos, train a hot dog / not hot dog model, and try it live.\n"
            "A dataset is a folder of photos, one subfolder per class.",
            objectName="welcomeSubtitle",
        )
        subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.new_button = QPushButton("New dataset…", objectName="welcomeButton")
        self.new_button.setProperty("primary", True)
        self.new_button.setIcon(
            self.style().standardIcon(QStyle.StandardPixmap.SP_FileDialogNewFolder)
        )
        self.new_button.setToolTip("Make a new, empty dataset folder (Ctrl+Shift+N)")
        self.new_button.clicked.connect(self.new_requested)
        self.open_button = QPushButton("Open dataset…", objectName="welcomeButton")
        self.open_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_DirOpenIcon))
        self.open_button.setToolTip("Open a dataset folder (Ctrl+O)")
        self.open_button.clicked.connect(self.open_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)

        self.recent_title = QLabel("Recent datasets")
        self.recent = QListWidget(objectName="recentList")
        self.recent.setMinimumWidth(520)
        self.recent.setMaximumWidth(720)
        self.recent.setMaximumHeight(220)
        self.recent.itemActivated.connect(
            lambda item: self.recent_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )
        self.recent.itemClicked.connect(
            lambda item: self.recent_chosen.emit(item.data(Qt.ItemDataRole.UserRole))
        )

        layout = QVBoxLayout(self)
        layout.addStretch(2)
        layout.addWidget(logo)
        layout.addWidget(title)
        layout.addWidget(subtitle)
        layout.addSpacing(24)
        layout.addLayout(buttons)
        layout.addSpacing(24)
        layout.addWidget(self.recent_title, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addWidget(self.recent, 0, Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch(3)

    def set_recent(self, paths: list[str]) -> None:
        self.recent.clear()
        folder = self.style().standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        for path in paths:
            item = QListWidgetItem(folder, path)
            item.setData(Qt.ItemDataRole.UserRole, path)
            self.recent.addItem(item)
        self.recent_title.setVisible(bool(paths))
        self.recent.setVisible(bool(paths))
