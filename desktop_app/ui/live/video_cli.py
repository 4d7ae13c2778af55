"""`hotdog-studio predict MODEL --video FILE`: the Live view's pipeline without a window.

QMediaPlayer decodes the video in real time into a QVideoSink; frames go through the same
mailboxes, FrameConverter and PredictWorker as in the window, and each verdict is printed as one
JSON line: {"time_s", "label", "score"}. A slow model analyses fewer frames; it never falls behind.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from desktop_app.core.errors import StudioError
from desktop_app.core.native_stderr import filtered_stderr

# QtMultimedia's FFmpeg: swscaler on MJPEG's full-range pixel formats (once per frame), the probes
# of hardware decoders a machine lacks, and Qt falling back to CPU frame conversion. All harmless.
FFMPEG_NOTICES = re.compile(
    rb"^(?:\[swscaler @ 0x[0-9a-f]+\] deprecated pixel format used"
    rb"|\[\w+ @ 0x[0-9a-f]+\] (?:Invalid setup for format|Failed setup for format"
    rb"|A hardware frames or device context is required)"
    rb"|QRhi\* .*No RHI backend)"
)


def predict_video(
    model_path: str | Path, video: str | Path, out=None, predictor_factory=None
) -> int:
    """Print one JSON line per analysed frame on `out` (stdout); returns the number printed."""
    video, model_path = Path(video), Path(model_path)
    if not video.is_file():
        raise StudioError(f"{video}: no such video file.")
    if not model_path.is_file():
        raise StudioError(f"{model_path}: no such model file.")
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QTimer, QUrl
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtMultimedia import QMediaPlayer, QVideoSink

    from desktop_app.core.mailbox import Mailbox
    from desktop_app.ui.live.frame_convert import FrameConverter, RawFrame, now
    from desktop_app.ui.live.predict_worker import PredictWorker, default_predictor_factory

    out = out or sys.stdout
    app = QCoreApplication.instance() or QGuiApplication([sys.argv[0]])
    raw, pictures = Mailbox(), Mailbox()
    converter = FrameConverter(raw, pictures)
    worker = PredictWorker(
        pictures, lambda: model_path, predictor_factory or default_predictor_factory
    )
    sink = QVideoSink()
    player = QMediaPlayer()
    player.setVideoSink(sink)
    times: dict[int, float | None] = {}
    state = {"next_id": 0, "printed": 0, "ended": False, "error": None, "reader_gone": False}
    loop_timer = QTimer()

    def on_frame(frame) -> None:
        if frame.isValid():
            state["next_id"] += 1
            time_s = frame.startTime() / 1e6 if frame.startTime() >= 0 else None
            times[state["next_id"]] = time_s
            raw.put(RawFrame(state["next_id"], frame, now(), time_s))

    def on_verdict(label: str, score: float, _rate: float, _latency: float, frame_id: int) -> None:
        time_s = times.pop(frame_id, None)
        line = {"time_s": None if time_s is None else round(time_s, 3), "label": label}
        line["score"] = round(score, 6)
        try:
            print(json.dumps(line), file=out, flush=True)
        except BrokenPipeError:  # `| head`: raised in a slot, Qt would print it and go on
            state["reader_gone"] = True
            app.quit()
            return
        state["printed"] += 1

    def fail(message: str) -> None:
        state["error"] = message
        app.quit()

    def drained() -> None:
        # After the last frame: quit once nothing is waiting in either mailbox or being predicted.
        if state["ended"] and raw.settled(converter.handled) and pictures.settled(worker.handled):
            app.quit()

    sink.videoFrameChanged.connect(on_frame)
    worker.verdict.connect(on_verdict)
    worker.model_missing.connect(fail)
    worker.model_ready.connect(lambda _path: player.play())
    player.errorOccurred.connect(lambda _e, text: fail(f"Cannot play {video.name}: {text}"))
    player.mediaStatusChanged.connect(
        lambda status: (
            state.update(ended=True)
            if status
            in (QMediaPlayer.MediaStatus.EndOfMedia, QMediaPlayer.MediaStatus.InvalidMedia)
            else None
        )
    )
    loop_timer.timeout.connect(drained)
    loop_timer.start(50)
    player.setSource(QUrl.fromLocalFile(str(video.resolve())))
    converter.start()
    worker.start()
    try:
        with filtered_stderr(FFMPEG_NOTICES):
            app.exec()
    finally:
        player.stop()
        converter.stop()
        worker.stop()
    if state["reader_gone"]:
        raise BrokenPipeError("stdout's reader went away")  # the command line stops quietly
    if state["error"]:
        raise StudioError(state["error"])
    return state["printed"]
