"""hotdog-studio duplicates, health and suggest on a real dataset, as a script would run them."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest
from ml_synthetic import draw, fill
from ml_tiny import register_tiny
from PIL import Image, ImageOps

from desktop_app.cli import run_command
from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, UNLABELED, Dataset
from desktop_app.ml.training import TrainSettings, train


@pytest.fixture
def tiny(tmp_path, monkeypatch):
    home = tmp_path / "keras_home"
    monkeypatch.setenv("KERAS_HOME", str(home))
    return register_tiny(home)


@pytest.fixture
def root(tmp_path):
    """20 labeled photos a class, 16 drawn inbox photos, a mirrored copy of a hot dog filed as not
    hot dog (a label conflict), a very dark photo and a grayscale one. Closed: commands open it."""
    root = tmp_path / "ds"
    rng = random.Random("inbox")
    with Dataset.create(root) as dataset:
        fill(dataset, tmp_path, per_class=20)
        for n in range(16):
            path = tmp_path / f"inbox-{n}.png"
            draw(HOT_DOG if n % 2 else NOT_HOT_DOG, rng).save(path)
            dataset.add_file(path)
        first = dataset.items(HOT_DOG)[0]
        mirrored = tmp_path / "mirrored.png"
        ImageOps.mirror(Image.open(first.path)).save(mirrored)
        dataset.add_file(mirrored, NOT_HOT_DOG)
        noise = np.random.default_rng(1).integers(0, 30, (120, 160, 3), dtype=np.uint8)
        Image.fromarray(noise).save(tmp_path / "dark.png")
        dataset.add_file(tmp_path / "dark.png")
        Image.open(first.path).convert("L").resize((160, 160)).save(tmp_path / "gray.png")
        dataset.add_file(tmp_path / "gray.png")
    return root


def lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def by_source(root) -> dict[str, object]:
    with Dataset.open(root, readonly=True) as dataset:
        return {it.source.rsplit("/", 1)[-1]: it for it in dataset.items()}


def test_duplicates_lists_the_conflicting_copy(root, capsys):
    items = by_source(root)
    assert run_command(["duplicates", str(root), "--json"]) == 0
    groups = lines(capsys)
    mirrored = items["mirrored.png"].hash
    conflict = [g for g in groups if mirrored in g["hashes"]]
    assert len(conflict) == 1 and conflict[0]["conflict"] is True
    assert sorted(conflict[0]["labels"])[:2] == [HOT_DOG, NOT_HOT_DOG]
    assert all(len(g["hashes"]) == len(g["paths"]) >= 2 for g in groups)
    assert run_command(["duplicates", str(root)]) == 0
    text = capsys.readouterr().out
    assert "label conflict: hot_dog vs not_hot_dog" in text and "with a label conflict" in text


def test_health_counts_every_finding_with_its_photos(root, capsys, tiny):
    items = by_source(root)
    assert run_command(["health", str(root), "--json"]) == 0
    found = {(line["check"], line.get("label") or line.get("side")): line for line in lines(capsys)}
    assert all(len(line["hashes"]) == line["count"] for line in found.values())
    assert found[("photos", None)]["count"] == len(items) == 59
    assert (
        found[("class", HOT_DOG)]["count"] == 20 and found[("unlabeled", UNLABELED)]["count"] == 18
    )
    train_side, val_side = found[("split", "train")], found[("split", "validation")]
    assert train_side["count"] + val_side["count"] == 41 and val_side["by_class"][HOT_DOG] == 4
    # The mirrored copy is in the other class: ml/split.py's dHash groups cannot keep it beside
    # its original, and the health check says when the two land on different sides.
    leaks = found[("split_leaks", None)]
    assert leaks["warning"] == bool(leaks["hashes"])
    assert items["dark.png"].hash in found[("dark", None)]["hashes"]
    assert found[("grayscale", None)]["hashes"] == [items["gray.png"].hash]
    assert found[("tiny", None)]["count"] == 57  # every drawn photo is 64 px; dark and gray are not
    conflicts = found[("label_conflicts", None)]
    assert items["mirrored.png"].hash in conflicts["hashes"] and conflicts["warning"]
    assert found[("suspected_labels", None)]["message"].endswith("not checked yet")
    assert found[("outliers", None)]["features"] is None  # nothing embedded yet

    from desktop_app.ml.label_check import check_labels

    with Dataset.open(root) as dataset:
        train(dataset, TrainSettings(backbone=tiny, epochs=3, batch_size=16))
        check = check_labels(dataset, tiny)
    assert run_command(["health", str(root), "--json"]) == 0
    found = {line["check"]: line for line in lines(capsys)}
    assert found["suspected_labels"]["checked"] is True
    assert set(found["suspected_labels"]["hashes"]) == {s.hash for s in check.suspects}
    assert found["outliers"]["features"] == f"{tiny}_48"
    assert run_command(["health", str(root)]) == 0
    assert "near-duplicate group" in capsys.readouterr().out


def test_suggest_lists_the_inbox_and_accepting_is_one_undo(root, capsys, tiny):
    with Dataset.open(root) as dataset:
        train(dataset, TrainSettings(backbone=tiny, epochs=40, batch_size=16, learning_rate=1e-2))
        inbox = [it.hash for it in dataset.items(UNLABELED)]
    assert run_command(["suggest", str(root), "--order", "import", "--json"]) == 0
    listed = lines(capsys)
    assert [s["hash"] for s in listed] == inbox and [s["rank"] for s in listed] == list(
        range(1, 19)
    )
    assert all(s["guess"] in (HOT_DOG, NOT_HOT_DOG) and 0.5 <= s["confidence"] <= 1 for s in listed)
    assert all(s["reason"].startswith("in import order; the model is") for s in listed)

    assert run_command(["suggest", str(root), "--json"]) == 0
    ordered = lines(capsys)
    assert sorted(s["hash"] for s in ordered) == sorted(inbox)
    margins = [s["confidence"] for s in ordered]
    assert margins[0] <= np.median(margins)  # the model's doubts come early

    threshold = sorted(s["confidence"] for s in listed)[len(listed) // 2]
    sure = {s["hash"]: s["guess"] for s in listed if s["confidence"] >= threshold}
    argv = ["suggest", str(root), "--accept-above", str(threshold), "--json"]
    assert run_command(argv) == 0
    *rest, summary = lines(capsys)
    assert summary["accepted"] == len(sure) and set(summary["hashes"]) == set(sure)
    assert {s["hash"] for s in rest} == set(inbox) - set(sure)  # what is left in the inbox
    with Dataset.open(root, readonly=True) as dataset:
        assert {h: dataset.get(h).label for h in sure} == sure
        assert all(dataset.get(h).label == UNLABELED for h in set(inbox) - set(sure))

    assert run_command(["undo", str(root)]) == 0  # one step takes every accepted guess back
    with Dataset.open(root, readonly=True) as dataset:
        assert [it.hash for it in dataset.items(UNLABELED)] == inbox
        assert dataset.counts()[HOT_DOG] == 20


def test_suggest_without_a_model_orders_typical_first_and_refuses_to_accept(root, capsys, tiny):
    assert run_command(["suggest", str(root), "--backbone", tiny, "--json"]) == 0
    listed = lines(capsys)
    assert len(listed) == 18 and all(s["guess"] is None for s in listed)
    assert listed[0]["reason"].startswith("typical of a cluster of ")
    assert run_command(["suggest", str(root), "--accept-above", "0.9"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == "error: there is no model yet to accept guesses from: train one first"


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["suggest", "{root}", "--accept-above", "1.5"],
            2,
            "error: --accept-above takes a probability",
        ),
        (["suggest", "{root}", "--limit", "-1"], 2, "error: --limit takes a count"),
        (["suggest", "{root}", "--order", "random"], 2, "invalid choice: 'random'"),
        (["health", "{nowhere}"], 1, "error: no dataset at "),
        (["duplicates", "{nowhere}", "--json"], 1, "error: no dataset at "),
    ],
)
def test_mistakes_are_one_line_errors(root, tmp_path, capsys, argv, code, message):
    argv = [a.format(root=root, nowhere=tmp_path / "nowhere") for a in argv]
    assert run_command(argv) == code
    captured = capsys.readouterr()
    assert message in captured.err and "Traceback" not in captured.err and captured.out == ""
