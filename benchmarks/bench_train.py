"""Training benchmark on ../shared/data/hotdog with ../shared/weights. Prints one JSON object.

    .venv/bin/python benchmarks/bench_train.py [--skip-recipe] [--skip-finetune] [--epochs 10]
                                               [--skip-keras-first] [--after-warm-up]

Measured in the same run, on the same machine (it is shared and noisy, so compare ratios):
- time to a first model in fast mode (backbone on XNNPACK where it runs), against the XNNPACK floor
  (decode every image + the interpreter alone; the flatbuffer converted and checked before, as on
  any machine after its first training), the Keras floor (decode + one plain Keras forward pass),
  the same first model with the backbone on Keras (HOTDOG_RUNTIME=keras, on a copy of the
  dataset, afterwards), and the usual Keras recipe (image_dataset_from_directory + frozen
  backbone + fit, same epochs);
- retraining after ten new labels;
- a cold retrain on the cached features with default settings, its head fitted in NumPy and
  again by Keras (HOTDOG_RUNTIME=keras), with both held-out accuracies;
- accuracy on a held-out fifth (split by file hash; never imported), overall and on the food
  negatives (manifest groups ending in "food"), in fast and fine-tune modes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

from shared_data import PHOTOS, WEIGHTS, scratch_dir, use_shared_weights


def held_out(entry_hash: str) -> bool:
    return int(entry_hash[:8], 16) % 5 == 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--backbone", default=None, help="default: the app's default backbone")
    parser.add_argument("--skip-recipe", action="store_true")
    parser.add_argument("--skip-finetune", action="store_true")
    parser.add_argument("--finetune-epochs", type=int, default=4)
    parser.add_argument(
        "--skip-keras-first", action="store_true", help="no first model with Keras to compare"
    )
    parser.add_argument(
        "--after-warm-up",
        action="store_true",
        help="first the window's start-up warm-up (embedding.warm_up), as when Train is pressed"
        " in the window; without it, a first model as `hotdog-studio train` makes it",
    )
    options = parser.parse_args()
    if not PHOTOS.is_dir() or not WEIGHTS.is_dir():
        print(json.dumps({"skipped": f"needs {PHOTOS} and {WEIGHTS}"}))
        return 0
    scratch = scratch_dir("bench-train-")
    use_shared_weights(scratch)

    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
    from desktop_app.ml.devices import describe_device
    from desktop_app.ml.training import TrainSettings, train

    options.backbone = options.backbone or DEFAULT_BACKBONE

    manifest = json.loads((PHOTOS / "manifest.json").read_text())
    for entry in manifest:
        entry["hash"] = hashlib.sha256((PHOTOS / entry["file"]).read_bytes()).hexdigest()
    test = [e for e in manifest if held_out(e["hash"])]
    pool = [e for e in manifest if not held_out(e["hash"])]
    late = pool[:: max(1, len(pool) // 10)][:10]  # ten labels added after the first model
    first = [e for e in pool if e not in late]

    dataset = Dataset.create(scratch / "dataset")
    for entry in first:
        dataset.add_file(PHOTOS / entry["file"], entry["label"])
    result: dict = {
        "device": describe_device(),
        "backbone": options.backbone,
        "images": len(first),
        "held_out": len(test),
        "epochs": options.epochs,
    }

    spec = get_spec(options.backbone)
    paths = [PHOTOS / e["file"] for e in first]
    result["keras_floor_s"] = round(floor_seconds(spec, paths), 2)
    xnnpack = xnnpack_floor(spec, paths)  # also converts the flatbuffer the runs below use
    result.update(xnnpack)
    print(json.dumps(result), file=sys.stderr, flush=True)  # progress: a slow device shows where

    if options.after_warm_up:
        from desktop_app.ml.embedding import warm_up

        start = time.perf_counter()
        result["warmed_up"] = warm_up(spec, TrainSettings(backbone=options.backbone))
        result["warm_up_s"] = round(time.perf_counter() - start, 2)
    start = time.perf_counter()
    phases = PhaseClock()
    run = train(
        dataset, TrainSettings(backbone=options.backbone, epochs=options.epochs), progress=phases
    )
    result["first_model_s"] = round(time.perf_counter() - start, 2)
    result["first_model_phases_s"] = phases.seconds(time.perf_counter())
    result["runtime"] = run.runtime
    floor = result.get("xnnpack_floor_s") or result["keras_floor_s"]
    result["first_model_vs_floor"] = round(result["first_model_s"] / floor, 3)
    result["first_model_epochs_run"] = len(run.curves["loss"])
    result["first_model_val_accuracy"] = run.metrics["val_accuracy"]
    result["first_model"] = held_out_accuracy(run.model_path, test)
    print(json.dumps(result), file=sys.stderr, flush=True)

    for entry in late:
        dataset.add_file(PHOTOS / entry["file"], entry["label"])
    start = time.perf_counter()
    run = train(dataset, TrainSettings(backbone=options.backbone, epochs=options.epochs))
    result["retrain_after_10_s"] = round(time.perf_counter() - start, 2)
    result["retrain_embedded"] = run.metrics["embedded_images"]

    result["retrain_warm_start"] = run.metrics.get("warm_start")
    start = time.perf_counter()
    # Default settings, cached features, nothing new: the head starts afresh (a cold retrain).
    run = train(dataset, TrainSettings(backbone=options.backbone))
    cold_s = round(time.perf_counter() - start, 2)
    result["fast"] = held_out_accuracy(run.model_path, test)
    result["fast"]["seconds"] = cold_s
    result["fast"]["epochs_run"] = len(run.curves["loss"])
    result["fast"]["head_fit"] = run.metrics.get("head_fit")
    print(json.dumps(result), file=sys.stderr, flush=True)
    if run.metrics.get("head_fit") == "NumPy":
        # The same cold retrain (same features, same split) with the head fitted by Keras.
        os.environ["HOTDOG_RUNTIME"] = "keras"
        start = time.perf_counter()
        run = train(dataset, TrainSettings(backbone=options.backbone))
        keras_s = round(time.perf_counter() - start, 2)
        del os.environ["HOTDOG_RUNTIME"]
        result["fast_keras_head"] = held_out_accuracy(run.model_path, test)
        result["fast_keras_head"]["seconds"] = keras_s
        result["fast_keras_head"]["epochs_run"] = len(run.curves["loss"])
        print(json.dumps(result), file=sys.stderr, flush=True)

    if "xnnpack_floor_s" in result and not options.skip_keras_first:
        # The same first model with the backbone on Keras, on a copy of the dataset (the same
        # photos, an empty feature cache, no earlier run to warm-start from). It runs after the
        # XNNPACK one so that one starts with nothing of this process's kept (backbone, traced
        # head); this one reuses the kept frozen backbone (about a second of its time).
        keras_dataset = Dataset.create(scratch / "keras-dataset")
        for entry in first:
            keras_dataset.add_file(PHOTOS / entry["file"], entry["label"])
        os.environ["HOTDOG_RUNTIME"] = "keras"
        start = time.perf_counter()
        run = train(keras_dataset, TrainSettings(backbone=options.backbone, epochs=options.epochs))
        result["first_model_keras_s"] = round(time.perf_counter() - start, 2)
        result["first_model_keras"] = held_out_accuracy(run.model_path, test)
        del os.environ["HOTDOG_RUNTIME"]
        keras_dataset.close()
        print(json.dumps(result), file=sys.stderr, flush=True)

    if not options.skip_recipe:
        result["recipe_s"] = round(recipe_seconds(spec, dataset.root, options.epochs), 2)
        result["recipe_vs_fast"] = round(result["recipe_s"] / result["first_model_s"], 2)
        print(json.dumps(result), file=sys.stderr, flush=True)
    if not options.skip_finetune:
        start = time.perf_counter()
        settings = TrainSettings(
            backbone=options.backbone, mode="finetune", epochs=options.finetune_epochs
        )
        run = train(dataset, settings)
        result["finetune"] = held_out_accuracy(run.model_path, test)
        result["finetune"]["seconds"] = round(time.perf_counter() - start, 1)
        result["finetune"]["epochs_run"] = len(run.curves["loss"])
        result["finetune"]["finetune_improved"] = run.metrics.get("finetune_improved")
    dataset.close()
    result["targets"] = {
        "first_model_s": "<= 25",
        "first_model_vs_floor": "<= 1.3",
        "recipe_vs_fast": ">= 5",
        "retrain_after_10_s": "< 3",
        "overall": ">= 0.985",
        "food_negatives": ">= 0.97",
    }
    print(json.dumps(result))
    return 0


class PhaseClock:
    """A progress callback noting when each phase of a training begins: where its time goes."""

    def __init__(self) -> None:
        self.starts: dict[str, float] = {"start": time.perf_counter()}

    def __call__(self, event) -> None:
        self.starts.setdefault(event.phase, time.perf_counter())

    def seconds(self, end: float) -> dict:
        ordered = sorted(self.starts.items(), key=lambda item: item[1])
        ends = [t for _, t in ordered[1:]] + [end]
        return {name: round(stop - t, 2) for (name, t), stop in zip(ordered, ends, strict=True)}


def xnnpack_floor(spec, paths) -> dict:
    """Decode every image (the training pipeline's pool) + the XNNPACK interpreter alone; and the
    one-time conversion. {} where the runtime cannot run here (a GPU, another backend)."""
    from desktop_app.ml.backbones import build_backbone
    from desktop_app.ml.features import embed_paths
    from desktop_app.ml.litert_backbone import fast_forward, flatbuffer_key, unavailable_reason
    from desktop_app.ml.model import feature_extractor
    from desktop_app.ml.weights import resolve_weights

    if unavailable_reason() is not None:
        return {"xnnpack": f"not used: {unavailable_reason()}"}
    weights = resolve_weights(spec)
    extractor = feature_extractor(
        spec, build_backbone(spec, weights, spec.input_size), spec.input_size
    )
    start = time.perf_counter()
    # Converted and checked against Keras, as a machine's first training does once: the first
    # model below then starts as every later one on this machine does.
    forward = fast_forward(
        extractor,
        flatbuffer_key(spec.name, spec.input_size, weights),
        reference=extractor.predict_on_batch,
    )
    converted = time.perf_counter() - start
    start = time.perf_counter()
    embed_paths(forward, paths, spec.input_size, pad=False)
    return {
        "xnnpack_floor_s": round(time.perf_counter() - start, 2),
        "conversion_s": round(converted, 2),
    }


def floor_seconds(spec, paths) -> float:
    """Decode every image (same thread pool as training) + one plain forward pass of the backbone."""
    import numpy as np

    from desktop_app.ml.backbones import build_backbone
    from desktop_app.ml.features import decoded_batches
    from desktop_app.ml.model import feature_extractor
    from desktop_app.ml.weights import resolve_weights

    extractor = feature_extractor(
        spec, build_backbone(spec, resolve_weights(spec), spec.input_size), spec.input_size
    )
    extractor.predict(np.zeros((64, spec.input_size, spec.input_size, 3), np.float32), verbose=0)
    start = time.perf_counter()
    images = np.concatenate([b for _, b, _ in decoded_batches(paths, spec.input_size, 64)])
    extractor.predict(images, batch_size=64, verbose=0)
    return time.perf_counter() - start


def recipe_seconds(spec, root: Path, epochs: int) -> float:
    """The usual Keras recipe, as a user would write it (tf.data allowed here: it is theirs)."""
    import keras

    from desktop_app.ml.backbones import build_backbone, preprocessing_layer
    from desktop_app.ml.weights import resolve_weights

    if keras.backend.backend() != "tensorflow":
        # tf.data below loads TensorFlow, which would otherwise claim the GPU memory the active
        # backend (e.g. JAX, which preallocates 75%) already holds.
        import tensorflow as tf

        tf.config.set_visible_devices([], "GPU")
    start = time.perf_counter()
    size = spec.input_size
    train_ds, val_ds = keras.utils.image_dataset_from_directory(
        root,
        class_names=["hot_dog", "not_hot_dog"],
        image_size=(size, size),
        batch_size=32,
        validation_split=0.2,
        subset="both",
        seed=0,
    )
    backbone = build_backbone(spec, resolve_weights(spec), size)
    backbone.trainable = False
    inputs = keras.Input((size, size, 3))
    x = preprocessing_layer(spec)(inputs)
    x = backbone(x, training=False)
    x = keras.layers.Dropout(0.2)(x)
    outputs = keras.layers.Dense(2, activation="softmax")(x)
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=0)
    model.save(scratch_dir("bench-recipe-") / "recipe.keras")
    return time.perf_counter() - start


def held_out_accuracy(model_path: Path, test: list[dict]) -> dict:
    from desktop_app.ml.predict import Predictor

    predictor = Predictor(model_path)
    answers = list(predictor.predict_paths([PHOTOS / e["file"] for e in test]))
    right = [a.get("label") == e["label"] for a, e in zip(answers, test, strict=True)]
    food = [r for r, e in zip(right, test, strict=True) if e["group"].endswith("food")]
    return {
        "overall": round(sum(right) / len(right), 4),
        "food_negatives": round(sum(food) / len(food), 4) if food else None,
        "food_count": len(food),
        "errors": len(right) - sum(right),
    }


if __name__ == "__main__":
    raise SystemExit(main())
