"""Why this verdict, exactly: one photo's forward pass through a saved model, and its logit split
into a bias and one vote per input of the head's final Dense layer (issue #14, section 3).

With two classes P(hot_dog) = sigmoid(margin), where
    margin = z_hot_dog - z_other = (b_hd - b_other) + sum_j (W[j, hd] - W[j, other]) * h_j
and h are the final layer's inputs: the hidden units, or the pooled features where the head has no
hidden layer (the small CNN's). The features come through the Predictor's own runtime (XNNPACK or
Keras), so the score here is the score `predict` gives for the same photo.

An Explainer owns Keras objects: make it and call it on one worker thread (ml/predict.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.core.imaging import load_array
from desktop_app.ml.activation_stats import BACKBONE_LAYERS, BackboneProbe, LayerStats, stats_of
from desktop_app.ml.metrics import score_index
from desktop_app.ml.predict import Predictor, resize_to
from desktop_app.ml.runtime import keras_module

TOP_VOTES = 10
_CHUNK = 1024  # cached features per head call in final_inputs (bounded memory)


@dataclass(frozen=True)
class Vote:
    index: int  # which input of the final layer (hidden unit or feature number)
    input: float  # h_j, its value for this photo
    weight: float  # W[j, hot_dog] - W[j, other]
    contribution: float  # weight × input: > 0 votes for hot dog, < 0 against

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("index", "input", "weight", "contribution")}


@dataclass
class Explanation:
    path: str | None
    classes: list[str]
    label: str  # the verdict: the most probable class
    score: float  # P(hot_dog), as Predictor gives it
    probabilities: list[float]
    logit: float | None  # the margin z_hot_dog - z_versus; None when it could not be split
    bias: float | None  # b_hot_dog - b_versus
    versus: str | None  # the class the margin is taken against
    votes: list[Vote]  # every input's vote, most for hot dog first; [] when not decomposable
    inputs_kind: str  # "hidden unit" or "feature": what the votes' indices count
    features: np.ndarray  # the pooled backbone features (the head's input); empty if unknown
    hidden: np.ndarray | None  # the hidden layer's activations (the votes' inputs), if any
    layers: list[LayerStats] = field(default_factory=list)
    runtime: str = ""
    note: str | None = None  # what could not be explained, and why

    def top_for(self, count: int = TOP_VOTES) -> list[Vote]:
        return [vote for vote in self.votes if vote.contribution > 0][:count]

    def top_against(self, count: int = TOP_VOTES) -> list[Vote]:
        return [vote for vote in reversed(self.votes) if vote.contribution < 0][:count]

    def to_dict(self, top: int = TOP_VOTES) -> dict:
        return {
            "path": self.path,
            "label": self.label,
            "score": round(self.score, 6),
            "classes": self.classes,
            "probabilities": [round(p, 6) for p in self.probabilities],
            "logit": self.logit,
            "bias": self.bias,
            "versus": self.versus,
            "inputs": self.inputs_kind,
            "input_count": len(self.votes),
            "top_for": [vote.to_dict() for vote in self.top_for(top)],
            "top_against": [vote.to_dict() for vote in self.top_against(top)],
            "layers": [layer.to_dict() for layer in self.layers],
            "runtime": self.runtime,
            "note": self.note,
        }


class Explainer:
    """A saved model (or a Predictor) ready to explain photo after photo."""

    def __init__(self, model, *, backbone_layers: int = BACKBONE_LAYERS) -> None:
        keras = keras_module()
        self.predictor = model if isinstance(model, Predictor) else Predictor(model)
        self.classes = list(self.predictor.classes)
        full = self.predictor.model
        head = _layer_named(full, "head")
        self.head = head if isinstance(head, keras.Model) else None
        self.note = None if self.head else "This model has no separate head: only its verdict."
        self._before = _layers_before(full, self.head)
        self._backbone = next(
            (x for x in reversed(self._before) if isinstance(x, keras.Model)), None
        )
        inner = self.head.layers if self.head is not None else []
        self._chain = [x for x in inner if type(x).__name__ != "InputLayer"]
        self._final = self._chain[-1] if self._chain else None
        if self.head is not None and not self._decomposable():
            self.note = f"The head's last layer ({type(self._final).__name__}) is no softmax Dense."
        self._features = self._feature_forward() if self.head is not None else None
        self._probe_count = backbone_layers
        self._probe: BackboneProbe | None = None

    def explain_path(self, path) -> Explanation:
        """As `predict` decodes it; BadImage (one line) for a file that is no usable image."""
        return self.explain_image(load_array(Path(path), self.predictor.input_size), str(path))

    def explain_image(self, image: np.ndarray, path: str | None = None) -> Explanation:
        batch = self._prepared(image)
        if self.head is None:
            probabilities = self.predictor.probabilities(batch)[0]
            return self._verdict(path, probabilities, np.zeros(0, np.float32), [], [])
        features = self.features_of(batch)
        outputs = self._head_pass(features)
        layers = self._backbone_stats(batch) + [
            stats_of("features", "pooled features", _kind(self._backbone), features[0])
        ]
        layers += [
            stats_of("head", layer.name, type(layer).__name__, out[0])
            for layer, out in zip(self._chain, outputs, strict=True)
        ]
        inputs = outputs[-2] if len(outputs) > 1 else features
        return self._verdict(path, outputs[-1][0], features[0], inputs[0], layers)

    def features_of(self, image_or_batch: np.ndarray) -> np.ndarray:
        """N×D pooled features through the Predictor's runtime (the head's input)."""
        if self._features is None:
            raise ValueError("this model has no separate head, so no features to show")
        return np.asarray(self._features(self._prepared(image_or_batch)), np.float32)

    def final_inputs(self, features: np.ndarray) -> np.ndarray:
        """N×K inputs of the final layer (the votes' h) for N feature vectors, e.g. cached ones."""
        features = np.asarray(features, np.float32)
        rows = [
            self._head_pass(features[start : start + _CHUNK])
            for start in range(0, len(features), _CHUNK)
        ]
        if not rows or len(self._chain) < 2:
            return features
        return np.concatenate([outputs[-2] for outputs in rows])

    @property
    def inputs_kind(self) -> str:
        keras = keras_module()
        dense = [x for x in self._chain[:-1] if isinstance(x, keras.layers.Dense)]
        return "hidden unit" if dense else "feature"

    def _verdict(self, path, probabilities, features, inputs, layers) -> Explanation:
        probabilities = np.asarray(probabilities, np.float64)
        column = score_index(self.classes)
        explanation = Explanation(
            path=path,
            classes=self.classes,
            label=self.predictor.label_of(probabilities),
            score=float(probabilities[column]),
            probabilities=[float(p) for p in probabilities],
            logit=None,
            bias=None,
            versus=None,
            votes=[],
            inputs_kind=self.inputs_kind if self.head is not None else "feature",
            features=np.asarray(features, np.float32),
            hidden=np.asarray(inputs, np.float32) if self.inputs_kind == "hidden unit" else None,
            layers=layers,
            runtime=self.predictor.runtime,
            note=self.note,
        )
        if self.note is None:
            self._decompose(explanation, np.asarray(inputs, np.float64), column)
        return explanation

    def _decompose(self, explanation: Explanation, h: np.ndarray, column: int) -> None:
        keras = keras_module()
        kernel = np.asarray(keras.ops.convert_to_numpy(self._final.kernel), np.float64)
        bias = (
            np.asarray(keras.ops.convert_to_numpy(self._final.bias), np.float64)
            if self._final.use_bias
            else np.zeros(kernel.shape[1])
        )
        logits = h @ kernel + bias
        # Two classes: the other one; more: the closest rival (the score is then no plain sigmoid).
        versus = max((i for i in range(len(logits)) if i != column), key=lambda i: logits[i])
        weights = kernel[:, column] - kernel[:, versus]
        contributions = weights * h
        order = np.argsort(-contributions, kind="stable")
        explanation.votes = [
            Vote(int(j), float(h[j]), float(weights[j]), float(contributions[j])) for j in order
        ]
        explanation.logit = float(logits[column] - logits[versus])
        explanation.bias = float(bias[column] - bias[versus])
        explanation.versus = self.classes[versus]
        if len(self.classes) > 2:
            explanation.note = (
                f"With {len(self.classes)} classes the score is a softmax over all of them;"
                f" the logit shown is {self.classes[column]} against {self.classes[versus]}."
            )

    def _decomposable(self) -> bool:
        keras = keras_module()
        final = self._final
        return (
            isinstance(final, keras.layers.Dense)
            and getattr(final.activation, "__name__", "") == "softmax"
            and final.units == len(self.classes)
        )

    def _prepared(self, image: np.ndarray) -> np.ndarray:
        """A float32 batch at the input size, resized as Predictor.probabilities resizes."""
        batch = np.asarray(image)
        batch = batch[None] if batch.ndim == 3 else batch
        size = self.predictor.input_size
        if batch.shape[1:3] != (size, size):
            batch = np.stack([resize_to(picture, size) for picture in batch])
        return batch.astype(np.float32)

    def _feature_forward(self):
        from desktop_app.ml.fast_predict import xnnpack_backbone
        from desktop_app.ml.forward import compiled_forward
        from desktop_app.ml.litert_backbone import XNNPACK

        full = self.predictor.model
        if self.predictor.runtime.endswith(XNNPACK):  # the very flatbuffer the Predictor runs
            fast = xnnpack_backbone(full, self.predictor.info)
            if fast is not None:
                return fast
        keras = keras_module()
        inputs = keras.Input(full.input_shape[1:])
        x = inputs
        for layer in self._before:
            x = layer(x, training=False)
        return compiled_forward(keras.Model(inputs, x))

    def _head_pass(self, features: np.ndarray) -> list[np.ndarray]:
        """Each head layer's output in turn (inference: Dropout passes everything through)."""
        keras = keras_module()
        x, outputs = features, []
        for layer in self._chain:
            x = layer(x, training=False)
            outputs.append(np.asarray(keras.ops.convert_to_numpy(x), np.float32))
        return outputs

    def _backbone_stats(self, batch: np.ndarray) -> list[LayerStats]:
        if self._backbone is None or self._probe_count <= 0:
            return []
        if self._probe is None:
            self._probe = BackboneProbe(self._backbone, self._probe_count)
        x = batch
        for layer in self._before[: self._before.index(self._backbone)]:
            x = layer(x, training=False)  # the preprocessing inside the model
        return self._probe(x)


def explain(model_path, photo_path) -> Explanation:
    """One photo, one model: what the `explain` command prints."""
    return Explainer(model_path).explain_path(photo_path)


def _layer_named(model, name: str):
    try:
        return model.get_layer(name)
    except ValueError:
        return None


def _layers_before(model, head) -> list:
    """The full model's layers from its input up to the head (preprocessing, backbone)."""
    if head is None:
        return []
    before = []
    for layer in model.layers:
        if layer is head:
            break
        if type(layer).__name__ != "InputLayer" and "augment" not in layer.name:
            before.append(layer)
    return before


def _kind(backbone) -> str:
    return backbone.name if backbone is not None else "backbone"
