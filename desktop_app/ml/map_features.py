"""The features a run's head was trained on, for photos of the dataset (the feature map's points).

A backbone that stayed frozen (fast mode, or a fine-tune that was undone) made the dataset's feature
cache: read it, embedding only photos labeled since. A fine-tuned backbone or the small CNN made
features no cache holds: run the model's own layers up to its head over every photo.
"""

from __future__ import annotations

import numpy as np

from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken, ProgressCallback
from desktop_app.ml.backbones import get_spec
from desktop_app.ml.runs import RunRecord
from desktop_app.ml.runtime import keras_module

EMBED_BATCH = 32


def load_model(record: RunRecord):
    """The run's model, loaded as safely as the Predictor loads one, with a "head" to evaluate."""
    from desktop_app.ml.safety import check_model_file

    check_model_file(record.model_path)
    keras = keras_module()
    try:
        model = keras.saving.load_model(record.model_path, safe_mode=True, compile=False)
    except Exception as error:  # anything Keras raises here means "this file is not usable"
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StudioError(f"Cannot load {record.model_path.name}: {reason[:300]}") from None
    try:
        model.get_layer("head")
    except ValueError:
        raise StudioError(f"{record.model_path.name} has no head layer to draw a map of.") from None
    return model


def frozen_backbone(record: RunRecord) -> bool:
    """Whether the model's backbone is the pretrained one whose features the cache holds."""
    spec = get_spec(record.backbone)
    mode = record.settings.get("mode")
    undone = record.metrics.get("finetune_improved") is False
    return spec.pretrained and (mode == "fast" or undone) and record.input_size == spec.input_size


def photo_features(
    dataset,
    record: RunRecord,
    model,
    items: list,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    allow_download: bool = True,
) -> tuple[list, np.ndarray, str]:
    """(items that have features, their N×D float32 features, "cache" or "model")."""
    if frozen_backbone(record):
        from desktop_app.ml.embedding import cached_features

        cache = cached_features(
            dataset,
            get_spec(record.backbone),
            items,
            progress=progress,
            cancel=cancel,
            allow_download=allow_download,
        )
        kept = [
            it for it in items if it.hash in cache.vectors
        ]  # photos that would not decode: none
        features = cache.get([it.hash for it in kept]) if kept else np.zeros((0, 0), np.float32)
        return kept, features, "cache"
    return (*_model_features(model, items, record.input_size, progress, cancel), "model")


def _model_features(model, items, size, progress, cancel):
    from desktop_app.ml.features import embed_paths
    from desktop_app.ml.forward import compiled_forward

    features, indices, _failures = embed_paths(
        compiled_forward(feature_part(model)),
        [it.path for it in items],
        size,
        batch_size=EMBED_BATCH,
        progress=progress,
        cancel=cancel,
    )
    return [items[i] for i in indices], np.asarray(features, np.float32)


def feature_part(model):
    """The saved model's layers before its head, as one model: raw RGB -> the head's inputs.
    Training saves a chain (input, preprocessing, backbone, head), so the layers are re-called
    in order on a fresh input."""
    keras = keras_module()
    inputs = keras.Input(tuple(model.inputs[0].shape[1:]), name="image")
    x = inputs
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if layer.name == "head":
            return keras.Model(inputs, x, name="features")
        x = layer(x)
    raise StudioError("The model has no head layer after its backbone.")
