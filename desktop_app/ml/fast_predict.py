"""A saved fast-mode model's forward pass with its backbone on XNNPACK and its head in Keras.

Fast mode never changes the ImageNet backbone, so the flatbuffer training converted for embedding
(ml/litert_backbone.py) is the saved model's backbone too; the head is a few small dense layers.
The pair is used only if it gives the saved model's own probabilities on a probe picture, so a
fine-tuned or foreign model, whose backbone differs, keeps the plain Keras path. A flatbuffer
is not converted here (that takes ~15 s): a model trained on another machine predicts with Keras.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from desktop_app.ml.forward import compiled_forward
from desktop_app.ml.litert_backbone import (
    LiteRTForward,
    agrees,
    cache_dir,
    flatbuffer_key,
    unavailable_reason,
)
from desktop_app.ml.runtime import keras_module


def xnnpack_forward(
    model, info: dict, keras_forward: Callable[[np.ndarray], np.ndarray]
) -> Callable[[np.ndarray], np.ndarray] | None:
    """backbone (XNNPACK) then head (Keras) for `model`, or None where that cannot be trusted."""
    backbone_forward = xnnpack_backbone(model, info)
    if backbone_forward is None:
        return None
    try:
        head_forward = compiled_forward(_head(model))
    except Exception:  # an odd model: Keras it is
        return None

    def forward(batch: np.ndarray) -> np.ndarray:
        return head_forward(backbone_forward(batch))

    size = backbone_forward.input_size
    return forward if agrees(forward, keras_forward, size) else None


def xnnpack_backbone(model, info: dict) -> LiteRTForward | None:
    """The saved fast-mode model's backbone as its cached flatbuffer (raw RGB -> pooled features),
    or None. Unchecked: xnnpack_forward checks the pair; ml/explain.py reuses the Predictor's."""
    if (info.get("settings") or {}).get("mode") != "fast" or unavailable_reason() is not None:
        return None
    try:
        from desktop_app.ml.backbones import get_spec
        from desktop_app.ml.weights import resolve_weights

        spec = get_spec(str(info.get("backbone")))
        if not spec.pretrained:
            return None
        size = int(model.input_shape[1])
        weights = resolve_weights(spec, allow_download=False)
        path = cache_dir() / f"{flatbuffer_key(spec.name, size, weights)}.tflite"
        if not path.is_file():
            return None
        return LiteRTForward(path)
    except Exception:  # no weights here, an unknown backbone, an odd model: Keras it is
        return None


def _head(model):
    keras = keras_module()
    head = model.get_layer("head")
    if not isinstance(head, keras.Model):
        raise ValueError("no head model")
    return head
