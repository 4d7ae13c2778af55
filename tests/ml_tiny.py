"""A tiny "pretrained" backbone for fast ML tests: a small frozen conv net whose weights file sits in
$KERAS_HOME/models/ exactly as an ImageNet file would, so the real resolution and cache code runs."""

from __future__ import annotations

from pathlib import Path

TINY = "tiny_test"
TINY_FILE = "tiny_test_no_top.weights.h5"
TINY_SIZE = 48


def tiny_features(input_size: int):
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    layers = keras.layers
    init = keras.initializers.HeNormal(seed=7)
    inputs = keras.Input((input_size, input_size, 3))
    x = layers.Conv2D(16, 3, strides=2, activation="relu", kernel_initializer=init)(inputs)
    x = layers.Conv2D(
        32, 3, strides=2, activation="relu", kernel_initializer=init, name="top_conv"
    )(x)
    outputs = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, outputs, name="tiny_backbone")


def register_tiny(keras_home: Path) -> str:
    """Registers the tiny backbone and writes its weights file under keras_home/models/."""
    from desktop_app.ml.backbones import BACKBONES, BackboneSpec, register_backbone

    if TINY not in BACKBONES:
        register_backbone(
            BackboneSpec(
                name=TINY,
                title="Tiny test backbone",
                input_size=TINY_SIZE,
                weights_file=TINY_FILE,
                weights_url="http://127.0.0.1:9/unreachable/" + TINY_FILE,
                preprocessing="tf",
                builder=tiny_features,
            )
        )
    target = keras_home / "models" / TINY_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tiny_features(TINY_SIZE).save_weights(target)
    return TINY
