"""Class weights that make each class count the same, however many photos it has: a class of n
photos out of N, among k classes, weighs N / (k·n). One rule for every fit in the app."""

from __future__ import annotations

import numpy as np


def balanced_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """float32 weight per class (1.0 for a class absent from labels, which weighs nothing)."""
    counts = np.bincount(np.asarray(labels, np.int64), minlength=n_classes).astype(np.float64)
    weights = np.where(counts > 0, counts.sum() / (n_classes * np.maximum(counts, 1)), 1.0)
    return weights.astype(np.float32)


def sample_weights(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Each photo's class weight: what Keras makes of `class_weight`, computed once instead of
    by a tf.data map on every batch (a sixth of a small head's epoch)."""
    labels = np.asarray(labels, np.int64)
    return balanced_weights(labels, n_classes)[labels]
