"""Predictor: a saved model, loaded safely, answering "how hot-dog is this?" for arrays and files.

Each Predictor owns its model instance (Keras is not thread-safe: never share one with training).
Inference goes through the model's forward pass compiled once (ml/forward.py), not eager per frame
and without predict()'s per-call machinery.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from desktop_app.core.errors import StudioError
from desktop_app.core.imaging import squash_array
from desktop_app.ml.features import decoded_batches
from desktop_app.ml.forward import compiled_forward
from desktop_app.ml.metrics import score_index
from desktop_app.ml.model_fit import fitting_classes_and_size
from desktop_app.ml.runtime import keras_module
from desktop_app.ml.safety import check_model_file

DEFAULT_CLASSES = ["hot_dog", "not_hot_dog"]
PATH_BATCH = 16


def resize_to(image: np.ndarray, size: int) -> np.ndarray:
    """uint8 HxWx3 -> size×size×3 the way training decoded images (bilinear, whole frame)."""
    return squash_array(image, size)


def sidecar_for(model_path: Path) -> dict:
    """run.json beside a run's model.keras, or <stem>.json beside an exported one; {} if none."""
    for candidate in (model_path.with_suffix(".json"), model_path.parent / "run.json"):
        if candidate.is_file():
            try:
                return json.loads(candidate.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
    return {}


class Predictor:
    def __init__(self, model_path) -> None:
        self.model_path = Path(model_path)
        check_model_file(self.model_path)
        keras = keras_module()
        try:
            self.model = keras.saving.load_model(self.model_path, safe_mode=True, compile=False)
        except Exception as error:  # anything Keras raises here means "this file is not usable"
            reason = (
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            )
            raise StudioError(f"Cannot load {self.model_path.name}: {reason[:300]}") from None
        self.info = sidecar_for(self.model_path)
        self.classes, self.input_size = fitting_classes_and_size(
            self.model, self.info, self.model_path.name, DEFAULT_CLASSES
        )
        self.backbone: str | None = self.info.get("backbone")
        self._score_column = score_index(self.classes)
        self._forward = compiled_forward(self.model)
        # Fast-mode models on a CPU: the backbone through XNNPACK, if it agrees with Keras.
        from desktop_app.ml.fast_predict import xnnpack_forward
        from desktop_app.ml.litert_backbone import runtime_label

        fast = xnnpack_forward(self.model, self.info, self._forward)
        self.runtime: str = runtime_label(fast is not None)
        self._forward = fast or self._forward

    def probabilities(self, images: np.ndarray) -> np.ndarray:
        """N×classes probabilities for a uint8 batch (resized here if not at input_size)."""
        batch = np.asarray(images)
        if batch.ndim == 3:
            batch = batch[None]
        if batch.shape[1:3] != (self.input_size, self.input_size):
            batch = np.stack([resize_to(image, self.input_size) for image in batch])
        return np.asarray(self._forward(batch.astype(np.float32)), dtype=np.float32)

    def predict_batch(self, images: np.ndarray) -> np.ndarray:
        """P(hot_dog) per image."""
        return self.probabilities(images)[:, self._score_column]

    def predict_image(self, image: np.ndarray) -> float:
        return float(self.predict_batch(np.asarray(image)[None])[0])

    def label_of(self, probabilities: np.ndarray) -> str:
        return self.classes[int(np.argmax(probabilities))]

    def predict_paths(self, paths: Iterable) -> Iterator[dict]:
        """{"path", "label", "score"} per image in order, or {"path", "error"} for a bad file."""
        paths = [Path(p) for p in paths]
        for good, batch, bad in decoded_batches(paths, self.input_size, PATH_BATCH):
            answers = {i: {"path": str(paths[i]), "error": str(e)} for i, e in bad}
            if len(good):
                for i, row in zip(good, self.probabilities(batch), strict=True):
                    answers[i] = {
                        "path": str(paths[i]),
                        "label": self.label_of(row),
                        "score": round(float(row[self._score_column]), 6),
                    }
            for i in sorted(answers):
                yield answers[i]
