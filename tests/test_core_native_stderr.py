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


OVERLAPPING = textwrap.dedent(
    """
    import os, re, sys, threading
    from desktop_app.core.native_stderr import filtered_stderr

    ROUNDS = int(sys.argv[1])
    before = os.fstat(2)
    step = threading.Barrier(2, timeout=30)  # a broken run fails instead of hanging
    noise = {"a": re.compile(rb"^noise-a "), "b": re.compile(rb"^noise-b ")}

    def write(kind, name, round):
        os.write(2, b"%s-%s %d\\n" % (kind, name.encode(), round))

    def first(round):  # enters first, leaves first: a enters, b enters, a leaves, b leaves
        with filtered_stderr(noise["a"]):
            write(b"noise", "a", round)
            step.wait()  # a is in: b enters
            step.wait()  # b is in
            write(b"kept", "a", round)
            write(b"noise", "a", round)
        step.wait()  # a is out: b leaves

    def second(round):
        step.wait()
        with filtered_stderr(noise["b"]):
            write(b"noise", "b", round)
            step.wait()
            step.wait()
            write(b"kept", "b", round)  # a has left: b's filter still holds
            write(b"noise", "b", round)

    def free(name, round):  # no order at all
        with filtered_stderr(noise[name]):
            write(b"noise", name, round)
            write(b"kept", name, round)

    def run(job, *args):
        for round in range(ROUNDS):
            job(*args, round)

    for jobs in ([(first,), (second,)], [(free, "a"), (free, "b")]):
        threads = [threading.Thread(target=run, args=job) for job in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    after = os.fstat(2)
    os.write(2, b"the end\\n")
    print((before.st_dev, before.st_ino) == (after.st_dev, after.st_ino))
    """
)


def test_overlapping_filters_on_two_threads_share_fd_2_and_give_it_back():
    rounds = 150
    result = subprocess.run(
        [sys.executable, "-c", OVERLAPPING, str(rounds)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout == "True\n"  # fd 2 is the original stderr again
    lines = result.stderr.splitlines()
    assert "Bad file descriptor" not in result.stderr
    assert not [line for line in lines if line.startswith("noise-")]
    for name in "ab":
        kept = [line for line in lines if line.startswith(f"kept-{name} ")]
        assert len(kept) == 2 * rounds, result.stderr[-3000:]
    assert lines[-1] == "the end"
