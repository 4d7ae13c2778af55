"""The journey's video: what a user would open, in the best format this install can write.

H.264 in MP4 (the usual phone or web clip, decoded to YUV 4:2:0) where imageio-ffmpeg is
installed (the development set-up); otherwise MJPEG in AVI, written in pure Python, which the
bundle can always make (decoded to full-range YUV).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from desktop_app.commands._mjpeg_avi import write_mjpeg_avi
from desktop_app.commands._selftest_images import video_frames

WIDTH, HEIGHT, FPS = 640, 480, 30
CLIP_SECONDS = 4  # half hot dog, half not; it loops


def clip_frames():
    count = FPS * CLIP_SECONDS
    drawn = video_frames(16)
    # Each drawing held for a while, as a camera pans slowly: the verdict has time to settle.
    return [drawn[i * len(drawn) // count].resize((WIDTH, HEIGHT)) for i in range(count)]


def write_clip(folder: Path) -> Path:
    frames = clip_frames()
    try:
        import imageio_ffmpeg
    except ImportError:
        return write_mjpeg_avi(folder / "lunch.avi", frames, fps=FPS)
    path = folder / "lunch.mp4"
    writer = imageio_ffmpeg.write_frames(
        str(path), (WIDTH, HEIGHT), fps=FPS, codec="libx264", pix_fmt_out="yuv420p"
    )
    writer.send(None)
    for frame in frames:
        writer.send(np.asarray(frame).tobytes())
    writer.close()
    return path
