"""The gallery model and view with 20,000 rows: stable merges, and only visible thumbnails asked for."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from desktop_app.ui.label.gallery_model import HashRole
from desktop_app.ui.label.gallery_view import CELL, GalleryPanel
from desktop_app.ui.label.thumbnail_cache import ThumbnailCache


class CountingCache(ThumbnailCache):
    """The real cache, without a dataset, remembering which thumbnails were asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, hash_: str):
        self.asked.add(hash_)
        return super().get(hash_)


def fake_hashes(count: int, start: int = 0) -> list[str]:
    return [f"{i:064x}" for i in range(start, start + count)]


def test_merges_keep_the_order_and_announce_the_count(qtbot):
    panel = GalleryPanel("hot_dog", ThumbnailCache(), ["hot_dog", "not_hot_dog"])
    qtbot.addWidget(panel)
    model = panel.model
    counts = []
    model.count_changed.connect(counts.append)
    first = fake_hashes(6)
    model._merge(first)
    model._merge([first[5], first[0], first[2], *fake_hashes(2, 100)])  # three gone, two new
    assert model.hashes() == [first[0], first[2], first[5], *fake_hashes(2, 100)]
    assert [model.index(r).data(HashRole) for r in range(model.rowCount())] == model.hashes()
    assert counts == [6, 5]
    assert panel.header.text() == "Hot dog  (5)"

    many = fake_hashes(5000, 1000)
    model._merge(many)
    model._merge(many[1::2])  # 2,500 scattered removals: done as one reset
    assert model.hashes() == many[1::2]


def test_twenty_thousand_images_only_the_visible_thumbnails_are_requested(qtbot):
    cache = CountingCache()
    panel = GalleryPanel("not_hot_dog", cache, ["hot_dog", "not_hot_dog"])
    qtbot.addWidget(panel)
    panel.resize(600, 700)
    panel.show()
    qtbot.waitExposed(panel)
    panel.model._merge(fake_hashes(20000))
    bar = panel.view.verticalScrollBar()
    viewport = panel.view.viewport()
    grid_rows = -(-20000 // (viewport.width() // CELL))
    full = grid_rows * CELL - viewport.height()
    qtbot.waitUntil(lambda: bar.maximum() >= full - CELL)  # laid out in batches
    QApplication.processEvents()
    panel.view.viewport().repaint()
    assert panel.header.text() == "Not hot dog  (20,000)"
    assert 0 < len(cache.asked) < 200

    bar.setValue(bar.maximum())
    panel.view.viewport().repaint()
    assert fake_hashes(1, 19999)[0] in cache.asked  # the last row, now on screen
    assert len(cache.asked) < 400
