"""Helpers for the GUI tests: isolated settings, photos on disk, a real window, real drops."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from conftest import picture
from PySide6.QtCore import QCoreApplication, QMimeData, QPoint, QPointF, QSettings, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QWidget

TEST_ORG = "HotDogStudioTests"


def isolate_settings(folder: Path, fresh: bool = True) -> None:
    """Point QSettings at a folder of the test's own, under a test organization (emptied if fresh)."""
    folder.mkdir(parents=True, exist_ok=True)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName(TEST_ORG)
    QCoreApplication.setApplicationName("Hot Dog Studio Tests")
    if fresh:
        QSettings().clear()


def make_photos(
    folder: Path, count: int, first_seed: int, size: tuple[int, int] = (64, 48)
) -> list[Path]:
    """count real JPEG photos with distinct content."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"photo_{first_seed + i}.jpg"
        picture(first_seed + i, size).save(path, quality=90)
        paths.append(path)
    return paths


def file_mime(paths: Iterable[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _centre(widget: QWidget) -> QPointF:
    return QPointF(widget.rect().center())


def drag_enter(widget: QWidget, mime: QMimeData) -> QDragEnterEvent:
    event = QDragEnterEvent(
        _centre(widget).toPoint(), Qt.DropAction.CopyAction | Qt.DropAction.MoveAction, mime,
        Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(widget, event)
    return event


def drag_leave(widget: QWidget) -> None:
    QApplication.sendEvent(widget, QDragLeaveEvent())


def drop(widget: QWidget, mime: QMimeData) -> QDropEvent:
    """What a user's drag does: enter, move, drop, all on the widget's centre."""
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    drag_enter(widget, mime)
    move = QDragMoveEvent(
        _centre(widget).toPoint(),
        actions,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, move)
    event = QDropEvent(
        _centre(widget), actions, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, event)
    return event


def files_in(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()


def distinct_colours(image: QImage, step: int = 4) -> int:
    """How many different colours a sampled grid of the image holds (1 means blank)."""
    colours = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            colours.add(image.pixel(QPoint(x, y)))
    return len(colours)


def seed_dataset(root: Path, photos: Path, counts: dict[str, int]) -> dict[str, list[str]]:
    """Make a dataset at root holding counts[label] new photos per label; returns their hashes."""
    from desktop_app.core.dataset import Dataset
    from desktop_app.core.importer import import_paths

    hashes: dict[str, list[str]] = {}
    seed = 1000
    with Dataset.create(root) as dataset:
        for label, count in counts.items():
            files = make_photos(photos / label, count, seed)
            seed += count
            report = import_paths(dataset, files, label)
            hashes[label] = [item.hash for item in report.added]
    return hashes


def open_window(
    qtbot,
    settings_dir: Path,
    dataset_root: Path | None = None,
    all_views: bool = False,
    fresh: bool = True,
):
    """A shown, active main window (closed by qtbot at the end), with dataset_root open.

    It holds the Label view only, unless all_views asks for every view of VIEW_FACTORIES.
    """
    from desktop_app.ui.shell.main_window import VIEW_FACTORIES, MainWindow
    from desktop_app.ui.shell.style import STYLESHEET

    isolate_settings(settings_dir, fresh)
    QApplication.instance().setStyleSheet(STYLESHEET)
    label_only = [(title, target) for title, target in VIEW_FACTORIES if title == "Label"]
    window = MainWindow(views=None if all_views else label_only)
    qtbot.addWidget(window)
    window.imports.show_reports = True
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    if dataset_root is not None:
        assert window.session.open(dataset_root), window.session.last_error
    return window


def wait_loaded(qtbot, window, counts: dict[str, int]) -> None:
    """Until the inbox and galleries show counts[label] images each."""
    view = window.label_view

    def model(label: str):
        return view.inbox.queue if label == "unlabeled" else view.galleries[label].model

    qtbot.waitUntil(
        lambda: all(model(lb).rowCount() == n for lb, n in counts.items()), timeout=10000
    )


def fully_visible(widget: QWidget) -> bool:
    """True when none of the widget is clipped by a parent (a scroll area, the window's edge)."""
    return widget.isVisible() and widget.visibleRegion().boundingRect() == widget.rect()


def clipping_report(widget: QWidget) -> str:
    """Each ancestor's geometry, size hints and visible part, for a failure that says why."""
    lines = []
    while widget is not None:
        seen = widget.visibleRegion().boundingRect()
        lines.append(
            f"{type(widget).__name__}({widget.objectName()!r}) geometry={widget.geometry().getRect()}"
            f" visible={seen.getRect()} hint={widget.sizeHint().toTuple()}"
            f" min={widget.minimumSizeHint().toTuple()}/{widget.minimumSize().toTuple()}"
        )
        widget = widget.parentWidget()
    return "\n".join(lines)


def wait_fully_visible(qtbot, widgets: Iterable[QWidget], timeout: int = 5000) -> None:
    """Waits until every widget is on screen; else fails with where each one is cut off."""
    widgets = list(widgets)
    try:
        qtbot.waitUntil(lambda: all(fully_visible(w) for w in widgets), timeout=timeout)
    except Exception:
        hidden = [w for w in widgets if not fully_visible(w)]
        raise AssertionError("cut off:\n" + "\n--\n".join(map(clipping_report, hidden))) from None
