"""Readers beside a live writer (issue #11): every read-only open sees one committed state of the
dataset, or says in one line why it cannot; never a traceback, whatever the writer is renaming.

The writer runs in its own process and relabels, trashes, restores, undoes, redoes and imports as
fast as it can, logging the state (counts per label, trash size) after every change. Readers, in
this process and as `hotdog-studio stats --json` subprocesses, must each see one of those states.
HOTDOG_SOAK_OPENS and HOTDOG_SOAK_STATS make the run longer (200 opens and 30 commands by default).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import traceback
from pathlib import Path

import pytest
from conftest import REPO, picture

from desktop_app.core import reconcile
from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset
from desktop_app.core.errors import BadImage, DatasetError, StudioError
from desktop_app.core.imaging import load_array
from desktop_app.core.lock import is_locked

PHOTOS = 60
READER_OPENS = int(os.environ.get("HOTDOG_SOAK_OPENS", "200"))
STATS_RUNS = int(os.environ.get("HOTDOG_SOAK_STATS", "30"))

WRITER = r"""
import json, os, random, sys, time
import numpy as np
from PIL import Image
from desktop_app.core.dataset import Dataset, HOT_DOG, NOT_HOT_DOG, UNLABELED

root, states_path, stop_path = sys.argv[1:4]
rng = random.Random(11)
labels = [HOT_DOG, NOT_HOT_DOG, UNLABELED]
changes = imports = 0

def photo(seed):
    pixels = np.random.default_rng(seed).integers(0, 256, (24, 32, 3), dtype=np.uint8)
    return Image.fromarray(pixels, "RGB")

with Dataset.open(root) as dataset, open(states_path, "w") as states:
    def note():  # after the change's transaction committed: a state readers may see
        counts = dataset.counts()
        states.write(json.dumps([counts, len(dataset.trashed())]) + "\n")
        states.flush()

    note()
    print("ready", flush=True)
    while not os.path.exists(stop_path):
        items, trashed, roll = dataset.items(), dataset.trashed(), rng.random()
        if roll < 0.45 and items:
            picked = rng.sample(items, min(len(items), rng.randint(1, 3)))
            dataset.set_label([it.hash for it in picked], rng.choice(labels))
        elif roll < 0.6 and items:
            dataset.trash([rng.choice(items).hash])
        elif roll < 0.72 and trashed:
            dataset.restore([it.hash for it in rng.sample(trashed, min(2, len(trashed)))])
        elif roll < 0.82:
            dataset.undo()
        elif roll < 0.9:
            dataset.redo()
        elif imports < 60:
            dataset.add_image(photo(10_000 + imports), rng.choice(labels), source=None)
            imports += 1
        note()
        changes += 1
        time.sleep(0.001)  # hundreds of changes a second, and a core left for the readers
print(json.dumps({"changes": changes, "imports": imports}), flush=True)
"""


def build(root: Path) -> None:
    with Dataset.create(root) as dataset:
        for n in range(PHOTOS):
            dataset.add_image(
                picture(5000 + n), [HOT_DOG, NOT_HOT_DOG, UNLABELED][n % 3], source=None
            )


def state_of(counts: dict[str, int], trash: int) -> str:
    return json.dumps([dict(sorted(counts.items())), trash])


class Views:
    """What the readers saw: states, one-line refusals, and anything that went wrong."""

    def __init__(self) -> None:
        self.states: list[str] = []
        self.refusals: list[str] = []
        self.failures: list[str] = []  # tracebacks and inconsistent views
        self.guard = threading.Lock()

    def add(self, kind: str, text: str) -> None:
        with self.guard:
            getattr(self, kind).append(text)


def read_in_process(root: Path, views: Views) -> None:
    try:
        with Dataset.open(root, readonly=True) as dataset:
            counts, trashed, items = dataset.counts(), dataset.trashed(), dataset.items()
            sizes, fingerprint = dataset.sizes(), dataset.fingerprint()
    except StudioError as error:
        views.add("refusals", str(error))
        return
    except Exception:
        views.add("failures", traceback.format_exc())
        return
    if sum(counts.values()) != len(items) or len(fingerprint) != 16:
        views.add("failures", f"inconsistent: counts {counts}, {len(items)} items")
    elif sum(sizes[label] for label in counts) != sum(it.size for it in items):
        views.add("failures", f"inconsistent: sizes {sizes} for {len(items)} items")
    else:
        views.add("states", state_of(counts, len(trashed)))


def run_stats(root: Path, views: Views) -> None:
    for _ in range(STATS_RUNS):
        done = subprocess.run(
            [sys.executable, "-m", "desktop_app", "stats", str(root), "--json"],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
        )
        if "Traceback" in done.stderr or done.returncode not in (0, 1):
            views.add("failures", f"stats exited {done.returncode}:\n{done.stderr}")
        elif done.returncode == 1:
            lines = done.stderr.strip().splitlines()
            if len(lines) == 1 and lines[0].startswith("error: "):
                views.add("refusals", lines[0])
            else:
                views.add("failures", f"stats said more than one line:\n{done.stderr}")
        else:
            result = json.loads(done.stdout)
            if sum(result["counts"].values()) != result["total"]:
                views.add("failures", f"inconsistent stats: {done.stdout}")
            else:
                views.add("states", state_of(result["counts"], result["trash"]))


def test_readers_see_a_committed_state_while_a_writer_relabels(tmp_path):
    root = tmp_path / "dataset"
    build(root)
    states_path, stop = tmp_path / "states.jsonl", tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(root), str(states_path), str(stop)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    views = Views()
    try:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        commands = threading.Thread(target=run_stats, args=(root, views))
        commands.start()
        for _ in range(READER_OPENS):
            read_in_process(root, views)
        commands.join()
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0 and "Traceback" not in err, err
    done = json.loads(out.strip().splitlines()[-1])
    assert done["changes"] > 100, "the writer hardly ran: the readers proved nothing"

    written = {state_of(*json.loads(line)) for line in states_path.read_text().splitlines() if line}
    tracebacks = [text for text in views.failures if "Traceback" in text]
    assert views.failures == [], (
        f"{len(views.failures)} of {READER_OPENS + STATS_RUNS} opens failed, {len(tracebacks)}"
        f" with a traceback; first: {(tracebacks or views.failures)[0]}"
    )
    unseen = [state for state in views.states if state not in written]
    assert unseen == [], f"{len(unseen)} views the writer never committed, e.g. {unseen[0]}"
    assert all("\n" not in line for line in views.refusals)
    opens = READER_OPENS + STATS_RUNS
    assert len(views.states) >= 0.9 * opens, views.refusals[:3]  # refusing is the exception
    print(f"{opens} opens beside {done['changes']} changes; {len(views.refusals)} refused")


# -- the pieces, one at a time --------------------------------------------------------------------


@pytest.fixture
def filled(dataset, make_image):
    for label in (HOT_DOG, NOT_HOT_DOG, UNLABELED):
        dataset.add_file(make_image(), label)
    return dataset


def test_a_reader_beside_a_writer_does_not_list_the_folders(filled, monkeypatch):
    """The writer's committed index is consistent by transaction; its folders may be mid-rename."""
    monkeypatch.setattr(reconcile, "scan", lambda folders: pytest.fail("scanned the folders"))
    with Dataset.open(filled.root, readonly=True) as reader:
        assert reader.counts() == filled.counts()


def test_a_reader_keeps_the_view_it_opened_with(filled):
    with Dataset.open(filled.root, readonly=True) as reader:
        before = reader.counts(), reader.fingerprint()
        filled.set_label([it.hash for it in filled.items()], HOT_DOG)
        assert (reader.counts(), reader.fingerprint()) == before


def test_a_photo_moved_after_the_reader_opened_is_found_in_its_new_folder(filled):
    with Dataset.open(filled.root, readonly=True) as reader:
        item = reader.items(UNLABELED)[0]
        filled.set_label([item.hash], HOT_DOG)
        assert not item.path.exists()
        assert reader.locate(item.hash) == filled.root / HOT_DOG / item.path.name
        assert reader.thumbnail(item.hash).is_file()
        with pytest.raises(BadImage, match="no such file"):  # a stale path is skipped, not a crash
            load_array(item.path, 32)
        filled.trash([item.hash])
        filled.empty_trash()
        assert reader.locate(item.hash) is None
        with pytest.raises(DatasetError, match="no longer"):
            reader.thumbnail(item.hash, size=64)


def test_a_file_moved_by_hand_during_the_scan_is_found_by_a_second_look(filled, monkeypatch):
    """Nobody holds the lock: the reader scans; a file renamed between listing and stat is moved."""
    item = filled.items(UNLABELED)[0]
    filled.close()
    listed = reconcile._files
    moved: list[Path] = []

    def listing_then_a_move(folder):
        entries = list(listed(folder))
        if not moved and folder.name == UNLABELED:
            moved.append(item.path.rename(filled.root / NOT_HOT_DOG / item.path.name))
        return iter(entries)

    monkeypatch.setattr(reconcile, "_files", listing_then_a_move)
    with Dataset.open(filled.root, readonly=True) as reader:
        assert reader.get(item.hash).label == NOT_HOT_DOG
    assert moved


def test_a_writer_that_opens_during_the_scan_is_trusted_at_the_next_look(filled, monkeypatch):
    """The reader started scanning with nobody writing; then a writer opened and kept relabeling."""
    item, root = filled.items(UNLABELED)[0], filled.root
    filled.close()
    listed = reconcile._files
    writer: list[Dataset | None] = []

    def listing_beside_a_busy_writer(folder):
        entries = list(listed(folder))
        if not writer:
            writer.append(None)  # the writer's own opening scan comes through here too
            writer[0] = Dataset.open(root)
        elif writer[0] is not None and item.path.name in {entry.name for entry in entries}:
            now = writer[0].get(item.hash).label  # moved away as soon as it has been listed
            writer[0].set_label([item.hash], HOT_DOG if now == UNLABELED else UNLABELED)
        return iter(entries)

    monkeypatch.setattr(reconcile, "_files", listing_beside_a_busy_writer)
    try:
        with Dataset.open(root, readonly=True) as reader:
            assert reader.get(item.hash).label == writer[0].get(item.hash).label
        assert is_locked(root / ".studio" / "lock")  # the reader never took it from the writer
    finally:
        writer[0].close()


def test_folders_that_never_settle_give_one_line(filled, monkeypatch):
    filled.close()

    def always_moving(folder):  # every listing names a file that is gone by the time of its stat
        if not folder.is_dir():
            return iter([])
        (folder / "ghost.jpg").write_bytes(b"x")
        entries = [entry for entry in os.scandir(folder) if entry.name == "ghost.jpg"]
        (folder / "ghost.jpg").unlink()
        return iter(entries)

    monkeypatch.setattr(reconcile, "_files", always_moving)
    monkeypatch.setattr(reconcile, "SETTLE_PAUSE_S", 0.001)
    with pytest.raises(DatasetError, match="kept changing") as raised:
        Dataset.open(filled.root, readonly=True)
    assert "\n" not in str(raised.value)
