"""A softmax regression on cached features, fitted in NumPy: what Check labels judges with.

Five out-of-fold Keras heads cost ~13 s each on 2 CPU cores, almost all per-step overhead of a
tiny model; this fits the same features in well under a second a fold, and on the real photos it
finds the same planted label errors (ADR 0010). Standardised inputs, L2-regularised, class-
weighted; minimised with L-BFGS (two-loop recursion, Armijo backtracking), float32 throughout
so the matrix products stay on BLAS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.ml.class_balance import sample_weights

L2 = 0.1  # on standardised features; 0.03-0.1 were best of 1e-3..0.1 on the real photos
MAX_ITERATIONS = 200
HISTORY = 10  # L-BFGS memory: the last curvature pairs kept
TOLERANCE = 1e-5  # stop when the gradient's largest entry is below this


@dataclass(frozen=True)
class LinearProbe:
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray  # features x classes
    bias: np.ndarray
    iterations: int

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        return _softmax(self._standard(x) @ self.weights + self.bias)

    def _standard(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, np.float32) - self.mean) / self.scale


def fit_linear_probe(x: np.ndarray, y: np.ndarray, n_classes: int, l2: float = L2) -> LinearProbe:
    """x: photos x features; y: class numbers. Classes weighted so each counts the same."""
    x = np.asarray(x, np.float32)
    mean = x.mean(0)
    scale = x.std(0) + np.float32(1e-3)
    xs = (x - mean) / scale
    targets = np.eye(n_classes, dtype=np.float32)[y]
    per_photo = sample_weights(y, n_classes)
    sample = (per_photo / per_photo.sum()).astype(np.float32)[:, None]  # a weighted mean
    d = x.shape[1]

    def loss_and_gradient(w: np.ndarray) -> tuple[float, np.ndarray]:
        weights, bias = w[: d * n_classes].reshape(d, n_classes), w[d * n_classes :]
        p = _softmax(xs @ weights + bias)
        picked = np.maximum((p * targets).sum(1, keepdims=True), 1e-12)
        loss = float(-(sample * np.log(picked)).sum() + 0.5 * l2 * (weights * weights).sum())
        g = (p - targets) * sample
        grad = np.concatenate([(xs.T @ g + l2 * weights).ravel(), g.sum(0)])
        return loss, grad

    w, iterations = _lbfgs(loss_and_gradient, np.zeros(d * n_classes + n_classes, np.float32))
    return LinearProbe(
        mean, scale, w[: d * n_classes].reshape(d, n_classes), w[d * n_classes :], iterations
    )


def _lbfgs(function, w: np.ndarray) -> tuple[np.ndarray, int]:
    loss, grad = function(w)
    steps: list[tuple[np.ndarray, np.ndarray, float]] = []  # (s, y, 1 / y.s)
    for iteration in range(1, MAX_ITERATIONS + 1):
        if np.abs(grad).max() < TOLERANCE:
            return w, iteration - 1
        direction = -_two_loop(grad, steps)
        slope = float(grad @ direction)
        if slope >= 0:  # not a descent direction (curvature went bad): start afresh
            steps.clear()
            direction, slope = -grad, -float(grad @ grad)
        step = 1.0
        while True:
            trial = w + np.float32(step) * direction
            new_loss, new_grad = function(trial)
            if new_loss <= loss + 1e-4 * step * slope or step < 1e-8:
                break
            step *= 0.5
        s, change = trial - w, new_grad - grad
        curvature = float(change @ s)
        if curvature > 1e-10:
            steps.append((s, change, 1.0 / curvature))
            del steps[:-HISTORY]
        if loss - new_loss < 1e-9 * max(1.0, abs(loss)):  # no more progress to make
            return (trial if new_loss <= loss else w), iteration
        w, loss, grad = trial, new_loss, new_grad
    return w, MAX_ITERATIONS


def _two_loop(grad: np.ndarray, steps) -> np.ndarray:
    q = grad.copy()
    alphas = []
    for s, change, rho in reversed(steps):
        alpha = rho * float(s @ q)
        q -= np.float32(alpha) * change
        alphas.append(alpha)
    if steps:
        s, change, _rho = steps[-1]
        q *= np.float32(float(s @ change) / float(change @ change))
    for (s, change, rho), alpha in zip(steps, reversed(alphas), strict=True):
        beta = rho * float(change @ q)
        q += np.float32(alpha - beta) * s
    return q


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)
