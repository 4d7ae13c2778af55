"""hotdog-studio predict MODEL PATH... [--json]"""

from __future__ import annotations

import argparse
import json
import sys

HELP = (
    "Say hot dog or not for image files and folders. MODEL is a .keras file or a dataset folder"
    " (its current model). Exit code 1 if any file could not be read (it still gets a line)."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a .keras model, or a dataset folder")
    parser.add_argument("paths", metavar="PATH", nargs="*", help="image files or folders")
    parser.add_argument(
        "--video",
        metavar="FILE",
        help="a video file: one JSON line per analysed frame (time_s, label, score), through the"
        " Live view's pipeline",
    )
    parser.add_argument(
        "--json", action="store_true", help="one JSON object a line: path, label, score (or error)"
    )


def image_paths(paths):
    """Files named explicitly, and the image files inside folders named."""
    from pathlib import Path

    from desktop_app.core.importer import iter_image_files
    from desktop_app.core.staging import IMAGE_EXTENSIONS

    for given in paths:
        if Path(given).is_dir():
            yield from (
                p for p in iter_image_files([given]) if p.suffix.lower() in IMAGE_EXTENSIONS
            )
        else:
            yield Path(given)


def run(args: argparse.Namespace) -> int:
    from desktop_app.ml.predict import Predictor
    from desktop_app.ml.runs import model_path_for

    if args.video:
        from desktop_app.ui.live.video_cli import predict_video

        predict_video(model_path_for(args.model), args.video)
        return 0
    if not args.paths:
        print("error: name image files or folders, or --video FILE.", file=sys.stderr)
        return 2
    predictor = Predictor(model_path_for(args.model))
    failed = 0
    for answer in predictor.predict_paths(list(image_paths(args.paths))):
        failed += "error" in answer
        if args.json:
            print(json.dumps(answer), flush=True)
        elif "error" in answer:
            print(f"error      {answer['path']}: {answer['error']}", flush=True)
        else:
            print(f"{answer['label']:<12} {answer['score']:.3f}  {answer['path']}", flush=True)
    if failed:
        print(f"{failed} file(s) could not be read.", file=sys.stderr)
    return 1 if failed else 0
