"""`hotdog-studio self-test` run as a user would: a subprocess, one line per step, exit code."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.commands._mjpeg_avi import write_mjpeg_avi
from desktop_app.commands._selftest_images import video_frames

WEIGHTS = Path(__file__).resolve().parents[2] / "shared" / "weights"
DEFAULT_WEIGHTS = "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.5_224_no_top.h5"


def run_self_test(tmp_path: Path, keras_home: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, KERAS_HOME=str(keras_home), QT_QPA_PLATFORM="offscreen")
    env["HOTDOG_WEIGHTS_URL"] = "http://127.0.0.1:9/"  # never reach the internet from a test
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", "self-test", "--keep", str(tmp_path / "work")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def step_lines(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if line.split(" ", 1)[0] in ("ok", "skip", "FAIL")]


def test_self_test_passes_without_pretrained_weights_and_says_what_it_skipped(tmp_path):
    result = run_self_test(tmp_path, tmp_path / "empty-keras-home")

    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    lines = step_lines(result.stdout)
    assert [line.split()[0] for line in lines] == ["ok", "ok", "ok", "skip", "ok", "ok", "ok"], (
        lines
    )
    assert "weights not on this machine" in lines[3]
    assert "verdicts" in lines[5]
    assert lines[6].startswith("ok    near-duplicates and health (")  # the copy was found
    assert result.stdout.strip().splitlines()[-1].startswith("self-test passed: 6 ok, 1 skipped")
    # --keep leaves the dataset it made, a plain folder any tool can read
    assert len(list((tmp_path / "work" / "dataset" / "hot_dog").iterdir())) == 24


@pytest.mark.slow
@pytest.mark.skipif(not (WEIGHTS / DEFAULT_WEIGHTS).is_file(), reason="../shared/weights absent")
def test_self_test_trains_the_pretrained_backbone_offline(tmp_path):
    models = tmp_path / "keras" / "models"
    models.mkdir(parents=True)
    (models / DEFAULT_WEIGHTS).symlink_to(WEIGHTS / DEFAULT_WEIGHTS)

    result = run_self_test(tmp_path, tmp_path / "keras")

    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    lines = step_lines(result.stdout)
    assert all(line.startswith("ok") for line in lines), lines
    assert "mobilenet_v2_0.5: " in lines[4]


def test_a_failing_step_fails_the_run_and_skips_what_depends_on_it(tmp_path):
    # A dataset folder that is a file: the first step fails, the rest cannot run.
    work = tmp_path / "work"
    work.mkdir()
    (work / "dataset").write_text("not a folder")
    env = dict(os.environ, KERAS_HOME=str(tmp_path / "kh"), QT_QPA_PLATFORM="offscreen")
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", "self-test", "--keep", str(work)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    lines = step_lines(result.stdout)
    assert lines[0].startswith("FAIL  create dataset")
    assert all(line.startswith("skip") for line in lines[1:]) and len(lines) == 7
    assert "Traceback" not in result.stderr


def test_clip_for_the_live_check_is_a_playable_mjpeg_avi(tmp_path):
    clip = write_mjpeg_avi(tmp_path / "clip.avi", video_frames(6), fps=10)
    data = clip.read_bytes()
    assert data[:4] == b"RIFF" and data[8:12] == b"AVI "
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    assert data.count(b"00dc") == 12  # six frames in movi, six entries in idx1
    assert data.count(b"\xff\xd8") >= 6  # a JPEG start marker per frame
