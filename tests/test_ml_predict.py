"""Predictor, safe loading, Grad-CAM and export, on tiny models saved as real .keras files."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ml_synthetic import draw, write_images
from ml_tiny import register_tiny

from desktop_app.core.errors import StudioError
from desktop_app.ml import model as models
from desktop_app.ml.backbones import build_backbone, get_spec
from desktop_app.ml.export import export_model
from desktop_app.ml.gradcam import heatmap
from desktop_app.ml.predict import Predictor
from desktop_app.ml.runtime import keras_module
from desktop_app.ml.safety import UnsafeModel
from desktop_app.ml.weights import resolve_weights


@pytest.fixture
def saved_model(tmp_path, monkeypatch):
    """(path, in-memory model): the tiny backbone + a freshly initialised head, saved with a sidecar."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    spec = get_spec(register_tiny(tmp_path / "keras_home"))
    backbone = build_backbone(spec, resolve_weights(spec))
    head = models.build_head(backbone.output_shape[-1], 2, seed=3)
    model = models.full_model(spec, backbone, head, spec.input_size)
    path = tmp_path / "model.keras"
    model.save(path)
    (tmp_path / "model.json").write_text(
        json.dumps({"classes": ["hot_dog", "not_hot_dog"], "backbone": spec.name})
    )
    return path, model


def pictures(count: int, size: int = 48) -> np.ndarray:
    import random

    rng = random.Random(5)
    return np.stack(
        [np.asarray(draw("hot_dog" if i % 2 else "not_hot_dog", rng, size)) for i in range(count)]
    )


def test_reloaded_model_predicts_like_the_one_in_memory(saved_model):
    path, model = saved_model
    images = pictures(6)
    expected = np.asarray(model.predict(images.astype("float32"), verbose=0))
    predictor = Predictor(path)
    assert predictor.classes == ["hot_dog", "not_hot_dog"]
    assert predictor.input_size == 48
    np.testing.assert_allclose(predictor.predict_batch(images), expected[:, 0], atol=1e-5)
    assert predictor.predict_image(images[0]) == pytest.approx(float(expected[0, 0]), abs=1e-5)
    # Any size is resized the way training decoded it.
    big = np.asarray(
        __import__("PIL.Image", fromlist=["Image"]).fromarray(images[1]).resize((96, 96))
    )
    assert 0.0 <= predictor.predict_image(big) <= 1.0


def test_predict_paths_answers_every_file_and_names_the_bad_one(saved_model, tmp_path):
    path, _ = saved_model
    good = write_images(tmp_path / "photos", "hot_dog", 3, seed=4)
    broken = tmp_path / "photos" / "broken.jpg"
    broken.write_bytes(b"not really a jpeg")
    answers = list(Predictor(path).predict_paths([good[0], broken, *good[1:]]))
    assert [a["path"] for a in answers] == [str(p) for p in [good[0], broken, *good[1:]]]
    assert "error" in answers[1] and "label" not in answers[1]
    for answer in answers[:1] + answers[2:]:
        assert answer["label"] in ("hot_dog", "not_hot_dog") and 0 <= answer["score"] <= 1


def test_a_lambda_layer_is_refused_with_the_reason(tmp_path):
    keras = keras_module()
    inputs = keras.Input((8, 8, 3))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)
    with pytest.raises(UnsafeModel, match="Lambda"):
        Predictor(path)


def test_a_custom_object_is_refused_with_the_reason(tmp_path):
    keras = keras_module()

    @keras.saving.register_keras_serializable(package="somebody")
    class Sneaky(keras.layers.Layer):
        def call(self, x):
            return x

    inputs = keras.Input((8, 8, 3))
    path = tmp_path / "custom.keras"
    keras.Model(inputs, Sneaky()(inputs)).save(path)
    with pytest.raises(UnsafeModel, match="custom object 'Sneaky'"):
        Predictor(path)


def test_not_a_model_file_is_a_clear_error(tmp_path):
    path = tmp_path / "photo.keras"
    path.write_bytes(b"\xff\xd8\xff garbage")
    with pytest.raises(StudioError, match="not a Keras 3 model file"):
        Predictor(path)


def test_gradcam_heatmap_covers_the_image(saved_model):
    path, _ = saved_model
    predictor = Predictor(path)
    image = pictures(1, size=80)[0]
    heat = heatmap(predictor, image)
    assert heat.shape == (80, 80) and heat.dtype == np.float32
    assert 0.0 <= heat.min() and heat.max() <= 1.0


def test_tflite_export_agrees_with_the_keras_model(saved_model, tmp_path):
    import tensorflow as tf

    path, _ = saved_model
    images = pictures(4)
    expected = Predictor(path).probabilities(images)
    out = export_model(path, "tflite", tmp_path / "export" / "model.tflite")
    interpreter = tf.lite.Interpreter(model_path=str(out))
    runner = interpreter.get_signature_runner()
    (input_name,) = runner.get_input_details()
    got = []
    for image in images:
        result = runner(**{input_name: image[None].astype("float32")})
        got.append(next(iter(result.values()))[0])
    np.testing.assert_allclose(np.array(got), expected, atol=1e-4)


def test_keras_and_savedmodel_exports(saved_model, tmp_path):
    path, _ = saved_model
    copy = export_model(path, "keras", tmp_path / "out" / "copy.keras")
    assert Predictor(copy).classes == ["hot_dog", "not_hot_dog"]  # the sidecar travels too
    folder = export_model(path, "savedmodel", tmp_path / "out" / "saved")
    assert (folder / "saved_model.pb").is_file()
    with pytest.raises(StudioError, match="unknown format|Unknown format"):
        export_model(path, "onnx", tmp_path / "out" / "m.onnx")
