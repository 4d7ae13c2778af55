"""hotdog-studio import DATASET PATH... [--label CLASS] [--json]"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from desktop_app.commands._terminal import TerminalProgress
from desktop_app.core.dataset import UNLABELED, Dataset, classes_of

HELP = "Copy image files and folders into a dataset (created if missing), skipping duplicates."
SHOWN_DUPLICATES = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument("paths", metavar="PATH", nargs="+", help="image files or folders")
    parser.add_argument(
        "--label",
        default=UNLABELED,
        metavar="CLASS",
        help=f"the class to file them under (default: {UNLABELED})",
    )
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def run(args: argparse.Namespace) -> int:
    from desktop_app.core.importer import import_paths

    root = Path(args.dataset)
    labels = [*classes_of(root), UNLABELED]
    if args.label not in labels:
        print(
            f"error: unknown label {args.label!r}: use one of {', '.join(labels)}", file=sys.stderr
        )
        return 2
    with Dataset.open_or_create(root) as dataset, TerminalProgress() as progress:
        report = import_paths(dataset, args.paths, args.label, progress=progress)
        counts = dataset.counts()
    if args.json:
        result = {"dataset": str(dataset.root), "label": args.label, **report.to_dict()}
        print(json.dumps({**result, "counts": counts}))
        return 0
    print(f"{report.summary()} into {dataset.root} ({args.label}).")
    for path, item in report.duplicates[:SHOWN_DUPLICATES]:
        print(f"  already there: {path} (in {item.label})")
    if len(report.duplicates) > SHOWN_DUPLICATES:
        print(f"  ... and {len(report.duplicates) - SHOWN_DUPLICATES} more already there")
    for path, reason in report.skipped:
        print(f"  skipped: {path}: {reason}")
    print("Now: " + ", ".join(f"{label} {count}" for label, count in counts.items()))
    return 0
