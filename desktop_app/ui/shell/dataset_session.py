"""The open dataset, shared by every view: open, create, close, recent list, change signals.

Dataset change callbacks arrive on whatever thread made the change; the session re-emits them
as `changed(kind, hashes)` on the GUI thread, so views can touch widgets in their slots.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal, Slot

from desktop_app.core import presence
from desktop_app.core.errors import DatasetLocked, DatasetReadOnly, StudioError
from desktop_app.ui.shell import settings as app_settings
from desktop_app.ui.shell.workers import run_in_pool


class DatasetSession(QObject):
    opened = Signal(object)  # the Dataset now open
    closed = Signal()  # no dataset open any more
    changed = Signal(str, list)  # kind, hashes: the dataset changed (on the GUI thread)
    failed = Signal(str, str)  # title, one-line message: an open or create went wrong
    recent_changed = Signal()
    history_moved = Signal()  # an undo or redo was asked for (it runs after the edits before it)
    notice = Signal(str)  # a line that stays (the banner): opened read-only, the folder is gone
    refused = Signal(str)  # a one-line status message: a change a read-only dataset cannot take
    lost = Signal(str)  # the folder went away while open (emitted just before closed)

    PRESENCE_CHECK_MS = 1000

    # Carries change events across threads; queued because the session lives on the GUI thread.
    _change_arrived = Signal(object, str, list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dataset: Any = None
        self._listener: Callable[[Any], None] | None = None
        self.last_error: str | None = None
        self._change_arrived.connect(self._relay_change)
        # Edits (label, trash, undo, redo) run one at a time, in order, off the GUI thread.
        self._edits = QThreadPool(self)
        self._edits.setMaxThreadCount(1)
        self._opened_as: presence.Identity | None = None
        # A USB drive pulled out shows within a second, even if the user touches nothing.
        self._presence = QTimer(self)
        self._presence.setInterval(self.PRESENCE_CHECK_MS)
        self._presence.timeout.connect(self.still_there)

    # -- opening and closing -------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.dataset is not None

    def open(self, path: str | Path, *, create: bool = False) -> bool:
        """Open (or create) the dataset at path; on a problem emit failed() and return False."""
        from desktop_app.core.dataset import Dataset

        root = Path(path).expanduser()
        readonly = None
        try:
            try:
                dataset = Dataset.create(root) if create else Dataset.open(root)
            except DatasetReadOnly as error:  # look, without changing anything
                readonly = f"Opened read-only: {error}. Labeling, importing and training are off."
                dataset = Dataset.open(root, readonly=True)
        except DatasetLocked as error:
            self._fail("Dataset in use", f"{error}")
            return False
        except StudioError as error:
            self._fail("Cannot open dataset", str(error))
            return False
        except OSError as error:
            self._fail("Cannot open dataset", f"{root}: {error.strerror or error}")
            return False
        self.close()
        self.dataset = dataset
        self._opened_as = presence.identity(dataset.root)
        self._presence.start()
        self.last_error = None
        self._listener = lambda event, ds=dataset: self._on_dataset_event(ds, event)
        dataset.subscribe(self._listener)
        self._remember(dataset.root)
        self.opened.emit(dataset)
        if readonly is not None:
            self.notice.emit(readonly)
        return True

    def create(self, path: str | Path) -> bool:
        return self.open(path, create=True)

    def open_or_create(self, path: str | Path) -> bool:
        """For the command line: open a dataset, or make one where there is none yet."""
        from desktop_app.core.dataset import Dataset

        return self.open(path, create=not Dataset.is_dataset(Path(path).expanduser()))

    def close(self) -> None:
        if self.dataset is None:
            return
        self._presence.stop()
        self._edits.waitForDone()
        dataset, self.dataset = self.dataset, None
        if self._listener is not None:
            dataset.unsubscribe(self._listener)
            self._listener = None
        dataset.close()
        self.closed.emit()

    def still_there(self) -> bool:
        """False (after closing the dataset, with lost() saying why) once its folder is gone."""
        if self.dataset is None:
            return False
        reason = presence.gone_reason(self.dataset.root, self._opened_as)
        if reason is None:
            return True
        self.last_error = reason
        self.lost.emit(reason)  # the window stops its imports first
        self.notice.emit(reason)
        self.close()  # no writer left behind on a folder that is not there
        return False

    def writable(self) -> bool:
        """True when a change may be made; otherwise refused() says why in one line."""
        if not self.still_there():
            return False
        if self.dataset.readonly:
            self.refused.emit(f"{self.dataset.root.name} is open read-only: nothing can be changed")
            return False
        return True

    def reopen_last(self) -> bool:
        last = app_settings.settings().value(app_settings.LAST_KEY, "")
        if last and Path(str(last)).is_dir():
            return self.open(str(last))
        return False

    # -- edits -------------------------------------------------------------------------

    def edit(
        self, change: Callable[[Any], Any], on_done: Callable[[Any], None] | None = None
    ) -> None:
        """Run change(dataset) on the edit thread, after every edit asked for before it."""
        if not self.writable():
            return
        dataset = self.dataset
        run_in_pool(
            lambda: change(dataset),
            on_done,
            lambda message: self._edit_failed(dataset, message),
            pool=self._edits,
        )

    def _edit_failed(self, dataset: Any, message: str) -> None:
        if dataset is self.dataset and self.still_there():  # a gone folder says so instead
            self._fail("Could not change the dataset", message)

    def set_label(self, hashes: list[str], label: str) -> None:
        if hashes:
            self.edit(lambda ds: ds.set_label(hashes, label))

    def trash(self, hashes: list[str]) -> None:
        if hashes:
            self.edit(lambda ds: ds.trash(hashes))

    def undo(self) -> None:
        self.edit(lambda ds: ds.undo())
        self.history_moved.emit()

    def redo(self) -> None:
        self.edit(lambda ds: ds.redo())
        self.history_moved.emit()

    def wait_for_edits(self, msecs: int = 10000) -> bool:
        return self._edits.waitForDone(msecs)

    # -- recent datasets -----------------------------------------------------------------

    def recent(self) -> list[str]:
        return [p for p in app_settings.read_list(app_settings.RECENT_KEY) if Path(p).is_dir()]

    def _remember(self, root: Path) -> None:
        path = str(Path(root).resolve())
        recent = [p for p in app_settings.read_list(app_settings.RECENT_KEY) if p != path]
        store = app_settings.settings()
        store.setValue(app_settings.RECENT_KEY, [path, *recent][: app_settings.MAX_RECENT])
        store.setValue(app_settings.LAST_KEY, path)
        self.recent_changed.emit()

    def _fail(self, title: str, message: str) -> None:
        self.last_error = message
        self.failed.emit(title, message)

    # -- change events -------------------------------------------------------------------

    def _on_dataset_event(self, dataset: Any, event: Any) -> None:
        # Any thread. Only the signal crosses over; no widget is touched here.
        self._change_arrived.emit(dataset, str(event.kind), list(event.hashes))

    @Slot(object, str, list)
    def _relay_change(self, dataset: Any, kind: str, hashes: list) -> None:
        if dataset is self.dataset:  # events from a dataset closed since are stale
            self.changed.emit(kind, hashes)
