"""hotdog-studio undo DATASET [--json]"""

from __future__ import annotations

import argparse

from desktop_app.commands._history import add_arguments, take_step

HELP = (
    "Take back the dataset's last change (label, trash, import), as Ctrl+Z in the window does;"
    " exit code 1 when there is nothing to undo."
)

__all__ = ["HELP", "add_arguments", "run"]


def run(args: argparse.Namespace) -> int:
    return take_step(args, "undo")
