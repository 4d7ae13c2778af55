"""hotdog-studio stats DATASET [--json]"""

from __future__ import annotations

import argparse
import json

from desktop_app.core.dataset import UNLABELED, Dataset

HELP = "Show how many images each class of a dataset has, and their size on disk."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def run(args: argparse.Namespace) -> int:
    # Read-only: works while the window has the dataset open.
    with Dataset.open(args.dataset, readonly=True) as dataset:
        result = collect(dataset)
    if args.json:
        print(json.dumps(result))
    else:
        print(render(result))
    return 0


def collect(dataset: Dataset) -> dict:
    counts = dataset.counts()
    sizes = dataset.sizes()
    labeled = sum(counts[name] for name in dataset.classes)
    return {
        "dataset": str(dataset.root),
        "classes": dataset.classes,
        "counts": counts,
        "labeled": labeled,
        "unlabeled": counts[UNLABELED],
        "total": labeled + counts[UNLABELED],
        "trash": len(dataset.trashed()),
        "bytes": sum(size for label, size in sizes.items() if label != "trash"),
        "bytes_by_label": sizes,
        "fingerprint": dataset.fingerprint(),
        "ignored": [{"path": path, "reason": reason} for path, reason in dataset.ignored],
    }


def render(result: dict) -> str:
    sizes = result["bytes_by_label"]
    lines = [f"Dataset {result['dataset']}", "", f"{'':14}{'images':>8}{'size':>12}"]
    for label, count in result["counts"].items():
        lines.append(f"{label:14}{count:>8}{format_bytes(sizes[label]):>12}")
    lines.append(f"{'total':14}{result['total']:>8}{format_bytes(result['bytes']):>12}")
    if result["trash"]:
        lines.append(f"{'(trash)':14}{result['trash']:>8}{format_bytes(sizes['trash']):>12}")
    for entry in result["ignored"]:
        lines.append(f"not an image, left alone: {entry['path']}: {entry['reason']}")
    return "\n".join(lines)


def format_bytes(count: int) -> str:
    size = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"
