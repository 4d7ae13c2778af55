"""`hotdog-studio --install-desktop-entry`: the menu entry and icons land where XDG says."""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from desktop_app.core.desktop_entry import ICON_SIZES, install_desktop_entry, render_entry
from desktop_app.core.resources import resource_path

REPO = Path(__file__).resolve().parents[1]


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in .desktop files
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_install_writes_entry_and_every_icon_size(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))

    message = install_desktop_entry()

    desktop_file = tmp_path / "applications" / "hotdog-studio.desktop"
    assert str(desktop_file) in message and "\n" not in message
    entry = read_entry(desktop_file)
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Hot Dog Studio"
    assert entry["Icon"] == "hotdog-studio"
    assert entry["Terminal"] == "false"
    assert shlex.split(entry["Exec"]) == [sys.executable, "-m", "desktop_app", "%f"]
    assert entry["TryExec"] == sys.executable
    for size in ICON_SIZES:
        icon = tmp_path / "icons" / "hicolor" / f"{size}x{size}" / "apps" / "hotdog-studio.png"
        with Image.open(icon) as image:
            assert image.size == (size, size)
    assert (tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "hotdog-studio.svg").is_file()


def test_installing_twice_replaces_rather_than_duplicates(tmp_path):
    install_desktop_entry(prefix=tmp_path)
    install_desktop_entry(prefix=tmp_path)
    files = [p.name for p in (tmp_path / "applications").iterdir() if p.suffix == ".desktop"]
    assert files == ["hotdog-studio.desktop"]
    assert not [p for p in (tmp_path / "applications").iterdir() if p.name.startswith(".")]


def test_relative_xdg_data_home_is_ignored_as_the_spec_says(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", "relative/share")
    install_desktop_entry()
    assert (tmp_path / ".local/share/applications/hotdog-studio.desktop").is_file()


def test_exec_quotes_a_path_with_spaces():
    entry = render_entry("Exec=@EXEC@ %f\nTryExec=@TRYEXEC@\n", ["/opt/Hot Dog/hotdog-studio"])
    assert 'Exec="/opt/Hot Dog/hotdog-studio" %f' in entry
    assert "TryExec=/opt/Hot Dog/hotdog-studio" in entry


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils absent")
def test_entry_passes_desktop_file_validate(tmp_path):
    install_desktop_entry(prefix=tmp_path)
    result = subprocess.run(
        ["desktop-file-validate", str(tmp_path / "applications" / "hotdog-studio.desktop")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_command_line_flag_installs_and_says_so(tmp_path):
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "share"))
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "--install-desktop-entry"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "hotdog-studio.desktop" in result.stdout
    entry = read_entry(tmp_path / "share" / "applications" / "hotdog-studio.desktop")
    assert shlex.split(entry["Exec"])[1:] == ["-m", "desktop_app", "%f"]
    assert (tmp_path / "share/icons/hicolor/48x48/apps/hotdog-studio.png").is_file()


def test_resource_path_finds_the_window_icon_in_the_source_tree():
    icon = resource_path("icon.png")
    assert icon == REPO / "resources" / "icon.png"
    with Image.open(icon) as image:
        assert image.size == (256, 256)
