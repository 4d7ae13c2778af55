"""A slider over a run's epochs with Play, for the weights panel and the map replay: it says which
epoch to show, at most every redraw_ms however fast the slider is dragged, and Play steps one
epoch every play_ms up to the last."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSlider, QWidget

REDRAW_MS = 100  # at most 10 redraws a second: a map's redraw is a few setData calls
PLAY_MS = 500  # one epoch per step when playing: slow enough to follow a dot


class ReplayBar(QWidget):
    show_index = Signal(int)  # the epoch's index to draw now

    def __init__(self, redraw_ms: int = REDRAW_MS, play_ms: int = PLAY_MS) -> None:
        super().__init__()
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 0)
        self.slider.valueChanged.connect(lambda _v: self.schedule())
        self.play_button = QPushButton("Play")
        self.play_button.clicked.connect(self.toggle_play)
        self.epoch_label = QLabel("")
        self.player = QTimer(self)
        self.player.setInterval(play_ms)
        self.player.timeout.connect(self._step)
        self.redraw_timer = QTimer(self)
        self.redraw_timer.setSingleShot(True)
        self.redraw_timer.setInterval(redraw_ms)
        self.redraw_timer.timeout.connect(lambda: self.show_index.emit(self.slider.value()))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.play_button)
        row.addWidget(self.slider, 1)
        row.addWidget(self.epoch_label)

    def set_count(self, count: int) -> None:
        """count epochs to replay, from the first; says nothing until the owner draws one."""
        self.stop_playing()
        self.set_range(count)
        self.slider.blockSignals(True)
        self.slider.setValue(0)
        self.slider.blockSignals(False)

    def set_range(self, count: int) -> None:
        """count epochs now (a training adds them as it goes); the slider stays where it was."""
        self.slider.blockSignals(True)
        self.slider.setRange(0, max(0, count - 1))
        self.slider.blockSignals(False)
        self.slider.setEnabled(count > 1)
        self.play_button.setEnabled(count > 1)

    def toggle_play(self) -> None:
        if self.player.isActive():
            self.stop_playing()
            return
        if self.slider.value() >= self.slider.maximum():
            self.slider.setValue(0)
        self.play_button.setText("Pause")
        self.player.start()

    def stop_playing(self) -> None:
        self.player.stop()
        self.play_button.setText("Play")

    def _step(self) -> None:
        if self.slider.value() < self.slider.maximum():
            self.slider.setValue(self.slider.value() + 1)
        if self.slider.value() >= self.slider.maximum():
            self.stop_playing()

    def schedule(self) -> None:
        """Say the slider's epoch again when the redraw timer next fires (new data to draw)."""
        if not self.redraw_timer.isActive():
            self.redraw_timer.start()
