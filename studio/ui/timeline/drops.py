"""Drops onto the timeline: media dragged from the bin become clips (one edit); one or two stills
dropped from the file manager are animated there."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QDropEvent

from ...core.commands import EditError, add_clip_with_sound
from ...core.project import MediaKind, TrackKind, conformed_length
from ...engine.requests import IMAGE_SUFFIXES
from ..media_bin import MEDIA_MIME

if TYPE_CHECKING:
    from .widget import TimelineWidget

STILL_SECONDS = 5  # how long a dropped still lasts, as in most editors


def dropped_stills(mime: QMimeData) -> list[Path]:
    """The one or two image files a drag from the file manager carries; [] for anything else."""
    paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
    return paths if 0 < len(paths) <= 2 and all(p.suffix.lower() in IMAGE_SUFFIXES for p in paths) else []


def accepts(mime: QMimeData) -> bool:
    return mime.hasFormat(MEDIA_MIME) or bool(dropped_stills(mime))


def drop(view: TimelineWidget, event: QDropEvent) -> None:
    """Media dragged from the bin lands where it is dropped, one clip after another, as one edit.
    One or two stills dropped from the file manager are animated there (first, and last frame)."""
    pos = event.position().toPoint()
    stills = dropped_stills(event.mimeData())
    if stills:
        view.animate_requested.emit(stills, view.x_to_frame(pos.x()))
        event.acceptProposedAction()
        return
    ids = bytes(event.mimeData().data(MEDIA_MIME)).decode().split(",")
    index = view.track_at(pos.y())
    frame = view.x_to_frame(pos.x())
    sequence = view.sequence
    commands = []
    for media_id in ids:
        item = view.document.project.media.get(media_id)
        if item is None:
            continue
        kind = TrackKind.AUDIO if item.kind is MediaKind.AUDIO else TrackKind.VIDEO
        under = view.rows()[index] if index is not None else None
        track = (
            under if under is not None and under.kind is kind else next(t for t in sequence.tracks if t.kind is kind)
        )
        still = round(float(sequence.fps) * STILL_SECONDS)
        # Another rate plays at its own speed: its length is in the sequence's frames (see core Clip).
        length = (
            still
            if item.kind is MediaKind.IMAGE
            else item.frames
            if item.kind is MediaKind.AUDIO
            else conformed_length(item.frames, item.fps, sequence.fps)
        )
        commands += add_clip_with_sound(sequence, track.id, item, frame, max(1, length))
        frame += max(1, length)
    if not commands:
        return
    try:
        view.document.push(commands, "Add clips" if len(commands) > 1 else "Add clip")
    except EditError as exc:
        view.edit_refused.emit(str(exc))
    event.acceptProposedAction()
