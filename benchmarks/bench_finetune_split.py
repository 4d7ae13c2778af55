"""Would caching the frozen bottom of the backbone make fine-tuning faster? (issue #12)
Prints one JSON object.

    .venv/bin/python benchmarks/bench_finetune_split.py [--photos 256] [--epochs 2] [--accuracy]

Fine-tune mode unfreezes the backbone's top quarter (ml.model.unfreeze_top) and trains it with
augmentation layers in front of the backbone. The bottom of the backbone then never changes, so
its output could be computed once per photo (on XNNPACK, as the frozen backbone is in fast mode)
and each epoch run only the top. Measured in one run, on the shared photos and weights:
- a fine-tune epoch over the pixels, as the app ran it before (augmentation, the whole backbone);
- the same epoch on cached bottom outputs (the top and head only, no augmentation: random
  flips, rotations, zooms and contrast act on pixels, so a cached bottom cannot have them);
- the one-time cost of that cache: the bottom through Keras predict, and through XNNPACK
  (conversion included, as on a machine's first fine-tune), and its size per photo;
- with --accuracy, what losing the augmentation costs: fine-tune mode as the app runs it (on
  the cached bottom, ml/cached_bottom.py) and as it ran before (over the pixels, augmented),
  each trained on the shared photos outside bench_train's held-out fifth and scored on it.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from shared_data import PHOTOS, WEIGHTS, scratch_dir, use_shared_weights


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--photos", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=2, help="timed epochs, after one to trace")
    parser.add_argument("--accuracy", action="store_true", help="also held-out accuracy (slow)")
    parser.add_argument("--finetune-epochs", type=int, default=4, help="with --accuracy")
    options = parser.parse_args()
    if not PHOTOS.is_dir() or not WEIGHTS.is_dir():
        print(json.dumps({"skipped": f"needs {PHOTOS} and {WEIGHTS}"}))
        return 0
    scratch = scratch_dir("bench-finetune-split-")
    use_shared_weights(scratch)

    from desktop_app.ml import model as models
    from desktop_app.ml.backbones import DEFAULT_BACKBONE, build_backbone, get_spec
    from desktop_app.ml.features import decoded_batches
    from desktop_app.ml.litert_backbone import LiteRTForward, convert, unavailable_reason
    from desktop_app.ml.map_history import split_backbone
    from desktop_app.ml.runtime import keras_module
    from desktop_app.ml.training import TrainSettings
    from desktop_app.ml.weights import resolve_weights

    keras = keras_module()
    spec = get_spec(DEFAULT_BACKBONE)
    size = spec.input_size
    settings = TrainSettings(mode="finetune")
    paths = sorted(PHOTOS.glob("*/*.jpg"))[:: max(1, 2990 // options.photos)][: options.photos]
    labels = np.array([p.parent.name == "hot_dog" for p in paths], np.int32)
    pixels = np.concatenate([b for _, b, _ in decoded_batches(paths, size, 64)])
    result: dict = {"backbone": spec.name, "photos": len(pixels), "epochs_timed": options.epochs}

    backbone = build_backbone(spec, resolve_weights(spec), size)
    result["unfrozen_layers"] = models.unfreeze_top(backbone)
    head = models.build_head(backbone.output_shape[-1], 2, seed=0)
    bottom, top = split_backbone(spec, backbone, size)
    result["cut_at"] = top.inputs[0].name if hasattr(top.inputs[0], "name") else "?"

    def epoch_seconds(model, x) -> float:
        model.compile(
            optimizer=keras.optimizers.Adam(settings.learning_rate * 0.1),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
        )
        model.fit(x, labels, batch_size=settings.batch_size, epochs=1, verbose=0)  # traces
        start = time.perf_counter()
        model.fit(x, labels, batch_size=settings.batch_size, epochs=options.epochs, verbose=0)
        return (time.perf_counter() - start) / options.epochs

    over_pixels = models.full_model(
        spec, backbone, head, size, models.augmentation_layers(settings.seed)
    )
    result["epoch_over_pixels_augmented_s"] = round(epoch_seconds(over_pixels, pixels), 2)

    start = time.perf_counter()
    cached = bottom.predict(pixels, batch_size=64, verbose=0)
    result["bottom_keras_s"] = round(time.perf_counter() - start, 2)
    result["bottom_bytes_per_photo"] = int(np.prod(cached.shape[1:])) * 4
    if unavailable_reason() is None:
        start = time.perf_counter()
        flat = LiteRTForward(convert(bottom, scratch / "bottom.tflite"))
        result["bottom_xnnpack_conversion_s"] = round(time.perf_counter() - start, 2)
        start = time.perf_counter()
        ours = flat(pixels.astype(np.float32))
        result["bottom_xnnpack_s"] = round(time.perf_counter() - start, 2)
        result["bottom_xnnpack_max_difference"] = float(np.abs(ours - cached).max())

    inputs = keras.Input(cached.shape[1:])
    on_cache = keras.Model(inputs, head(top(inputs)))
    result["epoch_on_cached_bottom_s"] = round(epoch_seconds(on_cache, cached), 2)
    result["epoch_speedup"] = round(
        result["epoch_over_pixels_augmented_s"] / result["epoch_on_cached_bottom_s"], 2
    )
    result["note"] = "the cached epoch has no augmentation; see the module docstring"
    if options.accuracy:
        result["accuracy"] = compare_fine_tune_paths(scratch, options.finetune_epochs)
    print(json.dumps(result))
    return 0


def compare_fine_tune_paths(scratch, epochs: int) -> dict:
    """Held-out accuracy and time of fine-tune mode as the app runs it (on the cached bottom, no
    augmentation) and as it ran before (over the pixels, with augmentation)."""
    import hashlib

    from bench_train import held_out, held_out_accuracy

    from desktop_app.core.dataset import Dataset
    from desktop_app.ml import cached_bottom, training
    from desktop_app.ml.training import TrainSettings

    manifest = json.loads((PHOTOS / "manifest.json").read_text())
    dataset = Dataset.create(scratch / "dataset")
    test = []
    for entry in manifest:
        digest = hashlib.sha256((PHOTOS / entry["file"]).read_bytes()).hexdigest()
        if held_out(digest):
            test.append(entry)
        else:
            dataset.add_file(PHOTOS / entry["file"], entry["label"])
    settings = TrainSettings(mode="finetune", epochs=epochs)
    scores = {}
    real_split = cached_bottom.split_for
    variants = (("cached_bottom", real_split), ("pixels_augmented", lambda *args: None))
    for name, split_for in variants:
        cached_bottom.split_for = split_for  # None: no split, so the pixels and augmentation
        try:
            start = time.perf_counter()
            run = training.train(dataset, settings)
        finally:
            cached_bottom.split_for = real_split
        scores[name] = held_out_accuracy(run.model_path, test)
        scores[name]["seconds"] = round(time.perf_counter() - start, 1)
        scores[name]["finetune_improved"] = run.metrics.get("finetune_improved")
    dataset.close()
    return scores


if __name__ == "__main__":
    raise SystemExit(main())
