"""The frozen backbone on XNNPACK (ml/litert_backbone.py): the same features as Keras, used by
training, Check labels and the Predictor, named in run.json, and Keras wherever it cannot run."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import picture
from ml_tiny import TINY_SIZE, register_tiny

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, Dataset

SHARED = Path(__file__).resolve().parents[2] / "shared"
PHOTOS = SHARED / "data" / "hotdog"
WEIGHTS = SHARED / "weights"


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("HOTDOG_RUNTIME", raising=False)
    monkeypatch.setenv("HOTDOG_LITERT_CACHE", str(tmp_path / "litert"))  # not the session's
    return register_tiny(tmp_path / "keras_home")


def _extractor(name: str, size: int):
    from desktop_app.ml import model as models
    from desktop_app.ml.backbones import build_backbone, get_spec
    from desktop_app.ml.weights import resolve_weights

    spec = get_spec(name)
    weights = resolve_weights(spec, allow_download=False)
    backbone = build_backbone(spec, weights, size)
    backbone.trainable = False
    return spec, weights, models.feature_extractor(spec, backbone, size)


def _dataset(root: Path, per_class: int = 6) -> Dataset:
    dataset = Dataset.create(root)
    for i in range(per_class):
        dataset.add_image(picture(i, (64, 64)), HOT_DOG, source=f"h{i}")
        dataset.add_image(picture(100 + i, (64, 64)), NOT_HOT_DOG, source=f"n{i}")
    return dataset


def test_the_flatbuffer_gives_the_keras_features_and_is_converted_once(tiny):
    from desktop_app.ml.litert_backbone import cache_dir, fast_forward, flatbuffer_key

    spec, weights, extractor = _extractor(tiny, TINY_SIZE)
    key = flatbuffer_key(spec.name, TINY_SIZE, weights)
    forward = fast_forward(extractor, key, reference=extractor.predict_on_batch)
    assert forward is not None
    images = np.stack([np.asarray(picture(i, (TINY_SIZE, TINY_SIZE))) for i in range(5)])
    ours = forward(images.astype(np.float32))
    theirs = extractor.predict_on_batch(images.astype(np.float32))
    assert ours.shape == theirs.shape and np.abs(ours - theirs).max() <= 1e-4
    flat = cache_dir() / f"{key}.tflite"
    made = flat.stat().st_mtime_ns
    assert fast_forward(extractor, key) is not None and flat.stat().st_mtime_ns == made


def test_a_damaged_flatbuffer_is_converted_again(tiny):
    from desktop_app.ml.litert_backbone import cache_dir, fast_forward, flatbuffer_key

    spec, weights, extractor = _extractor(tiny, TINY_SIZE)
    key = flatbuffer_key(spec.name, TINY_SIZE, weights)
    flat = cache_dir() / f"{key}.tflite"
    flat.parent.mkdir(parents=True)
    flat.write_bytes(b"not a flatbuffer")
    assert fast_forward(extractor, key, reference=extractor.predict_on_batch) is not None
    assert flat.stat().st_size > 1000


def test_a_flatbuffer_checked_once_is_trusted_later_without_keras_unless_its_answer_changed(tiny):
    from desktop_app.ml.litert_backbone import (
        cache_dir,
        fast_forward,
        flatbuffer_key,
        verified_forward,
    )

    spec, weights, extractor = _extractor(tiny, TINY_SIZE)
    key = flatbuffer_key(spec.name, TINY_SIZE, weights)
    assert fast_forward(extractor, key) is not None
    assert verified_forward(key) is None  # converted, never checked against Keras: not trusted
    assert fast_forward(extractor, key, reference=extractor.predict_on_batch) is not None
    assert verified_forward(key) is not None  # the check's answer is stored beside it
    (answer,) = cache_dir().glob(f"{key}.keras*.probe.npy")
    np.save(answer, np.load(answer) + 0.5)  # what Keras said no longer matches the flatbuffer
    assert verified_forward(key) is None
    answer.write_bytes(b"damaged")
    assert verified_forward(key) is None


def test_a_later_training_embeds_on_the_trusted_flatbuffer_while_keras_builds_the_backbone(
    tiny, tmp_path, monkeypatch
):
    """As in a new process: the flatbuffer was checked before, so the photos embed at once and
    the Keras backbone (the saved model needs it) is built on another thread meanwhile."""
    import threading

    from desktop_app.ml import embedding, litert_backbone
    from desktop_app.ml.features import FeatureCache
    from desktop_app.ml.training import TrainSettings, train

    settings = TrainSettings(backbone=tiny, epochs=2, batch_size=4, allow_download=False)
    with _dataset(tmp_path / "first") as dataset:
        train(dataset, settings)  # converts and checks the flatbuffer
        first = FeatureCache(dataset.studio_dir, f"{tiny}_{TINY_SIZE}").vectors
    for kept in ("_fast", "_frozen", "_extractors"):  # what this process keeps: forgotten
        monkeypatch.setattr(embedding, kept, {})

    def no_keras_check(*args, **kwargs):
        raise AssertionError("the flatbuffer was checked against Keras again")

    monkeypatch.setattr(litert_backbone, "fast_forward", no_keras_check)
    built_on = []
    real_build = embedding.build_backbone

    def build(*args):
        built_on.append(threading.current_thread().name)
        return real_build(*args)

    monkeypatch.setattr(embedding, "build_backbone", build)
    with _dataset(tmp_path / "second") as dataset:
        record = train(dataset, settings)
        second = FeatureCache(dataset.studio_dir, f"{tiny}_{TINY_SIZE}").vectors
    assert record.runtime == "CPU · XNNPACK" and record.status == "complete"
    assert len(built_on) == 1 and built_on[0] != threading.current_thread().name
    assert set(first) == set(second)
    for digest, vector in first.items():
        assert np.array_equal(vector, second[digest])


def test_training_embeds_on_xnnpack_and_says_so_and_keras_gives_the_same_cache(tiny, tmp_path):
    from desktop_app.ml.features import FeatureCache
    from desktop_app.ml.training import TrainSettings, train

    settings = TrainSettings(backbone=tiny, epochs=2, batch_size=4, allow_download=False)
    with _dataset(tmp_path / "fast") as dataset:
        record = train(dataset, settings)
        fast = FeatureCache(dataset.studio_dir, f"{tiny}_{TINY_SIZE}").vectors
    assert record.runtime == "CPU · XNNPACK"
    on_disk = json.loads((record.dir / "run.json").read_text())
    assert on_disk["runtime"] == "CPU · XNNPACK"

    import os

    os.environ["HOTDOG_RUNTIME"] = "keras"
    try:
        with _dataset(tmp_path / "keras") as dataset:
            record = train(dataset, settings)
            slow = FeatureCache(dataset.studio_dir, f"{tiny}_{TINY_SIZE}").vectors
    finally:
        del os.environ["HOTDOG_RUNTIME"]
    assert record.runtime == "CPU · Keras"
    assert set(fast) == set(slow)
    for digest, vector in fast.items():  # both stored as float16: one rounding step apart at most
        assert np.allclose(vector, slow[digest], atol=1e-4, rtol=2e-3)


def test_the_predictor_runs_a_fast_mode_model_on_xnnpack_with_the_same_scores(tiny, tmp_path):
    import os

    from desktop_app.ml.predict import Predictor
    from desktop_app.ml.training import TrainSettings, train

    settings = TrainSettings(backbone=tiny, epochs=2, batch_size=4, allow_download=False)
    with _dataset(tmp_path / "data") as dataset:
        record = train(dataset, settings)
    fast = Predictor(record.model_path)
    assert fast.runtime == "CPU · XNNPACK"
    os.environ["HOTDOG_RUNTIME"] = "keras"
    try:
        slow = Predictor(record.model_path)
    finally:
        del os.environ["HOTDOG_RUNTIME"]
    assert slow.runtime == "CPU · Keras"
    images = np.stack([np.asarray(picture(200 + i, (TINY_SIZE, TINY_SIZE))) for i in range(4)])
    assert np.abs(fast.probabilities(images) - slow.probabilities(images)).max() <= 1e-4


def test_a_model_whose_backbone_changed_keeps_keras(tiny, tmp_path):
    """A fine-tuned backbone is not the ImageNet one the flatbuffer holds: the probe tells."""
    from desktop_app.ml.predict import Predictor
    from desktop_app.ml.training import TrainSettings, train

    settings = TrainSettings(backbone=tiny, epochs=2, batch_size=4, allow_download=False)
    with _dataset(tmp_path / "data") as dataset:
        record = train(dataset, settings)
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    model = keras.saving.load_model(record.model_path, compile=False)
    backbone = next(layer for layer in model.layers if layer.name == "tiny_backbone")
    kernel = backbone.get_layer("top_conv").kernel
    kernel.assign(kernel.numpy() * 1.5)  # what fine-tuning does, in one step
    model.save(record.model_path)
    assert Predictor(record.model_path).runtime == "CPU · Keras"


@pytest.mark.slow
@pytest.mark.skipif(
    not (PHOTOS.is_dir() and WEIGHTS.is_dir()), reason="../shared/data or ../shared/weights absent"
)
def test_real_weights_give_the_same_features_on_real_photos(tmp_path, monkeypatch):
    from desktop_app.core.imaging import load_array
    from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
    from desktop_app.ml.litert_backbone import fast_forward, flatbuffer_key

    spec = get_spec(DEFAULT_BACKBONE)
    models = tmp_path / "keras_home" / "models"
    models.mkdir(parents=True)
    (models / spec.weights_file).symlink_to(WEIGHTS / spec.weights_file)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("HOTDOG_RUNTIME", raising=False)
    spec, weights, extractor = _extractor(DEFAULT_BACKBONE, spec.input_size)
    forward = fast_forward(extractor, flatbuffer_key(spec.name, spec.input_size, weights))
    assert forward is not None
    photos = sorted(PHOTOS.glob("*/*.jpg"))[::300][:8]
    batch = np.stack([load_array(p, spec.input_size) for p in photos]).astype(np.float32)
    difference = np.abs(forward(batch) - extractor.predict_on_batch(batch)).max()
    assert difference <= 1e-4, difference


def test_the_windows_warm_up_leaves_a_first_training_nothing_to_build_or_trace(
    tiny, tmp_path, monkeypatch
):
    """embedding.warm_up, which the window runs while the user labels, builds the frozen
    backbone; a first training in that process then builds nothing, and compiles no head."""
    from desktop_app.ml import embedding
    from desktop_app.ml import head as head_module
    from desktop_app.ml.backbones import get_spec
    from desktop_app.ml.training import TrainSettings, train

    settings = TrainSettings(backbone=tiny, epochs=2, batch_size=4, allow_download=False)
    spec = get_spec(tiny)
    assert embedding.warm_up(spec, settings) is False  # never converted nor checked here
    with _dataset(tmp_path / "first") as dataset:
        train(dataset, settings)  # converts and checks the flatbuffer
    for kept in ("_fast", "_frozen", "_extractors"):  # as in a new process
        monkeypatch.setattr(embedding, kept, {})
    monkeypatch.setattr(head_module, "_kept", {})

    assert embedding.warm_up(spec, settings) is True
    made = []
    real_build, real_head = embedding.build_backbone, head_module.compiled_head
    monkeypatch.setattr(
        embedding, "build_backbone", lambda *a: made.append("backbone") or real_build(*a)
    )
    monkeypatch.setattr(
        head_module, "compiled_head", lambda *a: made.append("head") or real_head(*a)
    )
    with _dataset(tmp_path / "second") as dataset:
        record = train(dataset, settings)
    assert record.status == "complete" and record.runtime == "CPU · XNNPACK"
    assert made == []  # the head fitted in NumPy: no Keras head compiled
    assert record.metrics["head_fit"] == "NumPy"


def test_no_warm_up_without_the_weights_on_disk(tmp_path, monkeypatch):
    from desktop_app.ml import embedding
    from desktop_app.ml.backbones import DEFAULT_BACKBONE, get_spec
    from desktop_app.ml.training import TrainSettings

    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "empty"))
    assert embedding.warm_up(get_spec(DEFAULT_BACKBONE), TrainSettings()) is False
