"""Section 6, your photos on a map: every labeled photo's features on the plane of their first two
principal components, coloured by label, Check labels' suspects ringed, and the head's 50% boundary
on that plane over a faint wash of its P(hot dog). A click on a dot shows that photo in the view.

The map (ml.feature_map) is computed on the model thread when the tab is first shown and again for
each new model; the model thread also makes the boundary's line segments and the wash, so the GUI
thread only hands arrays to pyqtgraph (ui/shell/plots.py: imported by the warm-up thread, or when
the plot is first made; never when the view opens).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_app.ui.shell.plots import pyqtgraph
from desktop_app.ui.shell.style import ACCENT_BY_LABEL, INBOX_COLOR, label_title

DOT_SIZE = 9
RING_SIZE = 17
SUSPECT_COLOUR = "#111827"
WASH_ALPHA = 90  # the boundary grid's background, out of 255: faint


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


def contour_segments(
    values: np.ndarray, xs: np.ndarray, ys: np.ndarray, level: float = 0.5
) -> np.ndarray:
    """Marching squares: the level line of values[i, j] (at (xs[j], ys[i])) as M × 2 × 2 segments,
    each crossing placed by linear interpolation along the cell's edge."""
    v = np.asarray(values, np.float64) - level
    segments = []
    for i in range(v.shape[0] - 1):
        for j in range(v.shape[1] - 1):
            corners = [(i, j), (i, j + 1), (i + 1, j + 1), (i + 1, j)]  # around the cell
            crossings = []
            for k in range(4):
                (ai, aj), (bi, bj) = corners[k], corners[(k + 1) % 4]
                a, b = v[ai, aj], v[bi, bj]
                if (a < 0) != (b < 0):
                    t = a / (a - b)
                    x = xs[aj] + t * (xs[bj] - xs[aj])
                    y = ys[ai] + t * (ys[bi] - ys[ai])
                    crossings.append((x, y))
            if len(crossings) == 2:
                segments.append(crossings)
            elif len(crossings) == 4:  # a saddle: pair the crossings around the corners
                segments += [[crossings[0], crossings[1]], [crossings[2], crossings[3]]]
    return np.asarray(segments, np.float32).reshape(-1, 2, 2)


def _rgb(colour: str) -> np.ndarray:
    return np.array([int(colour[k : k + 2], 16) for k in (1, 3, 5)], np.float32)


def boundary_wash(boundary: np.ndarray) -> np.ndarray:
    """P(hot dog) as a faint RGBA wash: not-hot-dog red at 0, white at 0.5, hot-dog green at 1."""
    p = np.clip(np.asarray(boundary, np.float32), 0, 1)[..., None]
    white = np.full(3, 255, np.float32)
    hot, cold = _rgb(ACCENT_BY_LABEL["hot_dog"]), _rgb(ACCENT_BY_LABEL["not_hot_dog"])
    rgb = np.where(p < 0.5, cold + (white - cold) * (p * 2), white + (hot - white) * (p * 2 - 1))
    alpha = np.full(p.shape, WASH_ALPHA, np.float32)
    return np.concatenate([rgb, alpha], -1).astype(np.uint8)


def map_work(progress: Callable | None = None):
    """The question for the model thread: the MapDrawing of the current run's map, or a line to
    show instead (no model, too few photos)."""

    def work(context):
        from desktop_app.core.errors import StudioError
        from desktop_app.ml.feature_map import feature_map

        if context.run is None:
            return "No model yet: train one, and its map of your photos appears here."
        try:
            found = feature_map(context.dataset, context.run, progress=progress)
        except StudioError as error:
            return str(error)
        u, v = found.grid_u, found.grid_v
        du = float(u[1] - u[0]) if len(u) > 1 else 1.0
        dv = float(v[1] - v[0]) if len(v) > 1 else 1.0
        return MapDrawing(
            run_id=found.run_id,
            hashes=list(found.hashes),
            labels=list(found.labels),
            points=np.asarray(found.points, np.float32),
            suspect=np.asarray(found.suspect, bool),
            scores=np.asarray(found.scores, np.float32),
            explained=found.explained,
            segments=contour_segments(found.boundary, u, v),
            wash=boundary_wash(found.boundary),
            rect=(float(u[0]) - du / 2, float(v[0]) - dv / 2, du * len(u), dv * len(v)),
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
        self.drawing: MapDrawing | None = None
        self._items: dict | None = None
        self.caption = QLabel("The map is drawn when this tab is shown.")
        self.caption.setWordWrap(True)
        self.progress = QLabel("")
        self.progress_seen.connect(self._show_progress)
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.caption)
        self.layout_.addWidget(self.progress)
        self.plot = None  # made with the first drawing

    # -- when to compute -----------------------------------------------------------------------
    def model_changed(self, run) -> None:
        self.run = run
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
        self._draw(result)

    def _draw(self, drawing: MapDrawing) -> None:
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
        plot = self.plot
        plot.addLegend(offset=(10, 10))
        wash = pg.ImageItem(np.ascontiguousarray(drawing.wash.transpose(1, 0, 2)), levels=(0, 255))
        wash.setRect(QRectF(*drawing.rect))
        wash.setZValue(-10)
        plot.addItem(wash)
        segments = drawing.segments.reshape(-1, 2)
        line = pg.PlotCurveItem(
            segments[:, 0],
            segments[:, 1],
            connect="pairs",
            pen=pg.mkPen("#111827", width=2),
            name="the head's 50% boundary",
        )
        plot.addItem(line)
        rings = pg.ScatterPlotItem(
            size=RING_SIZE, brush=None, pen=pg.mkPen(SUSPECT_COLOUR, width=2), name="suspect"
        )
        picks = np.flatnonzero(drawing.suspect)
        rings.setData(
            pos=drawing.points[picks], data=picks.tolist(), brush=None, symbol="o", size=RING_SIZE
        )
        rings.setZValue(1)
        rings.sigClicked.connect(self._clicked)
        plot.addItem(rings)
        dots = {}
        for label in dict.fromkeys(drawing.labels):
            rows = np.array([i for i, name in enumerate(drawing.labels) if name == label])
            colour = ACCENT_BY_LABEL.get(label, INBOX_COLOR)
            item = pg.ScatterPlotItem(
                pos=drawing.points[rows],
                data=rows.tolist(),
                size=DOT_SIZE,
                brush=pg.mkBrush(colour),
                pen=pg.mkPen("w", width=1),
                name=label_title(label),
                hoverable=True,
                tip=lambda x, y, data, d=drawing: _tip(d, data),
            )
            item.setZValue(2)
            item.sigClicked.connect(self._clicked)
            plot.addItem(item)
            dots[label] = item
        self._items = {"dots": dots, "rings": rings, "line": line, "wash": wash}
        pc1, pc2 = drawing.explained
        where = "the feature cache" if drawing.features == "cache" else "the model's own backbone"
        suspects = int(drawing.suspect.sum())
        ringed = f" Ringed: {suspects} photos Check labels suspects." if suspects else ""
        self.caption.setText(
            f"{len(drawing.hashes)} labeled photos, each at its features ({where}) on the plane of"
            f" PCA's first two components: pc1 holds {pc1:.1%} of their variance, pc2 {pc2:.1%}."
            " The black line is the head's 50% boundary on that plane (the wash: its P(hot dog),"
            " green for hot dog, red for not, white where it is unsure);"
            " a photo lies off the plane, so its own score can disagree with the colour under its"
            f" dot.{ringed} Click a dot to see that photo."
        )

    def _clicked(self, _item, points, *_event) -> None:
        if self.drawing is None or not len(points):
            return
        index = points[0].data()
        if index is not None:
            self.photo_clicked.emit(self.drawing.hashes[int(index)])

    def _clear(self) -> None:
        if self.plot is not None:
            self.plot.clear()
            legend = self.plot.plotItem.legend
            if legend is not None:
                legend.clear()
        self._items = None


def _tip(drawing: MapDrawing, index) -> str:
    i = int(index)
    return f"{label_title(drawing.labels[i])}: the model says {drawing.scores[i]:.0%} hot dog"
