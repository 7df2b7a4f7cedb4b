"""Drawing the time ruler along the top: timecode ticks, the viewer's in/out marks, and the
markers' flags (with a faint line down through the tracks)."""

from __future__ import annotations

from bisect import bisect_left
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from ...core.project import Marker
from .detail import spaced
from .geometry import HEADER_WIDTH, MARKER_COLOUR, RULER_HEIGHT

if TYPE_CHECKING:
    from .widget import TimelineWidget

RULER_COLOUR = QColor("#24272e")


def ruler_step(view: TimelineWidget) -> int:
    """Frames between labelled ticks: whole seconds (or frames when zoomed far in), ~80 px apart."""
    fps = max(1, round(float(view.sequence.fps)))
    for step in (1, 2, 5, 10):
        if step * view.px_per_frame >= 70:
            return step
    for seconds in (1, 2, 5, 10, 30, 60, 120, 300, 600):
        if seconds * fps * view.px_per_frame >= 70:
            return seconds * fps
    return 600 * fps


def paint_ruler(view: TimelineWidget, painter: QPainter, first: int, last: int) -> None:
    painter.fillRect(QRect(0, 0, view.width(), RULER_HEIGHT), RULER_COLOUR)
    mark_in, mark_out = view.marks
    if mark_in is not None or mark_out is not None:
        left = view.frame_to_x(mark_in or 0)
        right = view.frame_to_x(mark_out + 1) if mark_out is not None else view.width()
        painter.fillRect(QRect(left, RULER_HEIGHT - 6, max(2, right - left), 6), QColor("#7a6a2a"))
    step = ruler_step(view)
    painter.setFont(QFont(view.font().family(), 8))
    start = first - first % step
    for frame in range(start, last + step, step):
        x = view.frame_to_x(frame)
        if x < HEADER_WIDTH:
            continue
        painter.setPen(QColor("#6b7080"))
        painter.drawLine(x, RULER_HEIGHT - 8, x, RULER_HEIGHT)
        painter.setPen(QColor("#b8bcc8"))
        painter.drawText(x + 3, RULER_HEIGHT - 10, view.sequence.fps.timecode(frame))


def marker_frame(view: TimelineWidget, marker: Marker) -> int:
    """Where a marker is drawn: moved along while it is dragged."""
    drag = view.drag
    if drag is not None and drag.kind == "marker" and drag.clip_id == marker.id:
        return max(0, marker.frame + drag.delta_frames)
    return marker.frame


def paint_markers(view: TimelineWidget, painter: QPainter) -> None:
    """A flag with the name on the ruler and a faint line down through the tracks."""
    painter.setFont(QFont(view.font().family(), 8))
    line = QColor(MARKER_COLOUR)
    line.setAlpha(90)
    markers = view.sequence.markers
    dragging = view.drag is not None and view.drag.kind == "marker"
    if not dragging:  # kept sorted by frame: only those in view (a name reaches a little left)
        markers = markers[bisect_left(markers, view.scroll_frames - 1, key=lambda m: m.frame) :]
    shown = []
    for marker in markers:
        x = view.frame_to_x(marker_frame(view, marker))
        if x > view.width() and not dragging:
            break
        if HEADER_WIDTH <= x <= view.width():
            shown.append((x, marker))
    if not dragging:  # zoomed out, flags that would sit on each other are drawn once (a dragged one always)
        shown = spaced(shown, lambda entry: entry[0])
    # lines, then flags, then names: one pen and brush each, not three changes a marker
    painter.setPen(QPen(line, 1, Qt.PenStyle.DotLine))
    for x, _ in shown:
        painter.drawLine(x, RULER_HEIGHT, x, view.height())
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(MARKER_COLOUR)
    for x, _ in shown:
        painter.drawPolygon([QPoint(x - 4, 2), QPoint(x + 4, 2), QPoint(x + 4, 9), QPoint(x, 13), QPoint(x - 4, 9)])
    painter.setPen(MARKER_COLOUR.lighter(130))
    for i, (x, marker) in enumerate(shown):
        # a name needs room before the next flag (while one is dragged, every name shows, as ever)
        next_flag = shown[i + 1][0] - 4 if i + 1 < len(shown) and not dragging else view.width() * 2
        if not marker.name or next_flag - x < 20:
            continue  # zoomed out: no room, and a name under the next flag garbles both
        box = painter.fontMetrics().boundingRect(marker.name).adjusted(-2, 0, 2, 0)
        box.moveTopLeft(QPoint(x + 5, 1))
        if box.right() < next_flag:  # on a plate of the ruler's colour, so the timecode under it does not garble it
            painter.fillRect(box, RULER_COLOUR)
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter, marker.name)
    painter.setBrush(Qt.BrushStyle.NoBrush)
