"""A mistyped command is bad usage (one line, exit 2), never the window opened on a new folder."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest
from conftest import REPO

from desktop_app.app import main
from desktop_app.core.dataset import Dataset


@pytest.fixture
def window_opened(monkeypatch) -> list:
    """The datasets the window was asked to open; a stand-in for launch_gui, so no Qt at all."""
    opened: list = []
    fake = types.ModuleType("desktop_app.ui.shell.launch")
    fake.launch_gui = lambda dataset: opened.append(dataset) or 0
    monkeypatch.setitem(sys.modules, "desktop_app.ui.shell.launch", fake)
    return opened


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["trian", "DATASET"], "error: unknown command 'trian' (did you mean 'train'?)\n"),
        (["trian"], "error: unknown command 'trian' (did you mean 'train'?)\n"),
        (["stat", "DATASET", "--json"], "error: unknown command 'stat' (did you mean 'stats'?)\n"),
        (["chek-labels"], "error: unknown command 'chek-labels' (did you mean 'check-labels'?)\n"),
        (["--jsn"], "error: unknown option '--jsn' (see hotdog-studio --help)\n"),
    ],
)
def test_a_mistyped_command_is_bad_usage(
    argv, message, window_opened, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # no folder named like the word here
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.err == message
    assert captured.out == ""
    assert window_opened == []
    assert list(tmp_path.iterdir()) == []  # no dataset made for the mistyped word


def test_an_unknown_word_with_no_close_command_lists_the_commands(
    window_opened, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert main(["suspects", str(tmp_path), "--json"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unknown command 'suspects' (commands: import, stats, ")
    assert "check-labels, " in err
    assert err.count("\n") == 1
    assert window_opened == []


def test_an_existing_folder_named_like_a_word_with_more_arguments_is_bad_usage(
    window_opened, capsys, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "suspects").mkdir()
    assert main(["suspects", "--json"]) == 2
    assert capsys.readouterr().err == (
        "error: the window opens one DATASET folder; unexpected '--json' after 'suspects'\n"
    )
    assert window_opened == []


def test_an_existing_folder_opens_the_window(window_opened, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "photos").mkdir()
    assert main(["photos"]) == 0
    assert main([str(tmp_path / "photos")]) == 0
    assert window_opened == ["photos", str(tmp_path / "photos")]


def test_a_new_folder_given_as_a_path_still_opens_the_window_to_create_it(
    window_opened, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    assert main(["./new-dataset"]) == 0
    assert main([str(tmp_path / "other")]) == 0
    assert main([]) == 0  # the last dataset
    assert window_opened == ["./new-dataset", str(tmp_path / "other"), None]


def test_the_macos_process_serial_number_is_not_a_dataset(window_opened):
    assert main(["-psn_0_12345"]) == 0
    assert window_opened == [None]


@pytest.mark.parametrize("argv", [["trian", "DATASET"], ["suspects", "DATASET", "--json"]])
def test_the_real_program_exits_at_once_without_a_window(argv, tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-m", "desktop_app", *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,  # a window would sit in its event loop until this kills it
    )
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: unknown command '{argv[0]}' (")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert list(tmp_path.iterdir()) == []


# -- a reader that goes away (`... | head -2`) ------------------------------------------------------


def test_output_into_a_reader_that_stops_after_one_line_ends_quietly(tmp_path):
    """import prints a line per skipped path: far more than a pipe holds, so it is still writing
    when the reader goes."""
    missing = [str(tmp_path / "gone" / f"{n:0150d}.jpg") for n in range(3000)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "import", str(tmp_path / "ds"), *missing],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    first = process.stdout.readline()
    process.stdout.close()  # what `head -1` does
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141  # as a shell reports a tool SIGPIPE stopped
    assert first.startswith(b"0 added, 3000 skipped")
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr
    assert "Exception ignored" not in stderr


def test_stats_json_into_a_reader_already_gone_ends_quietly(tmp_path, make_image):
    root = tmp_path / "ds"
    with Dataset.create(root) as dataset:
        dataset.add_file(make_image())
    read_end, write_end = os.pipe()
    os.close(read_end)  # gone before the command writes anything
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app", "stats", str(root), "--json"],
        stdout=write_end,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    os.close(write_end)
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=60) == 141
    assert stderr == ""


class SteadyPredictor:
    """Stands in for a Keras model: the video test is about the pipe, not the verdicts."""

    input_size = 32

    def predict_image(self, pixels) -> float:
        return 0.75


def test_predict_video_into_a_reader_gone_stops_without_a_traceback(
    qapp, tmp_path, monkeypatch, capfd
):
    # qapp first: predict --video would otherwise make this process a QGuiApplication, and
    # every widget test after it would abort ("Must construct a QApplication").

    from desktop_app.cli import run_command
    from desktop_app.commands._mjpeg_avi import write_mjpeg_avi
    from desktop_app.commands._selftest_images import video_frames
    from desktop_app.ui.live import predict_worker

    clip = write_mjpeg_avi(tmp_path / "clip.avi", video_frames(20), fps=10)
    model = tmp_path / "model.keras"
    model.write_bytes(b"not read: the predictor is a stand-in")
    monkeypatch.setattr(predict_worker, "default_predictor_factory", lambda path: SteadyPredictor())
    read_end, write_end = os.pipe()
    os.close(read_end)
    with os.fdopen(write_end, "w") as gone:
        monkeypatch.setattr(sys, "stdout", gone)
        assert run_command(["predict", str(model), "--video", str(clip)]) == 141
        monkeypatch.undo()
    err = capfd.readouterr().err
    assert "Traceback" not in err and "BrokenPipeError" not in err
