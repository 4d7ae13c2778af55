"""Live update: the current fast-mode model's head fitted again, in memory, on the labels since,
warm-started from the saved head; real Keras on the tiny backbone, no run saved."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from ml_explained import keras_home, train_fast
from ml_synthetic import fill, write_images

from desktop_app.core.dataset import UNLABELED, Dataset
from desktop_app.core.errors import Cancelled, StudioError
from desktop_app.core.progress import CancelToken
from desktop_app.ml.live_update import live_head, saved_head_weights
from desktop_app.ml.runs import list_runs, runs_dir
from desktop_app.ml.suggest import suggest

INBOX_PER_CLASS = 6


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    """(dataset root, run record) of a fast-mode model trained on 8 drawn photos a class, with
    INBOX_PER_CLASS more of each class unlabeled in the inbox."""
    tmp = tmp_path_factory.mktemp("live_update")
    with keras_home(tmp / "keras_home") as tiny:
        root, record = train_fast(tmp, tiny, per_class=8)
        with Dataset.open(root) as dataset:
            for label in ("hot_dog", "not_hot_dog"):
                for path in write_images(tmp / "inbox" / label, label, INBOX_PER_CLASS, seed=5):
                    dataset.add_file(path)
        yield root, record


@pytest.fixture
def copy(fast, tmp_path):
    root, record = fast
    shutil.copytree(root, tmp_path / "dataset")
    return tmp_path / "dataset", record


def true_label(item) -> str:
    return "hot_dog" if "/hot_dog/" in item.source.replace("\\", "/") else "not_hot_dog"


@pytest.mark.parametrize("head_in_numpy", [True, False], ids=["cpu-numpy", "keras-as-on-a-gpu"])
def test_the_live_head_after_more_labels_changes_the_guesses_and_saves_no_run(
    copy, monkeypatch, head_in_numpy
):
    from desktop_app.ml import head_numpy

    monkeypatch.setattr(head_numpy, "applies", lambda: head_in_numpy)
    root, record = copy
    with Dataset.open(root) as dataset:
        runs_before = sorted(p.name for p in runs_dir(dataset).iterdir())
        before = suggest(dataset, "import", allow_download=False)
        assert before.model == before.run == record.id and before.live is None
        inbox = dataset.items(UNLABELED)
        newly = inbox[::2]  # 6 of the 12, both classes
        dataset.set_labels({it.hash: true_label(it) for it in newly})

        seen = []
        live = live_head(dataset, progress=seen.append, allow_download=False)
        assert live.labels == 16 + len(newly) and live.since_run == len(newly)
        assert live.run_id == record.id and live.classes == record.classes
        assert any(e.phase == "live update" and e.done == e.total for e in seen)

        after = suggest(dataset, "import", allow_download=False, live=live)
        assert after.model == f"live: {len(newly)} labels since run {record.id}"
        assert after.run == record.id and after.live is live
        old = {s.hash: s.confidence for s in before.suggestions}
        new = {s.hash: s.confidence for s in after.suggestions}
        assert set(new) == {it.hash for it in dataset.items(UNLABELED)} and set(new) < set(old)
        assert max(abs(new[h] - old[h]) for h in new) > 1e-3  # the live head guesses otherwise

        # The label-next order is worked out from the live head's doubts too.
        ordered = suggest(dataset, "next", allow_download=False, live=live)
        assert ordered.model == after.model and len(ordered.suggestions) == len(new)

        # Nothing on disk: the runs list is as it was, and the saved model still guesses the same.
        assert sorted(p.name for p in runs_dir(dataset).iterdir()) == runs_before
        assert [r.id for r in list_runs(dataset)] == [record.id]
        again = suggest(dataset, "import", allow_download=False)
        assert again.model == record.id
        assert all(abs(s.confidence - old[s.hash]) < 1e-4 for s in again.suggestions)


def test_the_live_head_starts_from_the_saved_heads_weights(copy):
    from desktop_app.ml import model as models
    from desktop_app.ml.runtime import keras_module

    root, record = copy
    keras = keras_module()
    saved = keras.saving.load_model(record.model_path, safe_mode=True, compile=False)
    saved = saved.get_layer("head").get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(saved_head_weights(record), saved, strict=True))
    with Dataset.open(root) as dataset:
        inbox = dataset.items(UNLABELED)
        dataset.set_labels({it.hash: true_label(it) for it in inbox[:5]})
        start = live_head(dataset, epochs=0, allow_download=False)  # before any fitting
        fitted = live_head(dataset, allow_download=False)
    weights = start.head.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(weights, saved, strict=True))

    # A few epochs move it a little from there; a head built afresh is much further away.
    def distance(ws) -> float:
        return float(sum(np.sum((np.asarray(a) - b) ** 2) for a, b in zip(ws, saved, strict=True)))

    fresh = models.build_head(saved[0].shape[0], len(record.classes), seed=0).get_weights()
    moved = distance(fitted.head.get_weights())
    assert 0 < moved < distance(fresh) / 10


def test_a_cancelled_live_update_stops(copy):
    root, _record = copy
    cancel = CancelToken()
    cancel.cancel()
    with Dataset.open(root) as dataset, pytest.raises(Cancelled):
        live_head(dataset, cancel=cancel, allow_download=False)


def test_without_a_fast_mode_model_it_is_refused_in_one_line(tmp_path):
    from desktop_app.ml.training import TrainSettings, train

    with Dataset.create(tmp_path / "dataset") as dataset:
        fill(dataset, tmp_path, per_class=4)
        with pytest.raises(StudioError, match="no model yet") as none:
            live_head(dataset, allow_download=False)
        train(dataset, TrainSettings(backbone="small_cnn", epochs=1, input_size=32, val_share=0))
        with pytest.raises(StudioError, match="not a fast-mode model") as slow:
            live_head(dataset, allow_download=False)
    for refusal in (none, slow):
        assert "\n" not in str(refusal.value)
