"""The label-next order: typical and diverse photos first on a new dataset, the model's doubts
once it has enough labels, and never two near-duplicates in a row."""

from __future__ import annotations

import re

import numpy as np

from desktop_app.ml.label_next import COLD_START_LABELS, label_next_order

CLASSES = ["hot_dog", "not_hot_dog"]


def clusters(sizes, dim=32, spread=0.15, seed=0):
    """Features of photos in clusters of the given sizes: (features, cluster of each, centers)."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 1, (len(sizes), dim))
    which = np.repeat(np.arange(len(sizes)), sizes)
    features = centers[which] + rng.normal(0, spread, (len(which), dim))
    return np.abs(features).astype(np.float32), which, centers  # pooled features are >= 0


def test_a_new_dataset_offers_the_most_typical_photo_of_each_cluster_first():
    features, which, _ = clusters([40, 25, 12])
    picks = label_next_order(features, None, CLASSES, labeled=0)

    assert sorted(p.index for p in picks) == list(range(len(features)))  # every photo once
    assert sorted(which[p.index] for p in picks[:3]) == [0, 1, 2]  # one of each cluster first
    # k-means may cut a large cluster in two: each reason names the size of its own cluster, the
    # largest first, and the first round of picks covers every photo once.
    sizes = [int(re.fullmatch(r"typical of a cluster of (\d+) unlabeled photos", p.reason)[1])
             for p in picks[:3]]  # fmt: skip
    assert sizes == sorted(sizes, reverse=True) and sizes[0] >= 12
    for pick in picks[:3]:  # each the photo nearest its own cluster's middle, or close to it
        members = np.nonzero(which == which[pick.index])[0]
        middle = features[members].mean(0)
        distance = np.linalg.norm(features[members] - middle, axis=1)
        rank = int((distance < np.linalg.norm(features[pick.index] - middle)).sum())
        assert rank < len(members) // 4


def test_an_odd_one_out_is_not_offered_before_the_typical_ones():
    features, which, _ = clusters([30, 30])
    odd = np.abs(np.random.default_rng(9).normal(0, 3, (1, features.shape[1]))).astype(np.float32)
    picks = label_next_order(np.vstack([features, odd]), None, CLASSES, labeled=3)
    assert [p.index for p in picks[:2]] != [60] and 60 not in [p.index for p in picks[:2]]


def test_with_a_model_and_enough_labels_the_unsure_come_first():
    features, _, _ = clusters([20, 20, 20], seed=1)
    sure = np.linspace(0.97, 0.99, 60)
    sure[[5, 27, 44]] = [0.52, 0.58, 0.61]  # three the model hesitates over
    probabilities = np.stack([sure, 1 - sure], 1)
    probabilities[27] = probabilities[27][::-1]  # that one leans to not hot dog

    picks = label_next_order(features, probabilities, CLASSES, labeled=COLD_START_LABELS)
    assert [p.index for p in picks[:3]] == [5, 27, 44]
    assert picks[0].reason == "the model is unsure: 52% hot dog"
    assert picks[1].reason == "the model is unsure: 58% not hot dog"
    assert picks[-1].reason.startswith("the model is sure: ")
    # Before the cold start is over, the same doubts do not decide yet: typical photos do.
    early = label_next_order(features, probabilities, CLASSES, labeled=COLD_START_LABELS - 1)
    assert early[0].reason.startswith("typical of a cluster")


def test_never_two_near_duplicates_in_a_row():
    features, _, _ = clusters([10, 10], seed=2)
    # Photos 0-3 are copies of one another and the model doubts all of them most.
    features[1:4] = features[0]
    p = np.full(20, 0.95)
    p[:4] = 0.5
    p[4] = 0.6
    groups = [0, 0, 0, 0] + list(range(1, 17))
    for labeled, probabilities in ((50, np.stack([p, 1 - p], 1)), (0, None)):
        picks = label_next_order(features, probabilities, CLASSES, labeled=labeled, groups=groups)
        in_group = [groups[pick.index] for pick in picks]
        assert all(a != b for a, b in zip(in_group, in_group[1:], strict=False)), in_group
        assert sorted(pick.index for pick in picks) == list(range(20))


def test_diversity_spreads_look_alikes_the_groups_missed():
    features, _, _ = clusters([12, 12], seed=3)
    features[1] = features[0] * 1.001  # a look-alike no near-duplicate group names
    p = np.linspace(0.55, 0.99, 24)
    p[1] = 0.551  # as unsure as its twin
    picks = label_next_order(features, np.stack([p, 1 - p], 1), CLASSES, labeled=40)
    order = [pick.index for pick in picks]
    assert order[0] == 0 and order[1] != 1


def test_without_features_or_a_model_it_is_import_order():
    probabilities = np.array([[0.9, 0.1], [0.5, 0.5]])
    picks = label_next_order(None, probabilities, CLASSES, labeled=2)
    assert [p.index for p in picks] == [0, 1]
    assert label_next_order(None, None, CLASSES, labeled=0) == []
