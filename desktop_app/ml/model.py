"""The models: the classification head, and the full model that takes raw RGB pixels.

Full model = Input(raw RGB 0..255) -> preprocessing layer -> backbone (pooled) -> head (softmax over
the dataset's classes). Backbone and head are nested models, so Grad-CAM and fine-tuning find them.
"""

from __future__ import annotations

from desktop_app.ml.backbones import BackboneSpec, preprocessing_layer
from desktop_app.ml.runtime import keras_module

HIDDEN_UNITS = 128
DROPOUT = 0.3


def build_head(feature_dim: int, n_classes: int, hidden: int = HIDDEN_UNITS, seed: int = 0):
    """Dropout -> (Dense hidden, ReLU, Dropout) -> Dense softmax; float32 output for mixed precision."""
    keras = keras_module()
    layers = keras.layers
    inputs = keras.Input((feature_dim,), name="features")
    x = layers.Dropout(DROPOUT, seed=seed)(inputs)
    if hidden:
        x = layers.Dense(hidden, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-4))(
            x
        )
        x = layers.Dropout(DROPOUT, seed=seed + 1)(x)
    outputs = layers.Dense(n_classes, activation="softmax", dtype="float32", name="probabilities")(
        x
    )
    return keras.Model(inputs, outputs, name="head")


def feature_extractor(spec: BackboneSpec, backbone, input_size: int):
    """Raw RGB -> pooled features (the frozen part of fast mode)."""
    keras = keras_module()
    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = _preprocess(spec, inputs)
    return keras.Model(inputs, backbone(x, training=False), name="features")


def full_model(spec: BackboneSpec, backbone, head, input_size: int, augmentation=None):
    """Raw RGB -> class probabilities; with augmentation, the training-only variant."""
    keras = keras_module()
    inputs = keras.Input((input_size, input_size, 3), name="image")
    x = augmentation(inputs) if augmentation is not None else inputs
    x = _preprocess(spec, x)
    # training=False keeps BatchNorm in inference mode even while the top of the backbone trains.
    features = backbone(x, training=False) if spec.pretrained else backbone(x)
    return keras.Model(inputs, head(features), name="hotdog_classifier")


def augmentation_layers(seed: int = 0):
    keras = keras_module()
    layers = keras.layers
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(0.05, seed=seed + 1),
            layers.RandomZoom(0.15, seed=seed + 2),
            layers.RandomContrast(0.2, seed=seed + 3),
        ],
        name="augmentation",
    )


def unfreeze_top(backbone, share: float = 0.25) -> int:
    """Makes the top `share` of the backbone's layers trainable, BatchNorm excepted; returns count."""
    keras = keras_module()
    backbone.trainable = True
    layers = [layer for layer in backbone.layers if layer.weights]
    first_trainable = int(len(layers) * (1 - share))
    count = 0
    for index, layer in enumerate(layers):
        trainable = index >= first_trainable and not isinstance(
            layer, keras.layers.BatchNormalization
        )
        layer.trainable = trainable
        count += trainable
    return count


def _preprocess(spec: BackboneSpec, x):
    layer = preprocessing_layer(spec)
    return layer(x) if layer is not None else x
