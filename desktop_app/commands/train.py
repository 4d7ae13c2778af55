"""hotdog-studio train DATASET [--backbone NAME] [--mode fast|finetune] [--epochs N] [--out MODEL.keras] [--json]"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from pathlib import Path

from desktop_app.commands._terminal import TerminalProgress
from desktop_app.ml.backbones import BACKBONES, DEFAULT_BACKBONE

HELP = "Train a classifier on a dataset's labeled images; the run is kept in the dataset's .studio/runs/."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dataset", metavar="DATASET", help="the dataset folder")
    parser.add_argument(
        "--backbone",
        default=DEFAULT_BACKBONE,
        metavar="NAME",
        help=f"pretrained backbone, or small_cnn to train from scratch (default: {DEFAULT_BACKBONE});"
        f" names: {', '.join(BACKBONES)}",
    )
    parser.add_argument(
        "--mode",
        choices=("fast", "finetune"),
        default="fast",
        help="fast: a head on cached backbone features (default); finetune: also train the backbone's top",
    )
    parser.add_argument("--epochs", type=_positive, default=30, metavar="N")
    parser.add_argument("--batch-size", type=_positive, default=32, metavar="N")
    parser.add_argument("--learning-rate", type=float, default=1e-3, metavar="LR")
    parser.add_argument(
        "--input-size",
        type=_positive,
        default=None,
        metavar="PX",
        help="input size in pixels (default: the backbone's own)",
    )
    parser.add_argument("--no-download", action="store_true", help="never download weights")
    parser.add_argument("--out", type=Path, metavar="MODEL.keras", help="also save the model here")
    parser.add_argument("--json", action="store_true", help="print the run as one JSON object")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    from desktop_app.core.dataset import Dataset
    from desktop_app.core.progress import CancelToken

    if args.out is not None and args.out.suffix != ".keras":
        print("error: --out must name a .keras file", file=sys.stderr)
        return 2
    from desktop_app.ml.devices import describe_device
    from desktop_app.ml.training import TrainSettings, train

    settings = TrainSettings(
        backbone=args.backbone,
        mode=args.mode,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        input_size=args.input_size,
        allow_download=not args.no_download,
    )
    cancel = CancelToken()
    previous = signal.signal(signal.SIGINT, _stop_handler(cancel))
    try:
        print(f"Training on {describe_device()}", file=sys.stderr)
        with Dataset.open(args.dataset, readonly=True) as dataset, TerminalProgress() as progress:
            record = train(dataset, settings, progress=progress, cancel=cancel, out=args.out)
    finally:
        signal.signal(signal.SIGINT, previous)
    summary = {
        "run": record.id,
        "status": record.status,
        "model": str(args.out or record.model_path),
        "backbone": record.backbone,
        "mode": settings.mode,
        "device": record.device,
        "runtime": record.runtime,
        "val_accuracy": record.metrics.get("val_accuracy"),
        "train_count": record.metrics.get("train_count"),
        "val_count": record.metrics.get("val_count"),
        "epochs_run": len(record.curves.get("loss", [])),
        "duration_s": record.duration_s,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        accuracy = summary["val_accuracy"]
        shown = f"{accuracy:.1%}" if accuracy is not None else "n/a (no validation images)"
        print(f"Run {record.id} {record.status}: validation accuracy {shown}.")
        print(f"Model: {summary['model']}")
    return 0


def _stop_handler(cancel):
    """First Ctrl+C stops training cleanly (the best model is kept); a second one aborts."""

    def handle(signum, frame):
        if cancel.cancelled:
            raise KeyboardInterrupt
        cancel.cancel()
        print("\nStopping after this batch… (Ctrl+C again to abort)", file=sys.stderr)

    return handle
