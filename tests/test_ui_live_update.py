"""Live update in the Label view: labeling by key fits the head again in the background after
every few labels, and the guesses, the order and the reason line come from it; a real tiny
fast-mode model, real keys, no mocks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ml_explained import keras_home, train_fast
from ml_synthetic import write_images
from PySide6.QtCore import Qt
from test_ui_label_next import choose
from ui_helpers import open_window

from desktop_app.core.dataset import UNLABELED, Dataset
from desktop_app.ui.label.label_tools import LIVE_EVERY
from desktop_app.ui.shell.percent import percent

WAIT_MS = 180_000  # the first model in a process also imports TensorFlow


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    """(dataset root, run id): a fast-mode model on the tiny backbone, 8 drawn photos a class,
    and 12 more in the inbox."""
    tmp = tmp_path_factory.mktemp("ui_live_update")
    with keras_home(tmp / "keras_home") as tiny:
        root, record = train_fast(tmp, tiny, per_class=8)
        with Dataset.open(root) as dataset:
            for label in ("hot_dog", "not_hot_dog"):
                for path in write_images(tmp / "inbox" / label, label, 6, seed=5):
                    dataset.add_file(path)
        yield root, record.id


@pytest.fixture
def studio(qapp, qtbot, tmp_path, fast):
    root = tmp_path / "dataset"
    shutil.copytree(fast[0], root)
    window = open_window(qtbot, tmp_path / "settings", root)
    window.root, window.run_id = root, fast[1]
    qtbot.waitUntil(lambda: window.label_view.tools.source.latest is not None, timeout=WAIT_MS)
    return window


def label_by_key(qtbot, studio, count: int) -> None:
    """H or N, whichever is right, for the photo on screen, count times."""
    inbox = studio.label_view.inbox
    for _ in range(count):
        source = studio.session.dataset.get(inbox.current).source.replace("\\", "/")
        qtbot.keyClick(inbox, Qt.Key.Key_H if "/hot_dog/" in source else Qt.Key.Key_N)


def runs(root: Path) -> list[str]:
    return sorted(p.name for p in (root / ".studio" / "runs").iterdir())


def test_five_labels_by_key_update_the_head_and_the_suggestions_follow(qtbot, studio):
    tools, inbox = studio.label_view.tools, studio.label_view.inbox
    runs_before = runs(studio.root)
    choose(qtbot, tools.order_bar.combo, "Label next")
    source = tools.source
    qtbot.waitUntil(lambda: source.latest.order == "next", timeout=WAIT_MS)
    before = source.latest
    assert before.model == studio.run_id and before.live is None
    assert "updated after" not in tools.order_bar.reason.text()

    label_by_key(qtbot, studio, LIVE_EVERY)
    shown = inbox.current
    qtbot.waitUntil(lambda: source.latest.live is not None, timeout=WAIT_MS)
    after = source.latest
    assert after.model == f"live: {LIVE_EVERY} labels since run {studio.run_id}"
    assert after.order == "next" and after.run == studio.run_id
    old = {s.hash: s.confidence for s in before.suggestions}
    new = {s.hash: s.confidence for s in after.suggestions}
    assert set(new) == {it.hash for it in studio.session.dataset.items(UNLABELED)}
    assert max(abs(new[h] - old[h]) for h in new) > 1e-3  # the live head guesses otherwise

    # The photo on screen stayed; the reason line says the guesses are the live head's, and the
    # inbox shows its guess (Enter would accept it).
    assert inbox.current == shown
    reason = tools.order_bar.reason.text()
    assert f"— updated after {LIVE_EVERY} new labels, " in reason and reason.endswith(" s")
    mine = next(s for s in after.suggestions if s.hash == shown)
    assert reason.startswith(f"Next because {mine.reason}")
    qtbot.waitUntil(lambda: percent(mine.confidence) in inbox.guess_label.text())

    # Five more: the head is fitted again on all ten, still no run saved.
    label_by_key(qtbot, studio, LIVE_EVERY)
    live = f"live: {2 * LIVE_EVERY} labels since run {studio.run_id}"
    qtbot.waitUntil(lambda: source.latest.model == live, timeout=WAIT_MS)
    assert len(source.latest.suggestions) == 12 - 2 * LIVE_EVERY
    assert runs(studio.root) == runs_before

    # Import order keeps the live head's guesses.
    choose(qtbot, tools.order_bar.combo, "Import order")
    qtbot.waitUntil(lambda: source.latest.order == "import", timeout=WAIT_MS)
    assert source.latest.model == live


def test_a_model_that_is_not_fast_mode_is_not_updated_live_and_says_so_quietly(
    qapp, qtbot, tmp_path
):
    from ml_synthetic import fill

    from desktop_app.ml.training import TrainSettings, train

    root = tmp_path / "dataset"
    with Dataset.create(root) as dataset:
        fill(dataset, tmp_path, per_class=6)
        for label in ("hot_dog", "not_hot_dog"):
            for path in write_images(tmp_path / "inbox" / label, label, 6, seed=5):
                dataset.add_file(path)
        train(dataset, TrainSettings(backbone="small_cnn", epochs=1, input_size=32, val_share=0))
    studio = open_window(qtbot, tmp_path / "settings", root)
    tools = studio.label_view.tools
    qtbot.waitUntil(lambda: tools.source.latest is not None, timeout=WAIT_MS)
    label_by_key(qtbot, studio, LIVE_EVERY)
    reason = tools.order_bar.reason
    qtbot.waitUntil(lambda: "No live update: " in reason.toolTip(), timeout=WAIT_MS)
    assert "not a fast-mode model" in reason.toolTip()
    assert tools.source.latest.live is None and tools.source.latest.model is not None
    assert "updated after" not in reason.text() and not tools.message.isVisible()
    # Said once: five more labels are counted, and no update of this model is asked for again.
    label_by_key(qtbot, studio, LIVE_EVERY)
    qtbot.waitUntil(lambda: len(tools._changed) == LIVE_EVERY)
    assert "updating" not in reason.text() and tools.source.latest.live is None


def test_labels_undone_count_once_toward_the_next_update(qtbot, studio):
    """Three labels, then three undos: three photos changed, not six events, so no update yet
    (counting events, the second undo would have asked for one); five more labels bring one."""
    tools, inbox = studio.label_view.tools, studio.label_view.inbox
    source = tools.source
    label_by_key(qtbot, studio, 3)
    for _ in range(3):
        qtbot.keyClick(inbox, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    studio.session.wait_for_edits()
    qtbot.waitUntil(lambda: len(studio.session.dataset.items(UNLABELED)) == 12)
    qtbot.waitUntil(lambda: len(tools._changed) == 3)  # every change event has arrived
    assert source.latest.live is None and "updating" not in tools.order_bar.reason.text()

    label_by_key(qtbot, studio, LIVE_EVERY)
    qtbot.waitUntil(lambda: source.latest.live is not None, timeout=WAIT_MS)
