"""A guard against a PySide6 6.12 defect that would abort the app after a few thousand signals.

On Python 3.11, `SignalInstance.emit()` in PySide6 6.12.0 returns `True` without taking a new
reference, so every emit takes one reference from `True`. Once the count reaches zero Python
aborts ("bool_dealloc: deallocating True or False"), at exit or in the middle of an import.
Python 3.12 made `True` immortal; this does the same on older Pythons, only when the defect is
seen, by giving `True` a reference count no run can spend.
"""

from __future__ import annotations

import ctypes
import sys

_PROBE_EMITS = 16
_SPARE_REFERENCES = 1 << 40


def emit_drops_true_references() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBE_EMITS):
        probe.ping.emit()
    return before - sys.getrefcount(True) >= _PROBE_EMITS


def install() -> bool:
    """Make True immortal where emit() leaks it; returns whether that was needed."""
    if sys.version_info >= (3, 12) or not emit_drops_true_references():
        return False
    ctypes.c_ssize_t.from_address(id(True)).value += _SPARE_REFERENCES
    return True
