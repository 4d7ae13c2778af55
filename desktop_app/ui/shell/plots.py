"""pyqtgraph, imported in one place: on first use, or ahead of time by the ML warm-up thread.

Its import takes ~0.6 s of Python; on the GUI thread that is a frozen window the first time a
tab with plots opens. The warm-up thread imports it after Keras (the module lock makes a GUI
thread that gets there first wait for the same import, never run it twice). Nothing at import
time of this module: the window still opens before pyqtgraph loads.
"""

from __future__ import annotations

import os


def pyqtgraph():
    """The pyqtgraph module, bound to PySide6."""
    os.environ.setdefault("PYQTGRAPH_QT_LIB", "PySide6")
    import pyqtgraph as pg

    return pg


def preload() -> None:
    """Imports pyqtgraph now (any thread): the plots' first drawing then only builds widgets."""
    try:
        pyqtgraph()
    except ImportError:  # a bundle without it: the views say so when they draw
        pass
