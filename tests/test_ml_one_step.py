"""Right and wrong, one step (ml/one_step.py): the same step a real Keras SGD optimizer takes on a
copy of the head, the real cross-entropy, gradients whose signs flip with the label, and the model
itself left untouched."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from ml_explained import keras_home, train_fast
from ml_synthetic import write_images

from desktop_app.core.imaging import load_array
from desktop_app.ml.explain import Explainer
from desktop_app.ml.metrics import score_index
from desktop_app.ml.one_step import one_step
from desktop_app.ml.runtime import keras_module

LR = 0.05


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(head, features of two drawn photos, classes) from one fast-mode training."""
    tmp = tmp_path_factory.mktemp("one_step")
    with keras_home(tmp / "keras_home") as tiny:
        _, record = train_fast(tmp, tiny)
        explainer = Explainer(record.model_path)
        photos = write_images(tmp / "new", "hot_dog", 1, seed=41)
        photos += write_images(tmp / "new", "not_hot_dog", 1, seed=41)
        pixels = np.stack([load_array(p, explainer.predictor.input_size) for p in photos])
        yield explainer.head, explainer.features_of(pixels), explainer.classes


def _keras_sgd_step(head, features, label, classes, lr):
    """What Keras itself does: a clone of the head, a GradientTape, SGD.apply_gradients."""
    import tensorflow as tf

    keras = keras_module()
    clone = keras.models.clone_model(head)
    clone.set_weights(head.get_weights())
    x = np.asarray(features, np.float32)[None]
    y = np.eye(len(classes), dtype=np.float32)[[classes.index(label)]]
    with tf.GradientTape() as tape:
        loss = keras.losses.CategoricalCrossentropy()(y, clone(x, training=False))
    gradients = tape.gradient(loss, clone.trainable_variables)
    keras.optimizers.SGD(learning_rate=lr).apply_gradients(
        zip(gradients, clone.trainable_variables, strict=True)
    )
    return clone, float(loss), np.asarray(clone(x, training=False))[0]


@pytest.mark.parametrize("label", ["hot_dog", "not_hot_dog"])
def test_the_step_is_a_keras_sgd_step_on_a_copy_and_the_model_is_untouched(trained, label):
    head, features, classes = trained
    before = [w.copy() for w in head.get_weights()]
    step = one_step(head, features[0], label, classes, LR)
    clone, keras_loss, keras_after = _keras_sgd_step(head, features[0], label, classes, LR)
    assert step.loss_before == pytest.approx(keras_loss, abs=1e-6)
    assert step.score_after == pytest.approx(float(keras_after[score_index(classes)]), abs=1e-6)
    np.testing.assert_allclose(step.probabilities_after, keras_after, atol=1e-6)
    assert len(step.weights) == len(clone.trainable_variables) == 4  # both Dense layers
    for ours, theirs in zip(step.weights, clone.trainable_variables, strict=True):
        np.testing.assert_allclose(ours.after, np.asarray(theirs), atol=1e-6)
    for now, then in zip(head.get_weights(), before, strict=True):
        np.testing.assert_array_equal(now, then)


def test_the_loss_is_the_categorical_cross_entropy_and_the_step_lowers_it(trained):
    head, features, classes = trained
    for label in classes:
        step = one_step(head, features[1], label, classes, LR)
        right = float(step.probabilities_before[classes.index(label)])
        assert step.loss_before == pytest.approx(-math.log(right), abs=1e-5)
        assert step.loss_after < step.loss_before
        np.testing.assert_allclose(
            step.probabilities_before, np.asarray(head(features[1:2], training=False))[0], atol=1e-6
        )


def test_flipping_the_label_flips_every_gradient_sign(trained):
    head, features, classes = trained
    yes = one_step(head, features[0], "hot_dog", classes, LR)
    no = one_step(head, features[0], "not_hot_dog", classes, LR)
    for ours, flipped in zip(yes.weights, no.weights, strict=True):
        np.testing.assert_array_equal(np.sign(ours.gradient), -np.sign(flipped.gradient))
        np.testing.assert_array_equal(ours.direction, -flipped.direction)
    # The final layer's bias always moves: towards hot dog for the one label, away for the other.
    assert yes.final_bias.direction.tolist() == [1, -1]
    assert no.final_bias.direction.tolist() == [-1, 1]
    assert np.count_nonzero(yes.final_kernel.direction) > 0
    assert yes.score_after > yes.score_before and no.score_after < no.score_before


def test_the_summary_says_what_happened_in_one_sentence(trained):
    head, features, classes = trained
    yes = one_step(head, features[0], "hot_dog", classes, LR)
    said = re.fullmatch(
        r"The model said (\d+)% hot dog and the label is hot dog: these connections get stronger,"
        r" and the next guess is (\d+)%\.",
        yes.summary,
    )
    assert said, yes.summary
    assert int(said[1]) == round(100 * yes.score_before)
    assert int(said[2]) == round(100 * yes.score_after)
    no = one_step(head, features[0], "not_hot_dog", classes, LR)
    assert "the label is not hot dog: the connections that voted hot dog get weaker" in no.summary


def test_a_head_without_hidden_layer_and_a_wrong_label(tmp_path):
    from desktop_app.ml import model as models

    head = models.build_head(6, 2, hidden=0, seed=2)
    features = np.linspace(0.0, 1.0, 6, dtype=np.float32)
    step = one_step(head, features, "not_hot_dog", ["hot_dog", "not_hot_dog"], 0.5)
    assert [(w.layer, w.name) for w in step.weights] == [
        ("probabilities", "kernel"),
        ("probabilities", "bias"),
    ]
    _, _, keras_after = _keras_sgd_step(
        head, features, "not_hot_dog", ["hot_dog", "not_hot_dog"], 0.5
    )
    assert step.score_after == pytest.approx(float(keras_after[0]), abs=1e-6)
    with pytest.raises(ValueError, match="cat"):
        one_step(head, features, "cat", ["hot_dog", "not_hot_dog"])
