"""The same training code on a second Keras backend: JAX, in a subprocess (a backend is per process)."""

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

SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    sys.path.insert(0, "tests")
    tmp = Path(sys.argv[1])
    from ml_synthetic import fill
    from ml_tiny import register_tiny
    from desktop_app.core.dataset import Dataset
    from desktop_app.ml.gradcam import heatmap
    from desktop_app.ml.predict import Predictor
    from desktop_app.ml.runtime import keras_module
    from desktop_app.ml.training import TrainSettings, train

    tiny = register_tiny(tmp / "keras_home")
    with Dataset.create(tmp / "dataset") as dataset:
        fill(dataset, tmp, per_class=40)  # 16 validation images: one error is not a failure
        fast = train(dataset, TrainSettings(backbone=tiny, epochs=40, batch_size=16, learning_rate=3e-3))
        scratch = train(dataset, TrainSettings(backbone="small_cnn", input_size=32, epochs=1, batch_size=16))
        predictor = Predictor(fast.model_path)
        item = dataset.items("hot_dog")[0]
        answer = next(predictor.predict_paths([item.path]))
        from desktop_app.core.imaging import load_array
        heat = heatmap(predictor, load_array(item.path))
    print(json.dumps({
        "backend": keras_module().backend.backend(),
        "fast_accuracy": fast.metrics["val_accuracy"],
        "scratch_status": scratch.status,
        "versions": fast.versions,
        "answer": answer,
        "heat_max": float(heat.max()),
    }))
    """
)


@pytest.mark.skipif(
    importlib.util.find_spec("jax") is None,
    reason="JAX is not installed (pip install jax) so the second backend cannot be tried",
)
def test_training_runs_on_the_jax_backend(tmp_path):
    env = {**os.environ, "KERAS_BACKEND": "jax", "KERAS_HOME": str(tmp_path / "keras_home")}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["backend"] == "jax"
    assert report["versions"]["backend"] == "jax"
    assert report["fast_accuracy"] >= 0.9
    assert report["scratch_status"] == "complete"
    assert report["answer"]["label"] in ("hot_dog", "not_hot_dog")
    assert 0.0 < report["heat_max"] <= 1.0
