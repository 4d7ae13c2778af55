"""hotdog-studio explain MODEL PHOTO [--top N] [--json]"""

from __future__ import annotations

import argparse
import json

HELP = (
    "Why this verdict, exactly: the score, the logit split into the bias and the votes of the"
    " head's inputs (the biggest for and against hot dog), and each layer's activations."
    " MODEL is a .keras file or a dataset folder (its current model)."
)
TOP = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a .keras model, or a dataset folder")
    parser.add_argument("photo", metavar="PHOTO", help="one image file")
    parser.add_argument(
        "--top", type=int, default=TOP, metavar="N", help=f"votes shown each way (default {TOP})"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")


def run(args: argparse.Namespace) -> int:
    from desktop_app.ml.explain import explain
    from desktop_app.ml.runs import model_path_for

    explanation = explain(model_path_for(args.model), args.photo)
    top = max(0, args.top)
    if args.json:
        print(json.dumps(explanation.to_dict(top)), flush=True)
    else:
        print("\n".join(_text(explanation, top)), flush=True)
    return 0


def _text(explanation, top: int) -> list[str]:
    scored = _words(explanation.classes[_score_column(explanation)])
    lines = [
        f"{explanation.label:<12} {explanation.score:.3f}  {explanation.path}"
        f"  ({explanation.runtime})",
    ]
    if explanation.logit is not None:
        total = sum(vote.contribution for vote in explanation.votes)
        lines.append(
            f"logit {explanation.logit:+.4f} ({scored} vs {_words(explanation.versus)})"
            f" = bias {explanation.bias:+.4f}"
            f" + votes of {len(explanation.votes)} {explanation.inputs_kind}s {total:+.4f}"
        )
        for title, votes in (
            (f"for {scored}", explanation.top_for(top)),
            (f"against {scored}", explanation.top_against(top)),
        ):
            lines.append(f"votes {title}:" if votes else f"votes {title}: none")
            lines += [
                f"  {explanation.inputs_kind} {v.index:>4}  {v.contribution:+.4f}"
                f"  = {v.input:.4f} × weight {v.weight:+.4f}"
                for v in votes
            ]
    if explanation.note:
        lines.append(f"note: {explanation.note}")
    if explanation.layers:
        lines.append("layers (activations: mean, max, share of zeros):")
        lines += [
            f"  {layer.part:<9} {layer.name:<22} {'×'.join(map(str, layer.shape)):<12}"
            f" mean {layer.mean:8.4f}  max {layer.max:8.4f}  zeros {layer.zero_share:4.0%}"
            for layer in explanation.layers
        ]
    return lines


def _score_column(explanation) -> int:
    from desktop_app.ml.metrics import score_index

    return score_index(explanation.classes)


def _words(name: str | None) -> str:
    return (name or "").replace("_", " ")
