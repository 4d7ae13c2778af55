"""hotdog-studio duplicates DATASET [--json]"""

from __future__ import annotations

import argparse
import json

HELP = (
    "List groups of near-duplicate photos (resized, recompressed, cropped, brightened or mirrored"
    " copies, burst shots) and flag groups whose copies carry different labels. Changes nothing."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object per group")


def run(args: argparse.Namespace) -> int:
    from desktop_app.commands._terminal import TerminalProgress
    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.near_duplicates import find_near_duplicates

    # Read-only: works beside a running window (the signatures are cached all the same).
    with Dataset.open(args.dataset, readonly=True) as dataset, TerminalProgress() as progress:
        found = find_near_duplicates(dataset, progress=progress)
    if args.json:
        for number, group in enumerate(found.groups, 1):
            print(json.dumps({"group": number, **group.to_dict()}))
        return 0
    for number, group in enumerate(found.groups, 1):
        conflict = f", label conflict: {' vs '.join(group.classes)}" if group.conflict else ""
        print(f"Group {number}: {len(group.hashes)} photos{conflict}")
        for path, label, phash in zip(group.paths, group.labels, group.phashes, strict=True):
            print(f"  {label:14} {phash}  {path}")
    photos = sum(len(g.hashes) for g in found.groups)
    by = f" (with the cached {found.features} features)" if found.features else ""
    print(
        f"{len(found.groups)} near-duplicate group(s), {photos} photos,"
        f" {len(found.conflicts)} with a label conflict{by}."
    )
    return 0
