"""Video pixel layouts (YUV planes, packed YUV, RGB byte orders) to HxWx3 uint8 RGB, in NumPy.

Cameras and decoders hand over YUV; the app needs RGB. Qt can convert (QVideoFrame.toImage), but
it does so with a GPU context that, beside TensorFlow in one process, crashes (ADR 0006), so the
arithmetic lives here: plain NumPy on the CPU, the same on every platform and testable without Qt.

Chroma terms are computed at chroma resolution and broadcast onto the luma grid.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (Kr, Kb) of each standard's luma weights; Kg = 1 - Kr - Kb.
LUMA_WEIGHTS = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}

# Where R, G and B sit among the four bytes of each 32-bit RGB layout, in memory order
# (Qt's QVideoFrameFormat names give the memory order: BGRA8888 is B, G, R, A).
RGB32_ORDER = {
    "ARGB8888": (1, 2, 3),
    "ARGB8888_Premultiplied": (1, 2, 3),
    "XRGB8888": (1, 2, 3),
    "BGRA8888": (2, 1, 0),
    "BGRA8888_Premultiplied": (2, 1, 0),
    "BGRX8888": (2, 1, 0),
    "ABGR8888": (3, 2, 1),
    "XBGR8888": (3, 2, 1),
    "RGBA8888": (0, 1, 2),
    "RGBX8888": (0, 1, 2),
}


@dataclass(frozen=True)
class ColourMatrix:
    """How Y, U and V map to R, G and B: the standard and whether the range is full or video."""

    standard: str = "bt601"
    full_range: bool = False

    @staticmethod
    def guess(height: int, standard: str | None, full_range: bool | None) -> ColourMatrix:
        """Fill in what a frame leaves unsaid the way players do: HD is BT.709, SD BT.601,
        and video is limited range unless it says otherwise."""
        if standard not in LUMA_WEIGHTS:
            standard = "bt709" if height > 576 else "bt601"
        return ColourMatrix(standard, bool(full_range))

    def coefficients(self) -> tuple[float, float, float, float, float, float]:
        """(luma scale, luma offset, Cr->R, Cb->G, Cr->G, Cb->B) for 8-bit samples."""
        kr, kb = LUMA_WEIGHTS[self.standard]
        kg = 1.0 - kr - kb
        luma_scale, chroma_scale = (1.0, 1.0) if self.full_range else (255 / 219, 255 / 224)
        luma_offset = 0.0 if self.full_range else 16.0
        return (
            luma_scale,
            luma_offset,
            2 * (1 - kr) * chroma_scale,
            -2 * kb * (1 - kb) / kg * chroma_scale,
            -2 * kr * (1 - kr) / kg * chroma_scale,
            2 * (1 - kb) * chroma_scale,
        )


def yuv_planes_to_rgb(y: np.ndarray, u: np.ndarray, v: np.ndarray, matrix: ColourMatrix):
    """Y at full size, U and V at full, half-width or half-size resolution (4:4:4, 4:2:2, 4:2:0)."""
    height, width = y.shape
    luma_scale, luma_offset, r_v, g_u, g_v, b_u = matrix.coefficients()
    u = u.astype(np.float32) - 128.0
    v = v.astype(np.float32) - 128.0
    luma = y.astype(np.float32)
    luma -= luma_offset
    luma *= luma_scale
    step_y = -(-height // u.shape[0])  # 1 or 2, from the plane sizes
    step_x = -(-width // u.shape[1])
    out = np.empty((height, width, 3), np.uint8)
    # One channel at a time, chroma widened to whole rows first: broadcasting over long rows is
    # several times faster than over the tiny 2x2x3 axes of a 5-D view (4 ms, not 17, at VGA).
    # The 0.5 turns the final truncation into rounding.
    for channel, term in enumerate((r_v * v, g_u * u + g_v * v, b_u * u)):
        term += 0.5
        rows = np.repeat(term, step_x, axis=1)[:, :width] if step_x > 1 else term
        if height % step_y == 0:
            total = luma.reshape(-1, step_y, width) + rows[: height // step_y, None, :]
        else:  # an odd last row shares the chroma row above it
            total = luma + np.repeat(rows, step_y, axis=0)[:height]
        np.clip(total, 0, 255, out=total)
        out[..., channel] = total.reshape(height, width)
    return out


def planar_to_rgb(plane_y, plane_u, plane_v, matrix: ColourMatrix) -> np.ndarray:
    """YUV420P, YV12 (U and V swapped by the caller), YUV422P."""
    return yuv_planes_to_rgb(plane_y, plane_u, plane_v, matrix)


def semi_planar_to_rgb(plane_y, plane_uv, matrix: ColourMatrix, v_first: bool = False):
    """NV12 (U, V interleaved) and NV21 (V, U): the chroma plane is half size, two bytes a sample."""
    u, v = plane_uv[:, 0::2], plane_uv[:, 1::2]
    if v_first:
        u, v = v, u
    return yuv_planes_to_rgb(plane_y, u, v, matrix)


def packed_422_to_rgb(packed: np.ndarray, order: str, matrix: ColourMatrix) -> np.ndarray:
    """YUYV (Y0 U Y1 V) and UYVY (U Y0 V Y1): rows of 2 bytes a pixel, chroma shared by pairs."""
    if order == "YUYV":
        y, u, v = packed[:, 0::2], packed[:, 1::4], packed[:, 3::4]
    elif order == "UYVY":
        y, u, v = packed[:, 1::2], packed[:, 0::4], packed[:, 2::4]
    else:
        raise ValueError(f"unknown packed 4:2:2 order {order!r}")
    return yuv_planes_to_rgb(y, u, v, matrix)


def ayuv_to_rgb(packed: np.ndarray, matrix: ColourMatrix) -> np.ndarray:
    """AYUV: four bytes a pixel (A, Y, U, V), no subsampling."""
    return yuv_planes_to_rgb(packed[:, :, 1], packed[:, :, 2], packed[:, :, 3], matrix)


def rgb32_to_rgb(packed: np.ndarray, layout: str) -> np.ndarray:
    """The 32-bit RGB layouts, rows of HxWx4 bytes in memory order."""
    return np.ascontiguousarray(packed[:, :, list(RGB32_ORDER[layout])])


def grey_to_rgb(plane: np.ndarray) -> np.ndarray:
    """Y8 (or the high bytes of Y16): a grey picture."""
    return np.repeat(plane[:, :, None], 3, axis=2)


def high_bytes(samples16: np.ndarray, bits: int = 16) -> np.ndarray:
    """8-bit samples from little-endian 16-bit ones holding `bits` significant bits
    (P010 and P016 keep them at the top, YUV420P10 at the bottom)."""
    if bits == 16:
        return (samples16 >> 8).astype(np.uint8)
    return (samples16 >> (bits - 8)).astype(np.uint8)
