"""Under the hood, sections 3 and 5 as a user drives them: a photo's votes add up to the logit
shown, a click on a vote shows the photos that excite it (and a click on one opens it), and one
step by hand gives the score ml/one_step.py gives, with colours that flip with the label."""

from __future__ import annotations

import math

import numpy as np
import pytest
from ml_explained import keras_home, train_fast
from PIL import Image
from PySide6.QtCore import Qt

from desktop_app.core.dataset import HOT_DOG, NOT_HOT_DOG, Dataset
from desktop_app.ml.explain import Explainer
from desktop_app.ml.features import FeatureCache
from desktop_app.ml.one_step import one_step
from desktop_app.ui.shell.dataset_session import DatasetSession
from desktop_app.ui.shell.percent import percent
from desktop_app.ui.under_the_hood.hood_view import Photo, UnderTheHoodView
from desktop_app.ui.under_the_hood.one_step_panel import RATES

WAIT = 60000


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    """(dataset root, model path) of a fast-mode training with the tiny backbone."""
    tmp = tmp_path_factory.mktemp("hood_votes")
    with keras_home(tmp / "keras_home") as tiny:
        root, record = train_fast(tmp, tiny)
        yield root, record.model_path


@pytest.fixture(scope="module")
def small_cnn(tmp_path_factory):
    """(dataset root, model path) of a small CNN: it trains its backbone, so no cached features."""
    from desktop_app.ml.training import TrainSettings, train

    root = tmp_path_factory.mktemp("hood_cnn") / "dataset"
    rng = np.random.default_rng(0)
    with Dataset.create(root) as dataset:
        for i in range(8):
            for label, colour in ((HOT_DOG, (200, 40, 40)), (NOT_HOT_DOG, (40, 60, 200))):
                noise = rng.integers(-30, 30, (48, 48, 3))
                pixels = np.clip(np.array(colour) + noise, 0, 255).astype(np.uint8)
                dataset.add_image(Image.fromarray(pixels), label, source=f"{label} {i}")
        record = train(dataset, TrainSettings(backbone="small_cnn", epochs=2, input_size=32))
    return root, record.model_path


def _view(qtbot, root):
    session = DatasetSession()
    view = UnderTheHoodView(session)
    qtbot.addWidget(view)
    view.resize(1200, 900)
    view.show()
    assert session.open(root)
    qtbot.waitUntil(lambda: view.photo is not None, timeout=WAIT)  # the model is loaded
    return session, view


@pytest.fixture
def view(qtbot, fast):
    session, view = _view(qtbot, fast[0])
    yield view
    view.shutdown()
    session.close()


def open_tab(view, title: str) -> None:
    index = next(i for i in range(view.panels.count()) if view.panels.tabText(i) == title)
    view.panels.setCurrentIndex(index)


def labeled_photo(view, label: str, nth: int = 0) -> Photo:
    item = view.session.dataset.items(label)[nth]
    return Photo(f"{item.path.name} (labeled {label})", item.path, label=label, hash_=item.hash)


def votes_of(qtbot, view, photo):
    qtbot.waitUntil(
        lambda: view.votes.drawing is not None and view.votes.drawing.photo is photo,
        timeout=WAIT,
    )
    return view.votes.drawing


def stepped(qtbot, panel, label: str, previous=None):
    qtbot.mouseClick(panel.step_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            panel.drawing is not None
            and panel.drawing is not previous
            and panel.drawing.label == label
        ),
        timeout=WAIT,
    )
    return panel.drawing


def test_the_votes_on_show_and_the_bias_add_up_to_the_logit_shown(qtbot, view, fast):
    open_tab(view, "Why this verdict")
    photo = labeled_photo(view, HOT_DOG)
    view.show_photo(photo)
    drawing = votes_of(qtbot, view, photo)

    rows = view.votes.bars.rows
    assert rows == drawing.rows and rows[0].kind == "bias" and rows[0].value == drawing.bias
    assert sum(row.value for row in rows) == pytest.approx(drawing.logit, abs=1e-6)
    assert drawing.bias + drawing.votes == pytest.approx(drawing.logit, abs=1e-6)
    assert 1 / (1 + math.exp(-drawing.logit)) == pytest.approx(drawing.score, abs=1e-6)

    explainer = Explainer(fast[1])
    explanation = explainer.explain_image(photo.at(explainer.predictor.input_size))
    assert drawing.logit == pytest.approx(explanation.logit, abs=1e-5)
    assert drawing.score == pytest.approx(explanation.score, abs=1e-6)
    assert [r.unit for r in rows if r.kind == "for"] == [v.index for v in explanation.top_for(10)]
    assert [r.unit for r in rows if r.kind == "against"] == [
        v.index for v in explanation.top_against(10)
    ]
    shown = len(explanation.top_for(10)) + len(explanation.top_against(10))
    assert rows[-1].kind == "rest" and len(rows) == shown + 2  # the bias, the votes, the rest
    caption = view.votes.caption.text()
    assert f"{drawing.bias:+.3f} {drawing.votes:+.3f} = {drawing.logit:.3f}" in caption
    assert caption.endswith(f"→ {percent(drawing.score)} hot dog")


def test_a_clicked_vote_shows_the_photos_that_excite_it_and_one_opens(qtbot, view, fast):
    open_tab(view, "Why this verdict")
    photo = labeled_photo(view, HOT_DOG, 1)
    view.show_photo(photo)
    drawing = votes_of(qtbot, view, photo)
    index = next(i for i, row in enumerate(drawing.rows) if row.kind == "for")
    unit = drawing.rows[index].unit
    bars = view.votes.bars
    qtbot.mouseClick(bars, Qt.MouseButton.LeftButton, pos=bars.row_rect(index).center())
    qtbot.waitUntil(
        lambda: view.votes.exciting is not None and view.votes.exciting.unit == unit,
        timeout=WAIT,
    )
    exciting = view.votes.exciting
    assert exciting.note is None and len(exciting.photos) == 8
    assert len(view.votes.buttons) == 8

    dataset = view.session.dataset
    labeled = {item.hash: item.label for item in dataset.items() if item.label in dataset.classes}
    explainer = Explainer(fast[1])
    cache = FeatureCache(dataset.studio_dir, f"{explainer.predictor.backbone}_48")
    everyone = explainer.final_inputs(cache.get(list(labeled)))[:, unit]
    activations = [found.activation for found, _image, _chosen in exciting.photos]
    assert activations[0] == pytest.approx(float(everyone.max()), abs=1e-6)
    assert activations == sorted(activations, reverse=True)
    for found, image, chosen in exciting.photos:
        assert labeled[found.hash] == found.label == chosen.label and not image.isNull()

    first = exciting.photos[0][2]
    qtbot.mouseClick(view.votes.buttons[0], Qt.MouseButton.LeftButton)
    assert view.photo.hash == first.hash and view.photo.label == first.label
    assert view.caption.text() == first.title
    votes_of(qtbot, view, view.photo)  # the opened photo is explained in its turn
    assert view.votes.exciting is exciting  # and the unit's photos stay to click through


def test_one_step_is_ml_one_steps_and_flipping_the_label_flips_the_colours(qtbot, view, fast):
    open_tab(view, "One step")
    panel = view.one_step
    photo = labeled_photo(view, NOT_HOT_DOG)
    view.show_photo(photo)
    assert panel.label == NOT_HOT_DOG  # the photo's own label
    photo = labeled_photo(view, HOT_DOG)
    view.show_photo(photo)
    assert panel.label == HOT_DOG and panel.learning_rate == 0.05
    panel.rate.setCurrentIndex(RATES.index(0.2))
    right = stepped(qtbot, panel, HOT_DOG)
    assert right.photo is photo and right.learning_rate == 0.2

    explainer = Explainer(fast[1])
    features = explainer.features_of(photo.at(explainer.predictor.input_size))[0]
    direct = one_step(explainer.head, features, HOT_DOG, explainer.classes, 0.2)
    assert right.step.score_after == pytest.approx(direct.score_after, abs=1e-6)
    assert right.step.score_before == pytest.approx(direct.score_before, abs=1e-6)
    assert right.step.loss_after == pytest.approx(direct.loss_after, abs=1e-6)
    assert panel.summary.text() == right.step.summary
    assert right.step.score_after > right.step.score_before

    panel.not_hot_dog.click()
    wrong = stepped(qtbot, panel, NOT_HOT_DOG, right)
    # From the model's own weights again: the first step changed nothing.
    assert wrong.step.score_before == pytest.approx(right.step.score_before, abs=1e-7)
    assert wrong.step.score_after < wrong.step.score_before
    moved = (right.changes != 0) & (wrong.changes != 0)
    assert moved.any()
    assert np.array_equal(np.sign(right.changes[moved]), -np.sign(wrong.changes[moved]))

    # The drawn colours flip too: the biggest change is green, then red.
    biggest = int(np.argmax(np.abs(right.changes)))
    green = right.strip.pixelColor(*right.cell_centre(biggest))
    red = wrong.strip.pixelColor(*wrong.cell_centre(biggest))
    assert green.green() > green.red() + 60 and red.red() > red.green() + 60


def test_a_model_that_trained_its_backbone_says_why_it_has_no_photos(qtbot, small_cnn):
    session, view = _view(qtbot, small_cnn[0])
    try:
        open_tab(view, "Why this verdict")
        photo = labeled_photo(view, HOT_DOG)
        view.show_photo(photo)
        drawing = votes_of(qtbot, view, photo)
        assert drawing.inputs_kind == "feature"
        assert sum(row.value for row in drawing.rows) == pytest.approx(drawing.logit, abs=1e-6)
        index = next(i for i, row in enumerate(drawing.rows) if row.unit is not None)
        view.votes.pick(index)
        qtbot.waitUntil(lambda: view.votes.exciting is not None, timeout=WAIT)
        assert "fast" in view.votes.exciting.note and "\n" not in view.votes.exciting.note
        assert view.votes.exciting_caption.text() == view.votes.exciting.note
        assert view.votes.buttons == []
    finally:
        view.shutdown()
        session.close()
