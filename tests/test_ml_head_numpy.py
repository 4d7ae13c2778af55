"""The head's fit in NumPy (ADR 0013) against Keras' own: the same steps, the same callbacks."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_app.core.progress import CancelToken
from desktop_app.ml import head as head_module
from desktop_app.ml import head_numpy
from desktop_app.ml import model as models
from desktop_app.ml.callbacks import FeatureValidation, StopOnCancel
from desktop_app.ml.runtime import keras_module
from desktop_app.ml.training import TrainSettings


def _problem(seed: int, n: int = 48, dim: int = 24):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim)).astype("float32")
    y = head_module.one_hot((x[:, 0] + 0.3 * x[:, 1] > 0).astype("int32"), 2)
    weights = rng.uniform(0.5, 2.0, n).astype("float32")  # as class balancing weighs
    return x, y, weights


@pytest.mark.parametrize("hidden", [128, 0])
def test_numpy_steps_are_the_steps_keras_takes(hidden):
    """Dropout off (the masks are random on both sides), every other part of a step as Keras
    computes it: label-smoothed, sample-weighted loss with the L2 penalty, Adam's update."""
    keras = keras_module()
    settings = TrainSettings(batch_size=8, seed=3)
    head = models.build_head(24, 2, hidden=hidden, seed=3)
    for layer in head.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    head.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=head_module.LABEL_SMOOTHING),
        metrics=["accuracy"],
    )
    shape = head_numpy.layout(head)
    assert shape is not None and shape.input_dropout == 0.0
    assert shape.l2 == (1e-4 if hidden else 0.0)
    x, y, weights = _problem(1)
    smoothing = head_module.LABEL_SMOOTHING
    targets = y * (1 - smoothing) + smoothing / 2
    params = [np.array(w) for w in head.get_weights()]
    adam = head_numpy.AdamState(
        [np.zeros_like(p) for p in params], [np.zeros_like(p) for p in params]
    )
    grads = [np.empty_like(p) for p in params]
    rng = np.random.default_rng(0)
    for start in range(0, 48, 8):
        batch = slice(start, start + 8)
        keras_logs = head.train_on_batch(
            x[batch], y[batch], sample_weight=weights[batch], return_dict=True
        )
        loss, predicted = head_numpy._step(
            params, shape, x[batch], targets[batch], weights[batch], rng, grads
        )
        head_numpy.adam_step(params, adam, grads, settings.learning_rate)
        assert abs(loss - keras_logs["loss"]) < 1e-5
        right = (predicted == y[batch].argmax(1)).mean()
        assert right == pytest.approx(keras_logs["accuracy"])  # Keras' is not weighted by sample
        for ours, theirs in zip(params, head.get_weights(), strict=True):
            assert np.abs(ours - theirs).max() < 1e-5
    keras_loss, keras_accuracy = head.evaluate(x, y, verbose=0)
    loss, accuracy = head_numpy.evaluate(params, shape, x, y, smoothing)
    assert abs(loss - keras_loss) < 1e-5 and accuracy == pytest.approx(keras_accuracy)


def test_dropout_drops_its_share_and_scales_what_it_keeps():
    rng = np.random.default_rng(0)
    mask = head_numpy._keep_mask(rng, (400, 500), 0.3)
    assert set(np.unique(mask)) == {0.0, np.float32(1 / 0.7)}
    assert abs((mask == 0).mean() - 0.3) < 0.005
    assert abs(mask.mean() - 1.0) < 0.01  # the expected activation is unchanged


def test_a_numpy_fit_learns_and_feeds_the_callbacks_what_keras_fit_would():
    keras = keras_module()
    x, y, weights = _problem(2, n=200)
    xv, yv, _ = _problem(3, n=60)
    head = models.build_head(24, 2, seed=0)
    seen = []

    class Reads(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            # The weights the callbacks read are the fit's: validated by Keras, the same figures.
            check = FeatureValidation(xv, yv)
            check.set_model(self.model)
            self.model.compile(
                loss=keras.losses.CategoricalCrossentropy(
                    label_smoothing=head_module.LABEL_SMOOTHING
                )
            )
            theirs = {}
            check.on_epoch_end(epoch, theirs)
            seen.append((dict(logs), theirs))

    early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    head_numpy.fit(
        head,
        x,
        y,
        sample_weight=weights,
        batch_size=16,
        epochs=40,
        learning_rate=3e-3,
        label_smoothing=head_module.LABEL_SMOOTHING,
        callbacks=[Reads(), early],
        validation=(xv, yv),
    )
    assert seen and {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(seen[0][0])
    for logs, theirs in seen:
        assert abs(logs["val_loss"] - theirs["val_loss"]) < 1e-5
        assert logs["val_accuracy"] == pytest.approx(theirs["val_accuracy"])
    assert seen[-1][0]["loss"] < seen[0][0]["loss"]
    assert max(logs["val_accuracy"] for logs, _ in seen) >= 0.9
    # Early stopping put the best epoch's weights back into the Keras head.
    best = min(logs["val_loss"] for logs, _ in seen)
    shape = head_numpy.layout(head)
    restored, _ = head_numpy.evaluate(
        head.get_weights(), shape, xv, yv, head_module.LABEL_SMOOTHING
    )
    assert restored == pytest.approx(best, abs=1e-5)


def test_stop_ends_a_numpy_fit_after_the_epoch_it_was_pressed_in():
    x, y, weights = _problem(4, n=64)
    head = models.build_head(24, 2, seed=0)
    cancel = CancelToken()
    epochs = []
    keras = keras_module()
    presses = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: (epochs.append(epoch), epoch == 1 and cancel.cancel())
    )
    stop = StopOnCancel(cancel)
    head_numpy.fit(
        head,
        x,
        y,
        sample_weight=weights,
        batch_size=16,
        epochs=20,
        learning_rate=1e-3,
        label_smoothing=0.1,
        callbacks=[presses, stop],
    )
    assert epochs == [0, 1] and stop.stopped


def test_a_head_of_another_shape_is_left_to_keras():
    keras = keras_module()
    inputs = keras.Input((8,))
    odd = keras.Model(inputs, keras.layers.Dense(2, activation="sigmoid")(inputs))
    assert head_numpy.layout(odd) is None
    assert head_numpy.layout(models.build_head(8, 3, seed=0)) is not None


def test_heads_fit_in_numpy_on_a_cpu_unless_keras_is_asked_for(monkeypatch):
    monkeypatch.delenv("HOTDOG_RUNTIME", raising=False)
    assert head_numpy.applies()  # this machine has no GPU
    monkeypatch.setenv("HOTDOG_RUNTIME", "keras")
    assert not head_numpy.applies()


def test_a_head_built_differently_from_what_the_numpy_fit_knows_is_fitted_by_keras(monkeypatch):
    keras = keras_module()
    head_numpy.knows_build_head.cache_clear()

    def other_head(feature_dim, n_classes, hidden=128, seed=0):
        inputs = keras.Input((feature_dim,))
        hidden_layer = keras.layers.Dense(hidden, activation="tanh")(inputs)
        return keras.Model(
            inputs, keras.layers.Dense(n_classes, activation="softmax")(hidden_layer)
        )

    monkeypatch.setattr(models, "build_head", other_head)
    try:
        assert not head_numpy.applies()
    finally:
        head_numpy.knows_build_head.cache_clear()
