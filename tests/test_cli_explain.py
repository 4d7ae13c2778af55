"""hotdog-studio explain, as a script runs it (subprocesses): its score is predict's, its text
names the logit, the votes and the layers, and every bad input is one line on stderr, exit 1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from ml_explained import keras_home, train_fast
from ml_synthetic import write_images

REPO = Path(__file__).resolve().parent.parent


def cli(*args, home: Path):
    env = {**os.environ, "KERAS_HOME": str(home)}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # the command must quieten TensorFlow itself
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *map(str, args)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """(dataset root, model path, photos, Keras home) of one fast-mode training, made here."""
    tmp = tmp_path_factory.mktemp("cli_explain")
    home = tmp / "keras_home"
    with keras_home(home) as tiny:
        root, record = train_fast(tmp, tiny)
    photos = write_images(tmp / "photos", "hot_dog", 1, seed=51)
    photos += write_images(tmp / "photos", "not_hot_dog", 1, seed=51)
    return root, record.model_path, photos, home


def _one_line_error(result, *words):
    assert result.returncode == 1, result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_explain_json_agrees_with_predict(model):
    root, model_path, photos, home = model
    predicted = cli("predict", model_path, *photos, "--json", home=home)
    assert predicted.returncode == 0, predicted.stderr
    scores = {
        json.loads(line)["path"]: json.loads(line)["score"]
        for line in predicted.stdout.splitlines()
    }
    for photo, given in ((photos[0], model_path), (photos[1], root)):  # a dataset folder too
        result = cli("explain", given, photo, "--json", "--top", "3", home=home)
        assert result.returncode == 0, result.stderr
        explained = json.loads(result.stdout)
        assert explained["score"] == pytest.approx(scores[str(photo)], abs=1e-6)
        assert explained["inputs"] == "hidden unit" and explained["input_count"] == 128
        assert len(explained["top_for"]) <= 3 and len(explained["top_against"]) <= 3
        assert all(v["contribution"] > 0 for v in explained["top_for"])
        assert all(v["contribution"] < 0 for v in explained["top_against"])
        assert [layer["name"] for layer in explained["layers"]][-1] == "probabilities"
        assert "oneDNN" not in result.stderr and "cuda" not in result.stderr.lower()


def test_explain_prints_score_logit_votes_and_layers(model):
    _, model_path, photos, home = model
    result = cli("explain", model_path, photos[0], home=home)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert str(photos[0]) in text.splitlines()[0]
    for words in ("logit", "= bias", "votes for hot dog:", "votes against hot dog:", "layers"):
        assert words in text
    assert "pooled features" in text and "probabilities" in text


def test_bad_inputs_are_one_line_each(model, tmp_path):
    _, model_path, photos, home = model
    _one_line_error(cli("explain", tmp_path / "missing.keras", photos[0], home=home), "No model")
    garbage = tmp_path / "garbage.keras"
    garbage.write_bytes(b"\xff\xd8\xff not a model")
    _one_line_error(cli("explain", garbage, photos[0], home=home), "garbage.keras")
    notes = tmp_path / "notes.jpg"
    notes.write_text("these are my notes")
    _one_line_error(cli("explain", model_path, notes, home=home), "notes.jpg")
    _one_line_error(cli("explain", model_path, tmp_path / "gone.jpg", home=home), "gone.jpg")
