"""Kills at any instant (issue #11), the sample `make test` runs: every kind of kill a few times.

Each test starts the real process (`python -m desktop_app ...`, or a driver in tests/kill_harness.py
where the CLI has no command: trash, the tiny-backbone training, the offscreen window), SIGKILLs it
at a uniformly random instant of its measured duration, and checks the dataset after each kill
(tests/kill_harness.py says what is checked and what "reported" means). benchmarks/bench_kills.py
runs 50 or more of each. HOTDOG_KILL_SEED replays a failure: each one names its seed and instant.

The regression tests kill at one exact moment instead, the one a bug needed: a change committed
to the index but its undo step not yet written (the step had a transaction of its own).
"""

from __future__ import annotations

import json
import os

import pytest
from kill_harness import kill_at_point, run_operation

SEED = int(os.environ.get("HOTDOG_KILL_SEED", "20261201"))
KILLS = {"import": 4, "relabel": 4, "trash": 5, "undo_redo": 5, "window": 3, "train": 2}


@pytest.mark.parametrize("operation", list(KILLS))
def test_a_kill_at_any_instant_loses_nothing(operation, tmp_path):
    result = run_operation(operation, tmp_path, KILLS[operation], SEED)
    assert result.kills == KILLS[operation]
    assert not result.failures, json.dumps(result.to_json(), indent=1)
    if operation == "train":
        assert result.found["final training completes"] == 1


UNDO = "desktop_app.core.undo:UndoStack"


@pytest.mark.parametrize(
    ("operation", "points", "forced"),
    [
        ("relabel", f"{UNDO}.push", {}),
        ("trash", f"{UNDO}.push", {"action": "trash"}),
        ("trash", f"{UNDO}.push", {"action": "restore"}),
        ("trash", f"{UNDO}.clear", {"action": "empty"}),
        ("undo_redo", f"{UNDO}.undone", {"direction": "undo"}),
        ("undo_redo", f"{UNDO}.redone", {"direction": "redo"}),
        # The importer recorded its step after the last batch had committed: now each batch's
        # transaction adds its moves to the step (UndoStack.grow), and record is not called.
        ("import", f"desktop_app.core.dataset:Dataset.record,{UNDO}.grow", {}),
        # Killed as its third batch of 5 begins: the first ten photos are in, and undoable.
        (
            "import",
            "desktop_app.core.importer:BATCH_SIZE=5,desktop_app.core.dataset:Dataset.store#3",
            {},
        ),
    ],
    ids=["label", "trash", "restore", "empty-trash", "undo", "redo", "import", "import-batches"],
)
def test_a_change_killed_as_its_undo_step_is_written_is_undoable_or_repaired(
    operation, points, forced, tmp_path
):
    """Killed between the change's commit and its undo step's, the history named the step before
    it: Ctrl+Z then took back an older change (or the trash emptied, a step that named its files).
    The step is in the change's transaction now: both are there, or the open repairs the index
    from the folders and clears the history."""
    done = kill_at_point(operation, points, tmp_path, **forced)
    assert not done.finding.problems, done.finding.problems


def test_an_import_of_several_batches_is_one_step_that_outlives_the_app(tmp_path, monkeypatch):
    """Each batch's transaction adds its moves to the import's one step (in memory and in the
    journal), so one Ctrl+Z, even after a restart, takes the whole import back."""
    from kill_harness import write_photos

    from desktop_app.core import importer
    from desktop_app.core.dataset import Dataset

    monkeypatch.setattr(importer, "BATCH_SIZE", 3)
    photos = write_photos(tmp_path / "in", range(10))
    with Dataset.create(tmp_path / "dataset") as dataset:
        report = importer.import_paths(dataset, list(photos.values()), "hot_dog")
        assert len(report.added) == 10
        assert len(dataset._undo.peek_undo().moves) == 10
    with Dataset.open(tmp_path / "dataset") as dataset:
        assert {h for h, _before, _after in dataset._undo.peek_undo().moves} == set(photos)
        assert dataset.undo()
        assert dataset.items() == [] and len(dataset.trashed()) == 10
        assert not dataset.can_undo
