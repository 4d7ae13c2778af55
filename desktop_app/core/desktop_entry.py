"""`hotdog-studio --install-desktop-entry`: put the app in this user's application menu (XDG).

Writes $XDG_DATA_HOME/applications/hotdog-studio.desktop (default ~/.local/share) from the
template packaging/hotdog-studio.desktop, and the icon into the hicolor theme at every size we
ship. Exec points at what is running now: the bundle's executable when frozen, otherwise this
Python with `-m desktop_app`, so the entry starts the same app the user just ran.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from desktop_app.core.resources import app_root, is_frozen, resource_path

APP_ID = "hotdog-studio"
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def data_home(prefix: str | os.PathLike | None = None) -> Path:
    if prefix is not None:
        return Path(prefix)
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    # The XDG spec says a relative value is invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return Path.home() / ".local" / "share"


def launch_command() -> list[str]:
    """The argv that starts this app again, as it runs now."""
    if is_frozen():
        return [sys.executable]
    return [sys.executable, "-m", "desktop_app"]


def quote_exec_arg(arg: str) -> str:
    """Quote one Exec argument as the Desktop Entry spec asks (reserved characters in quotes)."""
    reserved = set(" \t\n\"'\\><~|&;$*?#()`")
    if not any(ch in reserved for ch in arg):
        return arg.replace("%", "%%")
    escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
    # The .desktop file format then escapes backslashes once more.
    return '"' + escaped.replace("\\", "\\\\").replace("%", "%%") + '"'


def render_entry(template: str, command: list[str]) -> str:
    exec_line = " ".join(quote_exec_arg(a) for a in command)
    return template.replace("@EXEC@", exec_line).replace("@TRYEXEC@", command[0])


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def install_icons(share: Path) -> list[Path]:
    installed = []
    for size in ICON_SIZES:
        source = resource_path(f"icons/{APP_ID}-{size}.png")
        if source.is_file():
            target = share / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
            _write_atomically(target, source.read_bytes())
            installed.append(target)
    svg = resource_path(f"icons/{APP_ID}.svg")
    if svg.is_file():
        target = share / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
        _write_atomically(target, svg.read_bytes())
        installed.append(target)
    # Icon caches notice a change by the theme folder's mtime.
    hicolor = share / "icons" / "hicolor"
    if hicolor.is_dir():
        os.utime(hicolor)
    return installed


def refresh_menu_cache(applications: Path) -> None:
    """Where a desktop keeps a cache of menu entries, refresh it; harmless where it does not."""
    tool = shutil.which("update-desktop-database")
    if tool:
        subprocess.run(
            [tool, "-q", str(applications)], capture_output=True, check=False, timeout=30
        )


def install_desktop_entry(prefix: str | os.PathLike | None = None) -> str:
    """Install the menu entry and icons for this user; returns one line saying what was done."""
    share = data_home(prefix)
    template = (app_root() / "packaging" / f"{APP_ID}.desktop").read_text(encoding="utf-8")
    entry = share / "applications" / f"{APP_ID}.desktop"
    _write_atomically(entry, render_entry(template, launch_command()).encode("utf-8"))
    icons = install_icons(share)
    refresh_menu_cache(entry.parent)
    return f"Installed {entry} and {len(icons)} icons under {share / 'icons' / 'hicolor'}"
