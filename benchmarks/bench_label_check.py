"""Check labels on the real photos: how fast, and how many planted label errors it finds.

    .venv/bin/python benchmarks/bench_label_check.py [--planted 30]

Imports the 2,990 photos of ../shared/data/hotdog, files `--planted` of them (chosen by hash) under
the other class, then runs ml.label_check.check_labels with the default backbone: embedding every
photo in a fresh process (TensorFlow's import and the backbone's one-time XNNPACK conversion
included), then from the feature cache, then embedding every photo again with Keras loaded and
the backbone converted, as a new dataset's first check in the app is. Reference in the same run:
one fast-mode training on the same cached features. Quality: the share of planted errors that are
suspects, and of the top `planted` suspects that are planted (the rest are the set's own doubtful
photos). Prints one JSON object; not a test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time

from shared_data import PHOTOS, WEIGHTS, scratch_dir, use_shared_weights


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--planted", type=int, default=30)
    options = parser.parse_args()
    if not PHOTOS.is_dir() or not WEIGHTS.is_dir():
        print(json.dumps({"skipped": f"needs {PHOTOS} and {WEIGHTS}"}))
        return 0
    scratch = scratch_dir("bench-label-check-")
    use_shared_weights(scratch)

    from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, Dataset
    from desktop_app.ml.label_check import check_labels
    from desktop_app.ml.training import TrainSettings, train

    manifest = json.loads((PHOTOS / "manifest.json").read_text())
    for entry in manifest:
        entry["hash"] = hashlib.sha256((PHOTOS / entry["file"]).read_bytes()).hexdigest()
    flipped = {e["hash"] for e in sorted(manifest, key=lambda e: e["hash"])[: options.planted]}
    other = {HOT_DOG: NOT_HOT_DOG, NOT_HOT_DOG: HOT_DOG}
    dataset = Dataset.create(scratch / "dataset")
    for entry in manifest:
        label = other[entry["label"]] if entry["hash"] in flipped else entry["label"]
        dataset.add_file(PHOTOS / entry["file"], label)

    result: dict = {"photos": len(manifest), "planted": len(flipped)}
    start = time.perf_counter()
    check = check_labels(dataset)
    result["check_first_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    again = check_labels(dataset)
    result["check_cached_s"] = round(time.perf_counter() - start, 1)
    # As in the app on a new dataset: Keras loaded, the backbone converted once per machine.
    for cached in (dataset.studio_dir / "features").glob("*.npz"):
        cached.unlink()
    start = time.perf_counter()
    check_labels(dataset)
    result["check_first_keras_loaded_s"] = round(time.perf_counter() - start, 1)
    start = time.perf_counter()
    train(dataset, TrainSettings())
    result["reference_fast_train_cached_s"] = round(time.perf_counter() - start, 1)
    result["check_vs_train"] = round(
        result["check_cached_s"] / result["reference_fast_train_cached_s"], 2
    )
    result["deterministic"] = [s.hash for s in check.suspects] == [s.hash for s in again.suspects]

    suspects = [s.hash for s in check.suspects]
    result["suspects"] = len(suspects)
    result["planted_found"] = len(flipped & set(suspects))
    result["planted_recall"] = round(result["planted_found"] / len(flipped), 3)
    top = suspects[: len(flipped)]
    result["planted_in_top"] = len(flipped & set(top))
    result["planted_ranks"] = sorted(suspects.index(h) + 1 for h in flipped & set(suspects))
    by_hash = {e["hash"]: e for e in manifest}
    result["top_unplanted"] = [
        {"file": by_hash[s.hash]["file"], "labeled": s.label, "confidence": round(s.confidence, 3)}
        for s in check.suspects[: len(flipped) + 10]
        if s.hash not in flipped
    ][:10]
    dataset.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
