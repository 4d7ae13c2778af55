"""The labeled photos that excite one input of the head's final layer most ("click a vote").

Reads the dataset's cached backbone features for the model's backbone and size (the ones fast-mode
training made, ml/features.py) and runs only the head on them: no backbone pass, a few ms for
thousands of photos. A fine-tuned or from-scratch model changed its backbone, so those cached
features are not what it sees: it gets a clear error instead of a wrong answer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.core.errors import StudioError
from desktop_app.ml.features import FeatureCache, cache_key

PHOTOS = 8


@dataclass(frozen=True)
class ExcitingPhoto:
    hash: str
    label: str
    activation: float  # the input's value for this photo (h_j)


def exciting_photos(explainer, dataset, unit: int, count: int = PHOTOS) -> list[ExcitingPhoto]:
    """The `count` labeled photos with the highest value of the final layer's input `unit`."""
    predictor = explainer.predictor
    mode = (predictor.info.get("settings") or {}).get("mode")
    if mode != "fast" or not predictor.backbone:
        raise StudioError(
            "Only a fast-mode model reads the cached features; this one trained its backbone too."
        )
    cache = FeatureCache(dataset.studio_dir, cache_key(predictor.backbone, predictor.input_size))
    items = [item for name in dataset.classes for item in dataset.items(name)]
    items = [item for item in items if item.hash in cache.vectors]
    if not items:
        raise StudioError(
            f"No cached {predictor.backbone} features in this dataset: train it once in fast mode."
        )
    inputs = explainer.final_inputs(cache.get([item.hash for item in items]))
    if not 0 <= unit < inputs.shape[1]:
        raise ValueError(f"unit {unit} is not one of the final layer's {inputs.shape[1]} inputs")
    column = inputs[:, unit]
    best = np.argsort(-column, kind="stable")[:count]
    return [ExcitingPhoto(items[i].hash, items[i].label, float(column[i])) for i in best]
