"""Why this verdict (ml/explain.py): the votes and the bias add up to the logit, the score is the
Predictor's to 1e-6 on either runtime, and a model without a head is explained as far as it can be."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from ml_explained import keras_home, train_fast
from ml_synthetic import draw, write_images

from desktop_app.core.dataset import Dataset
from desktop_app.core.errors import BadImage, StudioError
from desktop_app.core.imaging import load_array
from desktop_app.ml.exciting_photos import exciting_photos
from desktop_app.ml.explain import Explainer
from desktop_app.ml.predict import Predictor
from desktop_app.ml.runtime import keras_module


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    """(dataset root, model path, some photo files) of one fast-mode training."""
    tmp = tmp_path_factory.mktemp("explain")
    with keras_home(tmp / "keras_home") as tiny:
        root, record = train_fast(tmp, tiny)
        photos = write_images(tmp / "new", "hot_dog", 2, seed=31)
        photos += write_images(tmp / "new", "not_hot_dog", 2, seed=31)
        yield root, record.model_path, photos


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def _check_adds_up(explanation) -> None:
    total = sum(vote.contribution for vote in explanation.votes)
    assert explanation.bias + total == pytest.approx(explanation.logit, abs=1e-5)
    assert _sigmoid(explanation.logit) == pytest.approx(explanation.score, abs=1e-6)


def test_votes_plus_bias_are_the_logit_and_the_score_is_the_predictors(fast):
    from desktop_app.ml.litert_backbone import XNNPACK, unavailable_reason

    _, model_path, photos = fast
    explainer = Explainer(model_path)
    predictor = Predictor(model_path)
    assert explainer.predictor.runtime == predictor.runtime
    if unavailable_reason() is None:  # the XNNPACK path is the one under test here
        assert predictor.runtime.endswith(XNNPACK)
    answers = list(predictor.predict_paths(photos))
    for photo, answer in zip(photos, answers, strict=True):
        explanation = explainer.explain_path(photo)
        _check_adds_up(explanation)
        assert explanation.label == answer["label"]
        assert explanation.score == pytest.approx(answer["score"], abs=1.5e-6)  # rounded to 6
        pixels = load_array(photo, predictor.input_size)
        assert explanation.score == pytest.approx(predictor.predict_image(pixels), abs=1e-6)
    # A Live frame at its own size is resized as the Predictor resizes it.
    frame = np.asarray(draw("hot_dog", __import__("random").Random(2), size=120))
    explanation = explainer.explain_image(frame)
    _check_adds_up(explanation)
    assert explanation.score == pytest.approx(predictor.predict_image(frame), abs=1e-6)


def test_the_keras_runtime_agrees_too(fast, monkeypatch):
    monkeypatch.setenv("HOTDOG_RUNTIME", "keras")
    _, model_path, photos = fast
    explainer = Explainer(model_path)
    assert explainer.predictor.runtime.endswith("Keras")
    answer = next(explainer.predictor.predict_paths(photos[:1]))
    explanation = explainer.explain_path(photos[0])
    _check_adds_up(explanation)
    assert explanation.score == pytest.approx(answer["score"], abs=1.5e-6)


def test_votes_are_every_hidden_unit_sorted_with_top_for_and_against(fast):
    _, model_path, photos = fast
    explanation = Explainer(model_path).explain_path(photos[0])
    assert explanation.inputs_kind == "hidden unit" and explanation.versus == "not_hot_dog"
    assert len(explanation.votes) == 128 == len(explanation.hidden)
    assert sorted(v.index for v in explanation.votes) == list(range(128))
    contributions = [v.contribution for v in explanation.votes]
    assert contributions == sorted(contributions, reverse=True)
    for vote in explanation.votes:
        assert vote.input == pytest.approx(float(explanation.hidden[vote.index]))
        assert vote.contribution == pytest.approx(vote.input * vote.weight)
    assert all(v.contribution > 0 for v in explanation.top_for(5))
    against = explanation.top_against(5)
    assert all(v.contribution < 0 for v in against)
    assert [v.contribution for v in against] == sorted(v.contribution for v in against)
    as_json = json.loads(json.dumps(explanation.to_dict(3)))
    assert len(as_json["top_for"]) <= 3 and as_json["input_count"] == 128


def test_layer_statistics_cover_backbone_features_and_head(fast):
    _, model_path, photos = fast
    explanation = Explainer(model_path).explain_path(photos[1])
    parts = [layer.part for layer in explanation.layers]
    assert parts[0] == "backbone" and "features" in parts and parts[-1] == "head"
    names = [layer.name for layer in explanation.layers]
    assert "top_conv" in names and names[-1] == "probabilities"
    features = next(layer for layer in explanation.layers if layer.part == "features")
    assert features.shape == (32,) and features.mean == pytest.approx(explanation.features.mean())
    # The hidden Dense layer by kind: Keras numbers its name by how many came before in the
    # process ("dense_7" after other tests), so the name says nothing here.
    dense = next(
        layer
        for layer in explanation.layers
        if layer.kind == "Dense" and layer.part == "head" and layer.name != "probabilities"
    )
    assert dense.shape == (128,)
    assert dense.zero_share == pytest.approx(float(np.mean(explanation.hidden == 0)))
    assert dense.max == pytest.approx(float(explanation.hidden.max()))
    for layer in explanation.layers:
        assert 0.0 <= layer.zero_share <= 1.0 and layer.max >= layer.mean


def test_a_head_without_hidden_layer_votes_with_the_pooled_features(tmp_path, monkeypatch):
    from desktop_app.ml import model as models
    from desktop_app.ml.backbones import build_backbone, get_spec
    from desktop_app.ml.weights import resolve_weights

    with keras_home(tmp_path / "keras_home") as tiny:
        spec = get_spec(tiny)
        backbone = build_backbone(spec, resolve_weights(spec))
        head = models.build_head(backbone.output_shape[-1], 2, hidden=0, seed=4)
        path = tmp_path / "model.keras"
        models.full_model(spec, backbone, head, spec.input_size).save(path)
        (tmp_path / "model.json").write_text(json.dumps({"classes": ["hot_dog", "not_hot_dog"]}))
        photo = write_images(tmp_path / "photos", "hot_dog", 1, seed=5)[0]
        explanation = Explainer(path).explain_path(photo)
        assert explanation.inputs_kind == "feature" and explanation.hidden is None
        assert len(explanation.votes) == 32
        _check_adds_up(explanation)
        assert explanation.score == pytest.approx(
            next(Predictor(path).predict_paths([photo]))["score"], abs=1.5e-6
        )


def test_a_model_without_a_head_gets_its_verdict_and_says_why_no_more(tmp_path):
    keras = keras_module()
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.Conv2D(4, 3, activation="relu")(inputs)
    x = keras.layers.GlobalAveragePooling2D()(x)
    path = tmp_path / "flat.keras"
    keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x)).save(path)
    photo = write_images(tmp_path / "photos", "hot_dog", 1, seed=6)[0]
    explanation = Explainer(path).explain_path(photo)
    assert "no separate head" in explanation.note
    assert explanation.votes == [] and explanation.logit is None
    assert explanation.score == pytest.approx(
        next(Predictor(path).predict_paths([photo]))["score"], abs=1.5e-6
    )
    assert json.dumps(explanation.to_dict())  # the command prints it as it is


def test_the_photos_that_excite_a_unit_most_come_from_the_feature_cache(fast):
    from desktop_app.ml.features import FeatureCache

    root, model_path, photos = fast
    explainer = Explainer(model_path)
    unit = explainer.explain_path(photos[0]).top_for(1)[0].index
    with Dataset.open(root, readonly=True) as dataset:
        found = exciting_photos(explainer, dataset, unit, count=4)
        labeled = {item.hash: item.label for item in dataset.items()}
        cache = FeatureCache(dataset.studio_dir, f"{explainer.predictor.backbone}_48")
    assert len(found) == 4 and all(labeled[p.hash] == p.label for p in found)
    activations = [p.activation for p in found]
    assert activations == sorted(activations, reverse=True)
    everyone = explainer.final_inputs(cache.get(list(labeled)))[:, unit]
    assert activations[0] == pytest.approx(float(everyone.max()), abs=1e-6)


def test_a_model_that_trained_its_backbone_has_no_cached_features_to_show(tmp_path):
    keras = keras_module()
    inputs = keras.Input((32, 32, 3))
    x = keras.layers.GlobalAveragePooling2D()(inputs)
    path = tmp_path / "flat.keras"
    keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x)).save(path)
    with Dataset.create(tmp_path / "dataset") as dataset:
        with pytest.raises(StudioError, match="fast-mode"):
            exciting_photos(Explainer(path), dataset, 0)


def test_a_bad_photo_is_one_clear_line(fast, tmp_path):
    _, model_path, _ = fast
    explainer = Explainer(model_path)
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    for bad in (text, tmp_path / "missing.jpg"):
        with pytest.raises(BadImage) as caught:
            explainer.explain_path(bad)
        assert "\n" not in str(caught.value) and bad.name in str(caught.value)
