"""Training spread over two devices, as on a machine with two GPUs: MirroredStrategy on TensorFlow,
DataParallel on JAX. This machine has no GPU, so two CPU devices stand in for them (logical CPUs on
TensorFlow, XLA host devices on JAX); the strategy, the sharding and the training are the real ones.
A subprocess each: devices and backends are fixed when a process starts."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

TENSORFLOW_TWO_DEVICES = """
    import functools
    import tensorflow as tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    tf.distribute.MirroredStrategy = functools.partial(
        tf.distribute.MirroredStrategy, devices=["/cpu:0", "/cpu:1"]
    )
"""

TRAIN_THREE_TIMES = """
    import json, sys
    from pathlib import Path
    sys.path.insert(0, "tests")
    tmp = Path(sys.argv[1])
    from desktop_app.ml import devices
    devices.gpu_names = lambda: ["device 0", "device 1"]  # the two CPU devices stand in for GPUs
    from ml_synthetic import fill
    from ml_tiny import register_tiny
    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.predict import Predictor
    from desktop_app.ml.training import TrainSettings, train

    tiny = register_tiny(tmp / "keras_home")
    with Dataset.create(tmp / "dataset") as dataset:
        fill(dataset, tmp, per_class=20)
        settings = dict(backbone=tiny, epochs=3, batch_size=16)
        runs = [train(dataset, TrainSettings(**settings)) for _ in range(2)]  # kept head reused
        runs.append(train(dataset, TrainSettings(mode="finetune", **settings)))
        answer = next(Predictor(runs[-1].model_path).predict_paths([dataset.items("hot_dog")[0].path]))
    print(json.dumps({
        "statuses": [run.status for run in runs],
        "distributed": devices.is_distributed(),
        "device": runs[0].device,
        "label": answer.get("label"),
    }))
"""


def run_training(tmp_path: Path, preamble: str, **env) -> dict:
    script = textwrap.dedent(preamble) + textwrap.dedent(TRAIN_THREE_TIMES)
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=REPO,
        env={**os.environ, "KERAS_HOME": str(tmp_path / "keras_home"), **env},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_tensorflow_mirrored_strategy_trains_fast_retrains_and_fine_tunes(tmp_path):
    # Before the strategy was kept per process, the second run failed with "Mixing different
    # tf.distribute.Strategy objects"; before the head took one step per call under it, the
    # first failed with "You must feed a value for placeholder tensor".
    report = run_training(tmp_path, TENSORFLOW_TWO_DEVICES, KERAS_BACKEND="tensorflow")
    assert report["statuses"] == ["complete", "complete", "complete"]
    assert report["distributed"] is False  # the scope ended with the run
    assert report["device"] == "GPU: device 0 ×1, device 1 ×1 (tensorflow)"
    assert report["label"] in ("hot_dog", "not_hot_dog")


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed")
def test_jax_data_parallel_trains_fast_retrains_and_fine_tunes(tmp_path):
    report = run_training(
        tmp_path,
        "",
        KERAS_BACKEND="jax",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
    )
    assert report["statuses"] == ["complete", "complete", "complete"]
    assert report["distributed"] is True  # DataParallel over both devices, set for the process
    assert report["device"] == "GPU: device 0 ×1, device 1 ×1 (jax)"
    assert report["label"] in ("hot_dog", "not_hot_dog")


def test_mixed_precision_as_set_on_a_gpu_machine_trains_and_predicts(tmp_path):
    # configure_devices() turns mixed_float16 on where a GPU is found; the policy itself runs on CPU.
    preamble = """
        import keras
        keras.mixed_precision.set_global_policy("mixed_float16")
    """
    report = run_training(tmp_path, preamble, KERAS_BACKEND="tensorflow")
    assert report["statuses"] == ["complete", "complete", "complete"]
    assert report["label"] in ("hot_dog", "not_hot_dog")
