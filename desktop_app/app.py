"""main(): a command when the first argument names one, otherwise the window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from desktop_app.cli import is_command, run_command

    if is_command(argv):
        return run_command(argv)
    if "--install-desktop-entry" in argv:
        from desktop_app.core.desktop_entry import install_desktop_entry

        print(install_desktop_entry())
        return 0
    from desktop_app.ui.launch import launch_gui

    dataset = next((a for a in argv if not a.startswith("-")), None)
    return launch_gui(dataset)
