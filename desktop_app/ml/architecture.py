"""A saved model's architecture as rows a person can read (the Train view's "Model architecture").

Recorded in run.json when the run is saved, while the model is in memory, so showing it later needs
neither Keras nor loading the model. The pretrained backbone is one row (its hundred-odd layers
say little); the head, the part trained here, is listed layer by layer.
"""

from __future__ import annotations


def summarize(model) -> list[dict]:
    """Rows of {layer, kind, output, params, trainable} for the model's layers, in order."""
    rows: list[dict] = []
    for layer in model.layers:
        nested = getattr(layer, "layers", None)
        if layer.name == "head" and nested:
            # Its own input layer only repeats the backbone's output.
            inner_layers = [inner for inner in nested if type(inner).__name__ != "InputLayer"]
            rows.extend(_row(inner, prefix="head › ") for inner in inner_layers)
        else:
            rows.append(_row(layer))
    return rows


def _row(layer, prefix: str = "") -> dict:
    kind = type(layer).__name__
    nested = getattr(layer, "layers", None)
    if nested:
        kind = f"{kind} · {len(nested)} layers"
    trainable = sum(_count(w) for w in layer.trainable_weights)
    return {
        "layer": prefix + layer.name,
        "kind": kind,
        "output": _shape(layer),
        "params": sum(_count(w) for w in layer.weights),
        "trainable": trainable,
    }


def _count(weight) -> int:
    size = 1
    for dim in weight.shape:
        size *= int(dim)
    return size


def _shape(layer) -> str:
    try:
        shape = layer.output.shape
    except (AttributeError, ValueError):
        return ""
    return "×".join("N" if dim is None else str(dim) for dim in shape)


def totals(rows: list[dict]) -> tuple[int, int]:
    """(all parameters, trainable parameters)."""
    return sum(r["params"] for r in rows), sum(r["trainable"] for r in rows)
