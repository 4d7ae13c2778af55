"""hotdog-studio health DATASET [--json]"""

from __future__ import annotations

import argparse
import json

HELP = (
    "Check a dataset's health: counts and class balance (overall and per validation split),"
    " tiny, huge, grayscale, dark or blurry photos, near-duplicates and label conflicts, suspected"
    " wrong labels and outliers. Changes nothing."
)
SHOWN = 5  # photos named per line in the text output (--json lists every one)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object per finding")


def run(args: argparse.Namespace) -> int:
    from desktop_app.commands._terminal import TerminalProgress
    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.health import health

    # Read-only: works beside a running window.
    with Dataset.open(args.dataset, readonly=True) as dataset, TerminalProgress() as progress:
        lines = health(dataset, progress=progress)
    if args.json:
        for line in lines:
            print(json.dumps(line.to_dict()))
        return 0
    for line in lines:
        mark = "!" if line.warning else " "
        print(f"{mark} {line.message}")
        if line.warning and line.check not in ("balance",):
            shown = ", ".join(h[:12] for h in line.hashes[:SHOWN])
            more = f" and {len(line.hashes) - SHOWN} more" if len(line.hashes) > SHOWN else ""
            print(f"    {shown}{more}")
    return 0
