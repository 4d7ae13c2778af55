"""Untrusted model files (issue #11): every hostile kind in untrusted_models.py is refused with a
one-line reason, and nothing in it runs, through each way a model gets loaded: `predict` and
`export` on the command line and the Live view. Every kind goes through the commands' own entry
point in this process (a fresh Python per kind cost minutes), and the first kind of each family
through the real command in a fresh process too. The same tiny model unedited is accepted by all
three, so a check that refused everything would fail here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from untrusted_models import (
    CODE,
    HOSTILE_ARCHIVES,
    KINDS,
    MISFITS,
    NOT_ARCHIVES,
    Kind,
    save_base,
    write_payload,
)

from desktop_app.ml.predict import Predictor
from desktop_app.ml.safety import check_model_file

REPO = Path(__file__).resolve().parent.parent
WAIT_MS = 60_000
IDS = [kind.name for kind in KINDS]
# One kind of each family also runs through a real process boundary.
IN_A_FRESH_PROCESS = [CODE[0], NOT_ARCHIVES[0], HOSTILE_ARCHIVES[0], MISFITS[0]]


@pytest.fixture(scope="module")
def base_model(tmp_path_factory) -> Path:
    return save_base(tmp_path_factory.mktemp("base") / "model.keras")


class Made:
    """One hostile file in its own folder, beside the payload module and where MARKER would be."""

    def __init__(self, kind: Kind, folder: Path, base: Path) -> None:
        self.kind, self.folder = kind, folder
        folder.mkdir(parents=True, exist_ok=True)
        self.marker = folder / "MARKER"
        write_payload(folder, self.marker)
        self.path = kind.make(folder, base, self.marker)
        self.image = folder / "photo.png"
        Image.new("RGB", (20, 20), (200, 60, 40)).save(self.image)

    def assert_refused(self, line: str) -> None:
        assert "\n" not in line.strip() and "Traceback" not in line, line
        assert re.search(self.kind.why, line, re.IGNORECASE), line
        assert "model.keras" in line, line  # the user is told which file
        self.assert_nothing_ran()

    def assert_nothing_ran(self) -> None:
        assert not self.marker.exists(), "the model file's payload ran"
        assert not (self.folder.parent / "escaped.txt").exists()
        assert not (self.folder / "abs_escaped.txt").exists()


@pytest.fixture(params=KINDS, ids=IDS)
def made(request, tmp_path, base_model) -> Made:
    return Made(request.param, tmp_path / "untrusted", base_model)


@pytest.fixture(params=IN_A_FRESH_PROCESS, ids=[kind.name for kind in IN_A_FRESH_PROCESS])
def made_for_a_process(request, tmp_path, base_model) -> Made:
    return Made(request.param, tmp_path / "untrusted", base_model)


class Answer:
    def __init__(self, returncode: int, stdout: str, stderr: str) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def cli_here(made: Made, capsys, monkeypatch, *args) -> Answer:
    """The command's own entry point in this process, with the payload module importable."""
    from desktop_app.cli import run_command

    monkeypatch.syspath_prepend(str(made.folder))
    monkeypatch.chdir(made.folder)
    capsys.readouterr()
    code = run_command([*map(str, args)])
    out, err = capsys.readouterr()
    return Answer(code, out, err)


def cli(made: Made, *args):
    """The real command in a fresh process, where the payload module is importable."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(made.folder), str(REPO)])}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)  # set, it asks for TensorFlow's logs: the user's choice
    return subprocess.run(
        [sys.executable, "-m", "desktop_app", *map(str, args)],
        cwd=made.folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def assert_one_line_error(made: Made, result) -> None:
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    made.assert_refused(lines[0])


def test_the_predict_command_refuses_it_in_one_line(made, capsys, monkeypatch):
    assert_one_line_error(
        made, cli_here(made, capsys, monkeypatch, "predict", made.path, made.image)
    )


def test_the_export_command_refuses_it_in_one_line_and_writes_nothing(made, capsys, monkeypatch):
    out = made.folder / "exported" / "copy.keras"
    args = ("export", made.path, "--format", "keras", "--out", out)
    assert_one_line_error(made, cli_here(made, capsys, monkeypatch, *args))
    assert not out.parent.exists()


def test_the_real_commands_refuse_it_in_a_fresh_process(made_for_a_process):
    made = made_for_a_process
    assert_one_line_error(made, cli(made, "predict", made.path, made.image))
    out = made.folder / "exported" / "copy.keras"
    assert_one_line_error(made, cli(made, "export", made.path, "--format", "keras", "--out", out))
    assert not out.parent.exists()


def test_the_live_view_shows_the_reason_and_carries_on(qapp, qtbot, made, monkeypatch):
    from desktop_app.ui.live.live_view import LiveView

    monkeypatch.syspath_prepend(str(made.folder))  # importing the payload would show
    view = LiveView(session=None, model_locator=lambda: made.path)
    qtbot.addWidget(view)
    try:
        with qtbot.waitSignal(view.ensure_worker().model_missing, timeout=WAIT_MS) as missing:
            view.show()
        reason = missing.args[0]
        made.assert_refused(reason)
        assert reason in view.picture.message  # on screen, in the view itself
        assert view.worker.isRunning() and view.worker.predictor is None
    finally:
        view.shutdown()


def test_the_loader_raises_the_kind_of_error_it_is(made):
    with pytest.raises(made.kind.error) as refused:
        Predictor(made.path)
    made.assert_refused(str(refused.value))


@pytest.mark.parametrize("kind", HOSTILE_ARCHIVES, ids=[k.name for k in HOSTILE_ARCHIVES])
def test_hostile_archives_are_refused_before_anything_is_decompressed(
    kind, tmp_path, base_model, monkeypatch
):
    made = Made(kind, tmp_path / "untrusted", base_model)
    opened = []
    monkeypatch.setattr(zipfile.ZipFile, "open", lambda self, *a, **k: opened.append(a))
    with pytest.raises(kind.error, match=kind.why):
        check_model_file(made.path)
    assert opened == []


def test_the_same_model_unedited_is_accepted_everywhere(qapp, qtbot, tmp_path, base_model):
    """The control: were the checks to refuse every file, the tests above would prove nothing."""
    from desktop_app.ui.live.live_view import LiveView

    made = Made(Kind("base", Exception, "", lambda f, b, m: b), tmp_path / "untrusted", base_model)
    predicted = cli(made, "predict", made.path, made.image)
    assert predicted.returncode == 0, predicted.stderr
    assert re.match(r"(hot_dog|not_hot_dog) +\d\.\d{3}  ", predicted.stdout)
    out = made.folder / "exported" / "copy.keras"
    exported = cli(made, "export", made.path, "--format", "keras", "--out", out)
    assert exported.returncode == 0 and out.is_file(), exported.stderr
    view = LiveView(session=None, model_locator=lambda: made.path)
    qtbot.addWidget(view)
    try:
        with qtbot.waitSignal(view.ensure_worker().model_ready, timeout=WAIT_MS):
            view.show()
    finally:
        view.shutdown()
    made.assert_nothing_ran()
