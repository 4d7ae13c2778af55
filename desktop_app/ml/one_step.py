"""Right and wrong, one step (issue #14, section 5): one photo's forward pass through the head, its
cross-entropy loss against a label, the gradient of that loss for every trainable weight of the
head, the weights after one plain SGD step, and the new score. The real model is never changed:
the head runs statelessly on arrays (Layer.stateless_call), before and after the step.

"Stronger" and "weaker" are the sign of each weight's change (after - before): a connection gets
stronger when the step raises its weight (it pushes its output up more), weaker when it lowers it.
The change is -learning_rate × gradient, so with two classes flipping the label flips every sign.

The step is the lesson's plain one: cross-entropy without the label smoothing and L2 penalty that
training adds, and Dropout off, so it shows exactly how this photo's own verdict moves the weights.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from desktop_app.ml.autodiff import value_and_gradients
from desktop_app.ml.metrics import score_index
from desktop_app.ml.runtime import keras_module

LEARNING_RATE = 0.05  # big enough on one photo for the score to move visibly, small enough to creep


@dataclass(frozen=True)
class WeightStep:
    layer: str  # the head layer's name, e.g. "dense" or "probabilities"
    name: str  # "kernel" or "bias"
    before: np.ndarray
    gradient: np.ndarray  # d loss / d weight
    after: np.ndarray  # before - learning_rate × gradient

    @property
    def change(self) -> np.ndarray:
        return self.after - self.before

    @property
    def direction(self) -> np.ndarray:
        """+1 where the connection gets stronger, -1 weaker, 0 untouched (an input that was 0)."""
        return np.sign(self.change).astype(np.int8)


@dataclass(frozen=True)
class OneStep:
    classes: list[str]
    label: str  # the label the step learns from
    learning_rate: float
    probabilities_before: np.ndarray
    probabilities_after: np.ndarray
    score_before: float  # P(hot_dog) before the step
    score_after: float  # ... and the next guess, after it
    loss_before: float  # categorical cross-entropy -log p(label)
    loss_after: float
    weights: list[WeightStep]  # every trainable weight of the head, in layer order
    summary: str

    def of(self, layer: str, name: str) -> WeightStep:
        return next(w for w in self.weights if w.layer == layer and w.name == name)

    @property
    def final_kernel(self) -> WeightStep:
        return [w for w in self.weights if w.name == "kernel"][-1]

    @property
    def final_bias(self) -> WeightStep:
        return [w for w in self.weights if w.name == "bias"][-1]


def one_step(
    head, features, label: str, classes: Sequence[str], learning_rate: float = LEARNING_RATE
) -> OneStep:
    """One SGD step on the head for one photo's features (its pooled backbone output)."""
    keras = keras_module()
    classes = list(classes)
    if label not in classes:
        raise ValueError(f"label {label!r} is not one of the model's classes {classes}")
    x = np.asarray(features, np.float32).reshape(1, -1)
    target = np.eye(len(classes), dtype=np.float32)[[classes.index(label)]]
    names = _weight_names(head)
    trainable = [_numpy(v) for v in head.trainable_variables]
    frozen = [_numpy(v) for v in head.non_trainable_variables]

    def probabilities(values):
        outputs, _ = head.stateless_call(values, frozen, x, training=False)
        return outputs

    def loss(values):
        return keras.ops.mean(keras.losses.categorical_crossentropy(target, probabilities(values)))

    loss_before, gradients = value_and_gradients(loss, trainable)
    after = [w - learning_rate * g for w, g in zip(trainable, gradients, strict=True)]
    p_before = _numpy(probabilities(trainable))[0]
    p_after = _numpy(probabilities(after))[0]
    column = score_index(classes)
    step = OneStep(
        classes=classes,
        label=label,
        learning_rate=float(learning_rate),
        probabilities_before=p_before,
        probabilities_after=p_after,
        score_before=float(p_before[column]),
        score_after=float(p_after[column]),
        loss_before=loss_before,
        loss_after=float(_numpy(loss(after))),
        weights=[
            WeightStep(layer, name, w, g, a)
            for (layer, name), w, g, a in zip(names, trainable, gradients, after, strict=True)
        ],
        summary="",
    )
    return _with_summary(step, classes[column])


def _with_summary(step: OneStep, scored: str) -> OneStep:
    """'The model said 31% hot dog and the label is hot dog: these connections get stronger,
    and the next guess is 38%.'"""
    said, label = _words(scored), _words(step.label)
    change = (
        "these connections get stronger"
        if step.label == scored
        else f"the connections that voted {said} get weaker"
    )
    text = (
        f"The model said {_percent(step.score_before)} {said} and the label is {label}:"
        f" {change}, and the next guess is {_percent(step.score_after)}."
    )
    return replace(step, summary=text)


def _weight_names(head) -> list[tuple[str, str]]:
    """(layer name, weight name) for each of head.trainable_variables, in that order."""
    owner = {
        id(variable): layer.name for layer in head.layers for variable in layer.trainable_variables
    }
    return [(owner.get(id(v), "?"), v.name) for v in head.trainable_variables]


def _numpy(value) -> np.ndarray:
    keras = keras_module()
    return np.asarray(keras.ops.convert_to_numpy(getattr(value, "value", value)), np.float32)


def _words(class_name: str) -> str:
    return class_name.replace("_", " ")


def _percent(p: float) -> str:
    """Whole percent, but never a rounded-off certainty: 99.7% reads 99.7%, not 100%."""
    value = 100 * p
    if 0.5 <= value <= 99.5 or value in (0.0, 100.0):
        return f"{value:.0f}%"
    return f"{value:.1f}%" if 0.05 <= value <= 99.95 else f"{value:.2f}%"
