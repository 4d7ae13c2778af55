"""Does a loaded model fit the app? One square RGB image in, one probability per class out, and
classes (from the sidecar, or the two defaults) that match its outputs and its run."""

from __future__ import annotations

from desktop_app.ml.model_errors import ModelMismatch

MIN_SIZE, MAX_SIZE = 8, 2048  # pixels a side; the app squashes every frame to this square


def fitting_classes_and_size(model, info: dict, name: str, defaults: list[str]):
    """(classes, input size) for a model the app can use; raises ModelMismatch saying why not."""
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ModelMismatch(
            f"{name} takes {len(model.inputs)} input(s) and gives {len(model.outputs)} output(s);"
            " the app needs one image in and one set of class probabilities out."
        )
    shape = tuple(model.inputs[0].shape)
    square_rgb = len(shape) == 4 and shape[3] == 3 and shape[1] is not None and shape[1] == shape[2]
    if not square_rgb or not MIN_SIZE <= shape[1] <= MAX_SIZE:
        raise ModelMismatch(
            f"{name} takes input of shape {_shape(shape)}; the app feeds it square RGB images"
            f" (N×N×3, N from {MIN_SIZE} to {MAX_SIZE})."
        )
    out = tuple(model.outputs[0].shape)
    if len(out) != 2 or out[1] is None:
        raise ModelMismatch(f"{name} outputs shape {_shape(out)}, not one probability per class.")
    size, outputs = int(shape[1]), int(out[1])
    classes = info.get("classes") if "classes" in info else None
    if classes is None and outputs != len(defaults):
        raise ModelMismatch(
            f"{name} has {outputs} outputs and no sidecar (run.json or {name.rsplit('.', 1)[0]}.json)"
            f" naming its classes; without one the app can only assume {' / '.join(defaults)}."
        )
    classes = defaults if classes is None else classes
    if not _names(classes):
        raise ModelMismatch(
            f"{name}: its sidecar's classes should be two or more different names, not {classes!r:.80}."
        )
    if len(classes) != outputs:
        raise ModelMismatch(
            f"{name}: the sidecar names {len(classes)} classes, the model {outputs}."
        )
    expected = info.get("input_size")
    if expected is not None and expected != size:
        raise ModelMismatch(
            f"{name}: its sidecar says {expected!r:.20} pixels a side, the model takes {size}."
        )
    return list(classes), size


def _names(classes) -> bool:
    return (
        isinstance(classes, list)
        and len(classes) >= 2
        and all(isinstance(c, str) and c.strip() for c in classes)
        and len(set(classes)) == len(classes)
    )


def _shape(shape) -> str:
    return "×".join("any" if d is None else str(d) for d in shape[1:]) or "a scalar"
