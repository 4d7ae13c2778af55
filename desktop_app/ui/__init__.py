"""Qt widgets, views and the QThread workers that run core and ml work off the GUI thread."""

from desktop_app.ui import pyside_refcount_guard

# Before any view emits a signal: PySide6 6.12 on Python 3.11 loses a reference to True per emit.
pyside_refcount_guard.install()
