"""A model's anatomy, read from the Keras model itself: the backbone as blocks, the head as neurons.

The backbone's hundred-odd layers are grouped into the blocks their names give (MobileNetV2's
`block_7_*`, MobileNet's `conv_dw_7`/`conv_pw_7`, EfficientNet's `block3a_*`); layers before the
first block are the stem, those after the last the top. Each block says what it computes in a
sentence built from its layers' kinds and settings, so any backbone gets one without a table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from desktop_app.ml.architecture import _count

_BLOCK = re.compile(
    r"^(?:(block_?\d+[a-z]?)_|(expanded_conv(?:_\d+)?)_|conv_(?:dw|pw)_(\d+)(?:_|$))"
)


@dataclass(frozen=True)
class Part:
    """A block of the backbone, or one layer of the head."""

    name: str
    kind: str  # "stem", "block", "top", "pool", "preprocess", "dense", "dropout", ...
    output: str  # e.g. "18 × 18 × 48" or "128"
    trainable_params: int
    frozen_params: int
    layers: tuple[str, ...]
    computes: str  # one or two sentences a person reads
    units: int = 0  # neurons of a Dense layer
    weights: int = 0  # of a Dense layer: inputs × units
    biases: int = 0

    @property
    def params(self) -> int:
        return self.trainable_params + self.frozen_params

    def to_dict(self) -> dict:
        return {**self.__dict__, "layers": list(self.layers), "params": self.params}


@dataclass(frozen=True)
class Anatomy:
    backbone: str  # the backbone model's name
    input_size: int
    parts: list[Part] = field(default_factory=list)

    @property
    def backbone_parts(self) -> list[Part]:
        return [p for p in self.parts if p.kind in ("preprocess", "stem", "block", "top", "pool")]

    @property
    def head_parts(self) -> list[Part]:
        return [p for p in self.parts if p not in self.backbone_parts]

    def total_params(self) -> int:
        return sum(p.params for p in self.parts)


def block_key(layer_name: str) -> str | None:
    """The block a backbone layer belongs to by its name ("block_7"), None for unnamed ones."""
    match = _BLOCK.match(layer_name)
    if match is None:
        return None
    if match.group(3) is not None:  # MobileNet v1
        return f"block_{match.group(3)}"
    if match.group(2) is not None:  # MobileNetV2/V3's first block has no number
        number = match.group(2).removeprefix("expanded_conv").lstrip("_") or "0"
        return f"block_{number}"
    return match.group(1)


def anatomy(model) -> Anatomy:
    """The parts of a full model saved by training, input to output."""
    from desktop_app.ml.gradcam import _parts

    before, backbone, head = _parts(model)
    size = int(model.inputs[0].shape[1])
    parts = [_layer_part(layer, "preprocess") for layer in before if "augment" not in layer.name]
    parts += backbone_parts(backbone)
    parts += [_layer_part(layer) for layer in head.layers if _kind(layer) != "InputLayer"]
    return Anatomy(backbone=backbone.name, input_size=size, parts=parts)


def backbone_parts(backbone) -> list[Part]:
    """Stem, blocks, top, pool. An unnamed layer (a pad, an activation) joins the next block."""
    groups: list[tuple[str, list]] = []
    pending: list = []
    for layer in backbone.layers:
        if _kind(layer) == "InputLayer":
            continue
        key = block_key(layer.name)
        if key is None:
            pending.append(layer)
            continue
        if not groups and pending and _is_stem(pending):
            groups.append(("stem", pending))
            pending = []
        if groups and groups[-1][0] == key:
            groups[-1][1].extend([*pending, layer])
        else:
            groups.append((key, [*pending, layer]))
        pending = []
    pool = [layer for layer in pending if _kind(layer).startswith("Global")][-1:]
    rest = [layer for layer in pending if layer not in pool]
    if not groups:  # no block names (the small CNN): a stage ends at each pooling layer
        groups, rest = _stages(rest)
    groups += [(key, layers) for key, layers in (("top", rest), ("pool", pool)) if layers]
    return [_group_part(key, layers) for key, layers in groups]


def _stages(layers: list) -> tuple[list[tuple[str, list]], list]:
    stages: list[tuple[str, list]] = []
    current: list = []
    for layer in layers:
        current.append(layer)
        if "Pooling" in _kind(layer):
            stages.append((f"stage_{len(stages) + 1}", current))
            current = []
    return stages, current


def _is_stem(layers: list) -> bool:
    return any(_kind(layer).startswith("Conv") for layer in layers)


def _group_part(key: str, layers: list) -> Part:
    kind = key if key in ("stem", "top", "pool") else "block"
    trainable = sum(_count(w) for layer in layers for w in layer.trainable_weights)
    frozen = sum(_count(w) for layer in layers for w in layer.non_trainable_weights)
    sentences = [s for s in (_what(layer) for layer in layers) if s]
    computes = "; ".join(dict.fromkeys(sentences)) or "Passes its input on."
    return Part(
        name=key.replace("_", " "),
        kind=kind,
        output=_shape(layers[-1]),
        trainable_params=trainable,
        frozen_params=frozen,
        layers=tuple(layer.name for layer in layers),
        computes=computes[0].upper() + computes[1:] + ".",
    )


def _layer_part(layer, kind: str | None = None) -> Part:
    kind = kind or _kind(layer).lower()
    trainable = sum(_count(w) for w in layer.trainable_weights)
    frozen = sum(_count(w) for w in layer.non_trainable_weights)
    units = weights = biases = 0
    if _kind(layer) == "Dense":
        units = int(layer.units)
        weights = _count(layer.kernel)
        biases = _count(layer.bias) if layer.use_bias else 0
    what = _what(layer) or "passes its input on"
    return Part(
        name=layer.name,
        kind=kind,
        output=_shape(layer),
        trainable_params=trainable,
        frozen_params=frozen,
        layers=(layer.name,),
        computes=what[0].upper() + what[1:] + ".",
        units=units,
        weights=weights,
        biases=biases,
    )


def _kind(layer) -> str:
    return type(layer).__name__


def _shape(layer) -> str:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return "?"
    return "×".join(str(d) for d in shape[1:])


def _what(layer) -> str:
    """What one layer computes, in words; empty for layers that only reshape or pad."""
    kind = _kind(layer)
    config = layer.get_config()
    activation = config.get("activation")
    act = f", then {activation}" if activation not in (None, "linear") else ""
    if kind == "Conv2D":
        k = "×".join(map(str, config["kernel_size"]))
        stride = "" if tuple(config["strides"]) == (1, 1) else f" (stride {config['strides'][0]})"
        return f"{k} convolution to {config['filters']} channels{stride}{act}"
    if kind == "DepthwiseConv2D":
        k = "×".join(map(str, config["kernel_size"]))
        stride = "" if tuple(config["strides"]) == (1, 1) else f" (stride {config['strides'][0]})"
        return f"{k} depthwise convolution filtering each channel on its own{stride}{act}"
    if kind == "BatchNormalization":
        return "batch normalisation (each channel rescaled by statistics learned in training)"
    if kind == "ReLU":
        top = config.get("max_value")
        return f"ReLU{'6' if top == 6 else ''} (negatives set to zero{', capped at 6' if top == 6 else ''})"
    if kind == "Activation":
        return f"{config['activation']} activation"
    if kind == "Add":
        return "adds the block's input back (a residual connection)"
    if kind == "Multiply":
        return "rescales channels by a learned attention (squeeze-and-excitation)"
    if kind.startswith("GlobalAveragePooling") and config.get("keepdims"):
        return "squeezes each channel to its average over the picture (for the attention below)"
    if kind.startswith("GlobalAveragePooling"):
        return "averages each channel over the whole picture into one number: the feature vector"
    if kind.startswith("MaxPooling"):
        return "keeps the largest value of each 2×2 patch (halves width and height)"
    if kind == "Rescaling":
        return f"rescales pixels (×{config['scale']:.4g} + {config['offset']:.4g})"
    if kind == "Normalization":
        return "normalises pixels"
    if kind == "Dense":
        return f"{config['units']} neurons, each a weighted sum of every input plus its bias{act}"
    if kind == "Dropout":
        return f"while training only, silences a random {config['rate']:.0%} of its inputs"
    return ""
