"""train, predict and export from the command line, as a script would run them (subprocesses)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ml_synthetic import fill, write_images

from desktop_app.core.dataset import Dataset

REPO = Path(__file__).resolve().parent.parent


def cli(*args, env_extra=None):
    env = {**os.environ, "KERAS_HOME": env_extra or os.environ.get("KERAS_HOME", "/nonexistent")}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the commands must quieten TensorFlow themselves
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A dataset of drawn images, trained once from the command line with the small CNN."""
    tmp = tmp_path_factory.mktemp("cli")
    with Dataset.create(tmp / "dataset") as dataset:
        fill(dataset, tmp, per_class=30)
    out = tmp / "exported" / "hotdog.keras"
    result = cli(
        "train", tmp / "dataset", "--backbone", "small_cnn", "--input-size", "48",
        "--epochs", "20", "--batch-size", "16", "--out", out, "--json",
    )  # fmt: skip
    return tmp, out, result


def test_train_prints_one_json_object_and_saves_the_model(trained):
    tmp, out, result = trained
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["status"] == "complete" and summary["val_accuracy"] >= 0.9
    assert summary["model"] == str(out) and out.is_file()
    assert out.with_suffix(".json").is_file()  # the sidecar travels with --out
    assert (tmp / "dataset" / ".studio" / "runs" / summary["run"] / "model.keras").is_file()
    assert "Training on" in result.stderr
    assert "oneDNN" not in result.stderr and "cuda" not in result.stderr.lower()


def test_predict_a_folder_with_a_bad_file(trained, tmp_path):
    _, out, _ = trained
    folder = tmp_path / "photos"
    write_images(folder, "hot_dog", 3, seed=7)
    write_images(folder, "not_hot_dog", 3, seed=7)
    (folder / "broken.jpg").write_bytes(b"nope")
    (folder / "notes.txt").write_text("not an image, and not named like one")
    result = cli("predict", out, folder, "--json")
    assert result.returncode == 1  # one file could not be read
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 7
    errors = [line for line in lines if "error" in line]
    assert [Path(e["path"]).name for e in errors] == ["broken.jpg"]
    answered = [line for line in lines if "label" in line]
    right = sum(line["label"] == Path(line["path"]).name.split("-")[0] for line in answered)
    assert right >= 5
    assert all(0 <= line["score"] <= 1 for line in answered)


def test_predict_with_the_dataset_as_model(trained):
    tmp, _, _ = trained
    image = write_images(tmp / "one", "hot_dog", 1, seed=8)[0]
    result = cli("predict", tmp / "dataset", image)
    assert result.returncode == 0, result.stderr
    assert str(image) in result.stdout


def test_export_tflite_and_keras(trained, tmp_path):
    _, out, _ = trained
    result = cli("export", out, "--format", "tflite", "--out", tmp_path / "m.tflite")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "m.tflite").stat().st_size > 1000
    result = cli("export", out, "--format", "keras", "--out", tmp_path / "copy.keras", "--json")
    assert json.loads(result.stdout)["format"] == "keras"


def test_user_mistakes_get_one_line_and_the_right_exit_code(trained, tmp_path):
    tmp, _, _ = trained
    missing = cli("train", tmp / "dataset", "--no-download", "--epochs", "1")
    assert missing.returncode == 1
    assert "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5" in missing.stderr
    assert "small_cnn" in missing.stderr and "Traceback" not in missing.stderr
    unknown = cli("train", tmp / "dataset", "--backbone", "resnet9000")
    assert unknown.returncode == 1 and "Unknown backbone" in unknown.stderr
    usage = cli("train", tmp / "dataset", "--epochs", "zero")
    assert usage.returncode == 2
    no_model = cli("predict", tmp_path / "nothing.keras", tmp_path)
    assert no_model.returncode == 1 and "No model at" in no_model.stderr
