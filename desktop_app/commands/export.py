"""hotdog-studio export MODEL --format keras|savedmodel|tflite --out PATH"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = (
    "Export a model as .keras, a TensorFlow SavedModel folder, or TFLite. MODEL is a .keras file or"
    " a dataset folder (its current model); savedmodel and tflite need the TensorFlow backend."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a .keras model, or a dataset folder")
    parser.add_argument("--format", required=True, choices=("keras", "savedmodel", "tflite"))
    parser.add_argument("--out", required=True, type=Path, metavar="PATH")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def run(args: argparse.Namespace) -> int:
    from desktop_app.commands._terminal import TerminalProgress
    from desktop_app.ml.export import export_model
    from desktop_app.ml.runs import model_path_for

    source = model_path_for(args.model)
    with TerminalProgress() as progress:
        out = export_model(source, args.format, args.out, progress=progress)
    if args.json:
        print(json.dumps({"model": str(source), "format": args.format, "out": str(out)}))
    else:
        print(f"Exported {source} as {args.format} to {out}")
    return 0
