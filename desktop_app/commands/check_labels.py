"""hotdog-studio check-labels DATASET [--backbone NAME] [--limit N] [--json]"""

from __future__ import annotations

import argparse
import json

from desktop_app.commands._terminal import TerminalProgress
from desktop_app.ml.backbones import BACKBONES, DEFAULT_BACKBONE

HELP = (
    "List labeled photos whose label is probably wrong: each is predicted by a model that never"
    " saw it, most confident disagreement first. Changes nothing."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument(
        "--backbone",
        default=DEFAULT_BACKBONE,
        metavar="NAME",
        help=f"pretrained backbone whose features are used (default: {DEFAULT_BACKBONE}); names:"
        f" {', '.join(name for name, spec in BACKBONES.items() if spec.pretrained)}",
    )
    parser.add_argument("--limit", type=int, default=20, metavar="N", help="list at most N (20)")
    parser.add_argument("--no-download", action="store_true", help="never download weights")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def run(args: argparse.Namespace) -> int:
    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.label_check import check_labels

    # Read-only: works while the window has the dataset open (features are cached all the same).
    with Dataset.open(args.dataset, readonly=True) as dataset, TerminalProgress() as progress:
        result = check_labels(
            dataset, args.backbone, progress=progress, allow_download=not args.no_download
        )
    shown = result.suspects[: max(0, args.limit)]
    if args.json:
        print(json.dumps(result.to_dict() | {"suspects": [s.to_dict() for s in shown]}))
        return 0
    print(
        f"Checked {result.checked} labeled photos: {len(result.suspects)} look mislabeled"
        f" ({result.agreement:.1%} agree with their label)."
    )
    for suspect in shown:
        print(
            f"{suspect.path}  labeled {suspect.label}, looks like {suspect.predicted}"
            f" ({suspect.confidence:.0%})"
        )
    if len(result.suspects) > len(shown):
        print(f"… and {len(result.suspects) - len(shown)} more (--limit N shows more).")
    return 0
