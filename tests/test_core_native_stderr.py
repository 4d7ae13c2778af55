"""Native noise on fd 2 is dropped (TensorFlow start-up notices, FFmpeg swscaler warnings), and
nothing else another thread prints meanwhile."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

from desktop_app.ml.runtime import TENSORFLOW_NOTICES
from desktop_app.ui.live.video_cli import FFMPEG_NOTICES

SCRIPT = textwrap.dedent(
    """
    import os, threading
    from desktop_app.ml import runtime

    def other_thread():  # e.g. the GUI thread while Keras loads in the background
        os.write(2, b"a real warning from another thread\\n")

    from desktop_app.core.native_stderr import filtered_stderr

    with filtered_stderr(runtime.TENSORFLOW_NOTICES):
        os.write(2, b"I0000 00:00:1795845391.069304   10002 port.cc:153] oneDNN custom operations\\n")
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
        os.write(2, b"To enable the following instructions: AVX2, rebuild TensorFlow\\n")
    os.write(2, b"after the import\\n")
    runtime.keras_module()  # the real import: its notices are dropped too
    """
)


def test_tensorflow_notices_are_dropped_and_other_stderr_passes():
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "a real warning from another thread" in result.stderr
    assert "after the import" in result.stderr
    assert "oneDNN" not in result.stderr
    assert "rebuild TensorFlow" not in result.stderr
    assert "cuda" not in result.stderr.lower()


def test_only_notice_lines_match():
    assert TENSORFLOW_NOTICES.match(b"W0000 00:00:1.5   7 cuda_dnn.cc:8] something")
    assert TENSORFLOW_NOTICES.match(
        b"E0000 00:00:1.5   7 cuda_platform.cc:52] failed call to cuInit"
    )
    assert not TENSORFLOW_NOTICES.match(b"E0000 00:00:1.5   7 op_kernel.cc:1] out of memory")
    assert not TENSORFLOW_NOTICES.match(b"Traceback (most recent call last):")
    assert not TENSORFLOW_NOTICES.match(b"QPainter::begin: Paint device returned engine == 0")


def test_ffmpeg_swscaler_notice_matches_and_other_ffmpeg_errors_do_not():
    notice = (
        b"[swscaler @ 0x7fc220033b80] deprecated pixel format used, make sure you did set range"
    )
    assert FFMPEG_NOTICES.match(notice)
    assert FFMPEG_NOTICES.match(b"[mjpeg @ 0x5590d1a37300] Failed setup for format vaapi: hwaccel")
    assert not FFMPEG_NOTICES.match(b"[mjpeg @ 0x55d0c8] error count: 64")
