"""Section 6, your photos on a map: every labeled photo's features on the plane of their first two
principal components, coloured by label, Check labels' suspects ringed, and the head's 50% boundary
on that plane over a faint wash of its P(hot dog). A click on a dot shows that photo in the view.

A fine-tuned run recorded how its photos moved (ml.map_history): then the map is that replay, a
slider and Play over the fine-tune epochs, on one plane fixed before fine-tuning (map_replay.py).
Any other run (fast mode, the small CNN, runs made before the recording) shows the static map.

The map (ml.feature_map, or the saved replay) is computed on the model thread when the tab is first
shown and again for each new model; the model thread also makes every boundary's line segments and
wash, so the GUI thread only hands arrays to pyqtgraph (ui/shell/plots.py: imported by the warm-up
thread, or when the plot is first made; never when the view opens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_app.ui.shell.plots import pyqtgraph
from desktop_app.ui.shell.style import ACCENT_BY_LABEL, INBOX_COLOR, label_title
from desktop_app.ui.under_the_hood.map_replay import MapReplay, replay_of
from desktop_app.ui.under_the_hood.map_shapes import boundary_wash, contour_segments, wash_rect
from desktop_app.ui.under_the_hood.replay_bar import ReplayBar

DOT_SIZE = 9
RING_SIZE = 17
SUSPECT_COLOUR = "#111827"


@dataclass
class MapDrawing:
    """What the model thread hands the GUI: the map and the boundary ready to draw."""

    run_id: str
    hashes: list[str]
    labels: list[str]
    points: np.ndarray  # N × 2
    suspect: np.ndarray  # N bools
    scores: np.ndarray  # N: P(hot dog) on the photo's own features
    explained: tuple[float, float]
    segments: np.ndarray  # M × 2 × 2: the 0.5 contour as (u, v) line segments
    wash: np.ndarray  # G × G × 4 uint8 RGBA, [i, j] at (grid_u[j], grid_v[i])
    rect: tuple[float, float, float, float]  # the wash's (x, y, width, height) on the plane
    features: str  # "cache" or "model"


def map_work(progress: Callable | None = None):
    """The question for the model thread: the MapReplay of the current run if it recorded one,
    else the MapDrawing of its map, or a line to show instead (no model, too few photos)."""

    def work(context):
        from desktop_app.core.errors import StudioError
        from desktop_app.ml.feature_map import feature_map

        if context.run is None:
            return "No model yet: train one, and its map of your photos appears here."
        replay = replay_of(context)
        if replay is not None:
            return replay
        try:
            found = feature_map(context.dataset, context.run, progress=progress)
        except StudioError as error:
            return str(error)
        return MapDrawing(
            run_id=found.run_id,
            hashes=list(found.hashes),
            labels=list(found.labels),
            points=np.asarray(found.points, np.float32),
            suspect=np.asarray(found.suspect, bool),
            scores=np.asarray(found.scores, np.float32),
            explained=found.explained,
            segments=contour_segments(found.boundary, found.grid_u, found.grid_v),
            wash=boundary_wash(found.boundary),
            rect=wash_rect(found.grid_u, found.grid_v),
            features=found.features,
        )

    return work


class MapPanel(QWidget):
    photo_clicked = Signal(str)  # the hash of the photo whose dot was clicked
    progress_seen = Signal(object)  # a Progress of the map's computing (from the model thread)

    def __init__(self, ask: Callable) -> None:
        super().__init__()
        self._ask = ask  # the view's ModelThread.ask
        self.run = None  # the RunRecord of the view's model (None: no model, or not loaded yet)
        self._stale = False  # the model changed since the map was drawn
        self.drawing: MapDrawing | MapReplay | None = None
        self.shown_epoch: int | None = None  # the replay's epoch drawn now (None: no replay)
        self._scores: np.ndarray | None = None  # the dots' P(hot dog) as drawn, for their tips
        self._items: dict | None = None
        self.caption = QLabel("The map is drawn when this tab is shown.")
        self.caption.setWordWrap(True)
        self.progress = QLabel("")
        self.progress_seen.connect(self._show_progress)
        self.bar = ReplayBar()  # shown for a replay only
        self.bar.hide()
        self.bar.show_index.connect(self._show_epoch)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.caption)
        self.layout_.addWidget(self.progress)
        self.layout_.addWidget(self.bar)
        self.plot = None  # made with the first drawing

    # -- when to compute -----------------------------------------------------------------------
    def model_changed(self, run) -> None:
        self.run = run
        self.bar.stop_playing()
        if run is None:
            self.drawing = None
            self._clear()
            self.caption.setText(
                "No model yet: train one, and its map of your photos appears here."
            )
            self._stale = False
            return
        self._stale = True
        if self.isVisible():
            self.refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def refresh(self) -> None:
        """Ask the model thread for the current run's map."""
        if self.run is None:
            return
        self._stale = False
        self.progress.setText("Computing the map…")
        self._ask("map", map_work(self.progress_seen.emit), self._answered)

    def _show_progress(self, event) -> None:
        if self.drawing is not None and not self.progress.text():
            return  # a late event of a map already drawn
        phase = (event.phase or "working").capitalize()
        done = f" {event.done}/{event.total}" if event.total else ""
        self.progress.setText(f"Computing the map: {phase}{done}…")

    # -- drawing -------------------------------------------------------------------------------
    def _answered(self, result) -> None:
        self.progress.setText("")
        if isinstance(result, str):
            self.drawing = None
            self._clear()
            self.caption.setText(result)
            return
        if self.run is not None and result.run_id != self.run.id:
            return  # a map of a model the view no longer shows
        self.drawing = result
        if isinstance(result, MapReplay):
            self._draw_replay(result)
        else:
            self._draw(result)

    def _draw(self, drawing: MapDrawing) -> None:
        self._make_items(drawing, drawing.points, drawing.scores, drawing.segments)
        self._set_wash(drawing.wash.transpose(1, 0, 2), drawing.rect)
        self.plot.enableAutoRange()
        pc1, pc2 = drawing.explained
        where = "the feature cache" if drawing.features == "cache" else "the model's own backbone"
        self.caption.setText(
            f"{len(drawing.hashes)} labeled photos, each at its features ({where}) on the plane of"
            f" PCA's first two components: pc1 holds {pc1:.1%} of their variance, pc2 {pc2:.1%}."
            " The black line is the head's 50% boundary on that plane (the wash: its P(hot dog),"
            " green for hot dog, red for not, white where it is unsure);"
            " a photo lies off the plane, so its own score can disagree with the colour under its"
            f" dot.{_ringed(drawing.suspect)} Click a dot to see that photo."
        )

    def _draw_replay(self, replay: MapReplay) -> None:
        first = replay.epochs[0]
        self._make_items(replay, first.points, first.scores, first.segments)
        x0, x1, y0, y1 = replay.frame  # one frame for every epoch: the dots move, not the axes
        self.plot.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0.02)
        self.bar.set_count(len(replay.epochs))
        self.bar.show()
        self._show_epoch(0)
        pc1, pc2 = replay.explained
        undone = (
            ""
            if replay.kept_tuned
            else " Fine-tuning did not beat the head alone on the validation photos, so the"
            " model kept is epoch 0's."
        )
        self.caption.setText(
            "Fine-tuning moves the photos themselves: the backbone's top learns, so each photo's"
            f" features, and its dot, move epoch by epoch. {len(replay.hashes)} labeled photos"
            " (a fixed sample, the same every epoch) on one plane fixed before fine-tuning, PCA"
            f" of their features then (pc1 {pc1:.1%} of their variance, pc2 {pc2:.1%}), so the"
            " epochs compare. Epoch 0 is the warmed-up head on the cached features. The black"
            " line is the head's 50% boundary on that plane at the chosen epoch (the wash: its"
            " P(hot dog), green for hot dog, red for not); a photo lies off the plane, so its own"
            f" score can disagree with the colour under its dot.{_ringed(replay.suspect)}{undone}"
            " Drag the slider or press Play; click a dot to see that photo."
        )

    def _show_epoch(self, index: int) -> None:
        """The replay at one epoch: only setData calls with the model thread's arrays."""
        replay = self.drawing
        if not isinstance(replay, MapReplay) or self._items is None:
            return
        epoch = replay.epochs[min(max(index, 0), len(replay.epochs) - 1)]
        items = self._items
        self._scores = epoch.scores
        self._set_wash(epoch.wash, epoch.rect)
        segments = epoch.segments.reshape(-1, 2)
        items["line"].setData(segments[:, 0], segments[:, 1], connect="pairs")
        for label, item in items["dots"].items():
            rows = items["rows"][label]
            item.setData(pos=epoch.points[rows], data=rows.tolist())
        picks = items["picks"]
        items["rings"].setData(pos=epoch.points[picks], data=picks.tolist())
        self.shown_epoch = epoch.epoch
        last = replay.epochs[-1].epoch
        run_epoch = replay.epoch_offset + epoch.epoch
        when = (
            f"Before fine-tuning (epoch {run_epoch} of the run: the head's warm-up)"
            if epoch.epoch == 0
            else f"Fine-tune epoch {epoch.epoch} of {last} (epoch {run_epoch} of the run)"
        )
        self.bar.epoch_label.setText(when)

    def _make_items(self, drawing, points, scores, segments) -> None:
        """The plot's wash, boundary line, suspect rings and one scatter per label, at `points`."""
        pg = pyqtgraph()
        if self.plot is None:
            self.plot = pg.PlotWidget(background="w")
            self.plot.setMinimumHeight(420)
            self.plot.setLabel("bottom", "pc1")
            self.plot.setLabel("left", "pc2")
            self.plot.getAxis("left").enableAutoSIPrefix(False)
            self.plot.getAxis("bottom").enableAutoSIPrefix(False)
            self.layout_.addWidget(self.plot, 1)
        self._clear()
        self._scores = scores
        plot = self.plot
        plot.addLegend(offset=(10, 10))
        wash = pg.ImageItem()
        wash.setZValue(-10)
        plot.addItem(wash)
        flat = segments.reshape(-1, 2)
        line = pg.PlotCurveItem(
            flat[:, 0],
            flat[:, 1],
            connect="pairs",
            pen=pg.mkPen("#111827", width=2),
            name="the head's 50% boundary",
        )
        plot.addItem(line)
        picks = np.flatnonzero(drawing.suspect)
        rings = pg.ScatterPlotItem(
            size=RING_SIZE,
            brush=None,
            pen=pg.mkPen(SUSPECT_COLOUR, width=2),
            name="suspect" if len(picks) else None,  # no legend entry for nothing ringed
        )
        rings.setData(pos=points[picks], data=picks.tolist(), brush=None, symbol="o")
        rings.setZValue(1)
        rings.sigClicked.connect(self._clicked)
        plot.addItem(rings)
        dots, rows_of = {}, {}
        for label in dict.fromkeys(drawing.labels):
            rows = np.array([i for i, name in enumerate(drawing.labels) if name == label])
            item = pg.ScatterPlotItem(
                pos=points[rows],
                data=rows.tolist(),
                size=DOT_SIZE,
                brush=pg.mkBrush(ACCENT_BY_LABEL.get(label, INBOX_COLOR)),
                pen=pg.mkPen("w", width=1),
                name=label_title(label),
                hoverable=True,
                tip=lambda x, y, data: self._tip(data),
            )
            item.setZValue(2)
            item.sigClicked.connect(self._clicked)
            plot.addItem(item)
            dots[label], rows_of[label] = item, rows
        self._items = {
            "dots": dots,  # label -> its scatter; its points' data are rows of the drawing
            "rows": rows_of,
            "rings": rings,
            "picks": picks,
            "line": line,
            "wash": wash,
        }

    def _set_wash(self, wash: np.ndarray, rect) -> None:
        """wash: [x, y] RGBA, as pyqtgraph's ImageItem takes it."""
        item = self._items["wash"]
        item.setImage(wash, levels=(0, 255))
        item.setRect(QRectF(*rect))

    def _tip(self, index) -> str:
        i = int(index)
        score = self._scores[i] if self._scores is not None else float("nan")
        return f"{label_title(self.drawing.labels[i])}: the model says {score:.0%} hot dog"

    def _clicked(self, _item, points, *_event) -> None:
        if self.drawing is None or not len(points):
            return
        index = points[0].data()
        if index is not None:
            self.photo_clicked.emit(self.drawing.hashes[int(index)])

    def _clear(self) -> None:
        self.bar.stop_playing()
        self.bar.hide()
        self.shown_epoch = None
        if self.plot is not None:
            self.plot.clear()
            legend = self.plot.plotItem.legend
            if legend is not None:
                legend.clear()
        self._items = None


def _ringed(suspect: np.ndarray) -> str:
    count = int(np.asarray(suspect).sum())
    if not count:
        return ""
    photos = "the photo" if count == 1 else f"the {count} photos"
    return f" Ringed: {photos} Check labels thinks may be mislabeled."
