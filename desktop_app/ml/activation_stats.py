"""How strongly a layer fired for one photo: mean, peak and share of silent (exactly zero) units.

For the "Under the hood" view and `hotdog-studio explain`. The head's layers come from the explained
forward pass itself; a few backbone layers come from one extra Keras pass through a probe model
(feature maps are large, so only their statistics are kept).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from desktop_app.ml.runtime import keras_module

BACKBONE_LAYERS = 4  # evenly spaced through the backbone, its last feature map included
_FIRING = ("ReLU", "Activation")  # the layers whose output is an activation map


@dataclass(frozen=True)
class LayerStats:
    part: str  # "backbone", "features" (the pooled vector the head reads) or "head"
    name: str
    kind: str  # the Keras layer class
    shape: tuple[int, ...]  # one photo's activations
    mean: float
    max: float
    zero_share: float  # share of units exactly zero (silenced by a ReLU)

    def to_dict(self) -> dict:
        row = asdict(self)
        row["shape"] = list(self.shape)
        return row


def stats_of(part: str, name: str, kind: str, activation) -> LayerStats:
    values = np.asarray(activation, np.float64)
    return LayerStats(
        part=part,
        name=name,
        kind=kind,
        shape=tuple(int(d) for d in values.shape),
        mean=float(values.mean()) if values.size else 0.0,
        max=float(values.max()) if values.size else 0.0,
        zero_share=float(np.mean(values == 0)) if values.size else 0.0,
    )


class BackboneProbe:
    """Preprocessed image -> statistics of a few of the backbone's feature maps (Keras)."""

    def __init__(self, backbone, count: int = BACKBONE_LAYERS) -> None:
        keras = keras_module()
        maps = [
            layer
            for layer in backbone.layers
            if not isinstance(layer, keras.layers.InputLayer) and _is_map(layer)
        ]
        firing = [layer for layer in maps if _fires(layer)] or maps
        picks = sorted({round(i) for i in np.linspace(0, len(firing) - 1, count)}) if firing else []
        self.layers = [firing[i] for i in picks]
        self._model = (
            keras.Model(backbone.inputs, [layer.output for layer in self.layers])
            if self.layers
            else None
        )

    def __call__(self, preprocessed: np.ndarray) -> list[LayerStats]:
        if self._model is None:
            return []
        keras = keras_module()
        outputs = self._model(preprocessed, training=False)
        if not isinstance(outputs, (list, tuple)):
            outputs = [outputs]
        return [
            stats_of(
                "backbone", layer.name, type(layer).__name__, keras.ops.convert_to_numpy(out)[0]
            )
            for layer, out in zip(self.layers, outputs, strict=True)
        ]


def _is_map(layer) -> bool:
    try:
        return len(layer.output.shape) == 4
    except (AttributeError, ValueError):  # a layer used twice has no single output
        return False


def _fires(layer) -> bool:
    if type(layer).__name__ in _FIRING:
        return True
    activation = getattr(layer, "activation", None)
    return activation is not None and getattr(activation, "__name__", "linear") != "linear"
