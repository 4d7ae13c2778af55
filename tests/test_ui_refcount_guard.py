"""The guard keeps True and None alive however many signals and paints the app goes through."""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from desktop_app.ui.shell import pyside_refcount_guard


class _Painted(QWidget):
    def paintEvent(self, event):  # returns None to C++, which this PySide may over-release
        pass


class _Pinger(QObject):
    ping = Signal(object)


def test_many_emits_and_paints_leave_true_and_none_with_references(qtbot):
    assert pyside_refcount_guard.install() is pyside_refcount_guard.install()  # runs once
    widget = _Painted()
    qtbot.addWidget(widget)
    widget.resize(8, 8)
    widget.show()
    pinger = _Pinger()
    # More than the references a fresh interpreter holds on either: without the guard (on an
    # affected PySide) this loop aborts the process with bool_dealloc or none_dealloc.
    for _ in range(20000):
        pinger.ping.emit(1)
    for _ in range(5000):
        widget.repaint()
    assert sys.getrefcount(True) > 1000 and sys.getrefcount(None) > 1000
