"""The fast-mode head, made once per process and dataset and kept, warm-started when little has
changed.

A head trained from scratch needs a few dozen epochs. After a handful of new or relabeled images
it already knows almost everything: a retrain starts from its weights and optimizer state and runs
a few epochs. A first model, a retrain after many changes, or one with nothing new re-initialises
the kept model instead (same weights as a freshly built head; optimizer zeroed).

On a CPU the head fits in NumPy (ml/head_numpy.py, ADR 0013): nothing to compile or trace, and
the kept head's Adam state is kept beside it. On a GPU it is a compiled Keras head, kept so that
its train step is traced once per process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from desktop_app.ml import head_numpy
from desktop_app.ml import model as models
from desktop_app.ml.devices import is_distributed
from desktop_app.ml.runtime import keras_module

LABEL_SMOOTHING = 0.1  # +0.4-0.6 points held-out accuracy on the real photos (3 seeds), no cost
HEAD_STEPS_PER_EXECUTION = 256  # a whole epoch per call into the backend: the head's steps are tiny
WARM_MAX_SHARE = 0.05  # warm start when at most this share of the training images is new/relabeled
WARM_EPOCHS = 5
WARM_PATIENCE = 2


@dataclass
class _Kept:
    model: object
    trained_on: dict[str, str] = field(default_factory=dict)  # hash -> label of the last fit
    adam: head_numpy.AdamState | None = None  # a NumPy-fitted head's optimizer state


_kept: dict[tuple, _Kept] = {}
_lock = threading.Lock()


def one_hot(labels: np.ndarray, n_classes: int) -> np.ndarray:
    """Label smoothing needs categorical targets."""
    return np.eye(n_classes, dtype="float32")[labels]


def compiled_head(feature_dim: int, n_classes: int, settings):
    keras = keras_module()
    head = models.build_head(feature_dim, n_classes, seed=settings.seed)
    head.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING),
        metrics=["accuracy"],
        jit_compile=_jit_the_head(keras),
        # Several steps per call fail inside MirroredStrategy ("You must feed a value for
        # placeholder"), and on several GPUs the per-call overhead matters little.
        steps_per_execution=1 if is_distributed() else HEAD_STEPS_PER_EXECUTION,
    )
    return head


def _jit_the_head(keras) -> bool:
    """On TensorFlow (and torch) the traced graph is fast and XLA-compiling a two-layer head costs
    more than it saves. On JAX, jit_compile=False means eager op-by-op dispatch of every train step
    (with mixed precision's loss scaling on GPU: thousands of tiny kernels per epoch), so jit it."""
    return keras.backend.backend() == "jax"


def _reinitialise(kept: _Kept, feature_dim: int, n_classes: int, settings) -> None:
    """The weights a freshly built head would have, and a zeroed optimizer (no retracing)."""
    head = kept.model
    head.set_weights(models.build_head(feature_dim, n_classes, seed=settings.seed).get_weights())
    if kept.adam is not None:
        kept.adam = head_numpy.AdamState()
        return
    optimizer = head.optimizer
    for variable in optimizer.variables:
        variable.assign(np.zeros(variable.shape, variable.dtype))
    optimizer.learning_rate = settings.learning_rate


def kept_head(cache_key: tuple, feature_dim: int, n_classes: int, settings, train_labels: dict):
    """(head, warm) for a fast-mode fit; warm: it starts from the previous fit's weights.

    cache_key names the feature cache (dataset and backbone); train_labels maps hash -> label of
    the images about to be fitted on. In NumPy the head is a plain build_head() (adam_state()
    gives its optimizer state); else a compiled one.
    """
    key = _key(cache_key, feature_dim, n_classes, settings)
    with _lock:
        kept = _kept.get(key)
        if kept is not None and (kept.adam is not None) != head_numpy.applies():
            kept = None  # HOTDOG_RUNTIME changed since: the other kind of head, made afresh
        if kept is None:
            if head_numpy.applies():
                model = models.build_head(feature_dim, n_classes, seed=settings.seed)
                kept = _Kept(model, adam=head_numpy.AdamState())
            else:
                kept = _Kept(compiled_head(feature_dim, n_classes, settings))
            _kept[key] = kept
            warm = False
        else:
            changed = sum(kept.trained_on.get(h) != label for h, label in train_labels.items())
            # No last fit (it was stopped or failed): nothing to warm-start from.
            warm = bool(kept.trained_on) and 0 < changed <= max(
                1, int(WARM_MAX_SHARE * len(train_labels))
            )
            if not warm:
                _reinitialise(kept, feature_dim, n_classes, settings)
        kept.trained_on = {}  # until this fit ends: a stopped or failed fit is no base to warm from
        return kept.model, warm


def _key(cache_key: tuple, feature_dim: int, n_classes: int, settings) -> tuple:
    """What a kept head depends on besides its dataset's features."""
    return (
        cache_key,
        feature_dim,
        n_classes,
        settings.learning_rate,
        settings.batch_size,
        settings.seed,
    )


def adam_state(head) -> head_numpy.AdamState | None:
    """The kept head's NumPy optimizer state; None: not a kept head fitted in NumPy."""
    with _lock:
        for kept in _kept.values():
            if kept.model is head:
                return kept.adam
    return None


def remember_fit(head, train_labels: dict) -> None:
    """Records what the kept head was last fitted on (after a fit that ran to its end)."""
    with _lock:
        for kept in _kept.values():
            if kept.model is head:
                kept.trained_on = dict(train_labels)
