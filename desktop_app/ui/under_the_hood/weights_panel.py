"""Section 4, weights that move: the head's Dense layers epoch by epoch, for the current run or live
while a training runs.

Per Dense layer, the histogram of its weights and of its biases at the chosen epoch, on the run's
fixed bins (the x-range never moves, so epochs compare bin by bin); the size of every epoch's update
per layer, with the chosen epoch marked; and the last Dense layer's weights as a heatmap. A slider
(and Play) replays the run. The history is read on the model thread; live records come with the
Train view's epoch events. Drawing waits for a timer, so the GUI thread redraws at most 5 times a
second however fast records or slider moves come. The plots are made one per event-loop turn, with
pyqtgraph usually imported already by the warm-up thread (ui/shell/plots.py), never when the view
opens: the first drawing does not freeze the window.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QGridLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.shell.plots import pyqtgraph
from desktop_app.ui.under_the_hood.pictures import rgb_image
from desktop_app.ui.under_the_hood.replay_bar import ReplayBar

REDRAW_MS = 200  # at most 5 redraws a second
PLAY_MS = 400  # one epoch per step when playing
PLOT_HEIGHT = 150
KERNEL_COLOUR = "#3b82f6"
BIAS_COLOUR = "#f97316"
LAYER_COLOURS = ["#3b82f6", "#e11d48", "#16a34a", "#9333ea", "#ca8a04", "#0891b2"]
# A diverging ramp for signed weights: blue (negative) -> white (zero) -> orange (positive).
_NEGATIVE, _ZERO, _POSITIVE = (
    np.array([37, 99, 235.0]),
    np.array([250.0] * 3),
    np.array([234, 88, 12.0]),
)
HEAT_CELL = (6, 28)  # pixels per weight: along the hidden units, per class


def weights_work(context):
    """The question for the model thread: (run id, its WeightHistory or None for older runs)."""
    from desktop_app.ml.weight_history import load_weight_history

    if context.run is None:
        return None, None
    return context.run.id, load_weight_history(context.run.dir)


def diverging_image(values: np.ndarray, limit: float) -> QImage:
    """Signed values through the blue-white-orange ramp, ±limit at the ends (clipped beyond)."""
    t = np.clip(np.asarray(values, np.float32) / max(limit, 1e-12), -1, 1)[..., None]
    rgb = np.where(t < 0, _ZERO + (_NEGATIVE - _ZERO) * -t, _ZERO + (_POSITIVE - _ZERO) * t)
    return rgb_image(rgb.astype(np.uint8))


class WeightsPanel(QWidget):
    def __init__(self, ask: Callable) -> None:
        super().__init__()
        self._ask = ask  # the view's ModelThread.ask
        self.run_id: str | None = None
        self.epochs: list = []  # EpochWeights, in order
        self.bins: tuple = ()
        self.warm_start = False
        self.live = False  # the records come from a training running now
        self.shown_epoch: int | None = None  # the epoch the plots show (None: nothing drawn)
        self._plots: dict | None = None  # made with the first drawing
        self._building = None  # the steps making the plots, while under way
        self._building_bins: tuple = ()
        self.build_timer = QTimer(self)
        self.build_timer.setInterval(0)
        self.build_timer.timeout.connect(self._build_step)
        self._dirty = False

        self.caption = QLabel("Train a model: its weights are recorded epoch by epoch.")
        self.caption.setWordWrap(True)
        self.replay = ReplayBar(redraw_ms=REDRAW_MS, play_ms=PLAY_MS)
        self.replay.set_range(0)
        self.replay.show_index.connect(lambda _index: self._redraw())
        # The bar's parts, as the journey, the benchmarks and the tests reach them.
        self.slider, self.play_button = self.replay.slider, self.replay.play_button
        self.player, self.epoch_label = self.replay.player, self.replay.epoch_label
        self.grid = QGridLayout()
        self.heat_caption = QLabel("")
        self.heat_caption.setWordWrap(True)
        self.heatmap = QLabel()
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.caption)
        self.layout_.addWidget(self.replay)
        self.layout_.addLayout(self.grid)
        self.layout_.addWidget(self.heat_caption)
        self.layout_.addWidget(self.heatmap)
        self.layout_.addStretch(1)

    # -- what to show --------------------------------------------------------------------------
    def model_changed(self, run) -> None:
        """The view loaded a model (or none): read its run's history on the model thread. After a
        training, this is its run: the saved history replaces the live records (the same ones)."""
        self.stop_playing()
        self.live = False
        if run is None:
            self._set_history(None, None, False, [])
            self.caption.setText("No model yet: train one and watch its weights move here.")
            return
        self.caption.setText("Reading the run's weight history…")
        self._ask("weights", weights_work, self._history_loaded)

    def _history_loaded(self, result) -> None:
        run_id, history = result
        if self.live:
            return  # a training is running: its records are newer than any saved run
        if history is None or not history.epochs:
            self._set_history(run_id, None, False, [])
            self.caption.setText(
                "This run was trained before weights were recorded: train again to see them move."
                if run_id is not None
                else "No model yet: train one and watch its weights move here."
            )
            return
        self._set_history(run_id, history.bins, history.warm_start, list(history.epochs))
        self.slider.setValue(0)
        self._caption()
        self._schedule()

    def follow_training(self, event) -> None:
        """A Progress event of a training running now: its weight records (if any) join the replay;
        a record of epoch 0 starts a new one. Cheap: drawing waits for the timer."""
        records = tuple(getattr(event, "weights", ()) or ())
        if not records:
            return
        first = records[0]
        at_end = self.slider.value() >= self.slider.maximum()
        if not self.live or first.epoch == 0 or first.bins != self.bins or not self.epochs:
            self.stop_playing()
            self._set_history(None, first.bins, False, [])
            self.live, at_end = True, True
        last = self.epochs[-1].epoch if self.epochs else -1
        self.epochs.extend(r for r in records if r.epoch > last)
        self._set_range()
        if at_end:
            self.slider.setValue(self.slider.maximum())
        self._caption()
        self._schedule()

    def _set_history(self, run_id, bins, warm_start: bool, epochs: list) -> None:
        self.run_id, self.bins, self.warm_start, self.epochs = (
            run_id,
            bins or (),
            warm_start,
            epochs,
        )
        self.live = False
        if not epochs:
            self.shown_epoch = None
            if self._plots is not None or self._building is not None:
                self._clear_plots()
        self._set_range()

    def _set_range(self) -> None:
        self.replay.set_range(len(self.epochs))

    def _caption(self) -> None:
        if self.live:  # the events do not say whether fast mode warm-started; the saved run will
            start = (
                "Epoch 0 is the head before its first update: the random start near zero, or the"
                " last model's weights when fast mode warm-starts."
            )
        elif self.warm_start:
            start = (
                "Warm start: epoch 0 is the previous model's weights, fast mode began from them."
            )
        else:
            start = "Epoch 0 is the random start: small weights near zero, biases at zero."
        now = "Training now: the plots grow epoch by epoch. " if self.live else ""
        self.caption.setText(
            f"{now}{start} Drag the slider (or press Play) to replay the run; the x-ranges stay"
            " fixed so the epochs compare."
        )

    def stop_playing(self) -> None:
        self.replay.stop_playing()

    # -- drawing -------------------------------------------------------------------------------
    def _schedule(self) -> None:
        self._dirty = True
        self.replay.schedule()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._schedule()

    def _redraw(self) -> None:
        if not self.isVisible() or not self.epochs:
            self._dirty = True  # drawn when shown again (showEvent)
            return
        index = min(self.slider.value(), len(self.epochs) - 1)
        record = self.epochs[index]
        if self._plots is None or self._plots["bins"] != self.bins:
            self._start_building()  # drawn when the last plot is made
            return
        self._dirty = False
        plots = self._plots
        for i, (bins, row) in enumerate(zip(self.bins, record.layers, strict=True)):
            for part in ("kernel", "bias"):
                histogram = getattr(row, part)
                bar, plot = plots["bars"][(i, part)], plots["widgets"][(i, part)]
                bar.setOpts(height=np.asarray(histogram.counts, float))
                top = max(max(getattr(e.layers[i], part).counts) for e in self.epochs)
                plot.setYRange(0, max(1, top) * 1.05, padding=0)
                outside = (
                    f", {histogram.below + histogram.above} outside the range"
                    if histogram.below + histogram.above
                    else ""
                )
                plot.setTitle(
                    f"{bins.name} {'weights' if part == 'kernel' else 'biases'}:"
                    f" mean {histogram.mean:+.3g}, spread {histogram.std:.3g}{outside}",
                    size="9pt",
                )
        xs = [e.epoch for e in self.epochs]
        for i, line in enumerate(plots["updates"]):
            ys = [e.layers[i].relative_update for e in self.epochs]
            points = [(x, y) for x, y in zip(xs, ys, strict=True) if y is not None]
            line.setData([p[0] for p in points], [p[1] for p in points])
            marker = plots["markers"][i]
            chosen = record.layers[i].relative_update
            known = chosen is not None
            marker.setData([record.epoch] if known else [], [chosen] if known else [])
        plots["now"].setValue(record.epoch)
        plots["update_plot"].setXRange(0, max(1, xs[-1]), padding=0.02)
        self._draw_heatmap(record)
        self.epoch_label.setText(f"Epoch {record.epoch} of {self.epochs[-1].epoch}")
        self.shown_epoch = record.epoch

    def _draw_heatmap(self, record) -> None:
        kernel = np.asarray(record.last_kernel, np.float32)  # hidden × classes
        limit = self.bins[-1].kernel_limit
        image = diverging_image(kernel.T, limit)  # one row per class, one column per hidden unit
        cell_w = max(1, min(HEAT_CELL[0], 900 // max(1, kernel.shape[0])))
        self.heatmap.setPixmap(
            QPixmap.fromImage(image).scaled(
                image.width() * cell_w,
                image.height() * HEAT_CELL[1],
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        )
        hidden, classes = kernel.shape
        self.heat_caption.setText(
            f"The last layer, {self.bins[-1].name}: its {hidden} × {classes} weights, one row per"
            f" class, one column per input. Blue is negative, white zero, orange positive"
            f" (±{limit:.3g} at the ends, the range of its histogram)."
        )

    def _plot_steps(self, all_bins: tuple):
        """Makes the plots, one widget per step (a pyqtgraph PlotWidget takes ~30 ms to make):
        the timer runs a step per event-loop turn, so the window paints and reacts between them."""
        pg = pyqtgraph()
        yield
        bars, widgets = {}, {}
        for i, bins in enumerate(all_bins):
            for column, part in enumerate(("kernel", "bias")):
                edges = bins.edges(part)
                plot = pg.PlotWidget(background="w")
                plot.setFixedHeight(PLOT_HEIGHT)
                plot.setMouseEnabled(False, False)
                plot.hideButtons()
                plot.setXRange(edges[0], edges[-1], padding=0)
                plot.getAxis("left").enableAutoSIPrefix(False)
                plot.getAxis("bottom").enableAutoSIPrefix(False)
                colour = KERNEL_COLOUR if part == "kernel" else BIAS_COLOUR
                bar = pg.BarGraphItem(
                    x=(edges[:-1] + edges[1:]) / 2,
                    height=np.zeros(len(edges) - 1),
                    width=edges[1] - edges[0],
                    brush=colour,
                    pen=pg.mkPen(colour),
                )
                plot.addItem(bar)
                bars[(i, part)], widgets[(i, part)] = bar, plot
                self.grid.addWidget(plot, i, column)
                yield
        update_plot = pg.PlotWidget(background="w")
        update_plot.setFixedHeight(PLOT_HEIGHT + 20)
        update_plot.setMouseEnabled(False, False)
        update_plot.hideButtons()
        update_plot.setTitle(
            "Each epoch's update, per layer: how far its weights moved (‖Δw‖ / ‖w‖)", size="9pt"
        )
        update_plot.setLabel("bottom", "epoch")
        update_plot.getAxis("left").enableAutoSIPrefix(False)
        update_plot.addLegend(offset=(-10, 10))
        lines, markers = [], []
        for i, bins in enumerate(all_bins):
            colour = LAYER_COLOURS[i % len(LAYER_COLOURS)]
            lines.append(update_plot.plot([], [], pen=pg.mkPen(colour, width=2), name=bins.name))
            marker = pg.ScatterPlotItem(size=10, brush=colour, pen=pg.mkPen("#111827"))
            update_plot.addItem(marker)
            markers.append(marker)
        now = pg.InfiniteLine(angle=90, pen=pg.mkPen("#9ca3af", style=Qt.PenStyle.DashLine))
        update_plot.addItem(now)
        self.grid.addWidget(update_plot, len(all_bins), 0, 1, 2)
        self._plots = {
            "bins": all_bins,  # what they were made for: a change meanwhile makes them again
            "bars": bars,
            "widgets": widgets,
            "updates": lines,
            "markers": markers,
            "now": now,
            "update_plot": update_plot,
        }

    def _start_building(self) -> None:
        if self._building is not None and self._building_bins == self.bins:
            return  # under way
        self._clear_plots()
        self._building, self._building_bins = self._plot_steps(self.bins), self.bins
        self.build_timer.start()

    def _build_step(self) -> None:
        try:
            next(self._building)
        except StopIteration:
            self.build_timer.stop()
            self._building = None
            self._redraw()

    def _clear_plots(self) -> None:
        self.build_timer.stop()
        self._building = None
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self._plots = None
        self.heatmap.clear()
        self.heat_caption.setText("")
        self.epoch_label.setText("")
