"""Studio's icon, drawn: a film frame with a play mark on a rounded dark tile. Drawing it (shapes only, no
text, so no QGuiApplication is needed) keeps the launcher free of data files; installers/launcher/studio.png
is this drawing at 256x256 for the packaging (PyInstaller's --icon, the .ico and .icns).

    python -m installers.launcher.icon OUT.png [SIZE]
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath, QPolygonF


def draw_icon(size: int = 256) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    u = size / 256  # drawn on a 256 grid
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor("#1d2330")))
    painter.drawRoundedRect(QRectF(8 * u, 8 * u, 240 * u, 240 * u), 44 * u, 44 * u)
    # the film strip: a band with sprocket holes above and below the frame
    painter.setBrush(QBrush(QColor("#e8eaef")))
    strip = QPainterPath()
    strip.addRoundedRect(QRectF(36 * u, 64 * u, 184 * u, 128 * u), 14 * u, 14 * u)
    holes = QPainterPath()
    for i in range(6):
        x = (48 + i * 28) * u
        holes.addRoundedRect(QRectF(x, 72 * u, 16 * u, 12 * u), 3 * u, 3 * u)
        holes.addRoundedRect(QRectF(x, 172 * u, 16 * u, 12 * u), 3 * u, 3 * u)
    frame = QPainterPath()
    frame.addRoundedRect(QRectF(48 * u, 92 * u, 160 * u, 72 * u), 8 * u, 8 * u)
    painter.drawPath(strip.subtracted(holes).subtracted(frame))
    painter.setBrush(QBrush(QColor("#ff7a45")))  # the play mark, the one warm colour
    painter.drawPolygon(QPolygonF([QPointF(114 * u, 104 * u), QPointF(114 * u, 152 * u), QPointF(150 * u, 128 * u)]))
    painter.end()
    return image


def write_icon(path: Path, size: int = 256) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not draw_icon(size).save(str(path)):  # PNG: Qt reads the format from the name
        raise OSError(f"the icon could not be written to {path}")
    return path


if __name__ == "__main__":
    write_icon(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 256)
