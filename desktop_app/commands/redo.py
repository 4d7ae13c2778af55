"""hotdog-studio redo DATASET [--json]"""

from __future__ import annotations

import argparse

from desktop_app.commands._history import add_arguments, take_step

HELP = "Make again the change undo took back; exit code 1 when there is nothing to redo."

__all__ = ["HELP", "add_arguments", "run"]


def run(args: argparse.Namespace) -> int:
    return take_step(args, "redo")
