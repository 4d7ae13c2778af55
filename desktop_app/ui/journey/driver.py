"""Real Qt input for the GUI self-test: clicks, keys, drops, file dialogs, waits, screenshots.

Everything goes through Qt's event system as a user's input would (QTest and sendEvent), so the
window under test cannot tell the journey from a person.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QEventLoop, QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit, QWidget


class JourneyFailure(Exception):
    """A step did not see what a user should see; the message says what."""


def run_events(ms: int) -> None:
    """The event loop for ms milliseconds, as app.exec() runs it. Not QTest.qWait: PySide's
    qWait keeps the GIL while it waits, and the app's worker threads (a training, the Live
    pipeline) then ran at a quarter of their speed; a 32-photo training took minutes."""
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def wait_until(condition: Callable[[], object], timeout_s: float, what: str) -> None:
    """Keep the event loop running until condition() holds; JourneyFailure(what) after timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise JourneyFailure(f"timed out after {timeout_s:.0f} s waiting for {what}")
        run_events(20)


def pump(seconds: float) -> None:
    """Let the app run (play, paint, predict) for a while."""
    run_events(int(seconds * 1000))


def click(widget: QWidget) -> None:
    if not widget.isVisible() or not widget.isEnabled():
        raise JourneyFailure(f"{_name(widget)} is not there to click")
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=widget.rect().center())


def click_at(widget: QWidget, pos) -> None:
    """A click at a point of widget (a tab of a tab bar, a bar of a chart)."""
    if not widget.isVisible() or not widget.isEnabled():
        raise JourneyFailure(f"{_name(widget)} is not there to click")
    QTest.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def key(widget: QWidget, key_: Qt.Key, modifiers=Qt.KeyboardModifier.NoModifier) -> None:
    QTest.keyClick(widget, key_, modifiers)


def drop_files(widget: QWidget, paths: Iterable[Path]) -> bool:
    """A drag from a file manager: enter, move and drop on the widget's centre; True if taken."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    actions = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction
    args = (mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(centre, actions, *args)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    QApplication.sendEvent(widget, QDragMoveEvent(centre, actions, *args))
    dropped = QDropEvent(QPointF(centre), actions, *args)
    QApplication.sendEvent(widget, dropped)
    return dropped.isAccepted()


def answer_next_file_dialog(path: Path, timeout_s: float = 60.0) -> Callable[[], bool]:
    """Type path into the next file dialog that opens and press Enter, as a user would.

    Returns a function telling whether the dialog was answered (it has closed). Works with Qt's
    own dialog (the journey asks for it: a desktop's native dialog cannot be typed into from
    here). A dialog still open a while after Enter (typed into before it was ready) is typed
    into again; one still open at the deadline is cancelled, so the journey fails, not hangs.
    """
    state = {"seen_at": None, "typed_at": None, "done": False}
    deadline = time.monotonic() + timeout_s
    timer = QTimer()

    def poll() -> None:
        now = time.monotonic()
        dialog = next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if isinstance(w, QFileDialog) and w.isVisible()
            ),
            None,
        )
        if dialog is None:
            state["done"] = state["typed_at"] is not None
        elif now > deadline:
            dialog.reject()
        elif state["seen_at"] is None:
            state["seen_at"] = now  # let it settle (its folder is still being read)
        elif now - state["seen_at"] > 0.3 and now - (state["typed_at"] or 0) > 2.0:
            edit = dialog.findChild(QLineEdit, "fileNameEdit")
            if edit is not None:
                dialog.activateWindow()
                edit.setFocus()
                edit.selectAll()
                QTest.keyClicks(edit, str(path))
                QTest.keyClick(edit, Qt.Key.Key_Return)
                state["typed_at"] = now
        if state["done"] or now > deadline + 1:
            timer.stop()

    timer.timeout.connect(poll)
    timer.start(100)
    answer_next_file_dialog.timers.append(timer)  # keep it alive while the dialog runs
    return lambda: state["done"]


answer_next_file_dialog.timers = []


def screenshot(window: QWidget, path: Path, min_colours: int = 12) -> int:
    """What the display shows of the window (the X server's pixels on xcb), saved as PNG.

    Fails when it is blank: a view that paints nothing is what this check is for. Returns the
    number of distinct colours seen."""
    QApplication.processEvents()
    window.repaint()
    run_events(100)
    image = _from_screen(window)
    if image is None or image.isNull():
        image = window.grab().toImage()  # offscreen: no screen to read back
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(str(path))
    colours = distinct_colours(image)
    if colours < min_colours:
        raise JourneyFailure(f"{path.name} is blank ({colours} colours)")
    return colours


def _from_screen(window: QWidget) -> QImage | None:
    if QGuiApplication.platformName() in ("offscreen", "minimal"):
        return None
    screen = window.screen()
    top_left = window.mapToGlobal(QPoint(0, 0))
    shot = screen.grabWindow(0, top_left.x(), top_left.y(), window.width(), window.height())
    return shot.toImage()


def distinct_colours(image: QImage, step: int = 4) -> int:
    seen = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            seen.add(image.pixel(x, y))
            if len(seen) > 4096:
                return len(seen)
    return len(seen)


def _name(widget: QWidget) -> str:
    text = getattr(widget, "text", None)
    return (
        f"the {text()!r} button" if callable(text) else widget.objectName() or type(widget).__name__
    )
