"""The track headers down the left side: each track's name and its lock and eye (video) or speaker
(audio) toggles, drawn and clicked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen

from ...core.commands import EditTrack
from ...core.project import TrackKind
from .geometry import HEADER_BUTTON, HEADER_WIDTH, RULER_HEIGHT

if TYPE_CHECKING:
    from .widget import TimelineWidget


def paint_headers(view: TimelineWidget, painter: QPainter) -> None:
    painter.fillRect(QRect(0, RULER_HEIGHT, HEADER_WIDTH, view.height()), QColor("#2a2d35"))
    painter.fillRect(QRect(0, 0, HEADER_WIDTH, RULER_HEIGHT), QColor("#24272e"))
    painter.save()
    painter.setClipRect(QRect(0, RULER_HEIGHT, HEADER_WIDTH, view.height() - RULER_HEIGHT))
    painter.setFont(QFont(view.font().family(), 9))
    for index, track in enumerate(view.rows()):
        row = view.track_rect(index)
        header = QRect(0, row.top(), HEADER_WIDTH, row.height())
        if track.id == view.selected_track:
            painter.fillRect(header, QColor("#39404f"))
        painter.setPen(QColor("#3a3e48"))
        painter.drawLine(header.left(), header.bottom(), header.right(), header.bottom())
        painter.setPen(QColor("#d6dae3") if track.enabled else QColor("#7d828e"))
        name_box = QRect(6, row.top(), HEADER_WIDTH - 2 * HEADER_BUTTON - 18, row.height())
        painter.drawText(name_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, track.name)
        paint_lock(painter, view.header_button(index, "lock"), track.locked)
        box = view.header_button(index, "view")
        if track.kind is TrackKind.VIDEO:
            paint_eye(painter, box, not track.hidden)
        else:
            paint_speaker(painter, box, not track.muted)
    painter.restore()


def paint_lock(painter: QPainter, box: QRect, locked: bool) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    colour = QColor("#ffd25a") if locked else QColor("#8b909c")
    body = QRect(box.left() + 3, box.top() + 7, box.width() - 6, box.height() - 8)
    painter.fillRect(body, colour)
    painter.setPen(QPen(colour, 2))
    shackle = QRect(box.left() + 5, box.top() + 2, box.width() - 10, 10)
    painter.drawArc(shackle, 0, 180 * 16 if locked else 150 * 16)
    painter.restore()


def paint_eye(painter: QPainter, box: QRect, visible: bool) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    colour = QColor("#d6dae3") if visible else QColor("#ff6b6b")
    painter.setPen(QPen(colour, 1.5))
    painter.drawEllipse(box.adjusted(1, 4, -1, -4))
    painter.setBrush(colour)
    painter.drawEllipse(box.center(), 2, 2)
    if not visible:
        painter.drawLine(box.topLeft() + QPoint(2, 2), box.bottomRight() - QPoint(2, 2))
    painter.restore()


def paint_speaker(painter: QPainter, box: QRect, audible: bool) -> None:
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    colour = QColor("#d6dae3") if audible else QColor("#ff6b6b")
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(colour)
    x, y = box.left(), box.center().y()
    painter.drawPolygon(
        [
            QPoint(x + 2, y - 3),
            QPoint(x + 6, y - 3),
            QPoint(x + 10, y - 7),
            QPoint(x + 10, y + 7),
            QPoint(x + 6, y + 3),
            QPoint(x + 2, y + 3),
        ]
    )
    painter.setPen(QPen(colour, 1.5))
    if audible:
        painter.drawArc(QRect(x + 8, y - 5, 6, 10), -60 * 16, 120 * 16)
    else:
        painter.drawLine(x + 12, y - 4, x + 16, y + 4)
        painter.drawLine(x + 16, y - 4, x + 12, y + 4)
    painter.restore()


def on_toggle(view: TimelineWidget, index: int, pos: QPoint) -> bool:
    """Whether a point in a row's header is on (or just beside) one of its toggles."""
    return any(view.header_button(index, w).adjusted(-2, -2, 2, 2).contains(pos) for w in ("lock", "view"))


def header_press(view: TimelineWidget, pos: QPoint) -> None:
    """A click in the track headers: a toggle flips (one undoable edit), elsewhere selects the track."""
    index = view.track_at(pos.y())
    if index is None:
        return
    track = view.rows()[index]
    change = None
    if view.header_button(index, "lock").adjusted(-2, -2, 2, 2).contains(pos):
        change = EditTrack(track.id, locked=not track.locked)
        change.text = "Unlock track" if track.locked else "Lock track"
    elif view.header_button(index, "view").adjusted(-2, -2, 2, 2).contains(pos):
        if track.kind is TrackKind.VIDEO:
            change = EditTrack(track.id, hidden=not track.hidden)
            change.text = "Show track" if track.hidden else "Hide track"
        else:
            change = EditTrack(track.id, muted=not track.muted)
            change.text = "Unmute track" if track.muted else "Mute track"
    if change is not None:
        view.document.push(change)
    view.select_track(track.id)
