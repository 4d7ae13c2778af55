"""A guard against a PySide6 6.12 defect that aborts the app after a few thousand Qt calls.

On Python 3.11, PySide6 6.12.0 gives back one reference too many to two singletons:
`SignalInstance.emit()` returns `True` without taking a reference, and every Python override
that returns `None` when C++ calls it (every `paintEvent`, a model's `data()` for an unused role)
drops one from `None`. Once a count reaches zero, Python aborts ("bool_dealloc" or
"none_dealloc"), at exit or in the middle of an import. Python 3.12 made these singletons
immortal; this does the same on older Pythons, only when the defect is seen, by giving them
reference counts no run can spend.
"""

from __future__ import annotations

import ctypes
import sys

_PROBES = 64
_SPARE_REFERENCES = 1 << 40
_protected: list[str] | None = None  # what install() protected, once it has run


def _emit_drops_true() -> bool:
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.ping.emit()
    return before - sys.getrefcount(True) >= _PROBES


def _overrides_drop_none() -> bool:
    from PySide6.QtCore import QAbstractListModel, QIdentityProxyModel, QModelIndex

    class _Model(QAbstractListModel):
        def rowCount(self, parent=QModelIndex()):  # noqa: B008
            return 1

        def data(self, index, role=0):
            return None

    model = _Model()
    proxy = QIdentityProxyModel()
    proxy.setSourceModel(model)
    index = proxy.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(_PROBES):
        proxy.data(index, 0)  # C++ calls the Python data() override
    return before - sys.getrefcount(None) >= _PROBES // 2


def _immortalise(obj: object) -> None:
    ctypes.c_ssize_t.from_address(id(obj)).value += _SPARE_REFERENCES


def install() -> list[str]:
    """Protect the singletons this PySide6 leaks (once); returns the names of those protected."""
    global _protected
    if _protected is not None:
        return _protected
    protected: list[str] = []
    _protected = protected
    if sys.version_info >= (3, 12):
        return protected
    if _emit_drops_true():
        _immortalise(True)
        _immortalise(False)
        protected += ["True", "False"]
    if _overrides_drop_none():
        _immortalise(None)
        protected.append("None")
    return protected
