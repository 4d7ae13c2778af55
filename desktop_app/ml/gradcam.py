"""Grad-CAM: where the model looks. Gradients of the predicted class's score with respect to the
backbone's last convolutional feature map, averaged into channel weights, give a coarse heatmap.

Gradients are backend-specific (TensorFlow's GradientTape, jax.grad, torch autograd): this module
holds the only such code in ml/, behind one function.
"""

from __future__ import annotations

import numpy as np

from desktop_app.ml.runtime import keras_module


def _parts(model):
    """(preprocess layers, backbone, head) of a full model saved by training."""
    keras = keras_module()
    nested = [layer for layer in model.layers if isinstance(layer, keras.Model)]
    if len(nested) < 2:
        raise ValueError("this model has no separate backbone and head")
    backbone, head = nested[-2], nested[-1]
    before = [
        layer
        for layer in model.layers
        if not isinstance(layer, (keras.Model, keras.layers.InputLayer))
        and model.layers.index(layer) < model.layers.index(backbone)
    ]
    return before, backbone, head


class _CamModel:
    """Image -> (last conv feature map, probabilities), built once per predictor."""

    def __init__(self, model) -> None:
        keras = keras_module()
        before, backbone, head = _parts(model)
        pooling = backbone.layers[-1]
        conv_out = pooling.input  # the map the global pooling averages
        self.to_map = keras.Model(backbone.inputs, conv_out)
        self.from_map = pooling
        self.before = [layer for layer in before if "augment" not in layer.name]
        self.head = head

    def preprocess(self, x):
        for layer in self.before:
            x = layer(x)
        return x

    def scores(self, feature_map, column):
        probabilities = self.head(self.from_map(feature_map), training=False)
        return probabilities[:, column]


def _gradients(cam: _CamModel, feature_map, column):
    keras = keras_module()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensor = tf.convert_to_tensor(feature_map)
        with tf.GradientTape() as tape:
            tape.watch(tensor)
            score = tf.reduce_sum(cam.scores(tensor, column))
        return tape.gradient(score, tensor).numpy()
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        grad = jax.grad(lambda m: jnp.sum(cam.scores(m, column)))
        return np.asarray(grad(jnp.asarray(feature_map)))
    if backend == "torch":
        import torch

        tensor = torch.tensor(np.asarray(feature_map), requires_grad=True)
        cam.scores(tensor, column).sum().backward()
        return tensor.grad.detach().cpu().numpy()
    raise ValueError(f"Grad-CAM does not support the {backend} backend")


def heatmap(predictor, image: np.ndarray) -> np.ndarray:
    """float32 H×W in [0, 1] (the image's own size): how much each place argued for the verdict."""
    from desktop_app.ml.predict import resize_to

    keras = keras_module()
    cam = getattr(predictor, "_cam", None)
    if cam is None:
        cam = predictor._cam = _CamModel(predictor.model)
    x = resize_to(np.asarray(image), predictor.input_size)[None].astype("float32")
    feature_map = keras.ops.convert_to_numpy(cam.to_map(cam.preprocess(x), training=False))
    probabilities = keras.ops.convert_to_numpy(cam.head(cam.from_map(feature_map), training=False))
    column = int(np.argmax(probabilities[0]))
    grads = _gradients(cam, feature_map.astype("float32"), column)
    weights = grads.mean(axis=(1, 2))  # one weight per channel
    cam_map = np.maximum((feature_map * weights[:, None, None, :]).sum(axis=-1)[0], 0)
    peak = float(cam_map.max())
    cam_map = cam_map / peak if peak > 0 else cam_map
    from PIL import Image

    height, width = np.asarray(image).shape[:2]
    picture = Image.fromarray(cam_map.astype(np.float32), mode="F")
    resized = np.asarray(picture.resize((width, height), Image.Resampling.BILINEAR), np.float32)
    return np.clip(resized, 0.0, 1.0)
