"""The current model's guesses for inbox photos, the fast way where the model allows.

A fast-mode model is the frozen backbone plus a small head, and the backbone's features are cached
per photo: its guess for a photo already embedded is the head alone on those features (no image
decoded), and a new photo is embedded once, into the same cache training reads. Any other model
(fine-tuned, or a network trained from scratch) predicts from the pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from desktop_app.core.progress import CancelToken, Progress, ProgressCallback, emit
from desktop_app.ml.backbones import BACKBONES
from desktop_app.ml.features import decoded_batches
from desktop_app.ml.runs import RunRecord

BATCH = 32


@dataclass
class Guesses:
    classes: list[str]
    probabilities: np.ndarray  # len(hashes) x classes; NaN rows: the photo would not decode
    features: np.ndarray | None  # len(hashes) x D backbone features when the fast way ran
    how: str  # "cached features + the model's head" or "the model, from the pixels"


def guess(
    dataset,
    items: Sequence,
    record: RunRecord,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    allow_download: bool = True,
) -> Guesses:
    from desktop_app.ml.predict import Predictor

    predictor = Predictor(record.model_path)
    head = _head_of(predictor.model) if is_fast(record) else None
    if head is not None:
        from desktop_app.ml.embedding import cached_features

        spec = BACKBONES[record.backbone]
        cache = cached_features(
            dataset, spec, items, progress=progress, cancel=cancel, allow_download=allow_download
        )
        return _from_features(predictor.classes, head, cache.vectors, items)
    return _from_pixels(predictor, items, progress, cancel)


def guess_live(
    dataset,
    items: Sequence,
    live,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    allow_download: bool = True,
) -> Guesses:
    """The guesses of a live head (ml/live_update.py) on the items' cached features."""
    from desktop_app.ml.embedding import cached_features

    spec = BACKBONES[live.backbone]
    cache = cached_features(
        dataset, spec, items, progress=progress, cancel=cancel, allow_download=allow_download
    )
    found = _from_features(live.classes, live.head, cache.vectors, items)
    found.how = "cached features + the live head"
    return found


def is_fast(record: RunRecord) -> bool:
    """A frozen pretrained backbone plus a head, at the size the feature cache is kept at."""
    spec = BACKBONES.get(record.backbone)
    return (
        record.settings.get("mode") == "fast"
        and spec is not None
        and spec.pretrained
        and record.input_size == spec.input_size  # the size the feature cache is kept at
    )


def _head_of(model):
    try:
        return model.get_layer("head")
    except ValueError:
        return None


def _from_features(classes, head, vectors, items) -> Guesses:
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    have = [i for i, it in enumerate(items) if it.hash in vectors]
    probabilities = np.full((len(items), len(classes)), np.nan, np.float32)
    features = None
    if have:
        x = np.stack([vectors[items[i].hash] for i in have]).astype(np.float32)
        out = np.concatenate(
            [
                keras.ops.convert_to_numpy(head(x[s : s + 1024], training=False))
                for s in range(0, len(x), 1024)
            ]
        )
        probabilities[have] = out
        features = np.zeros((len(items), x.shape[1]), np.float32)
        features[have] = x
    return Guesses(list(classes), probabilities, features, "cached features + the model's head")


def _from_pixels(predictor, items, progress, cancel) -> Guesses:
    paths = [it.path for it in items]
    probabilities = np.full((len(items), len(predictor.classes)), np.nan, np.float32)
    done = 0
    for good, batch, bad in decoded_batches(paths, predictor.input_size, BATCH, cancel):
        if len(good):
            probabilities[good] = predictor.probabilities(batch)
        done += len(good) + len(bad)
        emit(progress, Progress("guessing", done, len(paths)))
    return Guesses(list(predictor.classes), probabilities, None, "the model, from the pixels")
