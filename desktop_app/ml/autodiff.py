"""A scalar function's value and gradients with respect to a list of arrays, on the active backend.

Keras 3 has no backend-neutral gradient call: TensorFlow records on a GradientTape, JAX transforms
the function, PyTorch runs backward(). The function itself uses keras.ops (and stateless_call), so
only these few lines differ per backend.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from desktop_app.ml.runtime import keras_module


def value_and_gradients(
    function: Callable[[list], object], values: Sequence[np.ndarray]
) -> tuple[float, list[np.ndarray]]:
    """(function(values), d function / d each value) as a float and NumPy arrays."""
    keras = keras_module()
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        tensors = [tf.convert_to_tensor(value) for value in values]
        with tf.GradientTape() as tape:
            for tensor in tensors:
                tape.watch(tensor)
            result = function(tensors)
        gradients = tape.gradient(result, tensors)
        return float(result), _numpy(gradients, values)
    if backend == "jax":
        import jax
        import jax.numpy as jnp

        result, gradients = jax.value_and_grad(function)([jnp.asarray(v) for v in values])
        return float(result), _numpy(gradients, values)
    if backend == "torch":
        tensors = [
            keras.ops.convert_to_tensor(value).detach().requires_grad_(True) for value in values
        ]
        result = function(tensors)
        result.backward()
        return float(result.detach().cpu()), _numpy([t.grad for t in tensors], values)
    raise ValueError(f"gradients are not supported on the {backend} backend")


def _numpy(gradients, values) -> list[np.ndarray]:
    """A value the function does not depend on gets a zero gradient, not None."""
    keras = keras_module()
    return [
        np.zeros(np.shape(value), np.float32)
        if gradient is None
        else np.asarray(keras.ops.convert_to_numpy(gradient), np.float32)
        for gradient, value in zip(gradients, values, strict=True)
    ]
