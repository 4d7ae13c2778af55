"""A QVideoFrame's pixels as HxWx3 RGB, read from its mapped planes on the CPU.

Never QVideoFrame.toImage(): on xcb and Wayland it converts through a thread-local OpenGL RHI,
and with Mesa's LLVM-based drivers (llvmpipe, radeonsi) in a process that has also loaded
TensorFlow's own LLVM, the driver runs into TensorFlow's symbols and the process dies (SIGSEGV).
Mapping is safe in any thread; the arithmetic is core.yuv_to_rgb. See ADR 0006.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image
from PySide6.QtMultimedia import QVideoFrame, QVideoFrameFormat

from desktop_app.core import yuv_to_rgb as yuv
from desktop_app.core.errors import StudioError

PF = QVideoFrameFormat.PixelFormat
_STANDARDS = {
    QVideoFrameFormat.ColorSpace.ColorSpace_BT601: "bt601",
    QVideoFrameFormat.ColorSpace.ColorSpace_BT709: "bt709",
    QVideoFrameFormat.ColorSpace.ColorSpace_BT2020: "bt2020",
}


class UnsupportedFrame(StudioError):
    """A frame in a pixel format this app cannot read (named, so the view can say which)."""


def frame_to_rgb(frame: QVideoFrame) -> np.ndarray:
    """The frame's pixels, upright as the source meant them (rotation and mirroring applied)."""
    if not frame.isValid():
        raise UnsupportedFrame("an empty video frame")
    name = frame.pixelFormat().name.removeprefix("Format_")
    if not frame.map(QVideoFrame.MapMode.ReadOnly):
        raise UnsupportedFrame(f"a {name} video frame that cannot be read on the CPU")
    try:
        rgb = _convert(frame, name)
    finally:
        frame.unmap()
    return _upright(rgb, frame)


def supported(name: str) -> bool:
    return name in _CONVERTERS or name in yuv.RGB32_ORDER


def _convert(frame: QVideoFrame, name: str) -> np.ndarray:
    if name in yuv.RGB32_ORDER:
        return yuv.rgb32_to_rgb(_rows(frame, 0, 4), name)
    converter = _CONVERTERS.get(name)
    if converter is None:
        raise UnsupportedFrame(f"video frames in the {name} format are not supported")
    return converter(frame, _matrix(frame))


def _matrix(frame: QVideoFrame) -> yuv.ColourMatrix:
    surface = frame.surfaceFormat()
    full = {
        QVideoFrameFormat.ColorRange.ColorRange_Full: True,
        QVideoFrameFormat.ColorRange.ColorRange_Video: False,
    }.get(surface.colorRange())
    return yuv.ColourMatrix.guess(frame.height(), _STANDARDS.get(surface.colorSpace()), full)


def _plane(frame: QVideoFrame, index: int, rows: int, row_bytes: int) -> np.ndarray:
    """rows x row_bytes bytes of a plane, a view on the mapped memory (stride padding cut off)."""
    stride = frame.bytesPerLine(index)
    buffer = np.frombuffer(frame.bits(index), np.uint8, count=frame.mappedBytes(index))
    if stride < row_bytes or buffer.size < row_bytes:
        raise UnsupportedFrame("a video frame whose planes are smaller than its size says")
    present = min(rows, (buffer.size - row_bytes) // stride + 1)
    plane = np.lib.stride_tricks.as_strided(buffer, (present, row_bytes), (stride, 1))
    if present < rows:
        # Some buffers of odd height round the chroma rows down: the last row repeats the one above.
        if rows - present > 1 or index == 0:
            raise UnsupportedFrame("a video frame whose planes are smaller than its size says")
        plane = np.concatenate([plane, plane[-1:]])
    return plane


def _rows(frame: QVideoFrame, index: int, bytes_per_pixel: int) -> np.ndarray:
    width, height = frame.width(), frame.height()
    return _plane(frame, index, height, width * bytes_per_pixel).reshape(
        height, width, bytes_per_pixel
    )


def _half(n: int) -> int:
    return (n + 1) // 2


def _planar(frame, matrix, chroma_rows, swap=False, bits=8):
    width, height = frame.width(), frame.height()
    size = 2 if bits > 8 else 1
    y = _plane(frame, 0, height, width * size)
    u = _plane(frame, 1, chroma_rows(height), _half(width) * size)
    v = _plane(frame, 2, chroma_rows(height), _half(width) * size)
    if bits > 8:
        y, u, v = (yuv.high_bytes(p.copy().view("<u2"), bits) for p in (y, u, v))
    if swap:
        u, v = v, u
    return yuv.planar_to_rgb(y, u, v, matrix)


def _semi_planar(frame, matrix, v_first=False, wide=False):
    width, height = frame.width(), frame.height()
    size = 2 if wide else 1
    y = _plane(frame, 0, height, width * size)
    uv = _plane(frame, 1, _half(height), _half(width) * 2 * size)
    if wide:  # P010 / P016: 16-bit samples, the significant bits at the top
        y, uv = (yuv.high_bytes(p.copy().view("<u2")) for p in (y, uv))
    return yuv.semi_planar_to_rgb(y, uv, matrix, v_first)


def _packed_422(order):
    def convert(frame, matrix):
        width = frame.width() + frame.width() % 2  # pairs of pixels share their chroma
        packed = _plane(frame, 0, frame.height(), width * 2)
        return yuv.packed_422_to_rgb(packed, order, matrix)[:, : frame.width()]

    return convert


def _grey(frame, _matrix, wide=False):
    plane = _plane(frame, 0, frame.height(), frame.width() * (2 if wide else 1))
    return yuv.grey_to_rgb(yuv.high_bytes(plane.copy().view("<u2")) if wide else plane)


def _jpeg(frame, _matrix):
    """MJPEG cameras: each frame is a JPEG file in plane 0."""
    data = bytes(np.frombuffer(frame.bits(0), np.uint8, count=frame.mappedBytes(0)))
    try:
        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        raise UnsupportedFrame(f"a camera frame that is not a readable JPEG ({error})") from None


_CONVERTERS = {
    "YUV420P": lambda f, m: _planar(f, m, _half),
    "YV12": lambda f, m: _planar(f, m, _half, swap=True),
    "YUV422P": lambda f, m: _planar(f, m, lambda h: h),
    "YUV420P10": lambda f, m: _planar(f, m, _half, bits=10),
    "NV12": lambda f, m: _semi_planar(f, m),
    "NV21": lambda f, m: _semi_planar(f, m, v_first=True),
    "P010": lambda f, m: _semi_planar(f, m, wide=True),
    "P016": lambda f, m: _semi_planar(f, m, wide=True),
    "YUYV": _packed_422("YUYV"),
    "UYVY": _packed_422("UYVY"),
    "AYUV": lambda f, m: yuv.ayuv_to_rgb(_rows(f, 0, 4), m),
    "AYUV_Premultiplied": lambda f, m: yuv.ayuv_to_rgb(_rows(f, 0, 4), m),
    "Y8": lambda f, m: _grey(f, m),
    "Y16": lambda f, m: _grey(f, m, wide=True),
    "Jpeg": _jpeg,
}


def _upright(rgb: np.ndarray, frame: QVideoFrame) -> np.ndarray:
    """Phone and laptop cameras may deliver frames turned or mirrored and say so on the frame."""
    from PySide6.QtMultimedia import QtVideo

    turns = {
        QtVideo.Rotation.Clockwise90: 1,
        QtVideo.Rotation.Clockwise180: 2,
        QtVideo.Rotation.Clockwise270: 3,
    }.get(frame.rotation(), 0)
    if frame.mirrored():
        rgb = rgb[:, ::-1]
    if turns:
        rgb = np.rot90(rgb, -turns)  # rot90 turns counter-clockwise
    return np.ascontiguousarray(rgb)
