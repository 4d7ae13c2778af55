"""What undo and redo share: open the dataset as its writer, take one step, say what moved.

Nothing to undo (or redo) is exit code 1, with one line on stderr: a script that undoes "the last
label" must notice when there was none.
"""

from __future__ import annotations

import argparse
import json
import sys

from desktop_app.commands._dataset_items import moves_between, places, render_move
from desktop_app.core.dataset import Dataset

PAST = {"undo": "Undid", "redo": "Redid"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument("--json", action="store_true", help="print what moved as one JSON object")


def take_step(args: argparse.Namespace, direction: str) -> int:
    """direction: "undo" or "redo"; the same history as the window's Ctrl+Z and Ctrl+Shift+Z."""
    with Dataset.open(args.dataset) as dataset:
        before = places(dataset)
        done = dataset.undo() if direction == "undo" else dataset.redo()
        moves = moves_between(before, places(dataset))
        counts = dataset.counts()
    if args.json:
        result = {"dataset": str(dataset.root), "action": direction, "done": done}
        print(json.dumps({**result, "moved": moves, "counts": counts}))
    elif done:
        for move in moves:
            print(render_move(move))
        print(f"{PAST[direction]} a step: {len(moves)} image(s) moved.")
    if not done:
        print(f"nothing to {direction} in {dataset.root}", file=sys.stderr)
        return 1
    return 0
