"""The main window: menus, toolbar, status bar, the welcome page, and the views as tabs.

Views are listed in VIEW_FACTORIES as ("Title", "module:Class"); each class is built as
Class(session) and receives the shared DatasetSession. A view with a `status_message` signal
(str) gets its messages shown in the status bar. A view with `check_model()` has it called when
the Train view's `model_trained` fires (a new current model). A view with `shutdown()` has it
called once, when the window closes or the application quits, before the dataset closes: stop
and join its threads there, for good (the dataset's `closed` signal follows; start nothing).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QStackedWidget,
    QStyle,
    QTabWidget,
    QToolBar,
    QWidget,
)

from desktop_app.ui.label.clipboard_import import paste
from desktop_app.ui.label.import_controller import ImportController
from desktop_app.ui.shell import settings as app_settings
from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.shell.notice_banner import NoticeBanner, above
from desktop_app.ui.shell.welcome_page import WelcomePage

# The views, in tab order (the user's journey: label, train, use). Other views add a line here.
VIEW_FACTORIES: list[tuple[str, str]] = [
    ("Label", "desktop_app.ui.label.label_view:LabelView"),
    ("Train", "desktop_app.ui.train.train_view:TrainView"),
    ("Live", "desktop_app.ui.live.live_view:LiveView"),
    ("Under the hood", "desktop_app.ui.under_the_hood.hood_view:UnderTheHoodView"),
]

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.bmp *.gif *.webp *.tif *.tiff);;All files (*)"
UNLABELED = "unlabeled"


def _build_view(target: str, session: DatasetSession) -> QWidget:
    module_name, class_name = target.split(":")
    return getattr(importlib.import_module(module_name), class_name)(session)


class MainWindow(QMainWindow):
    def __init__(
        self,
        session: DatasetSession | None = None,
        icon: QIcon | None = None,
        views: list[tuple[str, str]] | None = None,
    ) -> None:
        """views: which of VIEW_FACTORIES to build (all by default)."""
        super().__init__()
        self.session = session or DatasetSession(self)
        self.setWindowTitle(app_settings.APPLICATION)
        self.setMinimumSize(720, 520)
        self.resize(1280, 820)
        self.message_box: QMessageBox | None = None
        self._shut_down = False

        self.welcome = WelcomePage(icon)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.welcome)
        self.stack.addWidget(self.tabs)
        self.notice = NoticeBanner()  # news such as "closed unexpectedly", until dismissed
        self.setCentralWidget(above(self.notice, self.stack))

        self.device_label = QLabel("")
        self.statusBar().addPermanentWidget(self.device_label)
        self.imports = ImportController(self.session, self.statusBar(), self)
        self.imports.message.connect(lambda text: self.statusBar().showMessage(text, 8000))

        self._make_actions()
        self._make_menus()
        self._make_toolbar()

        self.views: dict[str, QWidget] = {}
        for title, target in VIEW_FACTORIES if views is None else views:
            self.add_view(_build_view(target, self.session), title)
        self.label_view = self.views.get("Label")
        trainer = self.views.get("Train")
        if trainer is not None:  # a new model: the views that predict load it at once
            for view in self.views.values():
                check_model = getattr(view, "check_model", None)
                if view is not trainer and callable(check_model):
                    trainer.model_trained.connect(lambda _record, reload=check_model: reload())
            for view in self.views.values():  # a view that follows a training's progress
                follow_training = getattr(view, "follow_training", None)
                if view is not trainer and callable(follow_training):
                    trainer.progress_seen.connect(follow_training)
        live = self.views.get("Live")
        if live is not None:  # a view that follows the Live frame (Under the hood) gets each one
            for view in self.views.values():
                follow = getattr(view, "follow_live", None)
                if view is not live and callable(follow):
                    live.picture_shown.connect(follow)
                    view.following.connect(live.set_followed)
        inspector = next((v for v in self.views.values() if hasattr(v, "show_dataset_photo")), None)
        if self.label_view is not None and inspector is not None:
            self.label_view.offer_inspect()
            self.label_view.inspect_requested.connect(
                lambda hash_, view=inspector: self._inspect(view, hash_)
            )
        if self.label_view is not None:
            self.label_view.import_requested.connect(self.imports.import_paths)
            thumbnails = self.label_view.thumbnails  # "The disk is full" while thumbnailing
            thumbnails.problem.connect(lambda text: self.statusBar().showMessage(text, 8000))
            self.view_menu.addSeparator()
            self.view_menu.addAction("Dataset &Health…", self.label_view.tools.show_health)

        self.welcome.new_requested.connect(self.new_dataset)
        self.welcome.open_requested.connect(self.open_dataset)
        self.welcome.recent_chosen.connect(self.session.open)
        self.session.opened.connect(self._dataset_opened)
        self.session.closed.connect(self._dataset_closed)
        self.session.failed.connect(self.show_problem)
        self.session.notice.connect(self._show_notice)
        self.session.refused.connect(lambda text: self.statusBar().showMessage(text, 8000))
        self.session.lost.connect(self._dataset_lost)
        self._session_notice = ""  # the banner's line when the session put it there
        self.session.recent_changed.connect(self._refresh_recent)
        self._refresh_recent()
        self._dataset_closed()
        if self.session.dataset is not None:
            self._dataset_opened(self.session.dataset)
        self._restore_geometry()
        # Quitting without a close (the start-up probe, a session ending) still stops the threads.
        QCoreApplication.instance().aboutToQuit.connect(self.shutdown)

    # -- views -----------------------------------------------------------------------------

    def add_view(self, widget: QWidget, title: str, icon: QIcon | None = None) -> None:
        """Add a view as a tab (Ctrl+1, Ctrl+2, ... switch between them)."""
        index = self.tabs.addTab(widget, icon or QIcon(), title)
        self.views[title] = widget
        status = getattr(widget, "status_message", None)
        if status is not None and hasattr(status, "connect"):
            status.connect(lambda text: self.statusBar().showMessage(text, 8000))
        if index < 9:
            action = QAction(f"Show {title}", self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda: self.tabs.setCurrentWidget(widget))
            self.view_menu.addAction(action)

    # -- actions and menus -----------------------------------------------------------------

    def _action(
        self, text: str, slot: Any, shortcut: Any = None, icon: Any = None, tip: str = ""
    ) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if icon is not None:
            action.setIcon(self.style().standardIcon(icon))
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(
                f"{tip} ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
            )
        action.triggered.connect(slot)
        return action

    def _make_actions(self) -> None:
        sp = QStyle.StandardPixmap
        self.new_action = self._action(
            "&New Dataset…",
            self.new_dataset,
            "Ctrl+Shift+N",
            sp.SP_FileDialogNewFolder,
            "Make a new dataset folder",
        )
        self.open_action = self._action(
            "&Open Dataset…",
            self.open_dataset,
            QKeySequence.StandardKey.Open,
            sp.SP_DirOpenIcon,
            "Open a dataset folder",
        )
        self.import_files_action = self._action(
            "&Import Photos…",
            self.import_photos,
            "Ctrl+I",
            sp.SP_FileIcon,
            "Import photos into the inbox",
        )
        self.import_folder_action = self._action(
            "Import &Folder…",
            self.import_folder,
            "Ctrl+Shift+I",
            sp.SP_DirIcon,
            "Import a folder of photos into the inbox",
        )
        self.close_action = self._action("&Close Dataset", self.session.close, None)
        self.quit_action = self._action("&Quit", self.close, QKeySequence.StandardKey.Quit)
        self.undo_action = self._action(
            "&Undo", self.undo, "Ctrl+Z", sp.SP_ArrowBack, "Undo the last change"
        )
        self.redo_action = self._action(
            "&Redo", self.redo, "Ctrl+Shift+Z", sp.SP_ArrowForward, "Redo what was undone"
        )
        self.redo_action.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        self.paste_action = self._action(
            "&Paste Image",
            self.paste,
            QKeySequence.StandardKey.Paste,
            None,
            "Add the image on the clipboard to the inbox",
        )
        self.delete_action = self._action(
            "&Delete",
            self.delete_selection,
            QKeySequence.StandardKey.Delete,
            sp.SP_TrashIcon,
            "Move the selected images to the trash",
        )
        self.dataset_actions = [
            self.import_files_action, self.import_folder_action, self.close_action,
            self.undo_action, self.redo_action, self.paste_action, self.delete_action,
        ]  # fmt: skip

    def _make_menus(self) -> None:
        menu = self.menuBar().addMenu("&File")
        menu.addActions([self.new_action, self.open_action])
        self.recent_menu = menu.addMenu("Open &Recent")
        menu.addSeparator()
        menu.addActions([self.import_files_action, self.import_folder_action])
        menu.addSeparator()
        menu.addActions([self.close_action, self.quit_action])
        edit = self.menuBar().addMenu("&Edit")
        edit.addActions([self.undo_action, self.redo_action])
        edit.addSeparator()
        edit.addActions([self.paste_action, self.delete_action])
        self.view_menu = self.menuBar().addMenu("&View")
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("&About Hot Dog Studio", self._about)

    def _make_toolbar(self) -> None:
        bar = QToolBar("Main")
        bar.setObjectName("mainToolbar")
        bar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bar.setMovable(False)
        bar.addActions([self.open_action, self.import_files_action, self.import_folder_action])
        bar.addSeparator()
        bar.addActions([self.undo_action, self.redo_action, self.delete_action])
        self.addToolBar(bar)

    def _refresh_recent(self) -> None:
        recent = self.session.recent()
        self.welcome.set_recent(recent)
        self.recent_menu.clear()
        for path in recent:
            self.recent_menu.addAction(path, lambda p=path: self.session.open(p))
        self.recent_menu.setEnabled(bool(recent))

    # -- dataset commands --------------------------------------------------------------------

    def new_dataset(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "New dataset: name its folder", str(Path.home() / "Hot dog dataset")
        )
        if path:
            self.session.create(path)

    def open_dataset(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a dataset folder", str(Path.home()))
        if path:
            self.session.open(path)

    def import_photos(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, "Import photos into the inbox", str(Path.home()), IMAGE_FILTER
        )
        self.imports.import_paths(paths, UNLABELED)

    def import_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self, "Import a folder into the inbox", str(Path.home())
        )
        if path:
            self.imports.import_paths([path], UNLABELED)

    def undo(self) -> None:
        self.session.undo()

    def redo(self) -> None:
        self.session.redo()

    def paste(self) -> None:
        self.statusBar().showMessage(
            paste(QGuiApplication.clipboard(), self.session, self.imports), 5000
        )

    def delete_selection(self) -> None:
        if self.label_view is None:
            return
        focused = [p for p in self.label_view.galleries.values() if p.view.hasFocus()]
        panels = focused or list(self.label_view.galleries.values())
        for panel in panels:
            hashes = panel.view.selected_hashes()
            if hashes:
                self.session.trash(hashes)
                self.statusBar().showMessage(
                    f"Moved {len(hashes)} to the trash · Ctrl+Z to undo", 5000
                )
                return

    def show_problem(self, title: str, message: str) -> None:
        """A message box that does not block the event loop (window-modal, opened not exec'd)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning, title, message, QMessageBox.StandardButton.Ok, self
        )
        box.setWindowModality(Qt.WindowModality.WindowModal)
        box.open()
        self.message_box = box

    # -- state -------------------------------------------------------------------------------

    def _dataset_opened(self, dataset: Any) -> None:
        self.setWindowTitle(f"{dataset.root.name} — {app_settings.APPLICATION}")
        self.stack.setCurrentWidget(self.tabs)
        writes = [self.import_files_action, self.import_folder_action, self.paste_action,
                  self.undo_action, self.redo_action, self.delete_action]  # fmt: skip
        for action in self.dataset_actions:  # a read-only dataset can be looked at, not changed
            action.setEnabled(not (dataset.readonly and action in writes))
        if self.notice.isVisible() and self.notice.label.text() == self._session_notice:
            self.notice.hide()  # the last dataset's news (read-only, gone) is not this one's
        if self.label_view is not None:
            self.label_view.inbox.setFocus()
        self.statusBar().showMessage(f"Opened {dataset.root}", 5000)

    def _dataset_closed(self) -> None:
        if self.session.dataset is not None:
            return
        self.setWindowTitle(app_settings.APPLICATION)
        self.statusBar().clearMessage()
        self.stack.setCurrentWidget(self.welcome)
        for action in self.dataset_actions:
            action.setEnabled(False)

    def _show_notice(self, text: str) -> None:
        self._session_notice = text
        self.notice.show_text(text)

    def _dataset_lost(self, _reason: str) -> None:
        """The folder went away: stop the import writing there before the dataset closes."""
        self.imports.cancel()
        self.imports.wait(5000)

    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About Hot Dog Studio",
            "<b>Hot Dog Studio</b><br>Label photos, train a Keras model, see live verdicts.",
        )

    def _restore_geometry(self) -> None:
        store = app_settings.settings()
        geometry = store.value(app_settings.GEOMETRY_KEY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        state = store.value(app_settings.STATE_KEY)
        if state is not None:
            self.restoreState(state)

    def _inspect(self, view: QWidget, hash_: str) -> None:
        """ "Look under the hood…" on a gallery photo: that view, showing that photo."""
        self.tabs.setCurrentWidget(view)
        view.show_dataset_photo(hash_)

    def shutdown(self) -> None:
        """Save the geometry, stop every thread (imports, then each view's) and close the dataset.

        Runs once, on close or when the application quits (whichever comes first): Qt aborts
        the process if a QThread is still running when it is destroyed.
        """
        if self._shut_down:
            return
        self._shut_down = True
        store = app_settings.settings()
        store.setValue(app_settings.GEOMETRY_KEY, self.saveGeometry())
        store.setValue(app_settings.STATE_KEY, self.saveState())
        self.imports.cancel()
        self.imports.wait()
        for view in self.views.values():  # views stop their threads before the dataset closes
            shutdown = getattr(view, "shutdown", None)
            if callable(shutdown):
                shutdown()
        self.session.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
