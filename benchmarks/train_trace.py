"""Train once on a slice of the photo set and print every progress event with a timestamp.

    KERAS_BACKEND=jax HOTDOG_SHARED=../shared N=300 EPOCHS=10 MODE=fast python benchmarks/train_trace.py

A diagnostic, not a benchmark: it shows where the time of one training goes on a new device.
"""

import os
import sys
import time

from shared_data import PHOTOS, scratch_dir, use_shared_weights

START = time.time()


def log(*parts) -> None:
    print(f"{time.time() - START:7.1f}s", *parts, file=sys.stderr, flush=True)


def main() -> int:
    scratch = scratch_dir("train-trace-")
    use_shared_weights(scratch)

    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.training import TrainSettings, train

    photos = PHOTOS
    dataset = Dataset.create(scratch / "dataset")
    per_class = int(os.environ.get("N", "300"))
    for label in ("hot_dog", "not_hot_dog"):
        for path in sorted((photos / label).iterdir())[:per_class]:
            dataset.add_file(path, label)
    log("imported", dataset.counts())
    last_batch = [0.0]

    def progress(event) -> None:
        if event.kind == "batch" and time.time() - last_batch[0] < 2:
            return
        last_batch[0] = time.time()
        logs = {k: round(v, 4) if isinstance(v, float) else v for k, v in event.logs.items()}
        log(event.kind, event.phase, event.done, event.total, logs)

    settings = TrainSettings(
        epochs=int(os.environ.get("EPOCHS", "10")), mode=os.environ.get("MODE", "fast")
    )
    run = train(dataset, settings, progress=progress)
    log("done", run.status, run.metrics["val_accuracy"], run.device)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
