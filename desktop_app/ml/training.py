"""Training: fast mode (cached backbone features + a small head), fine-tune mode, and the small CNN
from scratch. Keras 3 public API only, so the same code runs on TensorFlow, JAX or PyTorch.

Every run ends as one `.keras` model taking raw RGB, saved with its run.json in `.studio/runs/<id>/`.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from desktop_app.core import writable
from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken, Progress, ProgressCallback, emit
from desktop_app.core.write_errors import disk_full
from desktop_app.ml import cached_bottom, head_numpy
from desktop_app.ml import head as head_module
from desktop_app.ml import model as models
from desktop_app.ml.architecture import summarize
from desktop_app.ml.backbones import DEFAULT_BACKBONE, BackboneSpec, build_backbone, get_spec
from desktop_app.ml.callbacks import Curves, FeatureValidation, ProgressReporter, StopOnCancel
from desktop_app.ml.class_balance import sample_weights
from desktop_app.ml.devices import describe_device, distribution_scope
from desktop_app.ml.embedding import EMBED_BATCH, embed_missing, feature_cache, frozen_backbone
from desktop_app.ml.features import FeatureCache, decoded_batches
from desktop_app.ml.litert_backbone import KERAS, XNNPACK
from desktop_app.ml.map_history import fine_tune_recorder, save_map_history
from desktop_app.ml.metrics import evaluate
from desktop_app.ml.runs import MODEL_FILE, RunRecord, new_run_dir, now_iso, save_record
from desktop_app.ml.runtime import keras_module
from desktop_app.ml.split import split_items
from desktop_app.ml.weight_history import recorder, save_weight_history
from desktop_app.ml.weights import resolve_weights

MODES = ("fast", "finetune")
WARMUP_EPOCHS = 10
FINETUNE_LR_FACTOR = 0.1


@dataclass
class TrainSettings:
    backbone: str = DEFAULT_BACKBONE
    mode: str = "fast"  # "fast" | "finetune" (the small CNN always trains end to end)
    epochs: int = 30
    batch_size: int = 32
    learning_rate: float = 1e-3
    val_share: float = 0.2
    seed: int = 0
    input_size: int | None = None  # None: the backbone's own (BackboneSpec.input_size)
    patience: int = 8  # early stopping: epochs without a better validation loss
    allow_download: bool = True  # fetch missing ImageNet weights

    def check(self) -> None:
        if self.mode not in MODES:
            raise StudioError(f"Unknown mode {self.mode!r}; use 'fast' or 'finetune'.")
        if self.epochs < 1 or self.batch_size < 1 or self.learning_rate <= 0:
            raise StudioError("Epochs, batch size and learning rate must be positive.")
        if not 0 <= self.val_share < 1:
            raise StudioError("The validation share must be between 0 and 1.")


@dataclass
class _Data:
    """The labeled images of one run, split, with integer labels."""

    classes: list[str]
    train: list
    val: list

    def labels(self, items) -> np.ndarray:
        return np.array([self.classes.index(it.label) for it in items], dtype="int32")


@dataclass
class _Run:
    """What the end-to-end steps of one run share (fine-tuning, training from scratch)."""

    settings: TrainSettings
    spec: BackboneSpec
    size: int
    data: _Data
    curves: Curves
    stop: StopOnCancel
    progress: ProgressCallback | None
    cancel: CancelToken | None


def train(
    dataset,
    settings: TrainSettings | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    out: Path | None = None,
) -> RunRecord:
    """Trains a model on the dataset's labeled images and saves it as a new run."""
    settings = settings or TrainSettings()
    settings.check()
    started = time.monotonic()
    spec = get_spec(settings.backbone)
    # The window's writer keeps labeling meanwhile: train on, and fingerprint, one moment of it.
    dataset = dataset.snapshot() if not getattr(dataset, "readonly", True) else dataset
    unwritable = writable.unwritable_reason(Path(dataset.studio_dir))
    if unwritable is not None:  # refused now, not after an hour's training that cannot be saved
        raise StudioError(f"{dataset.root} is read-only ({unwritable}): a model cannot be saved")
    data = _labeled_data(dataset, settings)
    keras = keras_module()
    keras.utils.set_random_seed(settings.seed)
    size = settings.input_size or spec.input_size

    emit(progress, Progress("loading backbone", 0, 1, message=spec.title))
    weights = resolve_weights(spec, allow_download=settings.allow_download, progress=progress)
    with distribution_scope():
        # Fast mode never changes the backbone: keep it (and its traced forward pass) for retraining.
        frozen = spec.pretrained and settings.mode == "fast"

        def make_backbone():
            if frozen:
                return frozen_backbone(spec, weights, size)
            return build_backbone(spec, weights, size)

        # The weights are here. On XNNPACK the Keras backbone is built beside the embedding.
        emit(progress, Progress("loading backbone", 1, 1, message=spec.title))
        curves = Curves()
        stop = StopOnCancel(cancel)
        embedded = None
        runtime = None  # XNNPACK or Keras, for the embedding; None: no backbone ran
        warm = False
        head_fit = None  # "NumPy" or "Keras": what fitted a head on cached features
        finetune_improved = None
        if spec.pretrained:
            cache = feature_cache(dataset, spec, size)
            backbone_built = embed_missing(
                cache,
                spec,
                size,
                weights,
                data.train + data.val,
                make_backbone=make_backbone,
                progress=progress,
                cancel=cancel,
            )
            runtime = cache.runtime
            data = _drop_failed(data, cache)
            embedded = cache.embedded_now
            head, warm, head_fit = _fit_head(
                settings, data, cache, curves, stop, progress, warmup=settings.mode == "finetune"
            )
            backbone = backbone_built.result()  # built beside the embedding
            if settings.mode == "finetune" and not stop.stopped:
                run = _Run(settings, spec, size, data, curves, stop, progress, cancel)
                inference, arrays, finetune_improved = _fine_tune(run, backbone, head, cache)
                probabilities = _predict(inference, arrays)
            else:
                inference = models.full_model(spec, backbone, head, size)
                probabilities = _predict_direct(
                    head, cache.get([it.hash for it in data.val]) if data.val else None
                )
        else:
            backbone = make_backbone()
            run = _Run(settings, spec, size, data, curves, stop, progress, cancel)
            inference, arrays = _train_from_scratch(run, backbone)
            probabilities = _predict(inference, arrays)

    emit(progress, Progress("evaluating", 1, 1))
    metrics = evaluate(
        probabilities if probabilities is not None else np.zeros((0, len(data.classes))),
        data.labels(data.val),
        data.classes,
        [it.hash for it in data.val],
    )
    metrics.update(
        {
            "train_count": len(data.train),
            "val_count": len(data.val),
            "embedded_images": embedded,
            "warm_start": warm,
        }
    )
    if finetune_improved is not None:
        metrics["finetune_improved"] = finetune_improved
    metrics["runtime"] = _runtime_used(runtime, spec, settings)
    if head_fit is not None:
        metrics["head_fit"] = head_fit
    return _save_run(
        dataset,
        settings,
        spec,
        size,
        data,
        inference,
        metrics,
        curves,
        stop,
        started,
        progress,
        out,
    )


def _runtime_used(embedding: str | None, spec: BackboneSpec, settings: TrainSettings) -> str:
    """'CPU · XNNPACK', 'GPU · Keras', ...: what ran the backbone, for run.json and the results."""
    from desktop_app.ml.litert_backbone import runtime_label, unavailable_reason

    if not spec.pretrained:
        return runtime_label(False)
    if embedding is None:  # every feature was cached: name what this machine embeds with
        embedding = XNNPACK if unavailable_reason() is None else KERAS
    label = runtime_label(embedding == XNNPACK)
    if settings.mode == "finetune":
        return f"{label}, then Keras to fine-tune"
    return label


def _labeled_data(dataset, settings: TrainSettings) -> _Data:
    classes = list(dataset.classes)
    items = [item for name in classes for item in dataset.items(name)]
    short = [name for name in classes if sum(it.label == name for it in items) < 2]
    if short:
        raise StudioError(
            f"Label at least 2 images of each class before training (too few: {', '.join(short)})."
        )
    train_items, val_items = split_items(items, settings.val_share)
    return _Data(classes, train_items, val_items)


def _head_key(cache: FeatureCache) -> tuple:
    return (str(cache.path),)


def _drop_failed(data: _Data, cache: FeatureCache) -> _Data:
    keep = [it for it in data.train if it.hash in cache.vectors]
    val = [it for it in data.val if it.hash in cache.vectors]
    if not keep:
        raise StudioError(
            "None of the photos to train on could be read (changed or damaged on disk since"
            " they were imported)."
        )
    return _Data(data.classes, keep, val)


def _callbacks(settings, reporter, stop, has_val: bool, patience: int, extra=()):
    keras = keras_module()
    early = keras.callbacks.EarlyStopping(
        monitor="val_loss" if has_val else "loss",
        patience=patience,
        restore_best_weights=True,
    )
    # The recorder first: the reporter's epoch event carries what it recorded.
    weights = recorder(reporter.curves.weights, reporter.offset)
    return [weights, *extra, reporter, stop, early]


def _fit(
    model,
    x,
    y,
    settings,
    epochs,
    curves,
    stop,
    progress,
    *,
    val,
    labels,
    n_classes,
    offset,
    total_epochs,
    patience,
    extra=(),
    val_in_memory=False,
    in_numpy=False,
    adam=None,
):
    """labels: y's class numbers (y may be one-hot); val_in_memory: validate by
    FeatureValidation (cached features, a one-hot head); in_numpy: a head fitted by
    ml/head_numpy.py (it validates in memory itself), going on from `adam` when given."""
    steps = -(-len(y) // settings.batch_size)
    reporter = ProgressReporter(progress, curves, steps, epochs, offset, total_epochs)
    callbacks = _callbacks(settings, reporter, stop, val is not None, patience, extra)
    weights = sample_weights(labels, n_classes)  # each class counts the same
    if in_numpy:
        head_numpy.fit(
            model,
            x,
            y,
            sample_weight=weights,
            batch_size=settings.batch_size,
            epochs=epochs,
            learning_rate=settings.learning_rate,
            label_smoothing=head_module.LABEL_SMOOTHING,
            callbacks=callbacks,
            validation=val,
            adam=adam,
            seed=settings.seed,
        )
        return
    if val_in_memory and val is not None:
        callbacks.insert(0, FeatureValidation(*val))  # its logs are there for all the others
    model.fit(
        x,
        y,
        batch_size=settings.batch_size,
        epochs=epochs,
        validation_data=None if val_in_memory else val,
        validation_batch_size=max(settings.batch_size, 256),  # evaluation only: big is cheaper
        sample_weight=weights,
        shuffle=True,
        verbose=0,
        callbacks=callbacks,
    )


def _fit_head(settings, data: _Data, cache, curves, stop, progress, *, warmup: bool):
    """Fits the head on cached features (in NumPy on a CPU); fast mode keeps it and may
    warm-start it. Returns (head, warm, what fitted it: "NumPy" or "Keras")."""
    n = len(data.classes)
    x = cache.get([it.hash for it in data.train])
    y = head_module.one_hot(data.labels(data.train), n)
    val = None
    if data.val:
        val = (
            cache.get([it.hash for it in data.val]),
            head_module.one_hot(data.labels(data.val), n),
        )
    train_labels = {it.hash: it.label for it in data.train}
    if warmup:  # fine-tune mode trains this head further: never the kept one
        in_numpy, adam = head_numpy.applies(), None
        head, warm = _warmup_head(x.shape[1], n, settings, in_numpy), False
    else:
        head, warm = head_module.kept_head(_head_key(cache), x.shape[1], n, settings, train_labels)
        adam = head_module.adam_state(head)
        in_numpy = adam is not None
    curves.weights.warm_start = warm  # its epoch 0 is then the last model's weights
    if warmup:
        epochs = min(settings.epochs, WARMUP_EPOCHS)
    elif warm:
        epochs = min(settings.epochs, head_module.WARM_EPOCHS)
    else:
        epochs = settings.epochs
    total = epochs + settings.epochs if warmup else epochs
    _fit(
        head,
        x,
        y,
        settings,
        epochs,
        curves,
        stop,
        progress,
        val=val,
        labels=data.labels(data.train),
        n_classes=n,
        offset=0,
        total_epochs=total,
        patience=min(settings.patience, head_module.WARM_PATIENCE) if warm else settings.patience,
        val_in_memory=True,
        in_numpy=in_numpy,
        adam=adam,
    )
    if not warmup and not stop.stopped:
        head_module.remember_fit(head, train_labels)
    return head, warm, "NumPy" if in_numpy else KERAS


def _warmup_head(feature_dim: int, n_classes: int, settings, in_numpy: bool):
    """Fine-tune mode's head: fitted first on cached features, then as part of the whole model."""
    if in_numpy:  # compiled later, inside the whole model
        return models.build_head(feature_dim, n_classes, seed=settings.seed)
    return head_module.compiled_head(feature_dim, n_classes, settings)


def _decode_all(items, size, progress, cancel) -> tuple[np.ndarray, list]:
    """Decoded uint8 arrays of items (those that decode), for end-to-end training."""
    arrays, kept = [], []
    done = 0
    for good, batch, _bad in decoded_batches([it.path for it in items], size, EMBED_BATCH, cancel):
        arrays.append(batch)
        kept.extend(items[i] for i in good)
        done += EMBED_BATCH
        emit(progress, Progress("decoding", min(done, len(items)), len(items)))
    x = np.concatenate(arrays) if arrays else np.zeros((0, size, size, 3), np.uint8)
    return x, kept


def _end_to_end(run: _Run, backbone, head, *, lr, offset, patience, extra=()):
    """Fits on decoded images (fine-tuning: on their frozen bottom's outputs; else augmented);
    returns (inference model, val arrays)."""
    keras = keras_module()
    settings, data, size = run.settings, run.data, run.size
    x, train_items = _decode_all(data.train, size, run.progress, run.cancel)
    xv, val_items = _decode_all(data.val, size, run.progress, run.cancel)
    data.train, data.val = train_items, val_items
    # Fine-tuning: the frozen layers run once per photo, each epoch only the top (ADR 0012).
    split = (
        cached_bottom.split_for(run.spec, backbone, size, len(x) + len(xv))
        if run.spec.pretrained
        else None
    )
    if split is not None:
        bottom, top = split
        emit(run.progress, Progress("running the frozen layers", 0, 1))
        fit_x, fit_xv = (
            cached_bottom.bottom_outputs(bottom, x),
            cached_bottom.bottom_outputs(bottom, xv),
        )
        emit(run.progress, Progress("running the frozen layers", 1, 1))
        training_model = cached_bottom.training_model(top, head, bottom)
    else:
        fit_x, fit_xv = x, xv
        training_model = models.full_model(
            run.spec, backbone, head, size, models.augmentation_layers(settings.seed)
        )
    training_model.compile(
        optimizer=keras.optimizers.Adam(lr),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    val = (fit_xv, data.labels(data.val)) if len(xv) else None
    _fit(
        training_model,
        fit_x,
        data.labels(data.train),
        settings,
        settings.epochs,
        run.curves,
        run.stop,
        run.progress,
        val=val,
        labels=data.labels(data.train),
        n_classes=len(data.classes),
        offset=offset,
        total_epochs=offset + settings.epochs,
        patience=patience,
        extra=extra,
    )
    return models.full_model(run.spec, backbone, head, size), (xv if len(xv) else None)


def _fine_tune(run: _Run, backbone, head, cache: FeatureCache):
    """Fine-tunes the backbone's top after the head's warm-up; returns (inference model, val
    arrays, improved). Fine-tuning can overfit a small set: when its best validation loss is no
    better than the warm-up head's, the warm-up weights are put back and the head alone is kept."""
    head_loss = _plain_val_loss(head, cache, run.data)
    before = (backbone.get_weights(), head.get_weights())
    offset = len(run.curves.epochs["loss"])
    models.unfreeze_top(backbone)
    inference, arrays = _end_to_end(
        run,
        backbone,
        head,
        lr=run.settings.learning_rate * FINETUNE_LR_FACTOR,
        offset=offset,
        patience=3,
        extra=[fine_tune_recorder(run, backbone, head, cache, offset)],  # the moving map
    )
    tuned = [loss for loss in run.curves.epochs["val_loss"][offset:] if np.isfinite(loss)]
    if head_loss is None or (tuned and min(tuned) < head_loss):
        return inference, arrays, True
    backbone.set_weights(before[0])
    head.set_weights(before[1])
    emit(
        run.progress,
        Progress(
            "fitting",
            kind="message",
            message="Fine-tuning did not beat the head alone on the validation images;"
            " the head alone is kept.",
        ),
    )
    return inference, arrays, False


def _plain_val_loss(head, cache: FeatureCache, data: _Data) -> float | None:
    """The head's validation cross-entropy without label smoothing, as fine-tuning measures it."""
    if not data.val:
        return None
    probabilities = _predict_direct(head, cache.get([it.hash for it in data.val]))
    right = probabilities[np.arange(len(data.val)), data.labels(data.val)]
    return float(-np.mean(np.log(np.clip(right, 1e-7, 1.0))))


def _train_from_scratch(run: _Run, backbone):
    settings = run.settings
    head = models.build_head(
        backbone.output_shape[-1], len(run.data.classes), hidden=0, seed=settings.seed
    )
    return _end_to_end(
        run, backbone, head, lr=settings.learning_rate, offset=0, patience=settings.patience
    )


def _predict(model, x) -> np.ndarray | None:
    if x is None or len(x) == 0:
        return None
    return np.asarray(model.predict(x, batch_size=EMBED_BATCH, verbose=0), dtype=np.float32)


def _predict_direct(model, x) -> np.ndarray | None:
    """One call on a small array: cheaper than tracing predict() for a fresh head."""
    if x is None or len(x) == 0:
        return None
    keras = keras_module()
    return np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype=np.float32)


def _versions() -> dict:
    import platform

    from desktop_app import __version__

    keras = keras_module()
    backend = keras.backend.backend()
    try:
        backend_version = __import__(backend).__version__
    except Exception:
        backend_version = "unknown"
    return {
        "app": __version__,
        "keras": keras.__version__,
        "backend": backend,
        backend: backend_version,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def _save_run(
    dataset, settings, spec, size, data, inference, metrics, curves, stop, started, progress, out
):
    emit(progress, Progress("saving", 0, 1))
    run_id, run_dir = new_run_dir(dataset)
    try:
        record = _write_run(
            dataset, settings, spec, size, data, inference, metrics, curves, stop, started, run_dir
        )
    except BaseException as error:
        # A full disk (or a Stop at the worst moment): no half-written run is left to list.
        shutil.rmtree(run_dir, ignore_errors=True)
        full = (
            disk_full(error, f"the trained model in {run_dir.parent}")
            if isinstance(error, OSError)
            else None
        )
        if full is not None:
            raise full from None
        raise
    if out is not None:
        export_copy(record, Path(out))
    emit(progress, Progress("saving", 1, 1, message=str(record.model_path)))
    return record


def _write_run(
    dataset, settings, spec, size, data, inference, metrics, curves, stop, started, run_dir
):
    run_id = run_dir.name
    model_path = run_dir / MODEL_FILE
    partial = run_dir / "model.partial.keras"
    inference.save(partial)
    partial.replace(model_path)  # the model appears whole or not at all
    save_weight_history(run_dir, curves.weights)  # before run.json, which makes the run listed
    save_map_history(run_dir, curves.map)
    record = RunRecord(
        id=run_id,
        dir=run_dir,
        model_path=model_path,
        status="stopped" if stop.stopped else "complete",
        created=now_iso(),
        settings=asdict(settings),
        backbone=spec.name,
        input_size=size,
        classes=list(data.classes),
        device=describe_device(),
        metrics=metrics,
        curves=curves.as_dict(),
        dataset_fingerprint=dataset.fingerprint(),
        versions=_versions(),
        duration_s=round(time.monotonic() - started, 3),
        architecture=summarize(inference),
        runtime=metrics.pop("runtime", ""),
    )
    save_record(record)
    return record


def export_copy(record: RunRecord, out: Path) -> None:
    """The model at `out` (.keras) with its sidecar beside it as `<stem>.json`."""
    out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(record.model_path, out)
    shutil.copyfile(record.dir / "run.json", out.with_suffix(".json"))
