"""The map's shapes, made on the model thread so the GUI thread only hands arrays to pyqtgraph: the
head's 50% line as segments (marching squares) and its P(hot dog) as a faint wash."""

from __future__ import annotations

import numpy as np

from desktop_app.ui.shell.style import ACCENT_BY_LABEL

WASH_ALPHA = 90  # the boundary grid's background, out of 255: faint


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


def wash_rect(grid_u: np.ndarray, grid_v: np.ndarray) -> tuple[float, float, float, float]:
    """The wash's (x, y, width, height) on the plane: each grid value at the centre of its pixel."""
    du = float(grid_u[1] - grid_u[0]) if len(grid_u) > 1 else 1.0
    dv = float(grid_v[1] - grid_v[0]) if len(grid_v) > 1 else 1.0
    return (
        float(grid_u[0]) - du / 2,
        float(grid_v[0]) - dv / 2,
        du * len(grid_u),
        dv * len(grid_v),
    )
