"""One rule for class weights in every fit: each class counts the same, however many photos."""

from __future__ import annotations

import numpy as np

from desktop_app.ml.class_balance import balanced_weights, sample_weights


def test_a_class_with_a_third_of_the_photos_weighs_twice_as_much_per_photo():
    labels = np.array([0, 0, 0, 0, 1, 1])
    weights = balanced_weights(labels, 2)
    assert np.allclose(weights, [6 / (2 * 4), 6 / (2 * 2)])
    per_photo = sample_weights(labels, 2)
    assert np.allclose(per_photo[labels == 0].sum(), per_photo[labels == 1].sum())


def test_a_class_without_photos_does_not_break_the_others():
    weights = balanced_weights(np.array([0, 0, 2]), 3)
    assert np.allclose(weights, [3 / (3 * 2), 1.0, 3 / (3 * 1)])
    assert sample_weights(np.array([0, 0, 2]), 3).dtype == np.float32
