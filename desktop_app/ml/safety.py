"""A `.keras` file can carry code. Before Keras sees one, check the archive (ml/model_archive.py),
then walk every object its config names, anywhere (layers, build_config, compile_config, a
function-typed activation), and accept only Keras' own model parts: an allowlist, not a denylist.
Names are resolved by attribute lookup through modules already imported, so checking runs nothing.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from desktop_app.ml.model_archive import quoted, read_config
from desktop_app.ml.model_errors import BadModelFile, UnsafeModel

__all__ = ["UnsafeModel", "check_model_file"]

# Values Keras rebuilds from data alone (tensors, arrays, slices), never by looking a name up.
DATA_TOKENS = {
    "__keras_tensor__",
    "__tensor__",
    "__numpy__",
    "__bytes__",
    "__ellipsis__",
    "__slice__",
}
# Keras layers that run code from outside the file's config: Python bytecode, a pickled torch
# module, a SavedModel from disk, a JAX/Flax function.
CODE_LAYERS = {"Lambda", "__lambda__", "TorchModuleWrapper", "TFSMLayer", "JaxLayer", "FlaxLayer"}
# Where Keras looks up a function serialized by name (serialization_lib.BUILTIN_MODULES).
FUNCTION_MODULES = ("activations", "losses", "metrics")
NOT_MODEL_FUNCTIONS = {"get", "serialize", "deserialize"}  # lookup helpers, not model parts
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
MODULE = re.compile(r"keras(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
MAX_DEPTH = 200  # real configs nest a few dozen levels; deeper is built to exhaust the stack


def check_model_file(path: Path) -> dict:
    """The file's config, once nothing in it can run code; raises a StudioError saying why not."""
    path = Path(path)
    config = read_config(path)
    nodes = list(_objects(config, path.name))
    for node in nodes:  # names alone first: most hostile files are refused before Keras loads
        _check_names(node, path.name)
    for node in nodes:
        _check_resolves(node, path.name)
    return config


def _objects(config: dict, name: str):
    """Every dict with a class_name, depth-first, without recursion."""
    stack = [(config, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadModelFile(f"{name} is damaged: its config nests deeper than any model.")
        if isinstance(value, dict):
            if "class_name" in value:
                yield value
            stack.extend((child, depth + 1) for child in value.values())
        elif isinstance(value, list):
            stack.extend((child, depth + 1) for child in value)


def _check_names(node: dict, name: str) -> None:
    class_name, module = node.get("class_name"), node.get("module")
    registered = node.get("registered_name")
    if not isinstance(class_name, str) or not isinstance(module, str | None):
        raise UnsafeModel(f"{name} has a malformed object in its config; refusing to load it.")
    if class_name in CODE_LAYERS:
        what = "Python lambda" if class_name == "__lambda__" else f"{class_name} layer"
        raise UnsafeModel(f"{name} contains a {what} (arbitrary Python code); refusing to load it.")
    if _is_data(node) or class_name == "function":
        return
    if module is None or not MODULE.match(module) or not IDENTIFIER.match(class_name):
        raise UnsafeModel(
            f"{name} needs the custom object {quoted(class_name)} from {quoted(str(module))};"
            " refusing to load code from a model file."
        )
    if registered not in (None, class_name):  # Keras would look this name up first
        raise UnsafeModel(
            f"{name} registers {quoted(class_name)} as the custom object {quoted(str(registered))};"
            " refusing to load code from a model file."
        )


def _check_resolves(node: dict, name: str) -> None:
    """Names Keras would look up must be Keras' own model parts (checked once Keras is loaded)."""
    if _is_data(node):
        return
    module, class_name = node["module"], node["class_name"]
    if class_name == "function":
        _check_function(node, name)
        return
    found = _resolve(module, class_name)
    if not (isinstance(found, type) and issubclass(found, _model_part_bases())):
        raise UnsafeModel(
            f"{name} names {quoted(module + '.' + class_name)}, which is not a Keras model part;"
            " refusing to load it."
        )


def _is_data(node: dict) -> bool:
    return (
        node["class_name"] in DATA_TOKENS
        and node.get("module") is None
        and (node.get("registered_name") is None)
    )


def _check_function(node: dict, name: str) -> None:
    """A function serialized by name, as Keras writes an activation or a loss."""
    function, module = node.get("config"), node.get("module")
    fine = (
        isinstance(function, str)
        and IDENTIFIER.match(function)
        and function not in NOT_MODEL_FUNCTIONS
        and node.get("registered_name") in (None, "function", function)
        and module in ("builtins", *(f"keras.{m}" for m in FUNCTION_MODULES))
    )
    places = FUNCTION_MODULES if module == "builtins" else (str(module).split(".")[-1],)
    if fine and any(_is_keras_function(_resolve(f"keras.{p}", function)) for p in places):
        return
    raise UnsafeModel(
        f"{name} calls the function {quoted(str(function))} from {quoted(str(module))}, which is"
        " not a Keras built-in; refusing to load code from a model file."
    )


def _resolve(module: str, attribute: str):
    """keras.a.b's `attribute`, through modules already imported: never imports, never calls."""
    from desktop_app.ml.runtime import keras_module

    value = keras_module()
    for part in [*module.split(".")[1:], attribute]:
        if not inspect.ismodule(value) or not value.__name__.startswith("keras"):
            return None  # e.g. keras.src.saving.saving_lib.os: a way out of Keras
        value = getattr(value, part, None)
    owner = getattr(value, "__module__", None) or ""
    return value if owner.startswith("keras") else None


def _is_keras_function(value) -> bool:
    return inspect.isfunction(value) and value.__module__.startswith("keras")


def _model_part_bases() -> tuple[type, ...]:
    """What a model's config may instantiate: layers and models, and their parts."""
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    return (
        keras.Operation,  # every layer and model
        keras.initializers.Initializer,
        keras.regularizers.Regularizer,
        keras.constraints.Constraint,
        keras.DTypePolicy,
        keras.optimizers.Optimizer,
        keras.optimizers.schedules.LearningRateSchedule,
        keras.losses.Loss,
        keras.metrics.Metric,
    )
