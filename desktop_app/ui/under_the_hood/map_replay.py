"""The moving map of a fine-tuned run (ml.map_history), made ready to replay on the model thread:
every epoch's dots, boundary segments and wash are computed there once, so moving the slider only
hands prepared arrays to pyqtgraph on the GUI thread."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.ui.under_the_hood.map_shapes import boundary_wash, contour_segments, wash_rect


@dataclass(frozen=True)
class ReplayEpoch:
    epoch: int  # fine-tune epochs done (0: before fine-tuning)
    points: np.ndarray  # N × 2 on the plane fixed at epoch 0
    scores: np.ndarray  # N: P(hot dog) on the photo's own features at this epoch
    segments: np.ndarray  # M × 2 × 2: the head's 0.5 contour then
    wash: np.ndarray  # G × G × 4 uint8 RGBA, already in pyqtgraph's [x, y] order
    rect: tuple[float, float, float, float]  # the wash's (x, y, width, height)


@dataclass
class MapReplay:
    """What the model thread hands the GUI for a run with a moving map."""

    run_id: str
    hashes: list[str]
    labels: list[str]  # as the run was trained
    suspect: np.ndarray  # N bools: Check labels doubts this label (still the label it checked)
    explained: tuple[float, float]  # epoch 0's variance share along pc1, pc2
    epoch_offset: int  # the warm-up's epochs before fine-tuning
    epochs: list[ReplayEpoch]
    frame: tuple[float, float, float, float]  # (x0, x1, y0, y1): every epoch's wash inside
    kept_tuned: bool  # False: fine-tuning was undone, the model kept is epoch 0's


def replay_of(context) -> MapReplay | None:
    """The run's moving map ready to draw; None when it has none (fast mode, an older run)."""
    from desktop_app.ml.feature_map import suspected
    from desktop_app.ml.map_history import load_map_history

    history = load_map_history(context.run.dir)
    if history is None:
        return None
    epochs = [
        ReplayEpoch(
            e.epoch,
            e.points,
            e.scores,
            contour_segments(e.boundary, e.grid_u, e.grid_v),
            np.ascontiguousarray(boundary_wash(e.boundary).transpose(1, 0, 2)),
            wash_rect(e.grid_u, e.grid_v),
        )
        for e in history.epochs
    ]
    rects = np.array([e.rect for e in epochs])
    frame = (
        float(rects[:, 0].min()),
        float((rects[:, 0] + rects[:, 2]).max()),
        float(rects[:, 1].min()),
        float((rects[:, 1] + rects[:, 3]).max()),
    )
    return MapReplay(
        run_id=context.run.id,
        hashes=list(history.hashes),
        labels=list(history.labels),
        suspect=suspected(context.dataset, history.hashes, history.labels),
        explained=history.explained,
        epoch_offset=history.epoch_offset,
        epochs=epochs,
        frame=frame,
        kept_tuned=context.run.metrics.get("finetune_improved") is not False,
    )
