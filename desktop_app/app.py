"""main(): a command when the first argument names one, otherwise the window."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from desktop_app.cli import is_command, run_command, window_usage_error

    if is_command(argv):
        return run_command(argv)
    if "--install-desktop-entry" in argv:
        from desktop_app.core.desktop_entry import install_desktop_entry

        print(install_desktop_entry())
        return 0
    # Older macOS passes a process serial number to an app started from Finder.
    argv = [arg for arg in argv if not arg.startswith("-psn_")]
    problem = window_usage_error(argv)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2
    from desktop_app.ui.shell.launch import launch_gui

    return launch_gui(argv[0] if argv else None)
