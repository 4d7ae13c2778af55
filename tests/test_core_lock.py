"""One dataset, one writer: a second writer is refused, readers are welcome, stale locks are taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest
from conftest import REPO

from desktop_app.core.dataset import HOT_DOG, Dataset
from desktop_app.core.errors import DatasetLocked

OPEN_AS_WRITER = """
import sys
from desktop_app.core.dataset import Dataset
from desktop_app.core.errors import DatasetLocked
try:
    Dataset.open(sys.argv[1]).close()
except DatasetLocked as error:
    print(error)
    sys.exit(3)
"""


def open_in_another_process(root) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", OPEN_AS_WRITER, str(root)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
    )


def test_a_second_writer_in_this_process_is_refused(dataset):
    with pytest.raises(DatasetLocked, match=r"open in another window or command \(pid \d+\)"):
        Dataset.open(dataset.root)


def test_a_second_writer_in_another_process_is_refused_by_pid(dataset):
    result = open_in_another_process(dataset.root)
    assert result.returncode == 3, result.stderr
    assert f"(pid {os.getpid()})" in result.stdout
    assert str(dataset.root) in result.stdout


def test_readers_are_welcome_while_a_writer_holds_the_lock(dataset, make_image):
    dataset.add_file(make_image(), HOT_DOG)
    with Dataset.open(dataset.root, readonly=True) as reader:
        assert reader.counts()[HOT_DOG] == 1


def test_closing_releases_the_lock(dataset):
    dataset.close()
    assert not (dataset.studio_dir / "lock").exists()
    assert open_in_another_process(dataset.root).returncode == 0
    Dataset.open(dataset.root).close()


def test_a_lock_left_by_a_dead_process_is_taken_over(dataset):
    dataset.close()
    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(finished.stdout)
    lock = dataset.studio_dir / "lock"
    lock.write_text(json.dumps({"pid": dead_pid, "host": socket.gethostname(), "since": 0}))
    with Dataset.open(dataset.root) as taken:
        holder = json.loads(lock.read_text())
        assert holder["pid"] != dead_pid
        assert taken.counts()[HOT_DOG] == 0


def test_a_garbled_lock_file_is_taken_over(dataset):
    dataset.close()
    (dataset.studio_dir / "lock").write_bytes(b"\x00garbage")
    Dataset.open(dataset.root).close()
