"""Start the GUI: the window first, then TensorFlow warming up in the background."""

from __future__ import annotations

import sys

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from desktop_app.core.resources import resource_path
from desktop_app.ui.shell import settings as app_settings
from desktop_app.ui.shell.style import STYLESHEET

ICON_CANDIDATES = ["icon.png", "icons/hotdog-studio-256.png", "icons/hotdog-studio-128.png"]


def app_icon() -> QIcon:
    """The app icon from resources/, with every size present; an empty icon when none is."""
    icon = QIcon()
    folder = resource_path("icons")
    if folder.is_dir():
        for png in sorted(folder.glob("hotdog-studio-*.png")):
            icon.addFile(str(png))
    main = resource_path("icon.png")
    if main.is_file():
        icon.addFile(str(main))
    return icon


# Worker threads (import, thumbnails, decoding) run Python too; the GUI thread waits for the
# GIL at each switch. A 1 ms switch interval instead of 5 ms keeps the event loop's waits short.
GIL_SWITCH_INTERVAL_S = 0.001


def make_application(argv: list[str] | None = None) -> QApplication:
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setOrganizationName(app_settings.ORGANIZATION)
    app.setApplicationName(app_settings.APPLICATION)
    app.setApplicationDisplayName(app_settings.APPLICATION)
    app.setDesktopFileName("hotdog-studio")
    app.setWindowIcon(app_icon())
    app.setStyleSheet(STYLESHEET)
    return app


def launch_gui(dataset_path: str | None) -> int:
    app = make_application()
    from desktop_app.ui.shell.crash_guard import CrashGuard
    from desktop_app.ui.shell.main_window import MainWindow
    from desktop_app.ui.shell.ml_warmup import MlWarmup, backend_title
    from desktop_app.ui.shell.signal_close import SignalClose
    from desktop_app.ui.shell.startup_probe import install_startup_probe

    # Before the window: a crash while it is built leaves a report too, and a SIGTERM that
    # early still closes it the normal way once it exists.
    guard = CrashGuard().start(app)
    closer = SignalClose(app)
    install_startup_probe(app)  # HOTDOG_STARTUP_PROBE=1 only: time the first paint, then quit
    window = MainWindow(icon=app.windowIcon())
    window.show()
    if dataset_path:
        window.session.open_or_create(dataset_path)
    else:
        window.session.reopen_last()
    guard.attach(window)
    closer.watch(window)

    status = window.device_label
    status.setText(f"Loading {backend_title()}…")
    warmup = MlWarmup(window)
    warmup.ready.connect(status.setText)
    warmup.failed.connect(
        lambda message: status.setText(f"{backend_title()} unavailable: labeling only")
    )
    warmup.failed.connect(lambda message: status.setToolTip(message))
    warmup.start()
    code = app.exec()
    warmup.wait()  # the window owns the warm-up thread: it must end before the window goes
    closer.restore()
    guard.finish()  # a clean exit: no crash report next time
    return code
