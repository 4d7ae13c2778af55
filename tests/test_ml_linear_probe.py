"""Check labels' judge: a softmax regression fitted by its own L-BFGS, to the loss's minimum."""

from __future__ import annotations

import numpy as np

from desktop_app.ml.linear_probe import L2, fit_linear_probe


def blobs(n: int = 400, d: int = 64, classes: int = 2, seed: int = 0, spread: float = 1.0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centres = rng.normal(0, 1, (classes, d))
    return (centres[y] + spread * rng.normal(0, 1, (n, d))).astype(np.float32), y


def objective(probe, x, y, n_classes, l2=L2):
    """The loss the probe minimises, at its own weights (class-weighted mean + L2)."""
    counts = np.bincount(y, minlength=n_classes)
    weight = (counts.sum() / (n_classes * counts))[y]
    weight = weight / weight.sum()
    p = probe.probabilities(x)[np.arange(len(y)), y]
    return float(-(weight * np.log(p)).sum() + 0.5 * l2 * (probe.weights**2).sum())


def test_it_separates_what_is_separable_and_gives_probabilities():
    x, y = blobs(spread=0.5)
    probe = fit_linear_probe(x, y, 2)
    p = probe.probabilities(x)
    assert np.allclose(p.sum(1), 1, atol=1e-5)
    assert (p.argmax(1) == y).mean() > 0.98
    assert 0 < probe.iterations < 200


def test_three_classes_and_a_held_out_set():
    x, y = blobs(n=900, classes=3, spread=1.5, seed=1)
    probe = fit_linear_probe(x[:600], y[:600], 3)
    assert (probe.probabilities(x[600:]).argmax(1) == y[600:]).mean() > 0.9


def test_a_rare_class_weighs_as_much_as_a_common_one():
    x, y = blobs(n=600, spread=2.5, seed=2)
    rare = np.flatnonzero(y == 1)[:30]
    keep = np.concatenate([np.flatnonzero(y == 0), rare])
    probe = fit_linear_probe(x[keep], y[keep], 2)
    p = probe.probabilities(x[keep])
    # Unweighted, a 30-to-300 set pulls the rare class's mean probability far below one half.
    assert p[y[keep] == 1, 1].mean() > 0.5


def test_it_stops_at_the_minimum():
    """The loss is convex (strictly, with L2): a gradient of zero, worked out here independently,
    means the global minimum."""
    x, y = blobs(n=500, d=40, spread=2.0, seed=3)
    probe = fit_linear_probe(x, y, 2)
    xs = (x - probe.mean) / probe.scale
    counts = np.bincount(y)
    weight = (counts.sum() / (2 * counts))[y]
    weight = weight / weight.sum()
    g = (probe.probabilities(x) - np.eye(2)[y]) * weight[:, None]
    gradient = np.concatenate([(xs.T @ g + L2 * probe.weights).ravel(), g.sum(0)])
    assert np.abs(gradient).max() < 1e-3
    assert objective(probe, x, y, 2) < objective(fit_linear_probe(x, y, 2, l2=L2 * 1.5), x, y, 2)
