"""Weights that move: the head's Dense layers recorded epoch by epoch during a training.

Per epoch and Dense layer of the nested "head" model: a histogram of the kernel and of the bias on
bins fixed per layer for the whole run (so epochs compare bin by bin), the size of the epoch's
update, and the last Dense layer's whole kernel (hidden × classes, small) for a heatmap. Epoch 0 is
the head before its first update: the random initialisation, or the previous model's weights when
fast mode warm-starts (`WeightHistory.warm_start`).

The records travel live in the epoch events' `Progress.weights` and are saved with the run as
`weights_history.json`. Recording costs about 2 ms an epoch for the default head (1280×128).
Importing this module costs no Keras import (a finished run's history loads without it); the
callback's class is made on first use.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.ml.runtime import keras_module

HISTORY_FILE = "weights_history.json"
FORMAT = 1
BINS = 41  # odd: zero is the centre of the middle bin
SPAN = 3.0  # the bins cover ±SPAN × the largest starting |weight|: room to grow, overflow counted
DIGITS = 5  # significant digits kept in the file


@dataclass(frozen=True)
class LayerBins:
    """One Dense layer's fixed histogram bins: BINS equal bins over [-limit, limit]."""

    name: str
    kernel_shape: tuple[int, ...]
    kernel_limit: float
    bias_limit: float

    def edges(self, part: str) -> np.ndarray:
        limit = self.kernel_limit if part == "kernel" else self.bias_limit
        return np.linspace(-limit, limit, BINS + 1)


@dataclass(frozen=True)
class Histogram:
    counts: tuple[int, ...]  # BINS counts over the layer's fixed edges
    below: int  # values under the first edge, and over the last: nothing is silently dropped
    above: int
    mean: float
    std: float
    min: float
    max: float


@dataclass(frozen=True)
class LayerEpoch:
    kernel: Histogram
    bias: Histogram
    norm: float  # L2 norm of kernel and bias together, after the epoch
    update: float | None  # L2 norm of their change over the epoch; None at epoch 0
    relative_update: float | None  # update / norm at the epoch's start


@dataclass(frozen=True)
class EpochWeights:
    """The head after `epoch` epochs (0: before the first update)."""

    epoch: int
    bins: tuple[LayerBins, ...]  # shared by every epoch of a run
    layers: tuple[LayerEpoch, ...]  # in the order of `bins`
    last_kernel: np.ndarray  # float32, hidden × classes: the last Dense layer's weights


@dataclass
class WeightHistory:
    """Every epoch of one run, across the fit() calls a run makes (fine-tune: warm-up, then)."""

    warm_start: bool = False
    bins: tuple[LayerBins, ...] = ()
    epochs: list[EpochWeights] = field(default_factory=list)
    _sent: int = 0  # epochs already handed to a progress event

    def take_new(self) -> tuple[EpochWeights, ...]:
        """The records no event carried yet (the first epoch event brings epoch 0 along)."""
        new = tuple(self.epochs[self._sent :])
        self._sent = len(self.epochs)
        return new


def head_of(model):
    """The nested "head" model: the fitted model itself in fast mode, a layer of it otherwise."""
    return model if model.name == "head" else model.get_layer("head")


def dense_layers(model) -> list:
    keras = keras_module()
    return [layer for layer in head_of(model).layers if isinstance(layer, keras.layers.Dense)]


def recorder(history: WeightHistory, epoch_offset: int = 0):
    """The Keras callback that fills `history` at the first fit's start and every epoch's end;
    epochs are numbered after `epoch_offset` (the epochs of the run's earlier fits)."""
    return _recorder_class()(history, epoch_offset)


@functools.cache
def _recorder_class():
    keras = keras_module()

    class WeightRecorder(keras.callbacks.Callback):
        def __init__(self, history: WeightHistory, epoch_offset: int) -> None:
            super().__init__()
            self.history = history
            self.offset = epoch_offset
            self._before: list[np.ndarray] = []  # each layer's parameters at the epoch's start

        def on_train_begin(self, logs=None):
            layers = dense_layers(self.model)
            self._before = [_flat(layer) for layer in layers]
            if not self.history.bins:
                self.history.bins = tuple(_bins(layer) for layer in layers)
                self.history.epochs.append(_record(self.history, 0, self._before, None))
            # A later fit (fine-tune after the warm-up) starts from the best warm-up weights that
            # early stopping put back: its updates are measured from there, not the last epoch.

        def on_epoch_end(self, epoch, logs=None):
            layers = dense_layers(self.model)
            after = [_flat(layer) for layer in layers]
            number = epoch + self.offset + 1
            self.history.epochs.append(_record(self.history, number, self._before, after))
            self._before = after

    return WeightRecorder


def _record(history: WeightHistory, number: int, before, after) -> EpochWeights:
    """before/after: each layer's kernel and bias, flattened (after None: epoch 0)."""
    rows = []
    for bins, start, end in zip(history.bins, before, after or before, strict=True):
        size = int(np.prod(bins.kernel_shape))
        update = None if after is None else float(np.linalg.norm(end - start))
        rows.append(
            LayerEpoch(
                kernel=_histogram(end[:size], bins.kernel_limit),
                bias=_histogram(end[size:], bins.bias_limit),
                norm=float(np.linalg.norm(end)),
                update=update,
                relative_update=None
                if update is None
                else update / max(float(np.linalg.norm(start)), 1e-12),
            )
        )
    last_bins, last = history.bins[-1], (after or before)[-1]
    kernel = last[: int(np.prod(last_bins.kernel_shape))].reshape(last_bins.kernel_shape)
    return EpochWeights(number, history.bins, tuple(rows), kernel.copy())


def _numpy(variable) -> np.ndarray:
    return np.asarray(variable.numpy(), dtype=np.float32)  # Keras 3 Variable, any backend


def _bias(layer) -> np.ndarray:
    return _numpy(layer.bias) if layer.bias is not None else np.zeros(0, np.float32)


def _flat(layer) -> np.ndarray:
    return np.concatenate([_numpy(layer.kernel).ravel(), _bias(layer)])


def _bins(layer) -> LayerBins:
    kernel, bias = _numpy(layer.kernel), _bias(layer)
    limit = max(SPAN * float(np.abs(kernel).max(initial=0.0)), 1e-3)
    # Biases start at exactly zero: they share the kernel's scale (wider if warm-started so).
    bias_limit = max(limit, SPAN * float(np.abs(bias).max(initial=0.0)))
    return LayerBins(layer.name, tuple(int(d) for d in kernel.shape), limit, bias_limit)


def _histogram(values: np.ndarray, limit: float) -> Histogram:
    values = values.ravel()
    index = np.floor((values + limit) * (BINS / (2 * limit))).astype(np.int64)
    inside = (index >= 0) & (index < BINS)
    counts = np.bincount(index[inside], minlength=BINS)
    empty = values.size == 0
    return Histogram(
        counts=tuple(int(c) for c in counts),
        below=int((index < 0).sum()),
        above=int((index >= BINS).sum()),
        mean=0.0 if empty else float(values.mean()),
        std=0.0 if empty else float(values.std()),
        min=0.0 if empty else float(values.min()),
        max=0.0 if empty else float(values.max()),
    )


# -- stored with the run -----------------------------------------------------------------------


def save_weight_history(run_dir: Path, history: WeightHistory) -> None:
    """Atomic, next to run.json; nothing is written for a run that recorded nothing."""
    from desktop_app.ml.runs import write_json_atomic

    if history.epochs:
        write_json_atomic(Path(run_dir) / HISTORY_FILE, history_to_json(history))


def load_weight_history(run_dir) -> WeightHistory | None:
    """The run's history; None for runs made before it was recorded (or whose file is damaged)."""
    try:
        data = json.loads((Path(run_dir) / HISTORY_FILE).read_text(encoding="utf-8"))
        return history_from_json(data) if data.get("format") == FORMAT else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def history_to_json(history: WeightHistory) -> dict:
    return {
        "format": FORMAT,
        "bins": BINS,
        "warm_start": history.warm_start,
        "layers": [
            {
                "name": b.name,
                "kernel_shape": list(b.kernel_shape),
                "kernel_limit": b.kernel_limit,
                "bias_limit": b.bias_limit,
            }
            for b in history.bins
        ],
        "epochs": [_epoch_to_json(e) for e in history.epochs],
    }


def _epoch_to_json(epoch: EpochWeights) -> dict:
    return {
        "epoch": epoch.epoch,
        "layers": [
            {
                "kernel": _histogram_to_json(row.kernel),
                "bias": _histogram_to_json(row.bias),
                "norm": _round(row.norm),
                "update": _round(row.update),
                "relative_update": _round(row.relative_update),
            }
            for row in epoch.layers
        ],
        "last_kernel": [[_round(v) for v in line] for line in epoch.last_kernel.tolist()],
    }


def _histogram_to_json(h: Histogram) -> dict:
    return {
        "counts": list(h.counts),
        "below": h.below,
        "above": h.above,
        **{key: _round(getattr(h, key)) for key in ("mean", "std", "min", "max")},
    }


def _round(value: float | None) -> float | None:
    if value is None or not np.isfinite(value):  # a diverged run: JSON has no NaN
        return None
    return float(f"{value:.{DIGITS}g}")


def history_from_json(data: dict) -> WeightHistory:
    bins = tuple(
        LayerBins(
            row["name"],
            tuple(row["kernel_shape"]),
            float(row["kernel_limit"]),
            float(row["bias_limit"]),
        )
        for row in data["layers"]
    )
    epochs = [
        EpochWeights(
            int(e["epoch"]),
            bins,
            tuple(
                LayerEpoch(
                    Histogram(**_histogram_fields(row["kernel"])),
                    Histogram(**_histogram_fields(row["bias"])),
                    row["norm"],
                    row["update"],
                    row["relative_update"],
                )
                for row in e["layers"]
            ),
            np.array(e["last_kernel"], dtype=np.float32),
        )
        for e in data["epochs"]
    ]
    return WeightHistory(bool(data.get("warm_start")), bins, epochs, len(epochs))


def _histogram_fields(row: dict) -> dict:
    return {**row, "counts": tuple(int(c) for c in row["counts"])}
