"""hotdog-studio label DATASET PATH|HASH... --as CLASS|unlabeled [--json]"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from desktop_app.commands._dataset_items import (
    MIN_HASH_PREFIX,
    NoSuchItem,
    find_items,
    moves_between,
    places,
    render_move,
)
from desktop_app.core.dataset import UNLABELED, Dataset, classes_of

HELP = (
    "Move images of a dataset to a class, or back to unlabeled, as one step that"
    " `hotdog-studio undo` (or Ctrl+Z in the window) takes back."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument(
        "targets",
        metavar="PATH|HASH",
        nargs="+",
        help="an image file inside the dataset, or its content hash"
        f" (a unique prefix of {MIN_HASH_PREFIX} or more hex digits)",
    )
    parser.add_argument(
        "--as",
        dest="label",
        required=True,
        metavar="CLASS",
        help=f"the class to move them to, or {UNLABELED}",
    )
    parser.add_argument("--json", action="store_true", help="print what changed as one JSON object")


def run(args: argparse.Namespace) -> int:
    labels = [*classes_of(Path(args.dataset)), UNLABELED]
    if args.label not in labels:
        print(
            f"error: unknown class {args.label!r}: use one of {', '.join(labels)}", file=sys.stderr
        )
        return 2
    with Dataset.open(args.dataset) as dataset:  # the writer: refused while another one is open
        try:
            items = find_items(dataset, args.targets)
        except NoSuchItem as error:  # before any change: all of them or none
            print(f"error: {error}", file=sys.stderr)
            return 2
        before = places(dataset)
        dataset.set_label([item.hash for item in items], args.label)
        moves = moves_between(before, places(dataset))
        counts = dataset.counts()
    moved = {move["hash"] for move in moves}
    unchanged = [{"hash": i.hash, "path": str(i.path)} for i in items if i.hash not in moved]
    if args.json:
        result = {"dataset": str(dataset.root), "label": args.label, "changed": moves}
        print(json.dumps({**result, "unchanged": unchanged, "counts": counts}))
        return 0
    for move in moves:
        print(render_move(move))
    already = f"; {len(unchanged)} already were" if unchanged else ""
    print(f"{len(moves)} image(s) now {args.label}{already}.")
    if moves:
        print(f"Take it back with: hotdog-studio undo {shlex.quote(args.dataset)}")
    return 0
