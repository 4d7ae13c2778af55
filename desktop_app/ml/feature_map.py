"""Your photos on a map: the dataset's backbone features projected to 2-D by PCA, with the head's
decision boundary drawn in the same plane.

The boundary is a slice, not the whole boundary: the head is evaluated on the plane through the
features' mean spanned by the first two principal components. Each grid point (u, v) is lifted
back to feature space as mean + u·pc1 + v·pc2 and given to the trained model's real head; the grid
holds P(hot_dog) there, so a view draws its 0.5 contour. A photo sits off that plane (its other
components are dropped by the projection), so its own score (`FeatureMap.scores`, the head on its
real features) can disagree with the colour of the boundary under its dot.

Features are the ones the head was trained on: the dataset's feature cache for a model whose
backbone stayed frozen (embedding only photos labeled since), else (a fine-tuned backbone, the
small CNN) the model's own backbone run over every photo. Call from a worker thread.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_app.core.dataset import UNLABELED
from desktop_app.core.errors import StudioError
from desktop_app.core.progress import CancelToken, ProgressCallback
from desktop_app.ml.label_check_record import last_check
from desktop_app.ml.map_features import load_model, photo_features
from desktop_app.ml.metrics import score_index
from desktop_app.ml.runs import RunRecord, current_run

GRID_STEPS = 64  # per side: 4096 head evaluations, a few milliseconds
MARGIN = 0.1  # of the points' extent, around them
HEAD_BATCH = 1024


@dataclass(frozen=True)
class FeatureMap:
    hashes: list[str]  # one per point, in order
    labels: list[str]  # a class name, or "unlabeled"
    points: np.ndarray  # N×2 float32: (pc1, pc2) of each photo
    suspect: np.ndarray  # N bool: Check labels doubts this label (still the label it checked)
    scores: np.ndarray  # N float32: P(hot_dog) by the head on the photo's own features
    mean: np.ndarray  # D float32: the features' mean, the plane's origin
    components: np.ndarray  # 2×D float32, orthonormal rows: pc1, pc2
    explained: tuple[float, float]  # share of the features' variance along pc1, pc2
    grid_u: np.ndarray  # G float32: pc1 coordinates of the grid's columns
    grid_v: np.ndarray  # G float32: pc2 coordinates of the grid's rows
    boundary: np.ndarray  # G×G float32: P(hot_dog) at (grid_u[j], grid_v[i]) in [i, j]
    run_id: str
    features: str  # "cache" or "model": where the points' features came from


def project(features: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[float, float]]:
    """(mean, 2×D components, explained shares) of rows of features, by SVD of the centred data.
    Signs are fixed (each component's largest coefficient positive) so a map is stable."""
    x = np.asarray(features, np.float64)
    if len(x) < 3:
        raise StudioError("The map needs at least 3 photos with features.")
    mean = x.mean(0)
    _, singular, vt = np.linalg.svd(x - mean, full_matrices=False)
    components = vt[:2]
    components *= np.sign(components[np.arange(2), np.abs(components).argmax(1)])[:, None]
    variance = singular**2
    total = variance.sum() or 1.0
    explained = (float(variance[0] / total), float(variance[1] / total))
    return mean.astype(np.float32), components.astype(np.float32), explained


def lift(points: np.ndarray, mean: np.ndarray, components: np.ndarray) -> np.ndarray:
    """Points of the plane back to feature space: mean + u·pc1 + v·pc2."""
    return (mean + np.asarray(points, np.float32) @ components).astype(np.float32)


def head_scores(head, features: np.ndarray, column: int) -> np.ndarray:
    """P(class `column`) by the head, in batches (its real forward pass, inference mode)."""
    from desktop_app.ml.runtime import keras_module

    keras = keras_module()
    out = [
        keras.ops.convert_to_numpy(head(features[i : i + HEAD_BATCH], training=False))[:, column]
        for i in range(0, len(features), HEAD_BATCH)
    ]
    return np.concatenate(out).astype(np.float32) if out else np.zeros(0, np.float32)


def boundary_grid(head, mean, components, points, column: int, steps: int = GRID_STEPS):
    """(grid_u, grid_v, G×G P) over the points' extent plus a margin."""
    low, high = points.min(0), points.max(0)
    pad = np.maximum((high - low) * MARGIN, 1e-3)
    grid_u = np.linspace(low[0] - pad[0], high[0] + pad[0], steps, dtype=np.float32)
    grid_v = np.linspace(low[1] - pad[1], high[1] + pad[1], steps, dtype=np.float32)
    uu, vv = np.meshgrid(grid_u, grid_v)  # [i, j] = (grid_u[j], grid_v[i])
    plane = lift(np.stack([uu.ravel(), vv.ravel()], 1), mean, components)
    return grid_u, grid_v, head_scores(head, plane, column).reshape(steps, steps)


def feature_map(
    dataset,
    record: RunRecord | None = None,
    *,
    unlabeled: bool = False,
    steps: int = GRID_STEPS,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    allow_download: bool = True,
) -> FeatureMap:
    """The map of the dataset's labeled photos (and the inbox's, with unlabeled) under a run's
    model, the current one by default."""
    record = record or current_run(dataset)
    if record is None:
        raise StudioError("Train a model first: the map shows what its head has learned.")
    items = [it for name in record.classes for it in dataset.items(name)]
    if unlabeled:
        items += dataset.items(UNLABELED)
    model = load_model(record)
    kept, features, source = photo_features(
        dataset,
        record,
        model,
        items,
        progress=progress,
        cancel=cancel,
        allow_download=allow_download,
    )
    column = score_index(record.classes)
    head = model.get_layer("head")
    mean, components, explained = project(features)
    points = ((features - mean) @ components.T).astype(np.float32)
    grid_u, grid_v, boundary = boundary_grid(head, mean, components, points, column, steps)
    return FeatureMap(
        hashes=[it.hash for it in kept],
        labels=[it.label for it in kept],
        points=points,
        suspect=_suspects(dataset, kept),
        scores=head_scores(head, features, column),
        mean=mean,
        components=components,
        explained=explained,
        grid_u=grid_u,
        grid_v=grid_v,
        boundary=boundary,
        run_id=record.id,
        features=source,
    )


def _suspects(dataset, items) -> np.ndarray:
    return suspected(dataset, [it.hash for it in items], [it.label for it in items])


def suspected(dataset, hashes, labels) -> np.ndarray:
    """Check labels' suspects that still carry the label it doubted (a fixed one is no suspect)."""
    check = last_check(dataset) or {"suspects": []}
    doubted = {s.get("hash"): s.get("label") for s in check["suspects"] if isinstance(s, dict)}
    return np.array(
        [doubted.get(h, object()) == label for h, label in zip(hashes, labels, strict=True)],
        dtype=bool,
    )
