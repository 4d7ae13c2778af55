"""The registry of backbones a user can pick, and how each one is built.

Every model the app makes takes raw RGB pixels in 0..255; each backbone's own preprocessing is a
layer inside the model (never a Lambda), so what is saved is exactly what predicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.ml.runtime import keras_module

KERAS_APPS = "https://storage.googleapis.com/tensorflow/keras-applications/"


@dataclass(frozen=True)
class BackboneSpec:
    name: str
    title: str
    input_size: int
    weights_file: str | None  # official Keras file name; None: trained from scratch
    weights_url: str | None = None  # official download address of weights_file
    factory: str | None = None  # keras.applications function name
    kwargs: dict[str, Any] = field(default_factory=dict)
    # "tf": x / 127.5 - 1 (MobileNet v1/v2); "none": the application rescales itself; "unit": x / 255
    preprocessing: str = "tf"
    # Builds the pooled feature extractor for backbones outside keras.applications (tests, small CNN).
    builder: Callable[[int], Any] | None = None

    @property
    def pretrained(self) -> bool:
        return self.weights_file is not None


def _mobilenet_v2(alpha: float, title: str, input_size: int = 224) -> BackboneSpec:
    file = f"mobilenet_v2_weights_tf_dim_ordering_tf_kernels_{alpha}_224_no_top.h5"
    return BackboneSpec(
        name=f"mobilenet_v2_{alpha}",
        title=title,
        input_size=input_size,
        weights_file=file,
        weights_url=KERAS_APPS + "mobilenet_v2/" + file,
        factory="MobileNetV2",
        kwargs={"alpha": alpha},
    )


def small_cnn_features(input_size: int):
    """A small convolutional network trained from scratch (no pretrained weights needed)."""
    keras = keras_module()
    layers = keras.layers
    inputs = keras.Input((input_size, input_size, 3))
    x = inputs
    for filters in (16, 32, 64, 96):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.9)(x)  # settles within a few epochs
        x = layers.ReLU()(x)
        x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(128, 3, padding="same", activation="relu", name="last_conv")(x)
    outputs = layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, outputs, name="small_cnn")


_SPECS = [
    # α 0.5 at 288 px: 40% fewer errors than α 0.35 at 224 px on the real photos (ADR 0004).
    _mobilenet_v2(0.5, "MobileNetV2 α 0.5, 288 px (default)", input_size=288),
    _mobilenet_v2(0.35, "MobileNetV2 α 0.35 (fastest)"),
    _mobilenet_v2(1.0, "MobileNetV2 α 1.0"),
    BackboneSpec(
        name="mobilenet_v1_0.25",
        title="MobileNet v1 α 0.25",
        input_size=224,
        weights_file="mobilenet_2_5_224_tf_no_top.h5",
        weights_url=KERAS_APPS + "mobilenet/mobilenet_2_5_224_tf_no_top.h5",
        factory="MobileNet",
        kwargs={"alpha": 0.25},
    ),
    BackboneSpec(
        name="mobilenet_v3_small",
        title="MobileNetV3 Small",
        input_size=224,
        weights_file="weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        weights_url=KERAS_APPS
        + "mobilenet_v3/weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        factory="MobileNetV3Small",
        kwargs={"include_preprocessing": True},
        preprocessing="none",
    ),
    BackboneSpec(
        name="efficientnet_b0",
        title="EfficientNetB0 (most accurate, slower)",
        input_size=224,
        weights_file="efficientnetb0_notop.h5",
        weights_url="https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5",
        factory="EfficientNetB0",
        preprocessing="none",
    ),
    BackboneSpec(
        name="small_cnn",
        title="Small CNN from scratch (no download; needs more photos)",
        input_size=128,
        weights_file=None,
        preprocessing="unit",
        builder=small_cnn_features,
    ),
]

BACKBONES: dict[str, BackboneSpec] = {spec.name: spec for spec in _SPECS}
DEFAULT_BACKBONE = "mobilenet_v2_0.5"


def get_spec(name: str) -> BackboneSpec:
    from desktop_app.core.errors import StudioError

    try:
        return BACKBONES[name]
    except KeyError:
        raise StudioError(
            f"Unknown backbone {name!r}; choose one of: {', '.join(BACKBONES)}."
        ) from None


def register_backbone(spec: BackboneSpec) -> None:
    """Adds a backbone (plug-ins and tests); its builder makes the pooled feature extractor."""
    BACKBONES[spec.name] = spec


def preprocessing_layer(spec: BackboneSpec):
    """Maps raw 0..255 pixels to what the backbone expects; None where the backbone does it."""
    layers = keras_module().layers
    if spec.preprocessing == "tf":
        return layers.Rescaling(1 / 127.5, offset=-1.0, name="preprocess")
    if spec.preprocessing == "unit":
        return layers.Rescaling(1 / 255.0, name="preprocess")
    return None


def build_backbone(spec: BackboneSpec, weights_path: Path | None, input_size: int | None = None):
    """The pooled feature extractor (no preprocessing): image batch -> (N, features)."""
    keras = keras_module()
    size = input_size or spec.input_size
    if spec.builder is not None:
        model = spec.builder(size)
        if weights_path is not None:
            model.load_weights(weights_path)
        return model
    factory = getattr(keras.applications, spec.factory)
    return factory(
        include_top=False,
        weights=str(weights_path) if weights_path else None,
        input_shape=(size, size, 3),
        pooling="avg",
        **spec.kwargs,
    )
