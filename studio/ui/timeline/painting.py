"""Drawing the timeline: only the frames in the repainted area. The ruler, the headers and the
placeholders have their own files; this one draws the tracks, the clips on them (filmstrip or
waveform, fades, label), transitions, the selected gap, a drag's preview, and the playhead."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen

from ...core.project import Clip, MediaItem, MediaKind, Track, TrackKind, TransitionKind
from ...core.recipe import DRAFT
from ..thumbnail_loader import PEAKS_PER_SECOND
from .detail import TINY_CLIP_PX, Run, clip_runs
from .geometry import HEADER_WIDTH, RULER_HEIGHT, clips_between
from .headers import paint_headers
from .interaction import Drag, band_rect, preview_span
from .placeholders import paint_placeholder
from .ruler import paint_markers, paint_ruler

if TYPE_CHECKING:
    from .widget import TimelineWidget

SELECTED_COLOUR = QColor("#ffd25a")  # the outline of selected clips, transitions and gaps
VIDEO_FILL, AUDIO_FILL = QColor("#4b5d73"), QColor("#2f6b4f")
TRACK_FILL = {TrackKind.VIDEO: VIDEO_FILL, TrackKind.AUDIO: AUDIO_FILL}
TRANSITION_FILL = {TransitionKind.DIP: QColor(20, 22, 28, 190), TransitionKind.DISSOLVE: QColor(90, 110, 160, 200)}


def paint(view: TimelineWidget, painter: QPainter, area: QRect) -> None:
    """Everything in `area`, back to front: ruler, tracks, placeholders, markers, headers, then what
    a drag shows, and the playhead over all."""
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    if area.contains(view.rect()):
        view.thumbnails.forget_requests()  # a full repaint asks again for all it still needs
    painter.fillRect(area, QColor("#1b1d22"))
    first_frame = view.x_to_frame(max(HEADER_WIDTH, area.left()))
    last_frame = view.x_to_frame(area.right()) + 1
    paint_ruler(view, painter, first_frame, last_frame)
    painter.save()
    tracks_area = QRect(0, RULER_HEIGHT, view.width(), view.height() - RULER_HEIGHT)
    painter.setClipRect(tracks_area, Qt.ClipOperation.IntersectClip)
    for index, track in enumerate(view.rows()):
        paint_track(view, painter, index, track, first_frame, last_frame)
    for placeholder in view.placeholders.values():
        paint_placeholder(view, painter, placeholder)
    painter.restore()
    paint_markers(view, painter)
    paint_headers(view, painter)
    drag = view.drag
    if drag is not None and drag.kind == "band" and drag.moved:
        painter.setPen(QPen(QColor("#8fb4ff"), 1, Qt.PenStyle.DashLine))
        painter.fillRect(band_rect(drag), QColor(120, 160, 255, 40))
        painter.drawRect(band_rect(drag))
    if drag is not None and drag.moved and view.readout_text:
        paint_readout(view, painter, drag)
    x = view.frame_to_x(view.playhead)
    if x >= HEADER_WIDTH:
        painter.setPen(QPen(QColor("#ff4d4d"), 2))
        painter.drawLine(x, 0, x, view.height())
        painter.setBrush(QColor("#ff4d4d"))
        painter.drawPolygon([QPoint(x - 6, 0), QPoint(x + 6, 0), QPoint(x, 9)])


def paint_readout(view: TimelineWidget, painter: QPainter, drag: Drag) -> None:
    """The drag's offset and length in a box just above the pointer, kept inside the widget."""
    metrics = painter.fontMetrics()
    box = metrics.boundingRect(view.readout_text).adjusted(-6, -3, 6, 3)
    box.moveTo(
        min(max(HEADER_WIDTH, drag.x + 12), view.width() - box.width() - 2),
        max(RULER_HEIGHT, drag.y - box.height() - 10),
    )
    painter.fillRect(box, QColor(20, 22, 26, 230))
    painter.setPen(QColor("#e8e8e8"))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, view.readout_text)


def paint_track(view: TimelineWidget, painter: QPainter, index: int, track: Track, first: int, last: int) -> None:
    row = view.track_rect(index)
    if row.bottom() < RULER_HEIGHT or row.top() > view.height():
        return
    painter.fillRect(row, QColor("#20232a" if index % 2 else "#1d2026"))
    painter.setPen(QColor("#2c3038"))
    painter.drawLine(row.left(), row.bottom(), row.right(), row.bottom())
    painter.save()
    if not track.enabled:
        painter.setOpacity(0.35)  # hidden or muted: still there to edit, but out of the cut
    paint_clips(view, painter, index, track, first, last)
    painter.restore()
    if track.locked:
        painter.fillRect(row, QBrush(QColor(200, 200, 200, 60), Qt.BrushStyle.FDiagPattern))


def paint_clips(view: TimelineWidget, painter: QPainter, index: int, track: Track, first: int, last: int) -> None:
    """A row's clips where the drag under way will put them, then its transitions and selected gap."""
    drag = view.drag
    if drag is None or not drag.moved or drag.kind in ("scrub", "marker", "band"):
        # Every clip is where the model says: only those in the painted range are looked at.
        paint_static_clips(view, painter, index, track, clips_between(track, first, last))
    else:
        paint_dragged_clips(view, painter, index, track, drag, first, last)
    if (
        drag is not None
        and drag.moved
        and drag.kind == "move"
        and drag.target_track_id == track.id
        and drag.track_id != track.id
    ):
        _, clip = view.sequence.find_clip(drag.clip_id)
        paint_clip(view, painter, view.clip_rect(index, clip, clip.start + drag.delta_frames), track, clip, True)
    paint_transitions(view, painter, index, track, first, last)
    gap = view.selected_gap
    if gap is not None and gap[0] == track.id:
        row = view.track_rect(index)
        rect = QRect(
            view.frame_to_x(gap[1]), row.top() + 3, view.frame_to_x(gap[2]) - view.frame_to_x(gap[1]), row.height() - 6
        )
        painter.fillRect(rect, QColor(255, 210, 90, 50))
        painter.setPen(QPen(SELECTED_COLOUR, 1, Qt.PenStyle.DashLine))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))


def paint_dragged_clips(
    view: TimelineWidget, painter: QPainter, index: int, track: Track, drag: Drag, first: int, last: int
) -> None:
    """Every clip of the row where the drag under way will put it (a carried clip may come from
    outside the painted range)."""
    for clip in track.clips:
        start, end = preview_span(drag, track, clip)
        carried = drag.kind == "move" and clip.id in drag.moving
        if carried and drag.target_track_id != track.id and clip.id == drag.clip_id:
            continue  # a single clip moving to another track is drawn there, below
        if not carried and (end < first or start > last):
            continue  # outside the painted range
        rect = view.clip_rect(index, clip, start)
        rect.setRight(view.frame_to_x(end))
        paint_clip(view, painter, rect, track, clip, clip.id in view.selection)
        if drag.kind == "slip" and clip.id == drag.clip_id:
            painter.setPen(SELECTED_COLOUR)
            painter.drawText(
                rect.adjusted(5, 3, -4, -3),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                f"slip {-drag.delta_frames:+d}",
            )


def paint_static_clips(view: TimelineWidget, painter: QPainter, index: int, track: Track, clips: list[Clip]) -> None:
    """Clips with no drag moving them. Zoomed out, runs of clips a few pixels wide are one block
    (drawing each would cost a thousand outlines no one can see); a selected one is drawn on top."""
    on_top = []
    for entry in clip_runs(clips, view.px_per_frame, view.scroll_frames, view.selection):
        if isinstance(entry, Run):
            paint_run(view, painter, index, track, entry)
            continue
        rect = view.clip_rect(index, entry)
        rect.setRight(view.frame_to_x(entry.end))  # to the next clip's first pixel, as clips always were
        if entry.id in view.selection and rect.width() < TINY_CLIP_PX:
            on_top.append((rect, entry))  # after the runs beside it, which would cover its outline
        else:
            paint_clip(view, painter, rect, track, entry, entry.id in view.selection)
    for rect, clip in on_top:
        paint_clip(view, painter, rect, track, clip, True)


def paint_run(view: TimelineWidget, painter: QPainter, index: int, track: Track, run: Run) -> None:
    """Adjacent tiny clips as one block in the track's colour: their own colours (offline,
    generated) would need each clip's media looked up, the cost this block saves."""
    row = view.track_rect(index)
    rect = QRect(run.left, row.top() + 3, run.right - run.left + 1, row.height() - 6)
    fill = TRACK_FILL[track.kind]
    painter.fillRect(rect, fill)
    painter.setPen(fill.lighter(140))
    painter.drawRect(rect.adjusted(0, 0, -1, -1))


def paint_transitions(view: TimelineWidget, painter: QPainter, index: int, track: Track, first: int, last: int) -> None:
    """Each transition in the painted range as a band over its frames: a cross for a dissolve,
    a V for a dip to black."""
    if view.drag is not None and view.drag.moved:
        return  # the clips are drawn where the drag will put them; the transitions follow on release
    drawn_to = -1  # the right edge of the last tiny transition drawn
    for transition, _, _, cut in track.live_transitions():
        start, end = transition.window(cut)
        if end < first or start > last:
            continue
        rect = view.transition_rect(index, transition, cut)
        selected = view.selected_transition == (track.id, transition.id)
        if not selected and view.frame_to_x(end) - view.frame_to_x(start) < TINY_CLIP_PX:
            # zoomed out: a mark where it is, no outline or cross, and none over the last one
            if rect.left() > drawn_to:
                painter.fillRect(rect, TRANSITION_FILL[transition.kind])
                drawn_to = rect.right()
            continue
        painter.fillRect(rect, TRANSITION_FILL[transition.kind])
        painter.setPen(QPen(SELECTED_COLOUR if selected else QColor("#d8dde8"), 2 if selected else 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        inner = rect.adjusted(2, 2, -3, -3)
        if transition.kind is TransitionKind.DIP:
            painter.drawLine(inner.topLeft(), QPoint(inner.center().x(), inner.bottom()))
            painter.drawLine(QPoint(inner.center().x(), inner.bottom()), inner.topRight())
        else:
            painter.drawLine(inner.topLeft(), inner.bottomRight())
            painter.drawLine(inner.bottomLeft(), inner.topRight())


def paint_clip(view: TimelineWidget, painter: QPainter, rect: QRect, track: Track, clip: Clip, selected: bool) -> None:
    """One clip in `rect`: its colour (generated, imported, audio, offline), a filmstrip or waveform,
    its fades, its outline, and its name and length."""
    project = view.document.project
    item = project.media.get(clip.media_id)
    offline = item is None or project.is_offline(item)
    if offline:
        fill = QColor("#7a2a2a")
    elif track.kind is TrackKind.AUDIO:
        fill = AUDIO_FILL
    else:
        fill = QColor("#3d5a8c") if item and item.is_generated else VIDEO_FILL
    painter.fillRect(rect, fill)
    if view.show_thumbnails and not offline and track.kind is TrackKind.VIDEO:
        aspect = item.width / item.height if item.width and item.height else 16 / 9
        paint_filmstrip(view, painter, rect, clip, project.media_path(item), aspect)
    elif not offline and track.kind is TrackKind.AUDIO and item.kind is not MediaKind.IMAGE:
        paint_waveform(view, painter, rect, clip, item)
    if clip.fade_in or clip.fade_out:
        paint_fades(view, painter, rect, clip)
    painter.setPen(QPen(SELECTED_COLOUR if selected else fill.lighter(140), 2 if selected else 1))
    painter.drawRect(rect.adjusted(0, 0, -1, -1))
    if rect.width() > 24:
        painter.setPen(QColor("#f0f2f5"))
        painter.setFont(QFont(view.font().family(), 8))
        label = (item.name if item else "missing media") + (" (offline)" if offline else "")
        if item is not None and item.recipe is not None and item.recipe.quality == DRAFT:
            label = f"Draft · {label}"  # a quick look, to refine into the full take
        painter.drawText(rect.adjusted(5, 3, -4, -3), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)
        painter.setPen(QColor("#c9cfda"))
        painter.drawText(
            rect.adjusted(5, 3, -4, -3),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
            view.sequence.fps.timecode(clip.duration),
        )


def paint_fades(view: TimelineWidget, painter: QPainter, rect: QRect, clip: Clip) -> None:
    """A fade as a shaded triangle over the clip's first or last frames."""
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 130))
    if clip.fade_in:
        x = min(rect.right(), rect.left() + round(clip.fade_in * view.px_per_frame))
        painter.drawPolygon([rect.topLeft(), QPoint(x, rect.top()), rect.bottomLeft()])
    if clip.fade_out:
        x = max(rect.left(), rect.right() - round(clip.fade_out * view.px_per_frame))
        painter.drawPolygon([QPoint(x, rect.top()), rect.topRight(), rect.bottomRight()])
    painter.setBrush(Qt.BrushStyle.NoBrush)


def paint_filmstrip(
    view: TimelineWidget, painter: QPainter, rect: QRect, clip: Clip, path: Path, aspect: float
) -> None:
    """Thumbnails side by side along the clip, each of the frame under its left edge; only the
    visible ones are asked for."""
    strip = rect.adjusted(1, 16, -1, -16)
    if strip.height() < 12 or strip.width() < 8:
        return
    height = strip.height()
    width = max(8, round(height * aspect))
    first = max(strip.left(), HEADER_WIDTH)
    x = strip.left() + max(0, (first - strip.left()) // width) * width
    painter.save()
    painter.setClipRect(strip)
    while x < min(strip.right(), view.width()):
        source = clip.source_frame(view.x_to_frame(x)) if x > strip.left() else clip.source_in
        frames_per_thumb = max(1, round(width / view.px_per_frame))
        source = max(clip.source_in, min(clip.source_out - 1, source - source % frames_per_thumb))
        image = view.thumbnails.get(path, source, height)
        if image is not None and not image.isNull():
            target = QRect(x, strip.top(), min(width, image.width() * height // max(1, image.height())), height)
            painter.drawImage(target, image)
        x += width
    painter.restore()


def paint_waveform(view: TimelineWidget, painter: QPainter, rect: QRect, clip: Clip, item: MediaItem) -> None:
    """The clip's sound as a bar per pixel, mirrored about the middle, for the visible part only."""
    wave = view.waveforms.get(view.document.project.media_path(item))
    area = rect.adjusted(1, 14, -1, -14)
    if wave is None or len(wave) == 0 or area.height() < 6 or area.width() < TINY_CLIP_PX:
        return
    media_fps = float(item.fps)
    middle, half = area.center().y(), area.height() / 2
    painter.save()
    painter.setClipRect(area)
    painter.setPen(QColor("#9fe0bf"))
    for x in range(max(area.left(), HEADER_WIDTH), min(area.right(), view.width()) + 1):
        # the stretch of media one pixel covers, in peak buckets
        first = clip.source_in + (x - rect.left()) / view.px_per_frame
        last = first + 1 / view.px_per_frame
        lo = int(first / media_fps * PEAKS_PER_SECOND)
        hi = max(lo + 1, int(last / media_fps * PEAKS_PER_SECOND))
        if lo >= len(wave):
            break
        height = round(float(wave[lo:hi].max()) * half)
        painter.drawLine(x, middle - height, x, middle + height)
    painter.restore()
