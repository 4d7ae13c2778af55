"""Which backbone and input size classify the real photos best? Prints one JSON object.

    .venv/bin/python benchmarks/backbone_cv.py [mobilenet_v2_0.5@288 mobilenet_v2_0.35@224 ...]

The held-out fifth (bench_train.py's split by file hash) has 609 photos: one error is 0.16 points,
and a different seed moves a result by 2-3 errors, so it cannot rank choices that differ by a few
errors. This script ranks them on 5-fold cross-validation over the other 2,381 photos (each photo
predicted once by a head that never saw it), with the app's own feature extractor and head
(fast mode: cached features, class weights, early stopping on an inner 20%), and reports the
held-out fifth beside it. Not a test: it takes about a minute per choice on a 2-core CPU.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path

import numpy as np
from shared_data import PHOTOS, WEIGHTS, scratch_dir, use_shared_weights

FOLDS = 5


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "choices", nargs="*", default=["mobilenet_v2_0.5@288", "mobilenet_v2_0.35@224"]
    )
    parser.add_argument("--seeds", type=int, default=2, help="head seeds averaged per choice")
    options = parser.parse_args()
    if not PHOTOS.is_dir() or not WEIGHTS.is_dir():
        print(json.dumps({"skipped": f"needs {PHOTOS} and {WEIGHTS}"}))
        return 0
    use_shared_weights(scratch_dir("backbone-cv-"))
    manifest = json.loads((PHOTOS / "manifest.json").read_text())
    digests = [hashlib.sha256((PHOTOS / e["file"]).read_bytes()).hexdigest() for e in manifest]
    held_out = np.array([int(d[:8], 16) % 5 == 0 for d in digests])
    fold = np.array([int(d[8:16], 16) % FOLDS for d in digests])
    labels = np.array([e["label"] == "hot_dog" for e in manifest], dtype="int32")
    food = np.array([e["group"].endswith("food") for e in manifest])
    paths = [PHOTOS / e["file"] for e in manifest]

    result: dict = {"photos": len(paths), "cv_photos": int((~held_out).sum()), "choices": {}}
    for choice in options.choices:
        name, _, size = choice.partition("@")
        start = time.perf_counter()
        features = embed(name, int(size) if size else None, paths)
        embed_s = time.perf_counter() - start
        cv_errors, cv_food, test_errors, test_food = [], [], [], []
        for seed in range(options.seeds):
            wrong = cross_validated_errors(features, labels, held_out, fold, seed)
            cv_errors.append(int(wrong[~held_out].sum()))
            cv_food.append(int(wrong[~held_out & food].sum()))
            test_errors.append(int(wrong[held_out].sum()))
            test_food.append(int(wrong[held_out & food].sum()))
        result["choices"][choice] = {
            "cv_errors_per_seed": cv_errors,
            "cv_accuracy": round(1 - np.mean(cv_errors) / (~held_out).sum(), 4),
            "cv_food_accuracy": round(1 - np.mean(cv_food) / (~held_out & food).sum(), 4),
            "held_out_errors_per_seed": test_errors,
            "held_out_food_errors_per_seed": test_food,
            "embed_s": round(embed_s, 1),
        }
        print(json.dumps(result["choices"][choice] | {"choice": choice}), file=sys.stderr)
    print(json.dumps(result))
    return 0


def embed(name: str, size: int | None, paths: list[Path]) -> np.ndarray:
    from desktop_app.ml.backbones import build_backbone, get_spec
    from desktop_app.ml.features import embed_paths
    from desktop_app.ml.model import feature_extractor
    from desktop_app.ml.weights import resolve_weights

    spec = get_spec(name)
    size = size or spec.input_size
    extractor = feature_extractor(spec, build_backbone(spec, resolve_weights(spec), size), size)
    features, indices, failures = embed_paths(extractor.predict_on_batch, paths, size)
    assert not failures and len(indices) == len(paths), failures
    return features


def cross_validated_errors(features, labels, held_out, fold, seed: int) -> np.ndarray:
    """A boolean per photo: wrong when predicted by a head fitted without it (CV on the pool;
    the held-out fifth by a head fitted on the whole pool)."""
    wrong = np.zeros(len(labels), bool)
    pool = np.flatnonzero(~held_out)
    splits = [(pool[fold[pool] != k], pool[fold[pool] == k]) for k in range(FOLDS)]
    splits.append((pool, np.flatnonzero(held_out)))
    for fit_on, predict_on in splits:
        probabilities = fit_head(features, labels, fit_on, seed).predict(
            features[predict_on], verbose=0, batch_size=512
        )
        wrong[predict_on] = probabilities.argmax(1) != labels[predict_on]
    return wrong


def fit_head(features, labels, fit_on, seed: int):
    """The app's fast-mode head, fitted on one fold (inner 20% for early stopping, class weights)."""
    from desktop_app.ml.training import TrainSettings

    return fit_fold_head(features[fit_on], labels[fit_on], 2, TrainSettings(seed=seed))


INNER_VALIDATION = 0.2  # of each fold's training part, for early stopping


def fit_fold_head(x, y, n_classes: int, settings):
    """The fast-mode head on one fold's training part, early-stopped on an inner share of it."""
    from desktop_app.ml import head as head_module
    from desktop_app.ml.class_balance import sample_weights
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    keras.utils.set_random_seed(settings.seed)
    order = np.random.default_rng(settings.seed).permutation(len(y))
    n_val = int(len(order) * INNER_VALIDATION)
    val, train = order[:n_val], order[n_val:]
    head = head_module.compiled_head(x.shape[1], n_classes, settings)
    head.fit(
        x[train],
        head_module.one_hot(y[train], n_classes),
        batch_size=settings.batch_size,
        epochs=settings.epochs,
        validation_data=(x[val], head_module.one_hot(y[val], n_classes)) if n_val else None,
        sample_weight=sample_weights(y[train], n_classes),
        verbose=0,
        callbacks=[
            keras.callbacks.EarlyStopping(
                monitor="val_loss" if n_val else "loss",
                patience=settings.patience,
                restore_best_weights=True,
            ),
        ],
    )
    return head


if __name__ == "__main__":
    raise SystemExit(main())
