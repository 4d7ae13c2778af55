"""The label-next order: which inbox photo teaches the model most if labeled now. Pure NumPy.

With no model yet (or only a few labels), typical and diverse photos come first: k-means over the
photos' features, then the most typical photo of each cluster in turn, largest cluster first, so
the first labels cover what the inbox holds. Once a model guesses, the photos it is least sure of
come first, but never one that looks like a photo just offered (diversity), and never two
near-duplicates in a row (labeling one settles the other).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

COLD_START_LABELS = 20  # fewer labels than this: a model's doubts mean little yet
KMEANS_ROUNDS = 25
DIVERSE_PICKS = 200  # the head of the list gets the (quadratic) diversity check
TOO_SIMILAR = 0.9  # centered cosine to a photo already offered: wait your turn
UNSURE_BELOW = 0.75  # top probability under this: "the model is unsure"


@dataclass(frozen=True)
class Pick:
    index: int  # into the photos given
    reason: str


def label_next_order(
    features: np.ndarray | None,
    probabilities: np.ndarray | None,
    class_names: Sequence[str],
    *,
    labeled: int,
    groups: Sequence[int] | None = None,
    seed: int = 0,
) -> list[Pick]:
    """Every photo once, best first. features: N x D (None: none cached); probabilities: N x
    classes from the current model (None: no model); labeled: labels the dataset has;
    groups: a near-duplicate group number per photo (-1 or unique numbers for none)."""
    n = (
        len(features)
        if features is not None
        else len(probabilities if probabilities is not None else [])
    )
    if n == 0:
        return []
    groups = list(groups) if groups is not None else list(range(n))
    if probabilities is not None and labeled >= COLD_START_LABELS:
        picks = most_uncertain(probabilities, class_names, features)
    elif features is not None:
        picks = typical_first(features, seed)
    else:
        picks = [Pick(i, "in import order (no features cached yet)") for i in range(n)]
    return no_two_in_a_row(picks, groups)


def typical_first(features: np.ndarray, seed: int = 0) -> list[Pick]:
    x = unit_rows(features)
    k = min(len(x), max(1, int(np.ceil(np.sqrt(len(x) / 2)))))
    assignment, centroids = kmeans(x, k, seed)
    members = []
    for cluster in range(k):
        inside = np.nonzero(assignment == cluster)[0]
        if len(inside):
            closeness = x[inside] @ centroids[cluster]
            members.append(inside[np.argsort(-closeness, kind="stable")].tolist())
    members.sort(key=lambda m: (-len(m), m[0]))
    picks = []
    for rank in range(max(len(m) for m in members)):  # each cluster's next most typical in turn
        for cluster in members:
            if rank < len(cluster):
                picks.append(Pick(cluster[rank], typical_reason(len(cluster))))
    return picks


def typical_reason(size: int) -> str:
    if size == 1:
        return "unlike any other unlabeled photo"
    return f"typical of a cluster of {size} unlabeled photos"


def most_uncertain(
    probabilities: np.ndarray, class_names: Sequence[str], features: np.ndarray | None
) -> list[Pick]:
    p = np.asarray(probabilities, np.float64)
    top2 = np.sort(p, axis=1)[:, -2:] if p.shape[1] > 1 else np.hstack([1 - p, p])
    margin = top2[:, -1] - top2[:, 0]  # 0: a coin toss, 1: certain
    order = np.argsort(margin, kind="stable").tolist()
    if features is not None and len(features) == len(p):
        order = spread_out(order, unit_rows(features))
    return [Pick(i, guess_reason(p[i], class_names)) for i in order]


def guess_reason(row: np.ndarray, class_names: Sequence[str]) -> str:
    best = int(np.argmax(row))
    name = class_names[best].replace("_", " ")
    sure = "unsure" if row[best] < UNSURE_BELOW else "fairly sure" if row[best] < 0.95 else "sure"
    return f"the model is {sure}: {row[best]:.0%} {name}"


def spread_out(order: list[int], unit: np.ndarray) -> list[int]:
    """The head of `order`, each next photo skipping any too similar to one already offered (it
    comes back as soon as nothing else is left near the front)."""
    head, rest = order[:DIVERSE_PICKS], order[DIVERSE_PICKS:]
    chosen: list[int] = []
    waiting = list(head)
    nearest = np.full(len(unit), -1.0)
    while waiting:
        pick = next((i for i in waiting if nearest[i] < TOO_SIMILAR), waiting[0])
        waiting.remove(pick)
        chosen.append(pick)
        nearest = np.maximum(nearest, unit @ unit[pick])
    return chosen + rest


def no_two_in_a_row(picks: list[Pick], groups: Sequence[int]) -> list[Pick]:
    """Moves a near-duplicate of the photo before it to the next place where it is not one."""
    waiting = list(picks)
    placed: list[Pick] = []
    while waiting:
        last = groups[placed[-1].index] if placed else None
        at = next((k for k, p in enumerate(waiting) if groups[p.index] != last), 0)
        placed.append(waiting.pop(at))
    return placed


def unit_rows(features: np.ndarray) -> np.ndarray:
    x = np.asarray(features, np.float32)
    x = x - x.mean(0, keepdims=True)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-8)


def kmeans(x: np.ndarray, k: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Spherical k-means on unit rows, k-means++ start: (cluster per row, unit centroids)."""
    rng = np.random.default_rng(seed)
    centroids = [x[rng.integers(len(x))]]
    for _ in range(1, k):
        distance = np.maximum(0.0, 1 - np.max(x @ np.stack(centroids).T, axis=1))
        total = distance.sum()
        index = rng.choice(len(x), p=distance / total) if total > 0 else rng.integers(len(x))
        centroids.append(x[index])
    c = np.stack(centroids)
    assignment = np.zeros(len(x), dtype=int)
    for _ in range(KMEANS_ROUNDS):
        assignment = np.argmax(x @ c.T, axis=1)
        moved = np.stack(
            [x[assignment == j].sum(0) if (assignment == j).any() else c[j] for j in range(k)]
        )
        moved /= np.maximum(np.linalg.norm(moved, axis=1, keepdims=True), 1e-8)
        if np.allclose(moved, c):
            break
        c = moved
    return assignment, c
