"""Video frames in every layout cameras and decoders deliver become the right RGB pixels.

Each test writes a known picture into a real QVideoFrame in one pixel format, with the textbook
encoding formulas (not the app's), and checks frame_to_rgb gives the picture back.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QSize
from PySide6.QtMultimedia import QtVideo, QVideoFrame, QVideoFrameFormat

from desktop_app.ui.live.frame_convert import to_qimage
from desktop_app.ui.live.frame_pixels import UnsupportedFrame, frame_to_rgb, supported

PF = QVideoFrameFormat.PixelFormat
TOLERANCE = 3  # 8-bit rounding on the way in and out


def reference(width: int, height: int) -> np.ndarray:
    """Colour blocks that are flat over each 2x2 cell (so chroma subsampling loses nothing),
    with luma detail inside, kept away from the clipping ends."""
    rng = np.random.default_rng(width * 100 + height)
    cells = rng.integers(40, 216, ((height + 1) // 2, (width + 1) // 2, 3))
    rgb = np.repeat(np.repeat(cells, 2, 0), 2, 1)[:height, :width].astype(np.int32)
    return rgb


def bt601_limited(rgb: np.ndarray):
    """The classic integer BT.601 studio-swing encoder."""
    r, g, b = (rgb[..., i].astype(np.int32) for i in range(3))
    y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
    u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128
    v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128
    return y, u, v


def bt709(rgb: np.ndarray, full: bool):
    """BT.709 from its definition: Y = .2126 R + .7152 G + .0722 B, Cb = (B-Y)/1.8556, Cr = (R-Y)/1.5748."""
    r, g, b = (rgb[..., i] / 255.0 for i in range(3))
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    cb, cr = (b - y) / 1.8556, (r - y) / 1.5748
    if full:
        return (np.round(v) for v in (y * 255, cb * 255 + 128, cr * 255 + 128))
    return (np.round(v) for v in (16 + 219 * y, 128 + 224 * cb, 128 + 224 * cr))


def subsample(plane: np.ndarray, sy: int, sx: int) -> np.ndarray:
    return plane[::sy, ::sx]


def new_frame(width, height, pixel_format, colour_space=None, colour_range=None) -> QVideoFrame:
    fmt = QVideoFrameFormat(QSize(width, height), pixel_format)
    if colour_space is not None:
        fmt.setColorSpace(colour_space)
    if colour_range is not None:
        fmt.setColorRange(colour_range)
    frame = QVideoFrame(fmt)
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    return frame


def write_plane(frame: QVideoFrame, index: int, rows: np.ndarray) -> None:
    """rows: 2-D array of bytes (uint8) or 16-bit samples (uint16, little-endian)."""
    data = np.ascontiguousarray(rows)
    if data.dtype != np.uint8:
        data = data.astype("<u2").view(np.uint8)
    stride = frame.bytesPerLine(index)
    target = np.frombuffer(frame.bits(index), np.uint8, count=frame.mappedBytes(index))
    rows = min(
        len(data), (target.size - data.shape[1]) // stride + 1
    )  # Qt may round odd sizes down
    for row, line in enumerate(data[:rows]):
        target[row * stride : row * stride + line.size] = line


def close_to(actual: np.ndarray, expected: np.ndarray, tolerance: int = TOLERANCE) -> None:
    assert actual.shape == expected.shape
    assert actual.dtype == np.uint8
    worst = np.abs(actual.astype(np.int32) - expected.astype(np.int32)).max()
    assert worst <= tolerance, f"off by up to {worst}"


LAYOUTS = ["YUV420P", "YV12", "NV12", "NV21", "YUV422P"]
# Odd sizes only where Qt's own frame buffers give the chroma planes room (its 3-plane 4:2:0
# buffers of odd size do not; decoders deliver even 4:2:0 sizes).
CASES = [(layout, (64, 48)) for layout in LAYOUTS] + [
    (layout, (7, 5)) for layout in ("NV12", "NV21", "YUV422P")
]


@pytest.mark.parametrize("layout, size", CASES)
def test_planar_and_semi_planar_yuv(layout, size):
    width, height = size
    rgb = reference(width, height)
    y, u, v = bt601_limited(rgb)
    sy = 1 if layout == "YUV422P" else 2
    u, v = subsample(u, sy, 2), subsample(v, sy, 2)
    frame = new_frame(width, height, getattr(PF, f"Format_{layout}"))
    write_plane(frame, 0, y.astype(np.uint8))
    if layout in ("NV12", "NV21"):
        first, second = (u, v) if layout == "NV12" else (v, u)
        interleaved = np.stack([first, second], axis=-1).reshape(first.shape[0], -1)
        write_plane(frame, 1, interleaved.astype(np.uint8))
    else:
        first, second = (u, v) if layout != "YV12" else (v, u)
        write_plane(frame, 1, first.astype(np.uint8))
        write_plane(frame, 2, second.astype(np.uint8))
    frame.unmap()
    close_to(frame_to_rgb(frame), rgb)


@pytest.mark.parametrize("size", [(32, 16), (9, 4)])
@pytest.mark.parametrize("layout", ["YUYV", "UYVY"])
def test_packed_422_webcam_layouts(layout, size):
    width, height = size
    rgb = reference(width, height)
    y, u, v = bt601_limited(rgb)
    padded = width + width % 2
    y = np.pad(y, ((0, 0), (0, padded - width)), mode="edge")
    u, v = u[:, ::2], v[:, ::2]
    packed = np.zeros((height, padded * 2), np.uint8)
    luma_at, u_at, v_at = (0, 1, 3) if layout == "YUYV" else (1, 0, 2)
    packed[:, luma_at::2] = y
    packed[:, u_at::4] = u
    packed[:, v_at::4] = v
    frame = new_frame(width, height, getattr(PF, f"Format_{layout}"))
    write_plane(frame, 0, packed)
    frame.unmap()
    close_to(frame_to_rgb(frame), rgb)


@pytest.mark.parametrize(
    "layout, order",
    [
        ("ARGB8888", "ARGB"),
        ("XRGB8888", "xRGB"),
        ("BGRA8888", "BGRA"),
        ("BGRX8888", "BGRx"),
        ("ABGR8888", "ABGR"),
        ("XBGR8888", "xBGR"),
        ("RGBA8888", "RGBA"),
        ("RGBX8888", "RGBx"),
    ],
)
def test_rgb_byte_orders(layout, order):
    width, height = 20, 10
    rgb = reference(width, height)
    channels = {"R": rgb[..., 0], "G": rgb[..., 1], "B": rgb[..., 2]}
    filler = np.full((height, width), 255)
    packed = np.stack([channels.get(c, filler) for c in order], axis=-1).astype(np.uint8)
    frame = new_frame(width, height, getattr(PF, f"Format_{layout}"))
    write_plane(frame, 0, packed.reshape(height, -1))
    frame.unmap()
    close_to(frame_to_rgb(frame), rgb, tolerance=0)


@pytest.mark.parametrize("full", [False, True])
def test_hd_bt709_in_either_range(full):
    width, height = 32, 16
    rgb = reference(width, height)
    y, u, v = bt709(rgb, full)
    cs = QVideoFrameFormat.ColorSpace.ColorSpace_BT709
    cr = QVideoFrameFormat.ColorRange.ColorRange_Full if full else None
    frame = new_frame(width, height, PF.Format_NV12, cs, cr)
    write_plane(frame, 0, y.astype(np.uint8))
    interleaved = np.stack([u[::2, ::2], v[::2, ::2]], axis=-1).reshape(height // 2, -1)
    write_plane(frame, 1, interleaved.astype(np.uint8))
    frame.unmap()
    close_to(frame_to_rgb(frame), rgb)


def test_ten_bit_p010_and_yuv420p10():
    width, height = 16, 8
    rgb = reference(width, height)
    y, u, v = (p.astype(np.uint16) for p in bt601_limited(rgb))
    u2, v2 = u[::2, ::2], v[::2, ::2]
    p010 = new_frame(width, height, PF.Format_P010)
    write_plane(p010, 0, y << 8)  # ten significant bits at the top of each sample
    write_plane(p010, 1, (np.stack([u2, v2], -1).reshape(height // 2, -1)) << 8)
    p010.unmap()
    close_to(frame_to_rgb(p010), rgb)
    planar = new_frame(width, height, PF.Format_YUV420P10)
    for index, plane in enumerate((y, u2, v2)):
        write_plane(planar, index, plane << 2)  # at the bottom
    planar.unmap()
    close_to(frame_to_rgb(planar), rgb)


def test_grey_cameras():
    frame = new_frame(10, 6, PF.Format_Y8)
    ramp = np.tile(np.arange(0, 250, 25, dtype=np.uint8), (6, 1))
    write_plane(frame, 0, ramp)
    frame.unmap()
    rgb = frame_to_rgb(frame)
    assert (rgb == ramp[..., None]).all()


def test_an_mjpeg_camera_frame():
    rgb = reference(40, 30).astype(np.uint8)
    data = io.BytesIO()
    Image.fromarray(rgb).save(data, "JPEG", quality=98)
    payload = np.frombuffer(data.getvalue(), np.uint8)
    fmt = QVideoFrameFormat(QSize(40, 30), PF.Format_Jpeg)
    frame = QVideoFrame(fmt)
    assert frame.map(QVideoFrame.MapMode.WriteOnly)
    if frame.mappedBytes(0) < payload.size:
        pytest.skip("this Qt gives a Jpeg frame no room for the file")
    write_plane(frame, 0, payload.reshape(1, -1))
    frame.unmap()
    expected = np.asarray(Image.open(io.BytesIO(data.getvalue())).convert("RGB"))
    close_to(frame_to_rgb(frame), expected, tolerance=0)  # what any decoder makes of the file


def test_rotation_and_mirroring_the_camera_reports():
    width, height = 6, 4
    rgb = reference(width, height)
    frame = new_frame(width, height, PF.Format_RGBX8888)
    filler = np.full((height, width, 1), 255)
    write_plane(frame, 0, np.concatenate([rgb, filler], -1).astype(np.uint8).reshape(height, -1))
    frame.unmap()
    frame.setRotation(QtVideo.Rotation.Clockwise90)
    assert (frame_to_rgb(frame) == np.rot90(rgb, -1)).all()
    frame.setRotation(QtVideo.Rotation.None_)
    frame.setMirrored(True)
    assert (frame_to_rgb(frame) == rgb[:, ::-1]).all()


def test_an_unsupported_format_says_which():
    assert not supported("IMC1")
    frame = new_frame(8, 8, PF.Format_IMC1)
    frame.unmap()
    with pytest.raises(UnsupportedFrame, match="IMC1"):
        frame_to_rgb(frame)


def test_to_qimage_paints_the_same_pixels():
    width, height = 12, 8
    rgb = reference(width, height)
    y, u, v = bt601_limited(rgb)
    frame = new_frame(width, height, PF.Format_YUV420P)
    for index, plane in enumerate((y, u[::2, ::2], v[::2, ::2])):
        write_plane(frame, index, plane.astype(np.uint8))
    frame.unmap()
    image = to_qimage(frame)
    assert (image.width(), image.height()) == (width, height)
    colour = image.pixelColor(3, 5)
    assert abs(colour.red() - rgb[5, 3, 0]) <= TOLERANCE
    assert abs(colour.blue() - rgb[5, 3, 2]) <= TOLERANCE


@pytest.mark.parametrize("container", ["mp4", "avi"])
def test_frames_a_decoder_delivers_come_out_as_the_pictures_encoded(qtbot, tmp_path, container):
    """H.264 (YUV 4:2:0) and MJPEG clips played by QMediaPlayer: each frame within a level or
    two of the picture that was encoded into it."""
    from PySide6.QtCore import QUrl
    from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

    from desktop_app.commands._mjpeg_avi import write_mjpeg_avi
    from desktop_app.ui.journey import media

    frames = media.clip_frames()[:60]
    if container == "mp4":
        pytest.importorskip("imageio_ffmpeg")
        clip = media.write_clip(tmp_path)
    else:
        clip = write_mjpeg_avi(tmp_path / "clip.avi", frames, fps=media.FPS)
    sink, player = QVideoSink(), QMediaPlayer()
    player.setVideoSink(sink)
    errors: list[float] = []

    def compare(frame: QVideoFrame) -> None:
        index = round(frame.startTime() / 1e6 * media.FPS)
        if frame.isValid() and 0 <= index < len(frames):
            rgb = frame_to_rgb(frame).astype(np.int32)
            errors.append(float(np.abs(rgb - np.asarray(frames[index], np.int32)).mean()))

    sink.videoFrameChanged.connect(compare)
    player.setSource(QUrl.fromLocalFile(str(clip)))
    player.play()
    qtbot.waitUntil(lambda: len(errors) >= 10, timeout=20000)
    player.stop()
    assert max(errors) < 3.0, errors  # a swapped channel or a wrong range is off by tens
