"""The fast-mode head, compiled once per process and kept, warm-started when little has changed.

A fresh Keras model traces its train step on its first fit (about a second on a CPU), and a head
trained from scratch needs a few dozen epochs. After a handful of new or relabeled images the head
already knows almost everything: a retrain starts from its weights and runs a few epochs, on the
same compiled model (no tracing). A first model, a retrain after many changes, or one with nothing
new re-initialises the kept model instead (same weights as a freshly built head; optimizer zeroed).
A first fit in a process takes a head prepare()d beforehand, traced while the photos embed or
at the window's start-up, so no first model waits for tracing either.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

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


_kept: dict[tuple, _Kept] = {}
_spares: dict[tuple, object] = {}  # prepare()d heads by _shape(), for the next first fit
_making: dict[tuple, threading.Lock] = {}
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


def _reinitialise(head, feature_dim: int, n_classes: int, settings) -> None:
    """The weights a freshly built head would have, and a zeroed optimizer (no retracing)."""
    head.set_weights(models.build_head(feature_dim, n_classes, seed=settings.seed).get_weights())
    optimizer = head.optimizer
    for variable in optimizer.variables:
        variable.assign(np.zeros(variable.shape, variable.dtype))
    optimizer.learning_rate = settings.learning_rate


def kept_head(cache_key: tuple, feature_dim: int, n_classes: int, settings, train_labels: dict):
    """(compiled head, warm) for a fast-mode fit; warm: it starts from the previous fit's weights.

    cache_key names the feature cache (dataset and backbone); train_labels maps hash -> label of
    the images about to be fitted on. A first fit takes a prepare()d head when there is one.
    """
    key = _key(cache_key, feature_dim, n_classes, settings)
    shape = _shape(feature_dim, n_classes, settings)
    with _lock:
        kept = _kept.get(key)
        if kept is None:
            spare = _spares.pop(shape, None)
            model = spare if spare is not None else compiled_head(feature_dim, n_classes, settings)
            if spare is not None:  # its step on zeros is undone
                _reinitialise(model, feature_dim, n_classes, settings)
            kept = _Kept(model)
            _kept[key] = kept
            warm = False
        else:
            changed = sum(kept.trained_on.get(h) != label for h, label in train_labels.items())
            # No last fit (it was stopped or failed): nothing to warm-start from.
            warm = bool(kept.trained_on) and 0 < changed <= max(
                1, int(WARM_MAX_SHARE * len(train_labels))
            )
            if not warm:
                _reinitialise(kept.model, feature_dim, n_classes, settings)
        kept.trained_on = {}  # until this fit ends: a stopped or failed fit is no base to warm from
        return kept.model, warm


def prepare(feature_dim: int, n_classes: int, settings, cache_key: tuple | None = None) -> None:
    """Makes a compiled head whose train step is traced (~1 s on a CPU) ready for the next first
    fit of this shape, so that it starts at once: run while the photos embed, or at start-up.
    Nothing to do when one is ready, or when cache_key's fit has a kept head already."""
    shape = _shape(feature_dim, n_classes, settings)
    with _lock:
        if shape in _spares or (
            cache_key is not None and _key(cache_key, feature_dim, n_classes, settings) in _kept
        ):
            return
        making = _making.setdefault(shape, threading.Lock())
    with making:  # a second caller waits for the first one's head instead of tracing another
        with _lock:
            if shape in _spares:
                return
        model = compiled_head(feature_dim, n_classes, settings)
        # One full batch and one partial, as in a real fit: a dataset of whole batches only has
        # a fixed batch size, and the real fit's last, smaller batch would trace the step again.
        # The same structure too: training.py weighs each sample by its class. (Validation needs
        # no tracing: training.py validates the head with callbacks.FeatureValidation.)
        n = settings.batch_size + 1
        x = np.zeros((n, feature_dim), np.float32)
        y = one_hot(np.zeros(n, np.int32), n_classes)
        weights = np.ones(n, np.float32)
        model.fit(x, y, sample_weight=weights, batch_size=settings.batch_size, epochs=1, verbose=0)
        with _lock:
            _spares[shape] = model


def _shape(feature_dim: int, n_classes: int, settings) -> tuple:
    """What a compiled head depends on: a prepared one serves any dataset with these."""
    return (feature_dim, n_classes, settings.learning_rate, settings.batch_size, settings.seed)


def _key(cache_key: tuple, feature_dim: int, n_classes: int, settings) -> tuple:
    return (cache_key, *_shape(feature_dim, n_classes, settings))


def remember_fit(head, train_labels: dict) -> None:
    """Records what the kept head was last fitted on (after a fit that ran to its end)."""
    with _lock:
        for kept in _kept.values():
            if kept.model is head:
                kept.trained_on = dict(train_labels)
