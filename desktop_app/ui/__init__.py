"""Qt widgets, views and the QThread workers that run core and ml work off the GUI thread."""

from desktop_app.ui.shell import pyside_refcount_guard

# Before any widget exists: PySide6 6.12 on Python 3.11 drops references to True and None.
pyside_refcount_guard.install()
