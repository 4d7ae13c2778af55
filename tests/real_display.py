"""An X server of the tests' own (Xvfb) for the real-display tier, started once per session.

Offscreen Qt has no RHI, no window manager and no real event timing; a crash that happens on
every desktop passed there (ADR 0006). The tests of this tier run the app on xcb against this
server, in subprocesses, since one process's QApplication has one platform.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HOW_TO_GET_IT = "install it with `sudo apt-get install xvfb` (make test does, as root)"
SCREEN = "1400x900x24"
HIDPI_SCREEN = "2800x1800x24"  # a HiDPI laptop's panel, for the app at QT_SCALE_FACTOR=2


class XServer:
    def __init__(self, screen: str = SCREEN) -> None:
        self.process: subprocess.Popen | None = None
        self.display = ""
        self.screen = screen

    def start(self) -> None:
        xvfb = shutil.which("Xvfb")
        if xvfb is None:
            pytest.skip(f"the real-display tier needs Xvfb: {HOW_TO_GET_IT}")
        read, write = os.pipe()
        # -displayfd: the server picks a free display number and writes it to us when ready.
        self.process = subprocess.Popen(
            [xvfb, "-displayfd", str(write), "-screen", "0", self.screen, "-nolisten", "tcp"],
            pass_fds=(write,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.stop()
            pytest.skip(f"Xvfb did not start; {HOW_TO_GET_IT}")
        self.display = f":{number}"

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def env(self, home: Path, **extra: str) -> dict[str, str]:
        """The environment of an app on this display, with a home (settings, data) of its own."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND", "XDG_"))}
        env.update(
            DISPLAY=self.display,
            QT_QPA_PLATFORM="xcb",
            HOME=str(home),
            XDG_RUNTIME_DIR=str(_runtime_dir(home)),
            PYTHONFAULTHANDLER="1",
        )
        env.update(extra)
        return env


def _runtime_dir(home: Path) -> Path:
    folder = home / "runtime"
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    return folder


def python_command(*args: str) -> list[str]:
    return [sys.executable, *args]
