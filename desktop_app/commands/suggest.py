"""hotdog-studio suggest DATASET [--order next|import] [--accept-above P] [--json]"""

from __future__ import annotations

import argparse
import json
import shlex
import sys

HELP = (
    "List the inbox's photos with the current model's guess, in label-next order (the ones that"
    " teach the model most first) or import order; --accept-above P labels every photo guessed"
    " at least that surely, as one step that `hotdog-studio undo` takes back."
)
TEXT_LIMIT = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from desktop_app.ml.backbones import DEFAULT_BACKBONE

    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument(
        "--order",
        choices=("next", "import"),
        default="next",
        help="next: what to label next (default); import: the order photos came in",
    )
    parser.add_argument(
        "--accept-above",
        type=float,
        metavar="P",
        help="label every photo whose guess has a probability of at least P (0 to 1) with it",
    )
    parser.add_argument(
        "--backbone",
        metavar="NAME",
        help="whose features order a dataset without a model (default: the model's own, else"
        f" {DEFAULT_BACKBONE})",
    )
    parser.add_argument("--limit", type=int, metavar="N", help=f"list at most N ({TEXT_LIMIT})")
    parser.add_argument("--no-download", action="store_true", help="never download weights")
    parser.add_argument("--json", action="store_true", help="print one JSON object per photo")


def run(args: argparse.Namespace) -> int:
    from desktop_app.commands._terminal import TerminalProgress
    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.suggest import accept_above, suggest

    threshold = args.accept_above
    if threshold is not None and not 0 < threshold <= 1:
        print(
            f"error: --accept-above takes a probability from 0 to 1, not {threshold:g}",
            file=sys.stderr,
        )
        return 2
    if args.limit is not None and args.limit < 0:
        print("error: --limit takes a count of 0 or more", file=sys.stderr)
        return 2
    # Only accepting writes (and so needs the writer's lock); listing works beside the window.
    accepted = None
    with Dataset.open(args.dataset, readonly=threshold is None) as dataset:
        with TerminalProgress() as progress:
            found = suggest(
                dataset,
                args.order,
                backbone=args.backbone,
                progress=progress,
                allow_download=not args.no_download,
            )
        if threshold is not None:
            accepted = accept_above(dataset, found, threshold)
    labeled_now = {s.hash for s in accepted or []}
    listed = [s for s in found.suggestions if s.hash not in labeled_now]
    limit = args.limit if args.limit is not None else (None if args.json else TEXT_LIMIT)
    shown = listed[:limit] if limit is not None else listed
    if args.json:
        for rank, suggestion in enumerate(shown, 1):
            print(json.dumps({"rank": rank, **suggestion.to_dict()}))
        if accepted is not None:
            summary = {
                "accepted": len(accepted),
                "threshold": threshold,
                "hashes": [s.hash for s in accepted],
            }
            print(json.dumps(summary))
        return 0
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    for rank, s in enumerate(shown, 1):
        print(f"{rank:>4}. {s.path}  {s.reason}")
    if len(listed) > len(shown):
        print(f"… and {len(listed) - len(shown)} more (--limit N shows more).")
    if not found.suggestions:
        print("The inbox is empty.")
    if accepted is not None:
        print(f"Labeled {len(accepted)} photo(s) guessed with at least {threshold:.0%}.")
        if accepted:
            print(f"Take it back with: hotdog-studio undo {shlex.quote(args.dataset)}")
    return 0
