"""The frozen backbone's pooled features of a dataset's photos: kept backbones, their XNNPACK
forward passes, and embedding only what the feature cache lacks (ADR 0002, ADR 0007).

Where this machine has converted and checked the backbone before, the photos embed on XNNPACK
straight away, with no Keras model at all; another thread meanwhile builds the Keras backbone
the saved model needs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path

from desktop_app.core.errors import StudioError
from desktop_app.core.progress import Progress, emit
from desktop_app.ml import model as models
from desktop_app.ml.backbones import BackboneSpec, build_backbone
from desktop_app.ml.features import FeatureCache, cache_key, embed_paths
from desktop_app.ml.litert_backbone import KERAS, XNNPACK
from desktop_app.ml.weights import resolve_weights

EMBED_BATCH = 64


def feature_cache(dataset, spec: BackboneSpec, size: int) -> FeatureCache:
    """The dataset's cache of this backbone's features at this input size."""
    return FeatureCache(dataset.studio_dir, cache_key(spec.name, size))


def cached_features(
    dataset, spec: BackboneSpec, items, *, progress=None, cancel=None, allow_download=True
) -> FeatureCache:
    """The pooled features of items at the backbone's own size, embedding only the ones the
    dataset's cache lacks, with the same kept backbone that fast-mode training uses."""
    from desktop_app.ml.devices import distribution_scope

    size = spec.input_size
    cache = feature_cache(dataset, spec, size)
    if not cache.missing([it.hash for it in items]):
        return cache  # all embedded: no backbone to build (a check on cached features)
    weights = resolve_weights(spec, allow_download=allow_download, progress=progress)
    with distribution_scope():
        embed_missing(
            cache,
            spec,
            size,
            weights,
            list(items),
            make_backbone=None,
            progress=progress,
            cancel=cancel,
        )
    return cache


def embed_missing(
    cache: FeatureCache,
    spec: BackboneSpec,
    size: int,
    weights: Path | None,
    items,
    *,
    make_backbone: Callable[[], object] | None,
    progress=None,
    cancel=None,
) -> Future:
    """Embeds the items `cache` lacks and saves it. Returns a future of the frozen backbone
    make_backbone() builds (None without make_backbone: the caller wants only features).

    The cache key does not name the runtime: XNNPACK and Keras give the same features. Where a
    checked XNNPACK flatbuffer is ready, no Keras model is needed to embed: make_backbone() runs
    on another thread meanwhile. Building it there costs the embedding less than building it
    beside the head's NumPy fit cost the fit: both are Python-heavy and share the GIL, while the
    embedding mostly runs outside it (ADR 0013). A build that outlives a failed or stopped
    embedding is kept for the next training. Otherwise the backbone is built first, to embed with.
    """
    todo = [it for it in items if it.hash not in cache.vectors]
    cache.embedded_now = len(todo)
    fast = ready_forward(spec, size, weights) if todo else None
    if fast is None:
        backbone = None
        if make_backbone is not None or todo:
            backbone = _frozen_for(make_backbone or (lambda: frozen_backbone(spec, weights, size)))
        if todo:
            extractor = extractor_for(spec, backbone, size)
            emit(progress, Progress("embedding", 0, len(todo), message=f"{len(todo)} new images"))
            fast = fast_extractor(spec, extractor, size, weights, progress)
            _embed(
                cache,
                fast or extractor.predict_on_batch,
                todo,
                size,
                fast is not None,
                progress,
                cancel,
            )
        return _resolved(backbone if make_backbone is not None else None)

    emit(progress, Progress("embedding", 0, len(todo), message=f"{len(todo)} new images"))
    built: Future = Future()

    def build() -> None:
        try:
            built.set_result(_frozen_for(make_backbone) if make_backbone is not None else None)
        except BaseException as error:
            built.set_exception(error)

    # Only on a CPU (ready_forward: no GPU), so there is no distribution scope to carry over.
    threading.Thread(target=build, name="backbone", daemon=True).start()
    _embed(cache, fast, todo, size, True, progress, cancel)
    return built


def _frozen_for(make_backbone: Callable[[], object]):
    backbone = make_backbone()
    backbone.trainable = False
    return backbone


def _resolved(value) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def _embed(cache: FeatureCache, forward, todo, size, on_xnnpack: bool, progress, cancel) -> None:
    cache.runtime = XNNPACK if on_xnnpack else KERAS
    features, indices, failures = embed_paths(
        forward,
        [it.path for it in todo],
        size,
        batch_size=EMBED_BATCH,
        progress=progress,
        cancel=cancel,
        pad=not on_xnnpack,  # a compiled Keras shape wants full batches; XNNPACK runs per photo
    )
    cache.update([todo[i].hash for i in indices], features)
    cache.failed = {todo[i].hash for i, _ in failures}
    for _, error in failures:
        emit(progress, Progress("embedding", kind="message", message=f"skipped: {error}"))
    cache.save()


_frozen: dict[tuple, object] = {}
_extractors: dict[int, object] = {}
_fast: dict[str, object] = {}  # flatbuffer key -> its forward pass, or None: Keras here
_cache_lock = threading.Lock()


def frozen_backbone(spec: BackboneSpec, weights, size: int):
    """One frozen backbone per (backbone, size, weights file) for this process's fast-mode runs."""
    key = (spec.name, size, str(weights))
    with _cache_lock:
        if key not in _frozen:
            _frozen[key] = build_backbone(spec, weights, size)
        return _frozen[key]


def extractor_for(spec: BackboneSpec, backbone, size: int):
    """The feature extractor around a cached backbone is kept too, so it is traced only once."""
    with _cache_lock:
        cached = [b for b in _frozen.values() if b is backbone]
        if not cached:
            return models.feature_extractor(spec, backbone, size)
        if id(backbone) not in _extractors:
            _extractors[id(backbone)] = models.feature_extractor(spec, backbone, size)
        return _extractors[id(backbone)]


def ready_forward(spec: BackboneSpec, size: int, weights):
    """The XNNPACK forward pass this process already uses, or the cached flatbuffer when it still
    gives the answer Keras gave on the probe: no Keras model needed. None: not ready here."""
    from desktop_app.ml.litert_backbone import flatbuffer_key, unavailable_reason, verified_forward

    if not spec.pretrained or unavailable_reason() is not None:
        return None
    key = flatbuffer_key(spec.name, size, weights)
    with _cache_lock:
        if key in _fast:
            return _fast[key]
    forward = verified_forward(key)
    if forward is not None:
        with _cache_lock:
            forward = _fast.setdefault(key, forward)
    return forward


def fast_extractor(spec: BackboneSpec, extractor, size: int, weights, progress):
    """The XNNPACK forward pass of the extractor, converted once per machine and checked against
    Keras (whose answer is stored for ready_forward); None where it cannot run."""
    from desktop_app.ml.litert_backbone import fast_forward, flatbuffer_key, unavailable_reason

    if unavailable_reason() is not None:
        return None
    key = flatbuffer_key(spec.name, size, weights)
    with _cache_lock:
        if key in _fast:
            return _fast[key]
    emit(progress, Progress("preparing XNNPACK", 0, 1, message=f"{spec.title} for this CPU"))
    forward = fast_forward(extractor, key, reference=extractor.predict_on_batch)
    with _cache_lock:
        _fast[key] = forward
    return forward


def warm_up(spec: BackboneSpec, settings) -> bool:
    """What a first fast-mode training in this process would otherwise do first, done ahead (the
    window calls it from its ML warm-up thread while the user labels): the trusted XNNPACK
    forward pass loaded and the frozen Keras backbone built (the head fits in NumPy here: nothing
    to trace). Only where the weights are on disk and this machine has converted and checked the
    backbone before; returns whether it did (else the first training does all this itself)."""
    try:
        weights = resolve_weights(spec, allow_download=False)
    except StudioError:  # not downloaded yet: the first training fetches them
        return False
    size = settings.input_size or spec.input_size
    if ready_forward(spec, size, weights) is None:
        return False
    _frozen_for(lambda: frozen_backbone(spec, weights, size))
    return True
