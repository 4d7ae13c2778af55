"""Live update: the current fast-mode model's head, fitted again on every label there is now, in
memory, so the guesses and the label-next order keep up while the person labels (ilastik's "Live
Update"). No new run is saved: the runs list is for models someone trained.

The head starts from the saved model's head weights (a warm start) and runs a few epochs on the
cached backbone features of all labeled photos; a photo labeled since, and never embedded, goes
through the same feature cache and runtime as training (embedding.cached_features). The head is
fitted as training fits it: in NumPy on a CPU (ml/head_numpy.py), else by Keras, a compiled head
kept per (features, classes, settings) so that only the first live update traces its train step.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken, Progress, ProgressCallback, emit
from desktop_app.ml import head as head_module
from desktop_app.ml import head_numpy
from desktop_app.ml import model as models
from desktop_app.ml.runs import RunRecord, current_run

LIVE_EPOCHS = head_module.WARM_EPOCHS


@dataclass(frozen=True)
class LiveHead:
    """A head fitted in memory on the labels of one moment; its own model, never fitted again."""

    head: object = field(repr=False)  # a Keras model: backbone features -> class probabilities
    classes: list[str]
    backbone: str  # whose cached features it reads
    run_id: str  # the saved run it was warm-started from
    root: Path  # the dataset it belongs to
    labels: int  # labeled photos it was fitted on
    since_run: int  # of those, how many more than the run trained and validated on
    seconds: float  # from asking to the fitted head

    def describe(self) -> str:
        return f"live: {self.since_run} labels since run {self.run_id}"


_heads: dict[tuple, object] = {}
_saved: dict[tuple, list] = {}
_lock = threading.Lock()


def live_head(
    dataset,
    *,
    epochs: int = LIVE_EPOCHS,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    allow_download: bool = True,
) -> LiveHead:
    """The current model's head fitted on every labeled photo now (epochs=0: the saved head as it
    is). Refused in one line where there is no fast-mode model."""
    from desktop_app.ml.backbones import BACKBONES
    from desktop_app.ml.embedding import cached_features
    from desktop_app.ml.guesses import is_fast
    from desktop_app.ml.training import TrainSettings

    started = time.monotonic()
    # The window's writer keeps labeling meanwhile: fit on one moment of it.
    dataset = dataset.snapshot() if not getattr(dataset, "readonly", True) else dataset
    record = current_run(dataset)
    if record is None:
        raise StudioError("no model yet: train one in fast mode to update it live")
    if not is_fast(record):
        mode = record.settings.get("mode") or "end to end"
        raise StudioError(
            f"the current model ({record.backbone}, {mode}) is not a fast-mode model:"
            " live update retrains a fast-mode head only"
        )
    classes = list(record.classes)
    if list(dataset.classes) != classes:
        raise StudioError("the dataset's classes changed since the model was trained: train again")
    items = [it for name in classes for it in dataset.items(name)]
    if not items:
        raise StudioError("no labeled photos to update the model with")
    spec = BACKBONES[record.backbone]
    cache = cached_features(
        dataset, spec, items, progress=progress, cancel=cancel, allow_download=allow_download
    )
    items = [it for it in items if it.hash in cache.vectors]  # a photo that would not decode
    x = cache.get([it.hash for it in items])
    labels = np.array([classes.index(it.label) for it in items], dtype="int32")
    fields = TrainSettings.__dataclass_fields__
    settings = TrainSettings(**{k: v for k, v in record.settings.items() if k in fields})
    start = _saved_head_weights(record)
    in_numpy = head_numpy.applies()
    head = _fitting_head(x.shape[1], len(classes), settings, in_numpy)
    try:
        head.set_weights(start)
    except ValueError as error:
        raise StudioError(f"the saved model's head does not fit its features: {error}") from None
    if not in_numpy:
        _zero_optimizer(head, settings)  # in NumPy each fit starts a fresh Adam state anyway
    if epochs > 0:
        _fit(head, x, labels, len(classes), settings, epochs, progress, cancel, in_numpy)
    if cancel is not None:
        cancel.raise_if_cancelled()
    trained = int(record.metrics.get("train_count", 0)) + int(record.metrics.get("val_count", 0))
    return LiveHead(
        head=_inference_copy(head, x.shape[1], len(classes), settings),
        classes=classes,
        backbone=record.backbone,
        run_id=record.id,
        root=Path(dataset.root),
        labels=len(items),
        since_run=max(0, len(items) - trained),
        seconds=round(time.monotonic() - started, 3),
    )


def saved_head_weights(record: RunRecord) -> list[np.ndarray]:
    """The saved model's head weights (copies), as the live head starts from them."""
    return [np.array(w) for w in _saved_head_weights(record)]


def _saved_head_weights(record: RunRecord) -> list:
    """Loaded once per model file (safely, as every model is), then kept."""
    path = Path(record.model_path)
    try:
        stat = path.stat()
    except OSError as error:
        raise StudioError(f"Cannot read {path.name}: {error.strerror or error}") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _lock:
        if key in _saved:
            return _saved[key]
    from desktop_app.ml.runtime import keras_module
    from desktop_app.ml.safety import check_model_file

    check_model_file(path)
    try:
        model = keras_module().saving.load_model(path, safe_mode=True, compile=False)
        weights = [np.array(w) for w in model.get_layer("head").get_weights()]
    except Exception as error:  # anything Keras raises here means "this file is not usable"
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StudioError(f"Cannot load the head of {path.name}: {reason[:300]}") from None
    with _lock:
        _saved.clear()  # one model at a time is current
        _saved[key] = weights
    return weights


def _fitting_head(feature_dim: int, n_classes: int, settings, in_numpy: bool):
    """Made once per shape and settings (for Keras compiled, so its train step is traced once);
    never the one training keeps (its warm start knows what it was fitted on, and this fit is
    not a run)."""
    key = (
        in_numpy,
        feature_dim,
        n_classes,
        settings.learning_rate,
        settings.batch_size,
        settings.seed,
    )
    with _lock:
        if key not in _heads:
            if in_numpy:
                _heads[key] = models.build_head(feature_dim, n_classes, seed=settings.seed)
            else:
                _heads[key] = head_module.compiled_head(feature_dim, n_classes, settings)
        return _heads[key]


def _zero_optimizer(head, settings) -> None:
    for variable in head.optimizer.variables:
        variable.assign(np.zeros(variable.shape, variable.dtype))
    head.optimizer.learning_rate = settings.learning_rate


def _fit(head, x, labels, n_classes, settings, epochs, progress, cancel, in_numpy: bool) -> None:
    from desktop_app.ml.callbacks import StopOnCancel
    from desktop_app.ml.class_balance import sample_weights
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    emit(progress, Progress("live update", 0, epochs))
    report = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, _logs: emit(progress, Progress("live update", epoch + 1, epochs))
    )
    y = head_module.one_hot(labels, n_classes)
    weights = sample_weights(labels, n_classes)  # each class counts the same
    callbacks = [StopOnCancel(cancel), report]
    if in_numpy:
        head_numpy.fit(
            head,
            x,
            y,
            sample_weight=weights,
            batch_size=settings.batch_size,
            epochs=epochs,
            learning_rate=settings.learning_rate,
            label_smoothing=head_module.LABEL_SMOOTHING,
            callbacks=callbacks,
            seed=settings.seed,
        )
        return
    head.fit(
        x,
        y,
        batch_size=settings.batch_size,
        epochs=epochs,
        sample_weight=weights,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )


def _inference_copy(head, feature_dim: int, n_classes: int, settings):
    """A model of its own with the fitted weights: the next live update refits the kept one
    while this one still answers for the suggestions it made."""
    copy = models.build_head(feature_dim, n_classes, seed=settings.seed)
    copy.set_weights(head.get_weights())
    return copy
