"""Regenerate every icon file in resources/ from resources/icons/hotdog-studio.svg.

Run from anywhere: `.venv/bin/python packaging/make_icons.py`. Renders the SVG with Qt's own
renderer (offscreen, so no display is needed) at each size, then lets Pillow pack the .ico and
.icns, which want several sizes in one file.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "hotdog-studio.svg"
NAME = "hotdog-studio"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
WINDOW_ICON_SIZE = 256


def render_svg(svg: Path, size: int) -> Image.Image:
    """The SVG drawn at size x size by QSvgRenderer, as a Pillow RGBA image."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"error: {svg} is not an SVG Qt can render")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    return Image.open(io.BytesIO(bytes(buffer.data()))).convert("RGBA")


def save_png(image: Image.Image, path: Path) -> None:
    # Palette PNGs would be smaller but band the gradients; optimize keeps it lossless.
    image.save(path, "PNG", optimize=True)


def main() -> int:
    images = {size: render_svg(SVG, size) for size in PNG_SIZES}
    for size, image in images.items():
        save_png(image, ICONS / f"{NAME}-{size}.png")
    save_png(images[WINDOW_ICON_SIZE], ROOT / "resources" / "icon.png")
    # Pillow's .ico writer scales one image down; start from each crisp render instead.
    largest_ico = images[max(ICO_SIZES)]
    largest_ico.save(
        ICONS / f"{NAME}.ico",
        format="ICO",
        sizes=[(s, s) for s in ICO_SIZES],
        append_images=[images[s] for s in ICO_SIZES if s != max(ICO_SIZES)],
    )
    # .icns: Pillow picks the sizes it needs from the base image and append_images.
    images[512].save(
        ICONS / f"{NAME}.icns",
        format="ICNS",
        append_images=[images[s] for s in (16, 32, 64, 128, 256)],
    )
    total = sum(p.stat().st_size for p in (ROOT / "resources").rglob("*") if p.is_file())
    print(
        f"wrote {len(PNG_SIZES)} PNGs, .ico, .icns and icon.png; resources/ is {total / 1024:.0f} KiB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
