"""Loss and accuracy curves (pyqtgraph): live while a run trains, or several saved runs overlaid.

Batch events can arrive hundreds of times a second, so points are buffered and drawn by a timer at
about 10 Hz: the GUI thread repaints a few times a second however fast the training is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QWidget

from desktop_app.ui.shell.plots import pyqtgraph

pg = pyqtgraph()  # this module is itself imported on first use (TrainView.curves)

REDRAW_MS = 100
TRAIN_COLOUR = "#3b82f6"
VAL_COLOUR = "#f97316"
# One colour per overlaid run; training solid, validation dashed.
RUN_COLOURS = ["#3b82f6", "#e11d48", "#16a34a", "#9333ea", "#ca8a04", "#0891b2"]


class _Series:
    """A growing x/y series bound to one plot item; new points wait until the next redraw."""

    def __init__(self, item: pg.PlotDataItem) -> None:
        self.item = item
        self.xs: list[float] = []
        self.ys: list[float] = []
        self.dirty = False

    def append(self, x: float, y: Any) -> None:
        if y is None or not math.isfinite(float(y)):  # a metric Keras did not report
            return
        self.xs.append(float(x))
        self.ys.append(float(y))
        self.dirty = True

    def flush(self) -> None:
        if self.dirty:
            self.item.setData(self.xs, self.ys)
            self.dirty = False

    def clear(self) -> None:
        self.xs.clear()
        self.ys.clear()
        self.item.setData([], [])
        self.dirty = False


def _plot(title: str, y_label: str, legend_offset: tuple[int, int]) -> pg.PlotWidget:
    plot = pg.PlotWidget(background="w")
    plot.setTitle(title, color="#111827", size="11pt")
    plot.setLabel("bottom", "epoch")
    plot.setLabel("left", y_label)
    plot.getAxis("left").enableAutoSIPrefix(False)  # "0.8", not "800" with "(x0.001)"
    plot.showGrid(x=True, y=True, alpha=0.25)
    # Negative offsets count from the right/bottom: the legend sits where the curves are not.
    plot.addLegend(offset=legend_offset, labelTextColor="#111827", brush=(255, 255, 255, 200))
    plot.setMouseEnabled(x=False, y=False)
    plot.hideButtons()
    plot.setMenuEnabled(False)
    return plot


class CurvesWidget(QWidget):
    """Two plots side by side: loss and validation loss; accuracy and validation accuracy."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.loss_plot = _plot("Loss", "loss", (-10, 10))  # loss falls: legend top right
        self.accuracy_plot = _plot("Accuracy", "accuracy", (-10, -10))  # rises: bottom right
        self.accuracy_plot.setYRange(0.0, 1.0, padding=0.02)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.loss_plot)
        layout.addWidget(self.accuracy_plot)

        self._epochs = 1
        self.series: dict[str, _Series] = {}
        self._overlay_items: list[tuple[pg.PlotWidget, pg.PlotDataItem]] = []
        self._make_live_series()

        self._timer = QTimer(self)
        self._timer.setInterval(REDRAW_MS)
        self._timer.timeout.connect(self.flush)

    def _make_live_series(self) -> None:
        thin = {"width": 1}
        batch_pen = pg.mkPen(TRAIN_COLOUR, **thin)
        batch_pen.setColor(pg.mkColor(TRAIN_COLOUR + "80"))  # half transparent: noisy per batch

        def epoch_item(plot: pg.PlotWidget, name: str, colour: str, dashed: bool):
            pen = pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine if dashed else None)
            return plot.plot(
                [], [], name=name, pen=pen, symbol="o", symbolSize=7, symbolBrush=colour,
                symbolPen=colour,
            )  # fmt: skip

        self.series = {
            "batch_loss": _Series(self.loss_plot.plot([], [], name="per batch", pen=batch_pen)),
            "loss": _Series(epoch_item(self.loss_plot, "training", TRAIN_COLOUR, False)),
            "val_loss": _Series(epoch_item(self.loss_plot, "validation", VAL_COLOUR, True)),
            "batch_accuracy": _Series(self.accuracy_plot.plot([], [], pen=batch_pen)),
            "accuracy": _Series(epoch_item(self.accuracy_plot, "training", TRAIN_COLOUR, False)),
            "val_accuracy": _Series(epoch_item(self.accuracy_plot, "validation", VAL_COLOUR, True)),
        }

    # Live training ---------------------------------------------------------------------------

    def start_live(self, epochs: int) -> None:
        """Clears the plots for a run of (at most) `epochs` epochs and starts redrawing."""
        self._clear_overlay()
        self._set_live_visible(True)
        for series in self.series.values():
            series.clear()
        self._epochs = max(1, int(epochs))
        self.loss_plot.enableAutoRange()
        self.accuracy_plot.setYRange(0.0, 1.0, padding=0.02)
        self._timer.start()

    def stop_live(self) -> None:
        self.flush()
        self._timer.stop()

    def add_batch(self, step: int, total_steps: int | None, logs: dict[str, Any]) -> None:
        """One batch, drawn at its (fractional) epoch: batch b of epoch e lies in (e-1, e]."""
        x = batch_x(step, total_steps, logs, self._epochs)
        self.series["batch_loss"].append(x, logs.get("loss"))
        self.series["batch_accuracy"].append(x, logs.get("accuracy"))

    def add_epoch(self, epoch_number: int, logs: dict[str, Any]) -> None:
        """One finished epoch, numbered from 1 (drawn at the end of that epoch)."""
        for key in ("loss", "val_loss", "accuracy", "val_accuracy"):
            self.series[key].append(epoch_number, logs.get(key))

    def flush(self) -> None:
        for series in self.series.values():
            series.flush()

    def point_count(self, key: str) -> int:
        """Points drawn so far for a live series (what a user sees, not what is buffered)."""
        xs, _ = self.series[key].item.getData()
        return 0 if xs is None else len(xs)

    # Saved runs ------------------------------------------------------------------------------

    def show_runs(self, runs: Sequence[Any]) -> None:
        """Draws the per-epoch curves of saved runs (RunRecord-like), one colour per run."""
        self._timer.stop()
        self._clear_overlay()
        self._set_live_visible(False)
        for index, run in enumerate(runs):
            colour = RUN_COLOURS[index % len(RUN_COLOURS)]
            name = run_label(run) if len(runs) > 1 else None
            curves = getattr(run, "curves", None) or {}
            for plot, key in ((self.loss_plot, "loss"), (self.accuracy_plot, "accuracy")):
                for val in (False, True):
                    values = curves.get(("val_" if val else "") + key) or []
                    if not values:
                        continue
                    label = _overlay_name(name, val)
                    pen = pg.mkPen(
                        colour if len(runs) > 1 else (VAL_COLOUR if val else TRAIN_COLOUR),
                        width=2,
                        style=Qt.PenStyle.DashLine if val else Qt.PenStyle.SolidLine,
                    )
                    item = plot.plot(
                        list(range(1, len(values) + 1)), values, name=label, pen=pen,
                        symbol="o", symbolSize=5, symbolBrush=pen.color(), symbolPen=pen.color(),
                    )  # fmt: skip
                    self._overlay_items.append((plot, item))
        self.loss_plot.enableAutoRange()
        self.accuracy_plot.setYRange(0.0, 1.0, padding=0.02)

    def overlay_count(self) -> int:
        """How many saved-run curves are drawn now."""
        return len(self._overlay_items)

    def _clear_overlay(self) -> None:
        for plot, item in self._overlay_items:
            plot.removeItem(item)  # also takes it out of the legend
        self._overlay_items.clear()

    def _set_live_visible(self, visible: bool) -> None:
        """Live series leave the plots (and legends) while saved runs are shown."""
        for key, series in self.series.items():
            plot = self.loss_plot if "loss" in key else self.accuracy_plot
            showing = series.item in plot.plotItem.items
            if visible and not showing:
                plot.addItem(series.item)
            elif not visible and showing:
                plot.removeItem(series.item)


def batch_x(step: int, total_steps: int | None, logs: dict[str, Any], epochs: int) -> float:
    """Where a batch event goes on the epoch axis.

    From the event's own epoch (0-based), batch and steps per epoch when it has them: a run's
    step total can cover other epochs than the form's count (a warm start runs 5 of 30, a
    fine-tune run adds its warm-up), so scaling the global step by the form's count misplaces it.
    """
    steps = logs.get("steps")
    if steps and "epoch" in logs and "batch" in logs:
        within = min(int(logs["batch"]) + 1, int(steps)) / int(steps)
        return int(logs["epoch"]) + within
    return step / total_steps * epochs if total_steps else float(step)


def _overlay_name(run_name: str | None, validation: bool) -> str:
    kind = "validation" if validation else "training"
    return f"{run_name} {kind}" if run_name else kind


def run_label(run: Any) -> str:
    """A short name for a run in legends: its date and backbone."""
    created = str(getattr(run, "created", ""))[5:16].replace("T", " ")
    return f"{created} {getattr(run, 'backbone', '')}".strip()
