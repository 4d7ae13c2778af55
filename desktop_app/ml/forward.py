"""A model's inference forward pass, compiled once, called directly per batch.

`model.predict_on_batch` builds a data adapter and runs callbacks machinery on every call: for one
224 px frame that overhead is a large share of the time. The live view asks for one frame at a time,
so it calls the bare forward pass, compiled the fastest way the active backend offers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from desktop_app.ml.runtime import keras_module


def compiled_forward(model) -> Callable[[np.ndarray], np.ndarray | list[np.ndarray]]:
    """float32 batch -> numpy outputs (a list for a model with several); traced once per batch
    shape. One compiled call also keeps the GIL free while it runs: an eager Keras call walks the
    layers in Python, ~10x slower for a MobileNet, and takes a core from the GUI thread."""
    keras = keras_module()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        call = tf.function(lambda x: model(x, training=False), reduce_retracing=True)
        return lambda x: _numpy(call(tf.convert_to_tensor(x)))
    if backend == "jax":
        import jax

        trainable = [v.value for v in model.trainable_variables]
        frozen = [v.value for v in model.non_trainable_variables]

        @jax.jit
        def call(trainable, frozen, x):
            outputs, _ = model.stateless_call(trainable, frozen, x, training=False)
            return outputs

        return lambda x: _numpy(call(trainable, frozen, x))
    # torch (eager is its normal mode) and anything else: the plain call without gradients.
    return lambda x: _numpy(_no_grad_call(model, x))


def _numpy(outputs):
    if isinstance(outputs, (list, tuple)):
        return [_numpy(o) for o in outputs]
    return np.asarray(keras_module().ops.convert_to_numpy(outputs))


def _no_grad_call(model, x):
    try:
        import torch
    except ImportError:
        return model(x, training=False)
    with torch.no_grad():
        return model(x, training=False)
