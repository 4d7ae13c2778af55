"""The Under the hood view's model drawing and forward pass, read from real Keras models."""

from __future__ import annotations

import json

import numpy as np
import pytest
from ml_synthetic import draw
from ml_tiny import register_tiny

from desktop_app.ml import model as models
from desktop_app.ml.anatomy import anatomy, backbone_parts
from desktop_app.ml.backbones import BACKBONES, build_backbone, get_spec
from desktop_app.ml.forward_pass import MAPS_PER_LAYER, ForwardPassModel
from desktop_app.ml.predict import Predictor
from desktop_app.ml.weights import resolve_weights


@pytest.mark.parametrize("name", [n for n in BACKBONES if n != "tiny_test"])
def test_every_backbone_is_drawn_with_all_its_layers_and_parameters(name):
    spec = get_spec(name)
    backbone = build_backbone(spec, None, input_size=96 if spec.pretrained else None)
    parts = backbone_parts(backbone)
    shown = [layer for part in parts for layer in part.layers]
    real = [layer.name for layer in backbone.layers if type(layer).__name__ != "InputLayer"]
    assert shown == real  # every layer once, in order
    assert sum(part.params for part in parts) == backbone.count_params()
    assert sum(part.frozen_params for part in parts) == sum(
        int(np.prod(w.shape)) for w in backbone.non_trainable_weights
    )
    assert parts[-1].kind == "pool" and parts[-1].output == str(backbone.output_shape[-1])
    blocks = [part for part in parts if part.kind == "block"]
    assert len(blocks) >= 4 and all(part.computes.endswith(".") for part in parts)
    assert len({part.name for part in blocks}) == len(blocks)  # no block named twice


@pytest.fixture
def tiny_model(tmp_path, monkeypatch):
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


def test_the_head_is_drawn_as_neurons_with_their_weights_and_biases(tiny_model):
    _path, model = tiny_model
    drawn = anatomy(model)
    dense = [part for part in drawn.head_parts if part.kind == "dense"]
    assert [part.units for part in dense] == [models.HIDDEN_UNITS, 2]
    assert dense[0].weights == 32 * models.HIDDEN_UNITS and dense[0].biases == models.HIDDEN_UNITS
    assert dense[1].weights == models.HIDDEN_UNITS * 2 and dense[1].biases == 2
    assert drawn.total_params() == model.count_params()
    assert drawn.backbone_parts[0].kind == "preprocess"


def test_the_forward_pass_ends_in_the_models_own_prediction(tiny_model):
    path, _model = tiny_model
    predictor = Predictor(path)
    image = np.asarray(draw("hot_dog", __import__("random").Random(4), 48))
    passed = ForwardPassModel(predictor.model, predictor.classes).run(image)
    assert passed.score(0) == pytest.approx(predictor.predict_image(image), abs=1e-5)
    assert passed.features.shape == (32,)
    assert [name for name, _ in passed.head][-1] == "probabilities"
    hidden = passed.head[0][1]
    assert hidden.shape == (models.HIDDEN_UNITS,) and hidden.min() >= 0  # ReLU neurons
    for maps in passed.maps:
        assert maps.maps.shape[0] == min(MAPS_PER_LAYER, maps.shape[2])
        assert maps.maps.min() >= 0 and maps.maps.max() <= 1
    # Another photo lights up other neurons.
    other = np.asarray(draw("not_hot_dog", __import__("random").Random(9), 48))
    again = ForwardPassModel(predictor.model, predictor.classes).run(other)
    assert not np.allclose(again.features, passed.features)
