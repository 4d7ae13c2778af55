"""Your photos on a map, moving: in fine-tune mode the backbone's top trains, so every photo's
features move epoch by epoch; this records where a fixed sample of the labeled photos sits on one
fixed plane after each fine-tune epoch, and where the head's boundary is there, for a replay.

- The sample: at most SAMPLE_SIZE labeled photos, chosen by a seeded hash of their content (the same
  photos whatever order the dataset lists them in), both classes as evenly as they allow.
- Epoch 0 is the start of fine-tuning: the sample's cached features (what the warmed-up head was
  trained on, the fast-mode map's features) under the warmed-up head. The plane is fixed there,
  once: PCA of those features (`feature_map.project`). Every later epoch's features are projected on
  that same plane, so a dot that moves is a photo whose features moved, not a new projection.
- Per epoch only the 2-D points, each photo's P(hot dog) on its own features, the head's P(hot dog)
  on a grid of the plane (lifted back to feature space as `feature_map` does) and the epoch number
  are kept, and saved with the run as `map_history.npz` beside run.json (a few KB an epoch).

Cost: only the backbone's top trains, so the sample goes once through the frozen bottom (at the
fine-tune's start, with its decoding) and each epoch runs only the top over the kept activations
(`sample_forward`), plus GRID_STEPS² head evaluations. Measured with TrainSettings(mode="finetune",
epochs=3) on 400 real photos of ../shared (MobileNetV2 α 0.5 at 288 px, a sample of 150) on 2 CPU
cores another benchmark kept busy: 8.2 s once at the start, then 0.5-0.8 s an epoch (1.5 s for the
first, which traces the top), against 31-67 s for the epoch's training. The whole backbone run over
the sample each epoch cost 9-11.5 s an epoch. `MapHistory.seconds` holds each epoch's cost.

Fast mode records nothing: its features never move (its map is the static one); nor does the small
CNN, whose epoch-0 features are a random network's, a poor plane to fix for what it learns later.

Importing this module costs no Keras import (a saved history loads without it); the callback's
class is made on first use, as ml/weight_history.py does.
"""

from __future__ import annotations

import functools
import hashlib
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from desktop_app.ml.runtime import keras_module

HISTORY_FILE = "map_history.npz"
FORMAT = 1
SAMPLE_SIZE = 150
GRID_STEPS = 48  # per side: 2,304 head evaluations an epoch
EMBED_BATCH = 32  # one compiled shape: the last batch is padded up to it
MAX_BOTTOM_BYTES = 256 * 2**20  # the sample's frozen activations kept in memory, at most


@dataclass(frozen=True)
class MapEpoch:
    """The sample after `epoch` fine-tune epochs (0: before the first)."""

    epoch: int
    points: np.ndarray  # N×2 float32: each photo's features on the fixed plane
    scores: np.ndarray  # N float32: P(hot dog) by the head then, on the photo's own features
    grid_u: np.ndarray  # G float32: pc1 coordinates of the grid's columns
    grid_v: np.ndarray  # G float32: pc2 coordinates of the grid's rows
    boundary: np.ndarray  # G×G float32: P(hot dog) at (grid_u[j], grid_v[i]) in [i, j]


@dataclass
class MapHistory:
    """One fine-tuning's moving map: the sample, the plane fixed at epoch 0, and every epoch."""

    hashes: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    mean: np.ndarray | None = None  # D float32: the plane's origin
    components: np.ndarray | None = None  # 2×D float32, orthonormal rows: pc1, pc2 of epoch 0
    explained: tuple[float, float] = (0.0, 0.0)  # epoch 0's variance share along pc1, pc2
    epoch_offset: int = 0  # the warm-up's epochs: fine-tune epoch k is the run's epoch offset + k
    epochs: list[MapEpoch] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # what recording each epoch took

    def project(self, features: np.ndarray) -> np.ndarray:
        return ((np.asarray(features, np.float32) - self.mean) @ self.components.T).astype(
            np.float32
        )


def sample_items(items, size: int = SAMPLE_SIZE, seed: int = 0) -> list:
    """Up to `size` of items, by a seeded hash of their content hashes: an even share per class
    first, the rest filled from the classes that have more; in hash order."""

    def key(item) -> str:
        return hashlib.sha256(f"{seed}:{item.hash}".encode()).hexdigest()

    by_class: dict[str, list] = {}
    for item in sorted(items, key=key):
        by_class.setdefault(item.label, []).append(item)
    share = size // max(1, len(by_class))
    chosen = [it for group in by_class.values() for it in group[:share]]
    rest = sorted((it for group in by_class.values() for it in group[share:]), key=key)
    return sorted(chosen + rest[: max(0, size - len(chosen))], key=key)


def fine_tune_recorder(run, backbone, head, cache, epoch_offset: int):
    """The callback for training's fine-tune fit (`run`: training's _Run; `cache`: the feature
    cache the warm-up head was fitted on). Its history is `run.curves.map`, saved with the run.
    Make it after the backbone's top is unfrozen: where the frozen part ends decides the cut."""
    from desktop_app.ml.metrics import score_index

    sample = sample_items(
        [it for it in run.data.train + run.data.val if it.hash in cache.vectors],
        seed=run.settings.seed,
    )
    run.curves.map = MapHistory(epoch_offset=epoch_offset)
    return _recorder_class()(
        run.curves.map,
        sample,
        cache.get([it.hash for it in sample]) if sample else None,
        lambda pixels: sample_forward(run.spec, backbone, run.size, pixels),
        head,
        score_index(run.data.classes),
        run.size,
    )


@functools.cache
def _recorder_class():
    keras = keras_module()

    class MapRecorder(keras.callbacks.Callback):
        def __init__(self, history, sample, starting, forward_of, head, column, size) -> None:
            super().__init__()
            self.history = history
            self.sample, self.starting, self.forward_of = sample, starting, forward_of
            self.head, self.column, self.size = head, column, size
            self.forward = None  # () -> the sample's features through the backbone as it is now

        def on_train_begin(self, logs=None):
            if self.history.epochs or not self.sample:
                return
            self._safely(self._start)

        def on_epoch_end(self, epoch, logs=None):
            if self.forward is None:
                return
            if self.model.stop_training:  # Stop was pressed: no extra seconds after it
                return
            started = time.perf_counter()
            self._safely(lambda: self._record(epoch + 1, self.forward(), started))

        def _safely(self, step) -> None:
            """A bug in the picture must not cost the user their training: it is reported, and
            the recording stops (the epochs recorded so far are kept)."""
            try:
                step()
            except Exception as error:
                from desktop_app.core.exception_hooks import report_caught

                report_caught(error)
                self.forward = None

        def _start(self) -> None:
            started = time.perf_counter()
            kept, pixels = _decode([it.path for it in self.sample], self.size)
            if len(kept) < 3:  # too few to fix a plane: record nothing
                return
            from desktop_app.ml.feature_map import project

            features = self.starting[kept]
            history = self.history
            history.hashes = [self.sample[i].hash for i in kept]
            history.labels = [self.sample[i].label for i in kept]
            history.mean, history.components, history.explained = project(features)
            self._record(0, features, started)
            self.forward = self.forward_of(pixels)  # the frozen bottom runs here, once
            history.seconds[0] = round(time.perf_counter() - started, 4)  # counted at epoch 0

        def _record(self, number: int, features: np.ndarray, started: float) -> None:
            from desktop_app.ml.feature_map import boundary_grid, head_scores

            history = self.history
            points = history.project(features)
            # The grid spans epoch 0's dots and this epoch's: the replay's frame holds both.
            first = history.epochs[0].points if history.epochs else points
            grid_u, grid_v, boundary = boundary_grid(
                self.head,
                history.mean,
                history.components,
                np.concatenate([first, points]),
                self.column,
                GRID_STEPS,
            )
            scores = head_scores(self.head, features, self.column)
            history.epochs.append(MapEpoch(number, points, scores, grid_u, grid_v, boundary))
            history.seconds.append(round(time.perf_counter() - started, 4))

    return MapRecorder


def sample_forward(spec, backbone, size: int, pixels: np.ndarray):
    """() -> the sample's pooled features through the backbone as it is at the call. Only the
    backbone's top trains, so the sample goes through the frozen bottom once, here, and each call
    runs the top alone on the kept activations (where a single tensor divides them and they fit
    in MAX_BOTTOM_BYTES); else each call runs the whole extractor over the pixels."""
    from desktop_app.ml import model as models

    split = split_backbone(spec, backbone, size)
    if split is not None:
        bottom, top = split
        per_photo = int(np.prod(bottom.output.shape[1:])) * 4
        if per_photo * len(pixels) <= MAX_BOTTOM_BYTES:
            activations = _embed(bottom, pixels)
            return lambda: _embed(top, activations)
    extractor = models.feature_extractor(spec, backbone, size)
    return lambda: _embed(extractor, pixels)


def split_backbone(spec, backbone, size: int):
    """(bottom, top) of the backbone, or None: bottom takes raw RGB through the preprocessing and
    the frozen layers up to the last single tensor before the first trainable layer; top takes
    that tensor to the pooled features, sharing the backbone's layers (so it trains with it).
    Keras raises ValueError for a cut that a skip connection crosses: the next one is tried."""
    from desktop_app.ml.backbones import preprocessing_layer

    keras = keras_module()
    layers = backbone.layers
    first = next((i for i, layer in enumerate(layers) if layer.trainable and layer.weights), None)
    for layer in reversed(layers[1 : first or 0]):
        try:
            top = keras.Model(layer.output, backbone.output, name="map_top")
        except ValueError:
            continue
        inputs = keras.Input((size, size, 3), name="image")
        prepare = preprocessing_layer(spec)
        x = prepare(inputs) if prepare is not None else inputs
        frozen = keras.Model(backbone.input, layer.output, name="map_frozen")
        return keras.Model(inputs, frozen(x, training=False), name="map_bottom"), top
    return None


def _decode(paths, size: int) -> tuple[list[int], np.ndarray]:
    """(indices of the paths that decode, their uint8 pixels)."""
    from desktop_app.ml.features import decoded_batches

    kept, arrays = [], []
    for good, batch, _bad in decoded_batches(paths, size, EMBED_BATCH):
        kept.extend(good)
        arrays.append(batch)
    pixels = np.concatenate(arrays) if arrays else np.zeros((0, size, size, 3), np.uint8)
    return kept, pixels


def _embed(model, inputs: np.ndarray) -> np.ndarray:
    """model over inputs in padded batches of EMBED_BATCH (one compiled shape), inference mode.
    predict_on_batch reads the variables as they are now on every backend (a compiled JAX call
    made once would keep epoch 0's)."""
    out = []
    for start in range(0, len(inputs), EMBED_BATCH):
        batch = inputs[start : start + EMBED_BATCH]
        padded = np.zeros((EMBED_BATCH, *batch.shape[1:]), batch.dtype)
        padded[: len(batch)] = batch
        out.append(np.asarray(model.predict_on_batch(padded), np.float32)[: len(batch)])
    return np.concatenate(out)


# -- stored with the run -----------------------------------------------------------------------


def save_map_history(run_dir: Path, history: MapHistory | None) -> None:
    """Atomic, next to run.json; nothing is written for a run that recorded nothing."""
    if history is None or not history.epochs:
        return
    epochs = history.epochs
    arrays = {
        "format": np.array(FORMAT),
        "hashes": np.array(history.hashes, dtype="U64"),
        "labels": np.array(history.labels, dtype="U64"),
        "mean": history.mean.astype(np.float32),
        "components": history.components.astype(np.float32),
        "explained": np.array(history.explained, np.float32),
        "epoch_offset": np.array(history.epoch_offset),
        "epochs": np.array([e.epoch for e in epochs]),
        "points": np.stack([e.points for e in epochs]).astype(np.float32),
        "scores": np.stack([e.scores for e in epochs]).astype(np.float32),
        "grid_u": np.stack([e.grid_u for e in epochs]).astype(np.float32),
        "grid_v": np.stack([e.grid_v for e in epochs]).astype(np.float32),
        "boundary": np.stack([e.boundary for e in epochs]).astype(np.float16),  # P to 1e-3
        "seconds": np.array(history.seconds, np.float32),
    }
    fd, tmp = tempfile.mkstemp(dir=run_dir, suffix=".npz.tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            np.savez_compressed(out, **arrays)
        os.replace(tmp, Path(run_dir) / HISTORY_FILE)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_map_history(run_dir) -> MapHistory | None:
    """The run's moving map; None for a run that has none (fast mode, older runs) or whose file is
    damaged or inconsistent (a run folder may come from anyone: no pickles, shapes checked)."""
    try:
        with np.load(Path(run_dir) / HISTORY_FILE, allow_pickle=False) as data:
            if int(data["format"]) != FORMAT:
                return None
            history = _from_arrays({key: data[key] for key in data.files})
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return history


def _from_arrays(data: dict) -> MapHistory:
    hashes, points = data["hashes"].tolist(), data["points"]
    n, steps = len(hashes), data["grid_u"].shape[1]
    count = len(data["epochs"])
    shapes = {
        "labels": (n,),
        "points": (count, n, 2),
        "scores": (count, n),
        "grid_v": (count, steps),
        "boundary": (count, steps, steps),
        "components": (2, data["mean"].shape[0]),
    }
    if any(data[key].shape != shape for key, shape in shapes.items()) or n < 3 or count < 1:
        raise ValueError("inconsistent map history")
    epochs = [
        MapEpoch(
            int(data["epochs"][k]),
            points[k].astype(np.float32),
            data["scores"][k].astype(np.float32),
            data["grid_u"][k].astype(np.float32),
            data["grid_v"][k].astype(np.float32),
            data["boundary"][k].astype(np.float32),
        )
        for k in range(count)
    ]
    return MapHistory(
        hashes=hashes,
        labels=data["labels"].tolist(),
        mean=data["mean"].astype(np.float32),
        components=data["components"].astype(np.float32),
        explained=tuple(float(x) for x in data["explained"][:2]),
        epoch_offset=int(data["epoch_offset"]),
        epochs=epochs,
        seconds=[float(s) for s in data["seconds"]],
    )
