"""One photo's forward pass, layer by layer: what the Under the hood view draws.

Activation maps of a few backbone blocks (the strongest channels, each scaled to 0..1 on its own
so faint and loud channels both show), the pooled feature vector, every Dense layer's neurons in
the head, and the probabilities. All from the same Keras model the prediction comes from.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.ml.anatomy import backbone_parts
from desktop_app.ml.runtime import keras_module

MAPS_PER_LAYER = 16


@dataclass(frozen=True)
class LayerMaps:
    block: str  # the anatomy's block name ("block 7")
    layer: str  # the Keras layer whose output this is
    shape: tuple[int, int, int]  # height, width, channels of the whole output
    channels: tuple[int, ...]  # which channels `maps` shows, strongest first
    maps: np.ndarray  # len(channels) x height x width float32 in 0..1


@dataclass(frozen=True)
class ForwardPass:
    maps: list[LayerMaps]
    features: np.ndarray  # the pooled feature vector the head reads
    head: list[tuple[str, np.ndarray]]  # (Dense layer name, its neurons' outputs), input to output
    probabilities: np.ndarray
    classes: list[str]

    def score(self, column: int) -> float:
        return float(self.probabilities[column])


def map_blocks(model) -> list[tuple[str, str]]:
    """(block name, its last layer) for every block whose output is still a picture (4-D)."""
    from desktop_app.ml.gradcam import _parts

    _before, backbone, _head = _parts(model)
    blocks = []
    for part in backbone_parts(backbone):
        layer = backbone.get_layer(part.layers[-1])
        if len(layer.output.shape) == 4:
            blocks.append((part.name, layer.name))
    return blocks


def default_blocks(blocks: list[tuple[str, str]], count: int = 4) -> list[tuple[str, str]]:
    """`count` blocks spread from the first to the last: edges, then parts, then objects."""
    if len(blocks) <= count:
        return blocks
    picks = np.linspace(0, len(blocks) - 1, count).round().astype(int)
    return [blocks[i] for i in dict.fromkeys(picks.tolist())]


class ForwardPassModel:
    """Built once per model (and block choice); Keras models are not thread-safe: one thread.

    Every pass is one compiled call of a model with all the taps as outputs: raw pixels in; the
    chosen blocks' maps, the pooled features and every Dense layer's neurons out."""

    def __init__(self, model, classes: list[str]) -> None:
        from desktop_app.ml.gradcam import _parts

        self.model, self.classes = model, classes
        before, self.backbone, self.head = _parts(model)
        self.before = [layer for layer in before if "augment" not in layer.name]
        self.blocks = map_blocks(model)
        self._chosen: tuple[tuple[str, str], ...] = ()
        self._taps = None
        self._dense = [layer for layer in self.head.layers if type(layer).__name__ == "Dense"]
        self._dense_names = [layer.name for layer in self._dense]

    def _taps_for(self, chosen: tuple[tuple[str, str], ...]):
        if chosen != self._chosen or self._taps is None:
            from desktop_app.ml.forward import compiled_forward

            keras = keras_module()
            maps = [self.backbone.get_layer(layer).output for _block, layer in chosen]
            backbone_taps = keras.Model(self.backbone.inputs, [*maps, self.backbone.outputs[0]])
            head_taps = keras.Model(self.head.inputs[0], [d.output for d in self._dense])
            inputs = keras.Input(self.model.input_shape[1:])
            x = inputs
            for layer in self.before:
                x = layer(x)
            *tapped, features = _as_list(backbone_taps(x))
            neurons = _as_list(head_taps(features))
            self._taps = compiled_forward(keras.Model(inputs, [*tapped, features, *neurons]))
            self._chosen = chosen
        return self._taps

    def run(self, image: np.ndarray, blocks: list[tuple[str, str]] | None = None) -> ForwardPass:
        """image: input_size x input_size x 3 uint8 (or float 0..255)."""
        chosen = tuple(blocks if blocks is not None else default_blocks(self.blocks))
        x = np.asarray(image, dtype=np.float32)[None]
        outs = self._taps_for(chosen)(x)
        tapped, features = outs[: len(chosen)], outs[len(chosen)]
        heads = [np.asarray(h)[0] for h in outs[len(chosen) + 1 :]]
        maps = [
            _strongest(block, layer, t[0]) for (block, layer), t in zip(chosen, tapped, strict=True)
        ]
        return ForwardPass(
            maps=maps,
            features=features[0],
            head=list(zip(self._dense_names, heads, strict=True)),
            probabilities=heads[-1],
            classes=list(self.classes),
        )


def _as_list(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _strongest(block: str, layer: str, output: np.ndarray) -> LayerMaps:
    """The MAPS_PER_LAYER channels with the largest mean activation, each scaled to 0..1."""
    order = np.argsort(-output.mean(axis=(0, 1)))[:MAPS_PER_LAYER]
    picked = np.moveaxis(output[:, :, order], -1, 0).astype(np.float32)
    low = picked.min(axis=(1, 2), keepdims=True)
    span = picked.max(axis=(1, 2), keepdims=True) - low
    scaled = np.where(span > 0, (picked - low) / np.where(span > 0, span, 1), 0.0)
    return LayerMaps(block, layer, tuple(output.shape), tuple(order.tolist()), scaled)
