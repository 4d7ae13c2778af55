"""Where live frames come from: cameras, video files, and still images, all into one QVideoSink.

The view owns one QVideoSink; a camera (through a QMediaCaptureSession) or a QMediaPlayer draws
into it, so everything downstream of the sink is the same whatever the source.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtMultimedia import (
    QCamera,
    QCameraDevice,
    QMediaCaptureSession,
    QMediaDevices,
    QMediaPlayer,
    QVideoSink,
)

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".wmv", ".mpg", ".mpeg"}
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff"}
NO_CAMERA = (
    "No camera found.\n\nOpen a video or an image file, or drop one here "
    "(a dropped folder gives a verdict for every picture in it)."
)
PERMISSION_REFUSED = (
    "The camera is blocked: this app was refused permission to use it. Allow it in the "
    "system's privacy settings, then choose the camera again."
)


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


class CameraList(QObject):
    """The cameras present now; `changed` fires when one is plugged in or out."""

    changed = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._devices = QMediaDevices(self)
        self._devices.videoInputsChanged.connect(self.changed)

    def cameras(self) -> list[QCameraDevice]:
        return list(QMediaDevices.videoInputs())


class CameraSource(QObject):
    """One camera drawing into the sink, once the platform's permission (if it asks) is given."""

    failed = Signal(str)

    def __init__(self, device: QCameraDevice, sink: QVideoSink, parent: QObject | None = None):
        super().__init__(parent)
        self.camera = QCamera(device, self)
        self.session = QMediaCaptureSession(self)
        self.session.setCamera(self.camera)
        self.session.setVideoSink(sink)
        self.camera.errorOccurred.connect(
            lambda _error, text: self.failed.emit(text or "Camera error.")
        )
        self.description = device.description()

    def start(self) -> None:
        with_camera_permission(
            self, self.camera.start, lambda: self.failed.emit(PERMISSION_REFUSED)
        )

    def stop(self) -> None:
        self.camera.stop()


def with_camera_permission(context: QObject, granted, refused) -> None:
    """Call granted() once the camera may be used; refused() if the user (or policy) said no.

    macOS and some sandboxes ask the user; elsewhere the answer is immediate.
    """
    from PySide6.QtCore import QCameraPermission, QCoreApplication

    app = QCoreApplication.instance()
    permission = QCameraPermission()
    status = app.checkPermission(permission)
    if status == Qt.PermissionStatus.Granted:
        granted()
    elif status == Qt.PermissionStatus.Denied:
        refused()
    else:

        def answered(result) -> None:
            (granted if result.status() == Qt.PermissionStatus.Granted else refused)()

        app.requestPermission(permission, context, answered)


class VideoFileSource(QObject):
    """A video file played into the sink, with play, pause and loop."""

    failed = Signal(str)
    finished = Signal()
    playing_changed = Signal(bool)

    def __init__(self, path: Path, sink: QVideoSink, loop: bool = True, parent=None) -> None:
        super().__init__(parent)
        self.path = Path(path)
        self.player = QMediaPlayer(self)
        self.player.setVideoSink(sink)
        self.player.errorOccurred.connect(self._on_error)
        self.player.mediaStatusChanged.connect(self._on_status)
        self.player.playbackStateChanged.connect(
            lambda state: self.playing_changed.emit(
                state == QMediaPlayer.PlaybackState.PlayingState
            )
        )
        self.set_loop(loop)
        self.player.setSource(QUrl.fromLocalFile(str(self.path)))
        self.description = self.path.name

    def set_loop(self, loop: bool) -> None:
        self.player.setLoops(QMediaPlayer.Loops.Infinite if loop else QMediaPlayer.Loops.Once)

    @property
    def playing(self) -> bool:
        return self.player.playbackState() == QMediaPlayer.PlaybackState.PlayingState

    def start(self) -> None:
        self.player.play()

    def pause(self) -> None:
        self.player.pause()

    def toggle(self) -> None:
        self.pause() if self.playing else self.start()

    def stop(self) -> None:
        self.player.stop()

    def _on_error(self, _error, text: str) -> None:
        self.failed.emit(f"Cannot play {self.path.name}: {text or 'unknown error'}")

    def _on_status(self, status) -> None:
        if status == QMediaPlayer.MediaStatus.EndOfMedia:
            self.finished.emit()
