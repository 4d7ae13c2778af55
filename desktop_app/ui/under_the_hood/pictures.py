"""NumPy arrays to QImages for the view's drawings: activation maps, vectors, heatmaps.

Made on the model thread (QImage, unlike QPixmap, may be built off the GUI thread), so the GUI
thread only sets them on labels.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage

# A perceptual ramp (dark blue -> teal -> yellow), 256 entries, for 0..1 values.
_STOPS = np.array(
    [
        [13, 8, 135],
        [84, 2, 163],
        [139, 10, 165],
        [185, 50, 137],
        [219, 92, 104],
        [244, 136, 73],
        [254, 188, 43],
        [240, 249, 33],
    ],
    float,
)
RAMP = np.stack(
    [
        np.interp(np.linspace(0, 1, 256), np.linspace(0, 1, len(_STOPS)), _STOPS[:, c])
        for c in range(3)
    ],
    axis=1,
).astype(np.uint8)


def rgb_image(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = rgb.shape[:2]
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def heat_image(values: np.ndarray) -> QImage:
    """A 2-D array in 0..1 through the ramp."""
    index = np.clip(np.asarray(values) * 255, 0, 255).astype(np.uint8)
    return rgb_image(RAMP[index])


def tile(maps: np.ndarray, columns: int = 8, gap: int = 2) -> np.ndarray:
    """N x H x W values in 0..1 side by side, `columns` to a row, as one 0..1 array (gaps at 1)."""
    n, h, w = maps.shape
    rows = -(-n // columns)
    out = np.ones((rows * (h + gap) - gap, min(n, columns) * (w + gap) - gap), np.float32)
    for i in range(n):
        r, c = divmod(i, columns)
        out[r * (h + gap) : r * (h + gap) + h, c * (w + gap) : c * (w + gap) + w] = maps[i]
    return out


def vector_strip(values: np.ndarray, columns: int = 64) -> np.ndarray:
    """A long vector folded into rows of `columns`, scaled to 0..1 by its maximum."""
    v = np.asarray(values, np.float32).ravel()
    top = float(v.max()) if v.size and v.max() > 0 else 1.0
    padded = np.zeros(-(-v.size // columns) * columns, np.float32)
    padded[: v.size] = np.clip(v / top, 0, 1)
    return padded.reshape(-1, columns)
