"""The application the journey runs in: the app's own set-up, with settings of its own.

The user's recent datasets and window layout must not change because they checked their install,
and the journey must start as a first start does (on the welcome page).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QSettings, Qt
from PySide6.QtWidgets import QApplication

JOURNEY_ORGANIZATION = "Hot Dog Studio Self-Test"


def journey_application(work: Path) -> tuple[QApplication, object]:
    """The application, and the TensorFlow warm-up thread to wait for before the process ends."""
    from desktop_app.ui.shell.launch import make_application

    # Qt's own file dialog: a desktop's native one cannot be typed into from inside the app.
    QCoreApplication.setAttribute(Qt.ApplicationAttribute.AA_DontUseNativeDialogs)
    app = make_application()
    folder = work / "settings"
    folder.mkdir(parents=True, exist_ok=True)
    for fmt in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(fmt, QSettings.Scope.UserScope, str(folder))
    QCoreApplication.setOrganizationName(JOURNEY_ORGANIZATION)
    QSettings().clear()
    from desktop_app.ui.shell.ml_warmup import MlWarmup

    warmup = MlWarmup(app)  # TensorFlow loads in the background, as at a normal start
    warmup.start()
    return app, warmup
