"""The live picture with the verdict painted over it, in the style of the Not Hotdog app.

A full-width colour band at the top ("Hot dog!" on green, "Not hot dog!" on red) in big bold
white type, a round check or cross badge straddling its lower edge, the confidence, and, at the
bottom, the verdicts per second and the frame-to-verdict latency. The label is decided here from
the score and the threshold, so moving the threshold relabels the verdict at once.
"""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_app.ui.shell.percent import percent

HOT_DOG_GREEN = QColor("#27ae3f")
NOT_HOT_DOG_RED = QColor("#e0262c")
HEATMAP_OPACITY = 0.5
TOAST_MS = 1800


def heatmap_image(heat: np.ndarray) -> QImage:
    """A Grad-CAM map in [0, 1] as a transparent-to-red 'jet' picture to lay over the frame."""
    heat = np.clip(np.nan_to_num(heat.astype(np.float32)), 0.0, 1.0)
    # jet: blue -> cyan -> yellow -> red, piecewise linear
    red = np.clip(1.5 - np.abs(4 * heat - 3), 0, 1)
    green = np.clip(1.5 - np.abs(4 * heat - 2), 0, 1)
    blue = np.clip(1.5 - np.abs(4 * heat - 1), 0, 1)
    alpha = np.clip(heat * 1.6, 0.15, 1.0)  # cold areas stay mostly see-through
    rgba = (np.stack([red, green, blue, alpha], axis=-1) * 255).astype(np.uint8)
    rgba = np.ascontiguousarray(rgba)
    height, width = heat.shape
    return QImage(rgba.data, width, height, 4 * width, QImage.Format.Format_RGBA8888).copy()


class LivePicture(QWidget):
    """Paints the newest picture, then the heatmap, then the verdict banner and figures."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 240)
        self.picture: QImage | None = None
        self.score: float | None = None
        self.threshold = 0.5
        self.verdicts_per_s = 0.0
        self.latency_ms = 0.0
        self.heatmap: QImage | None = None
        self.show_heatmap = False
        self.message = ""
        self._toast = ""
        self._toast_timer = QTimer(self, singleShot=True, interval=TOAST_MS)
        self._toast_timer.timeout.connect(self._hide_toast)
        self.painted_at = 0.0

    def sizeHint(self) -> QSize:
        return QSize(640, 480)

    # -- what to show --------------------------------------------------------------------

    def set_picture(self, image: QImage | None) -> None:
        self.picture = image
        self.update()

    def set_verdict(
        self, score: float | None, verdicts_per_s: float = 0.0, latency_ms: float = 0.0
    ):
        self.score, self.verdicts_per_s, self.latency_ms = score, verdicts_per_s, latency_ms
        self.update()

    def set_threshold(self, threshold: float) -> None:
        self.threshold = threshold
        self.update()

    def set_heatmap(self, heat: np.ndarray | None) -> None:
        self.heatmap = None if heat is None else heatmap_image(heat)
        self.update()

    def set_message(self, text: str) -> None:
        """Shown in the middle when there is no picture (no camera, nothing opened yet)."""
        self.message = text
        self.update()

    def toast(self, text: str) -> None:
        self._toast = text
        self._toast_timer.start()
        self.update()

    @property
    def toast_text(self) -> str:
        return self._toast

    @property
    def label(self) -> str | None:
        if self.score is None:
            return None
        return "hot_dog" if self.score >= self.threshold else "not_hot_dog"

    @property
    def confidence(self) -> float | None:
        """How sure the model is of the label shown: the score, or one minus it."""
        if self.score is None:
            return None
        return self.score if self.label == "hot_dog" else 1.0 - self.score

    def _hide_toast(self) -> None:
        self._toast = ""
        self.update()

    # -- painting ------------------------------------------------------------------------

    def picture_rect(self) -> QRect:
        """Where the picture goes: as large as fits, aspect kept, centred."""
        if self.picture is None or self.picture.isNull():
            return self.rect()
        size = self.picture.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        rect = QRect(0, 0, size.width(), size.height())
        rect.moveCenter(self.rect().center())
        return rect

    def paintEvent(self, _event) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#16181b"))
        if self.picture is not None and not self.picture.isNull():
            target = self.picture_rect()
            painter.drawImage(target, self.picture)
            if self.show_heatmap and self.heatmap is not None:
                painter.setOpacity(HEATMAP_OPACITY)
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
                painter.drawImage(target, self.heatmap)
                painter.setOpacity(1.0)
        elif self.message:
            self._paint_message(painter)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if self.score is not None:
            self._paint_banner(painter)
            self._paint_figures(painter)
        if self._toast:
            self._paint_toast(painter)
        painter.end()
        self.painted_at = time.monotonic()

    def _paint_message(self, painter: QPainter) -> None:
        painter.setPen(QColor("#e8e8e8"))
        font = QFont(self.font())
        font.setPointSizeF(13)
        painter.setFont(font)
        box = self.rect().adjusted(40, 40, -40, -40)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)

    def _paint_banner(self, painter: QPainter) -> None:
        hot = self.label == "hot_dog"
        colour = HOT_DOG_GREEN if hot else NOT_HOT_DOG_RED
        band_h = max(64, int(self.height() * 0.19))
        band = QRect(0, 0, self.width(), band_h)
        painter.fillRect(band, colour)

        font = QFont(self.font())
        font.setBold(True)
        font.setWeight(QFont.Weight.Black)
        font.setPixelSize(int(band_h * 0.44))
        painter.setFont(font)
        text = "Hot dog!" if hot else "Not hot dog!"
        text_box = band.adjusted(0, 0, 0, -int(band_h * 0.34))  # room for the badge
        painter.setPen(QColor(0, 0, 0, 70))  # a soft drop shadow, as in the app
        painter.drawText(text_box.translated(2, 3), Qt.AlignmentFlag.AlignCenter, text)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(text_box, Qt.AlignmentFlag.AlignCenter, text)

        small = QFont(self.font())
        small.setPixelSize(max(12, int(band_h * 0.2)))
        small.setBold(True)
        painter.setFont(small)
        sure = f"{percent(self.confidence)} sure"
        painter.drawText(
            band.adjusted(12, 0, -12, -6),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
            sure,
        )
        self._paint_badge(painter, QPointF(self.width() / 2, band_h), band_h * 0.3, colour, hot)

    def _paint_badge(self, painter, centre: QPointF, radius: float, colour: QColor, hot: bool):
        painter.setPen(QPen(Qt.GlobalColor.white, max(3.0, radius * 0.14)))
        painter.setBrush(colour)
        painter.drawEllipse(centre, radius, radius)
        mark = QPen(Qt.GlobalColor.white, max(4.0, radius * 0.2))
        mark.setCapStyle(Qt.PenCapStyle.RoundCap)
        mark.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(mark)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        r = radius * 0.45
        path = QPainterPath()
        if hot:  # a check mark
            path.moveTo(centre + QPointF(-r, 0.05 * r))
            path.lineTo(centre + QPointF(-0.3 * r, 0.7 * r))
            path.lineTo(centre + QPointF(r, -0.6 * r))
        else:  # a cross
            path.moveTo(centre + QPointF(-0.8 * r, -0.8 * r))
            path.lineTo(centre + QPointF(0.8 * r, 0.8 * r))
            path.moveTo(centre + QPointF(0.8 * r, -0.8 * r))
            path.lineTo(centre + QPointF(-0.8 * r, 0.8 * r))
        painter.drawPath(path)

    def _paint_figures(self, painter: QPainter) -> None:
        latency = f"{self.latency_ms:.0f} ms to verdict"
        # A still picture has one verdict, no rate: show the rate only when there is one.
        rate = f"{self.verdicts_per_s:.1f} verdicts/s  ·  " if self.verdicts_per_s > 0 else ""
        text = rate + latency
        font = QFont(self.font())
        font.setPixelSize(13)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(text) + 20
        box = QRectF(10, self.height() - 34, width, 24)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 150))
        painter.drawRoundedRect(box, 6, 6)
        painter.setPen(QColor("#f0f0f0"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_toast(self, painter: QPainter) -> None:
        font = QFont(self.font())
        font.setPixelSize(15)
        font.setBold(True)
        painter.setFont(font)
        width = painter.fontMetrics().horizontalAdvance(self._toast) + 32
        box = QRectF((self.width() - width) / 2, self.height() - 80, width, 34)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(20, 20, 20, 200))
        painter.drawRoundedRect(box, 17, 17)
        painter.setPen(Qt.GlobalColor.white)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self._toast)
