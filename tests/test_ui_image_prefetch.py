"""The inbox's prefetcher decodes on pool threads: a dataset closed under it is no crash."""

from __future__ import annotations

from desktop_app.core.dataset import Dataset
from desktop_app.ui.label.image_prefetch import ImagePrefetcher


def test_a_prefetch_decodes_the_photo_at_screen_size(qtbot, tmp_path, make_image):
    dataset = Dataset.create(tmp_path / "dataset")
    added = dataset.add_file(make_image(size=(3200, 800))).item
    prefetcher = ImagePrefetcher()
    with qtbot.waitSignal(prefetcher.ready, timeout=10_000) as ready:
        prefetcher.request(added.hash, dataset)
    assert ready.args == [added.hash]
    image = prefetcher.image(added.hash)
    assert (image.width(), image.height()) == (1600, 400)
    dataset.close()


def test_a_prefetch_from_a_dataset_just_closed_answers_nothing_quietly(qtbot, tmp_path, make_image):
    """The window switched datasets while the next photo was on its way: no traceback."""
    dataset = Dataset.create(tmp_path / "dataset")
    added = dataset.add_file(make_image()).item
    dataset.close()
    prefetcher = ImagePrefetcher()
    with qtbot.waitSignal(prefetcher.ready, timeout=10_000):
        prefetcher.request(added.hash, dataset)
    assert prefetcher.image(added.hash).isNull()
