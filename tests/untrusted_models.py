"""Hostile model files, made on the spot, most from one real tiny saved model: one maker per kind,
with the error class and a fragment of the one-line reason the app must refuse it with.

Payloads are observable: were any of them ever run, MARKER would appear. Importing the module
`hotdog_payload` (which the tests put on the path) creates it, and so would its functions, the
`touch` commands, the pickled torch module, get_file's download and the Lambda's bytecode.
"""

from __future__ import annotations

import base64
import json
import pickle
import struct
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop_app.ml.model_errors import BadModelFile, ModelMismatch, UnsafeModel

PAYLOAD = "hotdog_payload"
PAYLOAD_SOURCE = '''"""Written by the untrusted-model tests: this running proves a model file ran code."""
import pathlib
MARKER = pathlib.Path({marker!r})
MARKER.touch()
def boom(*args, **kwargs):
    MARKER.touch()
class Boom:
    def __init__(self, *args, **kwargs):
        MARKER.touch()
    @classmethod
    def from_config(cls, config):
        return cls()
'''
Maker = Callable[[Path, Path, Path], Path]  # (folder, base model, marker) -> the hostile file


@dataclass(frozen=True)
class Kind:
    name: str
    error: type
    why: str  # a regular expression the refusal must match (case-insensitive)
    make: Maker


def write_payload(folder: Path, marker: Path) -> None:
    (folder / f"{PAYLOAD}.py").write_text(PAYLOAD_SOURCE.format(marker=str(marker)))


def save_base(path: Path) -> Path:
    """The real model every config edit starts from: what the app itself would save, but tiny."""
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    inputs = keras.Input((16, 16, 3), name="image")
    x = keras.layers.Rescaling(1 / 255.0)(inputs)
    x = keras.layers.Conv2D(4, 3, activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(2, activation="softmax", name="probabilities")(x)
    keras.Model(inputs, outputs).save(path)
    return path


# -- archive helpers ---------------------------------------------------------------------


def entries(base: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(base) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write_zip(path: Path, files: dict[str, bytes] | list[tuple[str, bytes]]) -> Path:
    items = files.items() if isinstance(files, dict) else files
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for name, data in items:
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def edited(edit: Callable[[dict, Path, Path], None]) -> Maker:
    """A maker: the base archive with its config.json changed by edit(config, folder, marker)."""

    def make(folder: Path, base: Path, marker: Path) -> Path:
        files = entries(base)
        config = json.loads(files["config.json"])
        edit(config, folder, marker)
        files["config.json"] = json.dumps(config).encode()
        return write_zip(folder / "model.keras", files)

    return make


def layer(config: dict, class_name: str) -> dict:
    return next(n for n in config["config"]["layers"] if n["class_name"] == class_name)


def touch(marker: Path) -> dict:
    return {"command": f"touch {marker}"}


def declare_sizes(path: Path, member: str, usize: int, csize: int | None = None) -> Path:
    """Patches `member`'s sizes in the central directory: what zipfile trusts before reading."""
    data = bytearray(path.read_bytes())
    at = data.find(b"PK\x01\x02")  # the central directory's headers
    while at != -1:
        name_len = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46 : at + 46 + name_len].decode(errors="replace") == member:
            struct.pack_into("<I", data, at + 24, usize)
            if csize is not None:
                struct.pack_into("<I", data, at + 20, csize)
        at = data.find(b"PK\x01\x02", at + 4)
    path.write_bytes(bytes(data))
    return path


# -- code: a Lambda, custom objects, arbitrary modules and functions ------------------------


def lambda_layer(folder: Path, base: Path, marker: Path) -> Path:
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    inputs = keras.Input((16, 16, 3))
    run = keras.layers.Lambda(lambda x, m=str(marker): (open(m, "w").close(), x)[1])
    outputs = keras.layers.Dense(2)(keras.layers.GlobalAveragePooling2D()(run(inputs)))
    keras.Model(inputs, outputs).save(folder / "model.keras")
    marker.unlink()  # building the model called the lambda here, in the test; loading must not
    return folder / "model.keras"


def lambda_activation(config: dict, folder: Path, marker: Path) -> None:
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    code = keras.saving.serialize_keras_object(lambda x, m=str(marker): (open(m, "w"), x)[1])
    layer(config, "Dense")["config"]["activation"] = code


class TorchPayload:
    """Unpickled, runs os.system: what a hostile TorchModuleWrapper's pickled module could do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return os.system, (f"touch {self.marker}",)


def torch_wrapper(config: dict, folder: Path, marker: Path) -> None:
    pickled = base64.b64encode(pickle.dumps(TorchPayload(marker))).decode()
    layer(config, "Dense").update(
        class_name="TorchModuleWrapper", config={"name": "torch", "module": pickled}
    )


def replace_dense(**fields) -> Callable[[dict, Path, Path], None]:
    def edit(config: dict, folder: Path, marker: Path) -> None:
        values = {k: v(folder, marker) if callable(v) else v for k, v in fields.items()}
        layer(config, "Dense").update(values)

    return edit


def set_activation(module: str, function: str) -> Callable[[dict, Path, Path], None]:
    def edit(config: dict, folder: Path, marker: Path) -> None:
        node = {"module": module, "class_name": "function", "config": function}
        layer(config, "Dense")["config"]["activation"] = {**node, "registered_name": "function"}

    return edit


def get_file_download(folder: Path, marker: Path) -> dict:
    source = folder / "download.txt"
    source.write_text("fetched by a model file")
    return {
        "fname": marker.name,
        "origin": source.as_uri(),
        "cache_dir": str(marker.parent),
        "cache_subdir": ".",
    }


def in_compile_config(config: dict, folder: Path, marker: Path) -> None:
    loss = {
        "module": "os",
        "class_name": "system",
        "config": touch(marker),
        "registered_name": None,
    }
    config["compile_config"] = {"optimizer": "adam", "loss": loss, "metrics": None}


def in_build_config(config: dict, folder: Path, marker: Path) -> None:
    boom = {"module": PAYLOAD, "class_name": "Boom", "config": {}, "registered_name": None}
    layer(config, "Dense")["build_config"] = {"input_shape": [None, 4], "shape": boom}


def in_initializer(config: dict, folder: Path, marker: Path) -> None:
    node = {
        "module": "os",
        "class_name": "system",
        "config": touch(marker),
        "registered_name": None,
    }
    layer(config, "Conv2D")["config"]["kernel_initializer"] = node


CODE = [
    Kind("lambda_layer", UnsafeModel, "Lambda layer", lambda_layer),
    Kind("lambda_activation", UnsafeModel, "Python lambda", edited(lambda_activation)),
    Kind("torch_wrapper", UnsafeModel, "TorchModuleWrapper", edited(torch_wrapper)),
    Kind(
        "custom_object",
        UnsafeModel,
        "custom object 'Boom' from 'hotdog_payload'",
        edited(replace_dense(module=PAYLOAD, class_name="Boom", registered_name="somebody>Boom")),
    ),
    Kind(
        "os_system",
        UnsafeModel,
        "custom object 'system' from 'os'",
        edited(replace_dense(module="os", class_name="system", config=lambda f, m: touch(m))),
    ),
    Kind(
        "dotted_class",
        UnsafeModel,
        "custom object 'Path.touch' from 'pathlib'",
        edited(
            replace_dense(module="pathlib", class_name="Path.touch", config=lambda f, m: str(m))
        ),
    ),
    Kind(
        "registered_name",
        UnsafeModel,
        "registers 'Dense' as the custom object 'hotdog_payload>Boom'",
        edited(replace_dense(registered_name=f"{PAYLOAD}>Boom")),
    ),
    Kind(
        "keras_get_file",
        UnsafeModel,
        "keras.utils.get_file', which is not a Keras model part",
        edited(
            replace_dense(module="keras.utils", class_name="get_file", config=get_file_download)
        ),
    ),
    Kind(
        "keras_way_out",
        UnsafeModel,
        "saving_lib.os.system', which is not a Keras model part",
        edited(
            replace_dense(
                module="keras.src.saving.saving_lib.os",
                class_name="system",
                config=lambda f, m: touch(m),
            )
        ),
    ),
    Kind(
        "eval_activation",
        UnsafeModel,
        "function 'eval' from 'builtins'",
        edited(set_activation("builtins", "eval")),
    ),
    Kind(
        "payload_activation",
        UnsafeModel,
        "function 'boom' from 'hotdog_payload'",
        edited(set_activation(PAYLOAD, "boom")),
    ),
    Kind(
        "keras_helper_activation",
        UnsafeModel,
        "function 'deserialize' from 'keras.activations'",
        edited(set_activation("keras.activations", "deserialize")),
    ),
    Kind(
        "compile_config", UnsafeModel, "custom object 'system' from 'os'", edited(in_compile_config)
    ),
    Kind(
        "build_config",
        UnsafeModel,
        "custom object 'Boom' from 'hotdog_payload'",
        edited(in_build_config),
    ),
    Kind("initializer", UnsafeModel, "custom object 'system' from 'os'", edited(in_initializer)),
]


# -- not a Keras archive -------------------------------------------------------------------


def raw(data: bytes) -> Maker:
    def make(folder: Path, base: Path, marker: Path) -> Path:
        (folder / "model.keras").write_bytes(data)
        return folder / "model.keras"

    return make


def truncated(folder: Path, base: Path, marker: Path) -> Path:
    data = base.read_bytes()
    return raw(data[: len(data) // 2])(folder, base, marker)


def with_config_bytes(data: bytes) -> Maker:
    def make(folder: Path, base: Path, marker: Path) -> Path:
        return write_zip(folder / "model.keras", {**entries(base), "config.json": data})

    return make


def without(member: str) -> Maker:
    def make(folder: Path, base: Path, marker: Path) -> Path:
        files = {k: v for k, v in entries(base).items() if k != member}
        return write_zip(folder / "model.keras", files)

    return make


def other_zip(folder: Path, base: Path, marker: Path) -> Path:
    return write_zip(
        folder / "model.keras", {"readme.txt": b"holiday photos", "a.jpg": b"\xff\xd8"}
    )


NOT_ARCHIVES = [
    Kind("text", BadModelFile, "not a Keras 3 model file", raw(b"just some text\n")),
    Kind("empty", BadModelFile, "not a Keras 3 model file", raw(b"")),
    Kind("zip_without_config", BadModelFile, "has no config.json", other_zip),
    Kind("truncated_zip", BadModelFile, "not a Keras 3 model file", truncated),
    Kind("config_not_json", BadModelFile, "not valid JSON", with_config_bytes(b"{not json")),
    Kind("config_not_object", BadModelFile, "does not describe a model", with_config_bytes(b"[1]")),
    Kind("config_too_deep", BadModelFile, "not valid JSON", with_config_bytes(b"[" * 100_000)),
    Kind("no_weights", BadModelFile, "has no weights", without("model.weights.h5")),
]


# -- paths out of the archive, and decompression bombs ----------------------------------------


def with_extra(name: Callable[[Path], str], data: bytes = b"escaped") -> Maker:
    def make(folder: Path, base: Path, marker: Path) -> Path:
        files = [*entries(base).items(), (name(folder), data)]
        return write_zip(folder / "model.keras", files)

    return make


def declared(usize: int, csize: int | None = None) -> Maker:
    def make(folder: Path, base: Path, marker: Path) -> Path:
        path = write_zip(folder / "model.keras", entries(base))
        return declare_sizes(path, "model.weights.h5", usize, csize)

    return make


def many_entries(folder: Path, base: Path, marker: Path) -> Path:
    files = [*entries(base).items(), *((f"assets/{i}.txt", b"") for i in range(1500))]
    return write_zip(folder / "model.keras", files)


def deflate_bomb(folder: Path, base: Path, marker: Path) -> Path:
    """A real bomb: 64 MiB of zeros deflated to a few dozen KiB, its size declared honestly."""
    path = write_zip(folder / "model.keras", entries(base))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("assets/zeros.bin", "w") as member:
            for _ in range(64):
                member.write(bytes(1024**2))
    return path


HOSTILE_ARCHIVES = [
    Kind(
        "dotdot_path",
        UnsafeModel,
        r"'\.\./escaped\.txt', outside",
        with_extra(lambda f: "../escaped.txt"),
    ),
    Kind(
        "absolute_path",
        UnsafeModel,
        "abs_escaped.txt', outside",
        with_extra(lambda f: str(f / "abs_escaped.txt")),
    ),
    Kind("backslash_path", UnsafeModel, "outside", with_extra(lambda f: "..\\escaped.txt")),
    Kind("declared_huge", UnsafeModel, "decompression bomb", declared(0xFFFF_FFFE)),
    Kind("declared_total", UnsafeModel, "declares 4.0 GiB", declared(0xFFFF_FFFE, 0xFFFF_FFFE)),
    Kind("deflate_bomb", UnsafeModel, "decompression bomb", deflate_bomb),
    Kind("too_many_entries", UnsafeModel, "holds 1503 files", many_entries),
]


# -- real models that do not fit the app ----------------------------------------------------


def keras_model(build: Callable) -> Maker:
    def make(folder: Path, base: Path, marker: Path) -> Path:
        from desktop_app.ml.runtime import keras_module

        keras = keras_module()
        build(keras).save(folder / "model.keras")
        return folder / "model.keras"

    return make


def classifier(keras, shape, units=2):
    inputs = keras.Input(shape)
    return keras.Model(inputs, keras.layers.Dense(units)(keras.layers.Flatten()(inputs)))


def two_heads(keras):
    inputs = keras.Input((16, 16, 3))
    x = keras.layers.Flatten()(inputs)
    return keras.Model(inputs, [keras.layers.Dense(2)(x), keras.layers.Dense(2)(x)])


def spatial(keras):
    inputs = keras.Input((16, 16, 3))
    return keras.Model(inputs, keras.layers.Conv2D(2, 1)(inputs))


def sidecar(info: dict) -> Maker:
    def make(folder: Path, base: Path, marker: Path) -> Path:
        path = write_zip(folder / "model.keras", entries(base))
        path.with_suffix(".json").write_text(json.dumps(info))
        return path

    return make


TWO = ["hot_dog", "not_hot_dog"]
MISFITS = [
    Kind("grey_input", ModelMismatch, "16×16×1", keras_model(lambda k: classifier(k, (16, 16, 1)))),
    Kind("not_square", ModelMismatch, "16×24×3", keras_model(lambda k: classifier(k, (16, 24, 3)))),
    Kind("vector_input", ModelMismatch, "square RGB", keras_model(lambda k: classifier(k, (12,)))),
    Kind("two_outputs", ModelMismatch, "2 output", keras_model(two_heads)),
    Kind("spatial_output", ModelMismatch, "not one probability per class", keras_model(spatial)),
    Kind(
        "three_classes_no_sidecar",
        ModelMismatch,
        "3 outputs and no sidecar",
        keras_model(lambda k: classifier(k, (16, 16, 3), units=3)),
    ),
    Kind(
        "sidecar_more_classes",
        ModelMismatch,
        "sidecar names 3 classes, the model 2",
        sidecar({"classes": [*TWO, "pizza"]}),
    ),
    Kind("sidecar_bad_classes", ModelMismatch, "two or more", sidecar({"classes": "hot_dog"})),
    Kind(
        "sidecar_other_size",
        ModelMismatch,
        "says 224 pixels a side, the model takes 16",
        sidecar({"classes": TWO, "input_size": 224}),
    ),
]

KINDS = [*CODE, *NOT_ARCHIVES, *HOSTILE_ARCHIVES, *MISFITS]
