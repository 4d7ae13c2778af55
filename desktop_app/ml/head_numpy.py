"""The fast-mode head's fit in NumPy on a CPU: the steps Keras' fit() takes, at a quarter of the cost.

On a CPU, TensorFlow spends ~2.7 ms on each of the head's tiny steps (a 32 x 1280 batch), mostly
per-op overhead; the same arithmetic in NumPy takes ~0.7 ms. A first model's 600-1,800 steps
are then a fraction of a second instead of several seconds (ADR 0013). The head stays a Keras
model: its weights are read from it before the fit and written back after every epoch, so the
Keras callbacks (curves, weight history, early stopping, Stop) see and restore them as in fit(),
and the saved model is the same Keras model.

What is computed is Keras' own training of build_head()'s layers, read off the model itself:
Dropout, Dense + ReLU with an L2 kernel penalty, Dropout, Dense + softmax; label-smoothed
categorical cross-entropy weighted by sample, averaged over the batch ("sum_over_batch_size"),
plus the penalty; Keras' Adam update. A test holds one step equal to Keras' train_on_batch.
A head of any other shape, a GPU, or HOTDOG_RUNTIME=keras keeps Keras' fit().
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

import numpy as np

from desktop_app.ml.runtime import keras_module

ADAM_BETA_1, ADAM_BETA_2, ADAM_EPSILON = 0.9, 0.999, 1e-7  # keras.optimizers.Adam's defaults


@dataclass(frozen=True)
class Layout:
    """build_head()'s layers as this fit needs them."""

    input_dropout: float
    hidden_dropout: float | None  # None: no hidden layer
    l2: float  # the hidden kernel's L2 factor


@dataclass
class AdamState:
    """Adam's moments and step count for one head; kept with a kept head, so that a warm start
    goes on from them as a compiled Keras head's optimizer would."""

    m: list[np.ndarray] = field(default_factory=list)
    v: list[np.ndarray] = field(default_factory=list)
    iterations: int = 0


def applies() -> bool:
    """Whether heads train here in NumPy: on a CPU, unless HOTDOG_RUNTIME=keras asks for Keras,
    and only while model.build_head() makes a head whose layers this fit knows."""
    if os.environ.get("HOTDOG_RUNTIME", "").lower() == "keras":
        return False
    from desktop_app.ml.devices import gpu_names, is_distributed

    return not gpu_names() and not is_distributed() and knows_build_head()


@functools.cache
def knows_build_head() -> bool:
    """A head changed in model.build_head() and not here is fitted by Keras, never wrongly."""
    from desktop_app.ml import model as models

    return layout(models.build_head(4, 2)) is not None


def layout(head) -> Layout | None:
    """The head's layers as a Layout, or None when they are not build_head()'s (Keras fits it)."""
    keras = keras_module()
    layers = [layer for layer in head.layers if not isinstance(layer, keras.layers.InputLayer)]
    kinds = [type(layer).__name__ for layer in layers]
    if kinds not in (["Dropout", "Dense"], ["Dropout", "Dense", "Dropout", "Dense"]):
        return None
    dense = [layer for layer in layers if isinstance(layer, keras.layers.Dense)]
    dropout = [layer for layer in layers if isinstance(layer, keras.layers.Dropout)]
    activations = [keras.activations.relu] * (len(dense) - 1) + [keras.activations.softmax]
    for layer, activation in zip(dense, activations, strict=True):
        if layer.activation is not activation or not layer.use_bias:
            return None
        if layer.bias_regularizer is not None or layer.activity_regularizer is not None:
            return None
        if layer.dtype_policy.compute_dtype != "float32":
            return None
    if dense[-1].kernel_regularizer is not None or any(d.noise_shape for d in dropout):
        return None
    l2 = 0.0
    if len(dense) == 2 and dense[0].kernel_regularizer is not None:
        regularizer = dense[0].kernel_regularizer
        if not isinstance(regularizer, keras.regularizers.L2):
            return None
        l2 = float(regularizer.l2)
    return Layout(
        input_dropout=float(dropout[0].rate),
        hidden_dropout=float(dropout[1].rate) if len(dense) == 2 else None,
        l2=l2,
    )


def fit(
    head,
    x: np.ndarray,
    y: np.ndarray,
    *,
    sample_weight: np.ndarray,
    batch_size: int,
    epochs: int,
    learning_rate: float,
    label_smoothing: float,
    callbacks=(),
    validation: tuple[np.ndarray, np.ndarray] | None = None,
    adam: AdamState | None = None,
    seed: int = 0,
) -> None:
    """head.fit(x, y, sample_weight=..., shuffle=True) for a build_head() head, in NumPy.

    y is one-hot. Each epoch's logs hold loss and accuracy (means over the epoch, as Keras
    keeps them) and, with validation, val_loss and val_accuracy (callbacks.FeatureValidation's
    figures). The batch callbacks run after every step, so the curves get every batch's loss;
    Stop is honoured after the batch it comes in, then the epoch ends as in fit()."""
    shape = layout(head)
    if shape is None:
        raise ValueError(f"{head.name} is not a head this fit knows")
    params = [np.array(w, np.float32) for w in head.get_weights()]
    adam = adam if adam is not None else AdamState()
    if not adam.m:
        adam.m = [np.zeros_like(p) for p in params]
        adam.v = [np.zeros_like(p) for p in params]
    rng = np.random.default_rng(seed)
    x = np.asarray(x, np.float32)
    n_classes = y.shape[1]
    targets = np.asarray(y, np.float32) * (1 - label_smoothing) + label_smoothing / n_classes
    labels = y.argmax(1)
    weights = np.asarray(sample_weight, np.float32)
    scratch = [np.empty_like(p) for p in params]
    head.stop_training = False
    for callback in callbacks:
        callback.set_model(head)
    for callback in callbacks:
        callback.on_train_begin()
    for epoch in range(epochs):
        for callback in callbacks:
            callback.on_epoch_begin(epoch)
        order = rng.permutation(len(x))
        loss_sum, right, seen = 0.0, 0, 0
        for batch, start in enumerate(range(0, len(x), batch_size)):
            rows = order[start : start + batch_size]  # gathered a batch at a time: no copy of x
            loss, predicted = _step(
                params, shape, x[rows], targets[rows], weights[rows], rng, scratch
            )
            adam_step(params, adam, scratch, learning_rate)  # _step left the gradients there
            loss_sum += loss * len(rows)
            right += int((predicted == labels[rows]).sum())
            seen += len(rows)
            # As Keras keeps them: means over the epoch so far, the loss over rows, the accuracy
            # not weighted by sample.
            logs = {"loss": loss_sum / seen, "accuracy": right / seen}
            for callback in callbacks:
                callback.on_train_batch_end(batch, logs)
            if head.stop_training:  # Stop: after this batch, then the epoch's end, as in fit()
                break
        head.set_weights(params)  # what the callbacks read (and early stopping restores)
        if validation is not None and len(validation[0]):
            logs["val_loss"], logs["val_accuracy"] = evaluate(
                params, shape, validation[0], validation[1], label_smoothing
            )
        for callback in callbacks:
            callback.on_epoch_end(epoch, logs)
        if head.stop_training:
            break
    for callback in callbacks:
        callback.on_train_end()


def _step(params, shape: Layout, x, targets, weights, rng, grads):
    """One forward and backward pass on a batch: the batch loss (with the penalty) and each row's
    predicted class; the gradients are written into `grads`."""
    n = len(x)
    hidden = shape.hidden_dropout is not None
    a0 = x * _keep_mask(rng, x.shape, shape.input_dropout)
    if hidden:
        w1, b1, w2, b2 = params
        h = a0 @ w1
        h += b1
        np.maximum(h, 0, out=h)
        kept = _keep_mask(rng, h.shape, shape.hidden_dropout)
        a1 = h * kept
    else:
        w2, b2 = params
        a1 = a0
    logits = a1 @ w2
    logits += b2
    log_p = _log_softmax(logits)
    per_row = -(targets * log_p).sum(1)
    loss = float(weights @ per_row) / n
    # d loss / d logits of softmax + cross-entropy: (p - target), each row weighted, over n.
    g_logits = (np.exp(log_p) - targets) * (weights / n)[:, None]
    np.matmul(a1.T, g_logits, out=grads[-2])
    np.sum(g_logits, 0, out=grads[-1])
    if hidden:
        loss += shape.l2 * float(np.vdot(w1, w1))
        g_h = g_logits @ w2.T
        g_h *= kept  # through the dropout (0 or 1/keep) ...
        g_h *= h > 0  # ... and the ReLU
        np.matmul(a0.T, g_h, out=grads[0])
        grads[0] += (2 * shape.l2) * w1
        np.sum(g_h, 0, out=grads[1])
    return loss, logits.argmax(1)


def _keep_mask(rng, shape, rate: float) -> np.ndarray:
    """Dropout's mask: 0 for a dropped unit, 1/(1-rate) for a kept one (Keras' scaling)."""
    if rate <= 0:
        return np.ones(shape, np.float32)
    keep = rng.random(shape, dtype=np.float32) >= rate
    return keep * np.float32(1 / (1 - rate))


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(1, keepdims=True))


def adam_step(params, adam: AdamState, grads, learning_rate: float) -> None:
    """Keras' Adam update, in place (keras/optimizers/adam.py, without amsgrad)."""
    adam.iterations += 1
    t = adam.iterations
    alpha = np.float32(learning_rate * np.sqrt(1 - ADAM_BETA_2**t) / (1 - ADAM_BETA_1**t))
    for p, m, v, g in zip(params, adam.m, adam.v, grads, strict=True):
        m += (g - m) * np.float32(1 - ADAM_BETA_1)
        v += (g * g - v) * np.float32(1 - ADAM_BETA_2)
        p -= (m * alpha) / (np.sqrt(v) + np.float32(ADAM_EPSILON))


def evaluate(params, shape: Layout, x, y, label_smoothing: float) -> tuple[float, float]:
    """(val_loss, val_accuracy) without dropout: mean smoothed cross-entropy plus the penalty,
    as Keras' evaluate (and callbacks.FeatureValidation) gives them."""
    x = np.asarray(x, np.float32)
    if shape.hidden_dropout is not None:
        w1, b1, w2, b2 = params
        x = np.maximum(x @ w1 + b1, 0)
    else:
        w2, b2 = params
    log_p = _log_softmax(x @ w2 + b2)
    n_classes = y.shape[1]
    targets = y * (1 - label_smoothing) + label_smoothing / n_classes
    loss = float(-(targets * log_p).sum(1).mean())
    if shape.hidden_dropout is not None:
        loss += shape.l2 * float(np.vdot(params[0], params[0]))
    return loss, float((log_p.argmax(1) == y.argmax(1)).mean())
