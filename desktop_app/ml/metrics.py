"""Validation metrics from class probabilities: accuracy, per-class precision/recall, confusion."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def evaluate(
    probabilities: np.ndarray, true: Sequence[int], classes: Sequence[str], hashes: Sequence[str]
) -> dict:
    """Metrics in run.json's shape; `score` of a misclassified image is its hot-dog probability."""
    true = np.asarray(true, dtype=int)
    n = len(classes)
    confusion = np.zeros((n, n), dtype=int)
    if len(true) == 0:
        return {
            "val_accuracy": None,
            "per_class": {},
            "confusion": confusion.tolist(),
            "misclassified": [],
        }
    predicted = probabilities.argmax(axis=1)
    np.add.at(confusion, (true, predicted), 1)
    per_class = {}
    for index, name in enumerate(classes):
        said = confusion[:, index].sum()
        support = confusion[index].sum()
        per_class[name] = {
            "precision": float(confusion[index, index] / said) if said else None,
            "recall": float(confusion[index, index] / support) if support else None,
            "support": int(support),
        }
    score_column = score_index(classes)
    misclassified = [
        {
            "hash": hashes[i],
            "true": classes[true[i]],
            "predicted": classes[predicted[i]],
            "score": float(probabilities[i, score_column]),
        }
        for i in np.nonzero(predicted != true)[0]
    ]
    return {
        "val_accuracy": float((predicted == true).mean()),
        "per_class": per_class,
        "confusion": confusion.tolist(),
        "misclassified": misclassified,
    }


def score_index(classes: Sequence[str]) -> int:
    """The column holding P(hot_dog): the class named hot_dog, else the first class."""
    return list(classes).index("hot_dog") if "hot_dog" in classes else 0
