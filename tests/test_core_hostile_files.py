"""Hostile files (tests/hostile_files.py) through the core importer and the real CLI: each is
imported once, upright and RGB, or skipped with a one-line reason; nothing hangs or crashes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from contextlib import ExitStack
from pathlib import Path

import hostile_files as hf
import pytest

from desktop_app.core.dataset import Dataset
from desktop_app.core.imaging import open_image
from desktop_app.core.importer import import_paths

REPO = Path(__file__).resolve().parent.parent
HANG_SECONDS = 30  # one kind takes well under a second; past this it hangs
CLI_SECONDS = 120  # the whole corpus, interpreter start included, takes a few seconds
TOLERANCE = 40  # per channel, for JPEG's losses at a quadrant's centre
SEEDS = {kind.name: seed for seed, kind in enumerate(hf.KINDS, start=1)}


def unprivileged() -> list[str]:
    """A command prefix that makes chmod 000 mean something: root reads any file, so as root
    the command runs without the capabilities that override file permissions."""
    if os.geteuid() != 0:
        return []
    if shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: a chmod 000 file cannot be made unreadable")
    return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def cli(*args: str, timeout: float) -> subprocess.CompletedProcess[bytes]:
    command = [*unprivileged(), sys.executable, "-m", "desktop_app", "import", *args]
    # A desktop's en_US.UTF-8 locale gives a strict stdout; C.UTF-8 (CI's) would hide surrogates.
    env = {**os.environ, "PYTHONIOENCODING": "utf-8:strict"}
    return subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=timeout)


def within(seconds: float, work):
    """work() in a daemon thread: a hang fails the test instead of blocking the run."""
    box: dict = {}

    def run() -> None:
        try:
            box["value"] = work()
        except BaseException as error:  # handed to the test below
            box["error"] = error

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        pytest.fail(f"still importing after {seconds} s: it hangs")
    if "error" in box:
        raise box["error"]
    return box["value"]


def assert_one_line(reason: str, why: str) -> None:
    assert why in reason, reason
    assert "\n" not in reason and "\r" not in reason and "Traceback" not in reason, reason
    assert reason == reason.strip() and len(reason) < 200, reason


def assert_upright(kind: hf.Kind, path: Path) -> None:
    """The stored file decodes to the picture the way it was meant to be seen."""
    image = open_image(path)
    assert image.mode == "RGB" and image.size == kind.size
    if kind.colours is None:
        return
    width, height = image.size
    centres = [(width // 4, height // 4), (width * 3 // 4, height // 4)]
    centres += [(width // 4, height * 3 // 4), (width * 3 // 4, height * 3 // 4)]
    for centre, wanted in zip(centres, kind.colours, strict=True):
        got = image.getpixel(centre)
        assert all(abs(a - b) <= TOLERANCE for a, b in zip(got, wanted, strict=True)), (
            f"{kind.name}: {got} at {centre}, wanted {wanted}"
        )


def printable(path: Path) -> str:
    """How the import shows a path: bytes that are not UTF-8 as \\xNN escapes."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


@pytest.mark.parametrize("kind", hf.KINDS, ids=[kind.name for kind in hf.KINDS])
def test_each_hostile_file_is_imported_once_upright_or_skipped_with_one_line(
    kind, tmp_path, dataset
):
    folder = tmp_path / "drop"
    folder.mkdir()
    made = kind.make(folder, SEEDS[kind.name])
    with kind.during(made.file):
        if kind.unprivileged and os.geteuid() == 0:
            dataset.close()  # the CLI opens it for writing
            result = cli(str(dataset.root), str(made.drop), "--json", timeout=CLI_SECONDS)
            assert result.returncode == 0, result.stderr.decode(errors="replace")
            report = json.loads(result.stdout)
            added, skipped = report["added"], {s["path"]: s["reason"] for s in report["skipped"]}
        else:
            report = within(HANG_SECONDS, lambda: import_paths(dataset, [made.drop]))
            added, skipped = len(report.added), dict(report.skipped)
    if kind.outcome == hf.SKIPPED:
        assert added == 0 and list(skipped) == [printable(made.file)]
        assert_one_line(skipped[printable(made.file)], kind.why)
        return
    assert skipped == {} and added == 1
    [item] = dataset.items()
    assert item.source == printable(made.file)
    assert (item.width, item.height) == kind.size
    assert_upright(kind, item.path)
    if kind.during is hf.appending:  # read once, consistently: a prefix of what it grew to
        assert made.file.read_bytes().startswith(item.path.read_bytes())
        assert made.file.stat().st_size > item.size


def test_the_whole_corpus_dropped_as_one_folder_through_the_cli(tmp_path):
    corpus = tmp_path / "dropped folder"
    corpus.mkdir()
    made = {kind.name: kind.make(corpus, SEEDS[kind.name]) for kind in hf.KINDS}
    with ExitStack() as during:
        for kind in hf.KINDS:
            during.enter_context(kind.during(made[kind.name].file))
        result = cli(str(tmp_path / "dataset"), str(corpus), timeout=CLI_SECONDS)
    out = result.stdout.decode("utf-8")
    err = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 0, err
    assert "Traceback" not in out + err
    imported = [kind for kind in hf.KINDS if kind.outcome == hf.IMPORTED]
    skipped = [kind for kind in hf.KINDS if kind.outcome == hf.SKIPPED]
    assert out.startswith(f"{len(imported)} added, {len(skipped)} skipped into "), out
    lines = [line for line in out.splitlines() if line.startswith("  skipped: ")]
    assert len(lines) == len(skipped), out
    for kind in skipped:
        prefix = f"  skipped: {printable(made[kind.name].file)}: "
        [line] = [line for line in lines if line.startswith(prefix)]
        assert_one_line(line.removeprefix(prefix), kind.why)
    with Dataset.open(tmp_path / "dataset", readonly=True) as dataset:
        sources = sorted(item.source for item in dataset.items())
    assert sources == sorted(printable(made[kind.name].file) for kind in imported)
