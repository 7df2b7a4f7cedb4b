"""Shots being generated, shown on the timeline where they will land: a hatched box with the job's
progress and its latest preview. They are not in the project (so not in undo) until the take exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QImage, QPainter, QPen

from .geometry import HEADER_WIDTH

if TYPE_CHECKING:
    from .widget import TimelineWidget


@dataclass
class Placeholder:
    """A shot being generated: drawn where it will land, with its job's progress. Not in the
    project (so not in undo) until the take exists."""

    track_id: str
    start: int
    frames: int
    label: str
    progress: float = 0.0  # 0..1
    state: str = "queued"
    preview: QImage | None = None  # the job's latest preview from the latents

    @property
    def end(self) -> int:
        return self.start + self.frames


def placeholder_rect(view: TimelineWidget, placeholder: Placeholder) -> QRect | None:
    """Where a placeholder is drawn; None once its track is gone."""
    index = view.row_of(placeholder.track_id)
    return None if index is None else view.span_rect(index, placeholder.start, placeholder.end)


def paint_placeholder(view: TimelineWidget, painter: QPainter, placeholder: Placeholder) -> None:
    rect = placeholder_rect(view, placeholder)
    if rect is None or rect.right() < HEADER_WIDTH:
        return
    painter.fillRect(rect, QBrush(QColor("#4a5570"), Qt.BrushStyle.BDiagPattern))
    if placeholder.preview is not None and not placeholder.preview.isNull():
        strip = rect.adjusted(1, 16, -1, -8)
        size = placeholder.preview.size().scaled(strip.size(), Qt.AspectRatioMode.KeepAspectRatio)
        painter.drawImage(QRect(strip.topLeft(), size), placeholder.preview)
    done = QRect(rect.left(), rect.bottom() - 5, round(rect.width() * placeholder.progress), 5)
    painter.fillRect(done, QColor("#3a6fd8"))
    painter.setPen(QPen(QColor("#8fa6d8"), 1, Qt.PenStyle.DashLine))
    painter.drawRect(rect.adjusted(0, 0, -1, -1))
    if rect.width() > 24:
        painter.setPen(QColor("#e6e9ef"))
        painter.setFont(QFont(view.font().family(), 8))
        painter.drawText(
            rect.adjusted(5, 3, -4, -8), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, placeholder.label
        )
        painter.setPen(QColor("#aab4c8"))
        painter.drawText(
            rect.adjusted(5, 3, -4, -8), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom, placeholder.state
        )
