"""The timeline: tracks drawn to scale under a time ruler, with a playhead.

A custom-painted widget that paints only the visible frame range. Mouse drags preview on the
widget and become exactly one edit command when the button is released.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from ..core.commands import (
    EditError,
    EditMarker,
    EditTrack,
    MoveClip,
    RippleTrim,
    RollEdit,
    SlipClip,
    TrimClip,
    add_clip_with_sound,
)
from ..core.project import (
    Clip,
    Marker,
    MediaKind,
    Track,
    TrackKind,
    Transition,
    TransitionKind,
    conformed_length,
)
from ..engine.requests import IMAGE_SUFFIXES
from .document import Document
from .media_bin import MEDIA_MIME
from .thumbnail_loader import PEAKS_PER_SECOND, ThumbnailLoader, WaveformLoader

RULER_HEIGHT = 26
TRACK_HEIGHT = 58
HEADER_WIDTH = 118
HEADER_BUTTON = 16  # the lock and eye/speaker toggles in a track's header
TRANSITION_HEIGHT = 16  # the band a transition is drawn in, through the middle of its track
EDGE_GRAB = 6  # pixels either side of a clip edge that grab the edge for trimming
MIN_PX_PER_FRAME, MAX_PX_PER_FRAME = 0.05, 40.0
SNAP_PIXELS = 8  # how near an edge must come to a snap target to jump onto it
STILL_SECONDS = 5  # how long a dropped still lasts, as in most editors
MARKER_GRAB = 5  # pixels either side of a marker's flag on the ruler that grab it
MARKER_COLOUR = QColor("#3fc1a5")


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


@dataclass
class _Drag:
    # "move", "left", "right" (trim), "ripple-left", "ripple-right", "roll", "slip", "scrub", "marker", "band"
    kind: str
    clip_id: str = ""  # the dragged clip's id (for a roll, the clip left of the cut), or the dragged marker's
    track_id: str = ""
    press_x: int = 0
    press_y: int = 0
    delta_frames: int = 0
    target_track_id: str = ""
    moved: bool = False
    moving: frozenset[str] = frozenset()  # the clips a move carries (the selection)
    other_id: str = ""  # a roll's clip right of the cut
    x: int = 0  # the pointer now (rubber band)
    y: int = 0


def clips_between(track: Track, first: float, last: float) -> list[Clip]:
    """The clips of a track that reach into the frames [first, last]: found by bisection, since a
    track's clips are sorted and never overlap (so their ends are sorted too)."""
    clips = track.clips
    start = bisect_left(clips, first, key=lambda clip: clip.end)
    stop = bisect_right(clips, last, lo=start, key=lambda clip: clip.start)
    return clips[start:stop]


class TimelineWidget(QWidget):
    playhead_moved = Signal(int)
    selection_changed = Signal(object)  # clip id or None
    edit_refused = Signal(str)
    track_rename_requested = Signal(str)  # track id: its name was double-clicked
    gap_selected = Signal(object)  # (track id, start, end) of a clicked gap, or None when it is deselected
    extend_requested = Signal(str, str, int)  # clip id, "left" or "right", frames beyond its media
    animate_requested = Signal(list, int)  # still image paths (first, optional last), timeline frame
    readout = Signal(str)  # while a clip is dragged: how far and how long ("" when the drag ends)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.px_per_frame = 4.0
        self.scroll_frames = 0.0  # the frame at the left edge of the track area
        self.scroll_y = 0  # pixels the tracks are scrolled up under the ruler (Shift+wheel)
        self.selected_track: str | None = None  # the track whose header was clicked last
        self.playhead = 0
        self.selected: str | None = None  # the clip clicked last (the inspector shows it)
        self.selection: set[str] = set()  # every selected clip; includes `selected`
        self.selected_gap: tuple[str, int, int] | None = None  # (track id, start, end) of a clicked gap
        self.selected_transition: tuple[str, str] | None = None  # (track id, transition id) clicked last
        self._drag: _Drag | None = None
        self.readout_text = ""  # the dragged clip's offset and length, drawn by the pointer
        self.placeholders: dict[str, Placeholder] = {}  # job id -> where its shot will land
        self.marks: tuple[int | None, int | None] = (None, None)  # the viewer's in and out points
        self.thumbnails = ThumbnailLoader(parent=self)
        self.thumbnails.cache_dir = document.cache_dir / "thumbnails"
        self.thumbnails.ready.connect(self.update)
        self.waveforms = WaveformLoader(max_images=200, parent=self)
        self.waveforms.cache_dir = document.cache_dir / "waveforms"
        self.waveforms.ready.connect(self.update)
        self.show_thumbnails = True
        self.snapping = True  # drags snap to the playhead, marks and clip edges (View → Snapping)
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(RULER_HEIGHT + 2 * TRACK_HEIGHT + 8)
        self.setToolTip("Click to select (Shift: add) · drag to move · drag an edge to trim (Ctrl: ripple, "
                        "Alt: roll) · Alt+drag a clip to slip · Ctrl+wheel to zoom")
        document.changed.connect(self._on_changed)
        document.replaced.connect(self._on_replaced)

    # Geometry

    @property
    def sequence(self):
        return self.document.project.sequence

    def sizeHint(self) -> QSize:
        return QSize(900, RULER_HEIGHT + len(self.sequence.tracks) * TRACK_HEIGHT + 8)

    def rows(self) -> list[Track]:
        """The tracks top to bottom as editors stack them: the highest video track first, then the
        audio tracks in order."""
        video = [t for t in self.sequence.tracks if t.kind is TrackKind.VIDEO]
        return video[::-1] + [t for t in self.sequence.tracks if t.kind is not TrackKind.VIDEO]

    def row_of(self, track_id: str) -> int | None:
        return next((i for i, t in enumerate(self.rows()) if t.id == track_id), None)

    def _max_scroll_y(self) -> int:
        return max(0, RULER_HEIGHT + len(self.sequence.tracks) * TRACK_HEIGHT + 8 - self.height())

    def frame_to_x(self, frame: float) -> int:
        return HEADER_WIDTH + round((frame - self.scroll_frames) * self.px_per_frame)

    def x_to_frame(self, x: float) -> int:
        return max(0, round((x - HEADER_WIDTH) / self.px_per_frame + self.scroll_frames))

    def track_rect(self, index: int) -> QRect:
        top = RULER_HEIGHT + index * TRACK_HEIGHT - self.scroll_y
        return QRect(HEADER_WIDTH, top, self.width() - HEADER_WIDTH, TRACK_HEIGHT)

    def clip_rect(self, track_index: int, clip: Clip, start: int | None = None) -> QRect:
        start = clip.start if start is None else start
        row = self.track_rect(track_index)
        left, right = self.frame_to_x(start), self.frame_to_x(start + clip.duration)
        return QRect(left, row.top() + 3, max(2, right - left), row.height() - 6)

    def track_at(self, y: int) -> int | None:
        """The row (an index into rows()) under a y position."""
        index = (y - RULER_HEIGHT + self.scroll_y) // TRACK_HEIGHT
        return index if y >= RULER_HEIGHT and 0 <= index < len(self.sequence.tracks) else None

    def header_button(self, index: int, which: str) -> QRect:
        """The header toggles of a row: "lock", and "view" (the eye of a video track, the speaker of
        an audio track)."""
        row = self.track_rect(index)
        right = HEADER_WIDTH - 6 - (0 if which == "lock" else HEADER_BUTTON + 4)
        return QRect(right - HEADER_BUTTON, row.center().y() - HEADER_BUTTON // 2, HEADER_BUTTON, HEADER_BUTTON)

    def transition_rect(self, track_index: int, transition: Transition, cut: int) -> QRect:
        """The band a transition is drawn in: across its frames, through the middle of the row."""
        row = self.track_rect(track_index)
        first, end = transition.window(cut)
        left, right = self.frame_to_x(first), self.frame_to_x(end)
        return QRect(left, row.center().y() - TRANSITION_HEIGHT // 2, max(EDGE_GRAB, right - left), TRANSITION_HEIGHT)

    def transition_hit(self, pos: QPoint) -> tuple[Track, Transition] | None:
        """The transition whose band is under a point (it takes the click before the clips under it)."""
        index = self.track_at(pos.y())
        if index is None or pos.x() < HEADER_WIDTH:
            return None
        track = self.rows()[index]
        for transition, _, _, cut in track.live_transitions():
            if self.transition_rect(index, transition, cut).contains(pos):
                return track, transition
        return None

    def hit(self, pos: QPoint) -> tuple[Track, Clip, str] | None:
        """The clip under a point, and whether the point grabs its left edge, right edge or body."""
        index = self.track_at(pos.y())
        if index is None or pos.x() < HEADER_WIDTH:
            return None
        track = self.rows()[index]
        margin = EDGE_GRAB / self.px_per_frame + 1
        at = (pos.x() - HEADER_WIDTH) / self.px_per_frame + self.scroll_frames
        for clip in clips_between(track, at - margin, at + margin):
            rect = self.clip_rect(index, clip)
            if rect.left() - EDGE_GRAB <= pos.x() <= rect.right() + EDGE_GRAB:
                if abs(pos.x() - rect.left()) <= EDGE_GRAB:
                    return track, clip, "left"
                if abs(pos.x() - rect.right()) <= EDGE_GRAB:
                    return track, clip, "right"
                if rect.left() <= pos.x() <= rect.right():
                    return track, clip, "move"
        return None

    # Zoom and playhead

    def set_zoom(self, px_per_frame: float, anchor_frame: float | None = None) -> None:
        anchor = self.playhead if anchor_frame is None else anchor_frame
        anchor_x = self.frame_to_x(anchor)
        self.px_per_frame = min(MAX_PX_PER_FRAME, max(MIN_PX_PER_FRAME, px_per_frame))
        self.scroll_frames = max(0.0, anchor - (anchor_x - HEADER_WIDTH) / self.px_per_frame)
        self.update()

    def zoom_in(self) -> None:
        self.set_zoom(self.px_per_frame * 1.5)

    def zoom_out(self) -> None:
        self.set_zoom(self.px_per_frame / 1.5)

    def zoom_to_fit(self) -> None:
        duration = max(self.sequence.duration, int(float(self.sequence.fps) * 5))
        self.scroll_frames = 0.0
        self.set_zoom((self.width() - HEADER_WIDTH - 20) / duration, 0)

    def set_playhead(self, frame: int) -> None:
        frame = max(0, int(frame))
        if frame == self.playhead:
            return
        old_x, self.playhead = self.frame_to_x(self.playhead), frame
        new_x = self.frame_to_x(frame)
        # Only the two thin strips where the playhead was and is now need painting.
        self.update(QRect(old_x - 6, 0, 13, self.height()))
        self.update(QRect(new_x - 6, 0, 13, self.height()))
        self.playhead_moved.emit(frame)

    def select(self, clip_id: str | None, add: bool = False) -> None:
        """Select one clip (None: nothing); with add, toggle it in the selection (shift-click)."""
        if add and clip_id is not None:
            if clip_id in self.selection:
                self.selection.discard(clip_id)
                clip_id = self.selected if self.selected in self.selection else next(iter(self.selection), None)
            else:
                self.selection.add(clip_id)
            self._set_selection(self.selection, clip_id)
        else:
            self._set_selection({clip_id} if clip_id else set(), clip_id)

    def select_clips(self, clip_ids) -> None:
        """Select several clips at once (rubber band, select all, paste)."""
        ids = set(clip_ids)
        first = min(ids, key=lambda i: self.sequence.find_clip(i)[1].start) if ids else None
        self._set_selection(ids, first)

    def select_transition(self, track_id: str, transition_id: str) -> None:
        """Select one transition (Delete removes it); clips and gaps are deselected."""
        self._set_selection(set(), None)
        self.selected_transition = (track_id, transition_id)
        self.update()

    def _set_selection(self, ids: set[str], primary: str | None) -> None:
        changed = primary != self.selected
        had_gap = self.selected_gap is not None
        self.selected_transition = None
        self.selection, self.selected, self.selected_gap = set(ids), primary, None
        self.update()
        if changed:
            self.selection_changed.emit(primary)
        if had_gap:
            self.gap_selected.emit(None)

    @staticmethod
    def _is_gap(track: Track, start: int, end: int) -> bool:
        """Whether [start, end) is still exactly an empty stretch ended by a clip."""
        before = max((c.end for c in track.clips if c.end <= start), default=0)
        return before == start and any(c.start == end for c in track.clips)

    def select_gap(self, track: Track, frame: int) -> bool:
        """Select the empty stretch of a track around a frame, between two clips (or the start and a
        clip); False where there is no clip after it."""
        if track.clip_at(frame) is not None:
            return False
        before = max((c.end for c in track.clips if c.end <= frame), default=0)
        after = min((c.start for c in track.clips if c.start > frame), default=None)
        if after is None:
            return False
        self._set_selection(set(), None)
        self.selected_gap = (track.id, before, after)
        self.gap_selected.emit(self.selected_gap)
        return True

    def select_track(self, track_id: str | None) -> None:
        if track_id != self.selected_track:
            self.selected_track = track_id
            self.update(QRect(0, 0, HEADER_WIDTH, self.height()))

    def current_track(self) -> Track:
        """The track track commands act on: the clicked header's, else the selected clip's, else V1."""
        for track_id in (self.selected_track, self.selected and self.sequence.find_clip(self.selected)[0].id):
            if track_id:
                try:
                    return self.sequence.track(track_id)
                except KeyError:
                    pass
        return self.sequence.video_tracks()[0]

    # Model changes

    def _on_changed(self) -> None:
        if self.selected_track and all(t.id != self.selected_track for t in self.sequence.tracks):
            self.selected_track = None
        self.scroll_y = min(self.scroll_y, self._max_scroll_y())
        present = {c.id for t in self.sequence.tracks for c in t.clips}
        if not self.selection <= present:
            kept = self.selection & present
            self._set_selection(kept, self.selected if self.selected in kept else next(iter(kept), None))
        if self.selected_transition is not None:
            track_id, transition_id = self.selected_transition
            track = next((t for t in self.sequence.tracks if t.id == track_id), None)
            transition = track.find_transition(transition_id) if track is not None else None
            if transition is None or track.cut_of(transition) is None:
                self.selected_transition = None
        if self.selected_gap is not None:
            track_id, start, end = self.selected_gap
            track = next((t for t in self.sequence.tracks if t.id == track_id), None)
            if track is None or track.overlaps(start, end) or not self._is_gap(track, start, end):
                self.selected_gap = None
                self.gap_selected.emit(None)
        self.updateGeometry()
        self.update()

    def _on_replaced(self) -> None:
        self.thumbnails.cache_dir = self.document.cache_dir / "thumbnails"
        self.waveforms.cache_dir = self.document.cache_dir / "waveforms"
        self.selected = None
        self.selection = set()
        self.selected_gap = None
        self.selected_transition = None
        self.selected_track = None
        self.scroll_y = 0
        self.playhead = 0
        self.scroll_frames = 0
        self._on_changed()
        self.playhead_moved.emit(0)

    # Painting

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        clip_area = event.rect()
        if clip_area.contains(self.rect()):
            self.thumbnails.forget_requests()  # a full repaint asks again for all it still needs
        painter.fillRect(clip_area, QColor("#1b1d22"))
        first_frame = self.x_to_frame(max(HEADER_WIDTH, clip_area.left()))
        last_frame = self.x_to_frame(clip_area.right()) + 1
        self._paint_ruler(painter, first_frame, last_frame)
        painter.save()
        tracks_area = QRect(0, RULER_HEIGHT, self.width(), self.height() - RULER_HEIGHT)
        painter.setClipRect(tracks_area, Qt.ClipOperation.IntersectClip)
        for index, track in enumerate(self.rows()):
            self._paint_track(painter, index, track, first_frame, last_frame)
        for placeholder in self.placeholders.values():
            self._paint_placeholder(painter, placeholder)
        painter.restore()
        self._paint_markers(painter)
        self._paint_headers(painter)
        if self._drag is not None and self._drag.kind == "band" and self._drag.moved:
            painter.setPen(QPen(QColor("#8fb4ff"), 1, Qt.PenStyle.DashLine))
            painter.fillRect(self.band_rect(self._drag), QColor(120, 160, 255, 40))
            painter.drawRect(self.band_rect(self._drag))
        if self._drag is not None and self._drag.moved and self.readout_text:
            self._paint_readout(painter, self._drag)
        x = self.frame_to_x(self.playhead)
        if x >= HEADER_WIDTH:
            painter.setPen(QPen(QColor("#ff4d4d"), 2))
            painter.drawLine(x, 0, x, self.height())
            painter.setBrush(QColor("#ff4d4d"))
            painter.drawPolygon([QPoint(x - 6, 0), QPoint(x + 6, 0), QPoint(x, 9)])

    def _paint_readout(self, painter: QPainter, drag: _Drag) -> None:
        """The drag's offset and length in a box just above the pointer, kept inside the widget."""
        metrics = painter.fontMetrics()
        box = metrics.boundingRect(self.readout_text).adjusted(-6, -3, 6, 3)
        box.moveTo(min(max(HEADER_WIDTH, drag.x + 12), self.width() - box.width() - 2),
                   max(RULER_HEIGHT, drag.y - box.height() - 10))
        painter.fillRect(box, QColor(20, 22, 26, 230))
        painter.setPen(QColor("#e8e8e8"))
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.readout_text)

    def drag_readout(self, drag: _Drag) -> str:
        """What a clip drag does so far, e.g. "+00:00:01:05  duration 00:00:04:12"."""
        _, clip = self.sequence.find_clip(drag.clip_id)
        fps, d = self.sequence.fps, drag.delta_frames
        offset = ("+" if d >= 0 else "") + fps.timecode(d)
        if drag.kind == "move":
            return f"{offset}  start {fps.timecode(clip.start + d)}"
        if drag.kind == "slip":
            return f"{offset}  source in {fps.timecode(clip.source_in - d)}"
        grows = 1 if drag.kind in ("right", "ripple-right", "roll") else -1
        return f"{offset}  duration {fps.timecode(max(0, clip.duration + grows * d))}"

    def _ruler_step(self) -> int:
        """Frames between labelled ticks: whole seconds (or frames when zoomed far in), ~80 px apart."""
        fps = max(1, round(float(self.sequence.fps)))
        for step in (1, 2, 5, 10):
            if step * self.px_per_frame >= 70:
                return step
        for seconds in (1, 2, 5, 10, 30, 60, 120, 300, 600):
            if seconds * fps * self.px_per_frame >= 70:
                return seconds * fps
        return 600 * fps

    def set_marks(self, mark_in: int | None, mark_out: int | None) -> None:
        self.marks = (mark_in, mark_out)
        self.update(QRect(0, 0, self.width(), RULER_HEIGHT))

    def _paint_ruler(self, painter: QPainter, first: int, last: int) -> None:
        painter.fillRect(QRect(0, 0, self.width(), RULER_HEIGHT), QColor("#24272e"))
        mark_in, mark_out = self.marks
        if mark_in is not None or mark_out is not None:
            left = self.frame_to_x(mark_in or 0)
            right = self.frame_to_x(mark_out + 1) if mark_out is not None else self.width()
            painter.fillRect(QRect(left, RULER_HEIGHT - 6, max(2, right - left), 6), QColor("#7a6a2a"))
        step = self._ruler_step()
        painter.setFont(QFont(self.font().family(), 8))
        start = first - first % step
        for frame in range(start, last + step, step):
            x = self.frame_to_x(frame)
            if x < HEADER_WIDTH:
                continue
            painter.setPen(QColor("#6b7080"))
            painter.drawLine(x, RULER_HEIGHT - 8, x, RULER_HEIGHT)
            painter.setPen(QColor("#b8bcc8"))
            painter.drawText(x + 3, RULER_HEIGHT - 10, self.sequence.fps.timecode(frame))

    def _marker_frame(self, marker: Marker) -> int:
        """Where a marker is drawn: moved along while it is dragged."""
        drag = self._drag
        if drag is not None and drag.kind == "marker" and drag.clip_id == marker.id:
            return max(0, marker.frame + drag.delta_frames)
        return marker.frame

    def _paint_markers(self, painter: QPainter) -> None:
        """A flag with the name on the ruler and a faint line down through the tracks."""
        painter.setFont(QFont(self.font().family(), 8))
        line = QColor(MARKER_COLOUR)
        line.setAlpha(90)
        markers = self.sequence.markers
        dragging = self._drag is not None and self._drag.kind == "marker"
        if not dragging:  # kept sorted by frame: only those in view (a name reaches a little left)
            markers = markers[bisect_left(markers, self.scroll_frames - 1, key=lambda m: m.frame):]
        for marker in markers:
            x = self.frame_to_x(self._marker_frame(marker))
            if x > self.width() and not dragging:
                break
            if x < HEADER_WIDTH or x > self.width():
                continue
            painter.setPen(QPen(line, 1, Qt.PenStyle.DotLine))
            painter.drawLine(x, RULER_HEIGHT, x, self.height())
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(MARKER_COLOUR)
            painter.drawPolygon([QPoint(x - 4, 2), QPoint(x + 4, 2), QPoint(x + 4, 9), QPoint(x, 13), QPoint(x - 4, 9)])
            if marker.name:  # on a plate of the ruler's colour, so the timecode under it does not garble it
                box = painter.fontMetrics().boundingRect(marker.name).adjusted(-2, 0, 2, 0)
                box.moveTopLeft(QPoint(x + 5, 1))
                painter.fillRect(box, QColor("#24272e"))
                painter.setPen(MARKER_COLOUR.lighter(130))
                painter.drawText(box, Qt.AlignmentFlag.AlignCenter, marker.name)
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def marker_near(self, x: int) -> Marker | None:
        """The marker whose flag is within MARKER_GRAB pixels of x on the ruler."""
        best = None
        for marker in self.sequence.markers:
            distance = abs(self.frame_to_x(marker.frame) - x)
            if distance <= MARKER_GRAB and (best is None or distance < best[0]):
                best = (distance, marker)
        return None if best is None else best[1]

    def _paint_track(self, painter: QPainter, index: int, track: Track, first: int, last: int) -> None:
        row = self.track_rect(index)
        if row.bottom() < RULER_HEIGHT or row.top() > self.height():
            return
        painter.fillRect(row, QColor("#20232a" if index % 2 else "#1d2026"))
        painter.setPen(QColor("#2c3038"))
        painter.drawLine(row.left(), row.bottom(), row.right(), row.bottom())
        painter.save()
        if not track.enabled:
            painter.setOpacity(0.35)  # hidden or muted: still there to edit, but out of the cut
        self._paint_clips(painter, index, track, first, last)
        painter.restore()
        if track.locked:
            painter.fillRect(row, QBrush(QColor(200, 200, 200, 60), Qt.BrushStyle.FDiagPattern))

    def preview_span(self, track: Track, clip: Clip) -> tuple[int, int]:
        """Where a clip is drawn while a drag is under way: what the edit will make of it on release."""
        drag = self._drag
        if drag is None or not drag.moved or drag.kind in ("scrub", "marker", "band", "slip"):
            return clip.start, clip.end
        d = drag.delta_frames
        if drag.kind == "move":
            return (clip.start + d, clip.end + d) if clip.id in drag.moving else (clip.start, clip.end)
        if drag.kind == "roll":
            if clip.id == drag.clip_id:
                return clip.start, clip.end + d
            return (clip.start + d, clip.end) if clip.id == drag.other_id else (clip.start, clip.end)
        if track.id != drag.track_id:
            return clip.start, clip.end
        dragged = track.find(drag.clip_id)
        if drag.kind == "left":
            return (clip.start + d, clip.end) if clip is dragged else (clip.start, clip.end)
        if drag.kind == "right":
            return (clip.start, clip.end + d) if clip is dragged else (clip.start, clip.end)
        shift = d if drag.kind == "ripple-right" else -d  # ripple: the clip keeps its start, later clips follow
        if clip is dragged:
            return clip.start, clip.end + shift
        if dragged is not None and clip.start >= dragged.end:
            return clip.start + shift, clip.end + shift
        return clip.start, clip.end

    def _paint_clips(self, painter: QPainter, index: int, track: Track, first: int, last: int) -> None:
        drag = self._drag
        # Without a drag every clip is where the model says: only those in the painted range are looked at.
        clips = track.clips if drag is not None and drag.moved else clips_between(track, first, last)
        for clip in clips:
            start, end = self.preview_span(track, clip)
            carried = drag is not None and drag.moved and drag.kind == "move" and clip.id in drag.moving
            if carried and drag.target_track_id != track.id and clip.id == drag.clip_id:
                continue  # a single clip moving to another track is drawn there, below
            if not carried and (end < first or start > last):
                continue  # outside the painted range
            rect = self.clip_rect(index, clip, start)
            rect.setRight(self.frame_to_x(end))
            self._paint_clip(painter, rect, track, clip, clip.id in self.selection)
            if drag is not None and drag.moved and drag.kind == "slip" and clip.id == drag.clip_id:
                painter.setPen(QColor("#ffd25a"))
                painter.drawText(rect.adjusted(5, 3, -4, -3), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop,
                                 f"slip {-drag.delta_frames:+d}")
        if drag is not None and drag.moved and drag.kind == "move" and drag.target_track_id == track.id \
                and drag.track_id != track.id:
            _, clip = self.sequence.find_clip(drag.clip_id)
            self._paint_clip(painter, self.clip_rect(index, clip, clip.start + drag.delta_frames), track, clip, True)
        self._paint_transitions(painter, index, track, first, last)
        gap = self.selected_gap
        if gap is not None and gap[0] == track.id:
            row = self.track_rect(index)
            rect = QRect(self.frame_to_x(gap[1]), row.top() + 3, self.frame_to_x(gap[2]) - self.frame_to_x(gap[1]),
                         row.height() - 6)
            painter.fillRect(rect, QColor(255, 210, 90, 50))
            painter.setPen(QPen(QColor("#ffd25a"), 1, Qt.PenStyle.DashLine))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))

    def _paint_transitions(self, painter: QPainter, index: int, track: Track, first: int, last: int) -> None:
        """Each transition in the painted range as a band over its frames: a cross for a dissolve,
        a V for a dip to black."""
        if self._drag is not None and self._drag.moved:
            return  # the clips are drawn where the drag will put them; the transitions follow on release
        for transition, _, _, cut in track.live_transitions():
            start, end = transition.window(cut)
            if end < first or start > last:
                continue
            rect = self.transition_rect(index, transition, cut)
            selected = self.selected_transition == (track.id, transition.id)
            painter.fillRect(rect, QColor(20, 22, 28, 190) if transition.kind is TransitionKind.DIP
                             else QColor(90, 110, 160, 200))
            painter.setPen(QPen(QColor("#ffd25a") if selected else QColor("#d8dde8"), 2 if selected else 1))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
            inner = rect.adjusted(2, 2, -3, -3)
            if transition.kind is TransitionKind.DIP:
                painter.drawLine(inner.topLeft(), QPoint(inner.center().x(), inner.bottom()))
                painter.drawLine(QPoint(inner.center().x(), inner.bottom()), inner.topRight())
            else:
                painter.drawLine(inner.topLeft(), inner.bottomRight())
                painter.drawLine(inner.bottomLeft(), inner.topRight())

    def _paint_fades(self, painter: QPainter, rect: QRect, clip: Clip) -> None:
        """A fade as a shaded triangle over the clip's first or last frames."""
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(0, 0, 0, 130))
        if clip.fade_in:
            x = min(rect.right(), rect.left() + round(clip.fade_in * self.px_per_frame))
            painter.drawPolygon([rect.topLeft(), QPoint(x, rect.top()), rect.bottomLeft()])
        if clip.fade_out:
            x = max(rect.left(), rect.right() - round(clip.fade_out * self.px_per_frame))
            painter.drawPolygon([QPoint(x, rect.top()), rect.topRight(), rect.bottomRight()])
        painter.setBrush(Qt.BrushStyle.NoBrush)

    def _paint_clip(self, painter: QPainter, rect: QRect, track: Track, clip: Clip, selected: bool) -> None:
        project = self.document.project
        item = project.media.get(clip.media_id)
        offline = item is None or project.is_offline(item)
        if offline:
            fill = QColor("#7a2a2a")
        elif track.kind is TrackKind.AUDIO:
            fill = QColor("#2f6b4f")
        else:
            fill = QColor("#3d5a8c" if item and item.is_generated else "#4b5d73")
        painter.fillRect(rect, fill)
        if self.show_thumbnails and not offline and track.kind is TrackKind.VIDEO:
            aspect = item.width / item.height if item.width and item.height else 16 / 9
            self._paint_filmstrip(painter, rect, clip, project.media_path(item), aspect)
        elif not offline and track.kind is TrackKind.AUDIO and item.kind is not MediaKind.IMAGE:
            self._paint_waveform(painter, rect, clip, item)
        if clip.fade_in or clip.fade_out:
            self._paint_fades(painter, rect, clip)
        painter.setPen(QPen(QColor("#ffd25a") if selected else fill.lighter(140), 2 if selected else 1))
        painter.drawRect(rect.adjusted(0, 0, -1, -1))
        if rect.width() > 24:
            painter.setPen(QColor("#f0f2f5"))
            painter.setFont(QFont(self.font().family(), 8))
            label = (item.name if item else "missing media") + (" (offline)" if offline else "")
            painter.drawText(rect.adjusted(5, 3, -4, -3), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, label)
            painter.setPen(QColor("#c9cfda"))
            painter.drawText(rect.adjusted(5, 3, -4, -3), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             self.sequence.fps.timecode(clip.duration))

    def _placeholder_rect(self, placeholder: Placeholder) -> QRect | None:
        index = self.row_of(placeholder.track_id)
        if index is None:
            return None
        row = self.track_rect(index)
        left, right = self.frame_to_x(placeholder.start), self.frame_to_x(placeholder.end)
        return QRect(left, row.top() + 3, max(2, right - left), row.height() - 6)

    def _paint_placeholder(self, painter: QPainter, placeholder: Placeholder) -> None:
        rect = self._placeholder_rect(placeholder)
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
            painter.setFont(QFont(self.font().family(), 8))
            painter.drawText(rect.adjusted(5, 3, -4, -8), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                             placeholder.label)
            painter.setPen(QColor("#aab4c8"))
            painter.drawText(rect.adjusted(5, 3, -4, -8), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom,
                             placeholder.state)

    def add_placeholder(self, job_id: str, placeholder: Placeholder) -> None:
        self.placeholders[job_id] = placeholder
        self.update()

    def update_placeholder(self, job_id: str, progress: float, state: str) -> None:
        placeholder = self.placeholders.get(job_id)
        if placeholder is None:
            return
        placeholder.progress, placeholder.state = progress, state
        rect = self._placeholder_rect(placeholder)
        if rect is not None:
            self.update(rect.adjusted(-2, -2, 2, 2))  # only the placeholder needs repainting

    def set_placeholder_preview(self, job_id: str, image: QImage) -> None:
        placeholder = self.placeholders.get(job_id)
        if placeholder is None:
            return
        placeholder.preview = image
        rect = self._placeholder_rect(placeholder)
        if rect is not None:
            self.update(rect.adjusted(-2, -2, 2, 2))

    def remove_placeholder(self, job_id: str) -> Placeholder | None:
        placeholder = self.placeholders.pop(job_id, None)
        self.update()
        return placeholder

    def free_start(self, track: Track, start: int, frames: int) -> int:
        """Where a shot of `frames` can land: at `start` if that stretch is free of clips and of
        other pending shots, else after everything on the track."""
        pending = [p for p in self.placeholders.values() if p.track_id == track.id]
        busy = track.overlaps(start, start + frames) or any(p.start < start + frames and start < p.end
                                                            for p in pending)
        if not busy:
            return start
        return max([c.end for c in track.clips] + [p.end for p in pending] + [0])

    def show_frames(self, track_id: str, start: int, end: int) -> None:
        """Scroll so frames start..end of a track are in view (a shot on its way, or one that landed);
        its start shows first when it is wider than the view. Not in the middle of a drag."""
        if self._drag is not None:
            return
        visible = max(1.0, (self.width() - HEADER_WIDTH) / self.px_per_frame)
        if start < self.scroll_frames or end > self.scroll_frames + visible:
            self.scroll_frames = max(0.0, start - visible / 10)
        index = self.row_of(track_id)
        if index is not None:
            top = RULER_HEIGHT + index * TRACK_HEIGHT - self.scroll_y
            if top < RULER_HEIGHT or top + TRACK_HEIGHT > self.height():
                self.scroll_y = max(0, min(self._max_scroll_y(), index * TRACK_HEIGHT))
        self.update()

    def _paint_filmstrip(self, painter: QPainter, rect: QRect, clip: Clip, path, aspect: float) -> None:
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
        while x < min(strip.right(), self.width()):
            source = clip.source_frame(self.x_to_frame(x)) if x > strip.left() else clip.source_in
            frames_per_thumb = max(1, round(width / self.px_per_frame))
            source = max(clip.source_in, min(clip.source_out - 1, source - source % frames_per_thumb))
            image = self.thumbnails.get(path, source, height)
            if image is not None and not image.isNull():
                target = QRect(x, strip.top(), min(width, image.width() * height // max(1, image.height())), height)
                painter.drawImage(target, image)
            x += width
        painter.restore()

    def _paint_waveform(self, painter: QPainter, rect: QRect, clip: Clip, item) -> None:
        """The clip's sound as a bar per pixel, mirrored about the middle, for the visible part only."""
        wave = self.waveforms.get(self.document.project.media_path(item))
        area = rect.adjusted(1, 14, -1, -14)
        if wave is None or len(wave) == 0 or area.height() < 6:
            return
        media_fps = float(item.fps)
        middle, half = area.center().y(), area.height() / 2
        painter.save()
        painter.setClipRect(area)
        painter.setPen(QColor("#9fe0bf"))
        for x in range(max(area.left(), HEADER_WIDTH), min(area.right(), self.width()) + 1):
            # the stretch of media one pixel covers, in peak buckets
            first = clip.source_in + (x - rect.left()) / self.px_per_frame
            last = first + 1 / self.px_per_frame
            lo = int(first / media_fps * PEAKS_PER_SECOND)
            hi = max(lo + 1, int(last / media_fps * PEAKS_PER_SECOND))
            if lo >= len(wave):
                break
            height = round(float(wave[lo:hi].max()) * half)
            painter.drawLine(x, middle - height, x, middle + height)
        painter.restore()

    def _paint_headers(self, painter: QPainter) -> None:
        painter.fillRect(QRect(0, RULER_HEIGHT, HEADER_WIDTH, self.height()), QColor("#2a2d35"))
        painter.fillRect(QRect(0, 0, HEADER_WIDTH, RULER_HEIGHT), QColor("#24272e"))
        painter.save()
        painter.setClipRect(QRect(0, RULER_HEIGHT, HEADER_WIDTH, self.height() - RULER_HEIGHT))
        painter.setFont(QFont(self.font().family(), 9))
        for index, track in enumerate(self.rows()):
            row = self.track_rect(index)
            header = QRect(0, row.top(), HEADER_WIDTH, row.height())
            if track.id == self.selected_track:
                painter.fillRect(header, QColor("#39404f"))
            painter.setPen(QColor("#3a3e48"))
            painter.drawLine(header.left(), header.bottom(), header.right(), header.bottom())
            painter.setPen(QColor("#d6dae3") if track.enabled else QColor("#7d828e"))
            name_box = QRect(6, row.top(), HEADER_WIDTH - 2 * HEADER_BUTTON - 18, row.height())
            painter.drawText(name_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, track.name)
            self._paint_lock(painter, self.header_button(index, "lock"), track.locked)
            view = self.header_button(index, "view")
            if track.kind is TrackKind.VIDEO:
                self._paint_eye(painter, view, not track.hidden)
            else:
                self._paint_speaker(painter, view, not track.muted)
        painter.restore()

    @staticmethod
    def _toggle_colour(on: bool) -> QColor:
        return QColor("#ffd25a") if on else QColor("#8b909c")

    def _paint_lock(self, painter: QPainter, box: QRect, locked: bool) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        colour = self._toggle_colour(locked)
        body = QRect(box.left() + 3, box.top() + 7, box.width() - 6, box.height() - 8)
        painter.fillRect(body, colour)
        painter.setPen(QPen(colour, 2))
        shackle = QRect(box.left() + 5, box.top() + 2, box.width() - 10, 10)
        painter.drawArc(shackle, 0, 180 * 16 if locked else 150 * 16)
        painter.restore()

    def _paint_eye(self, painter: QPainter, box: QRect, visible: bool) -> None:
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

    def _paint_speaker(self, painter: QPainter, box: QRect, audible: bool) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        colour = QColor("#d6dae3") if audible else QColor("#ff6b6b")
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        x, y = box.left(), box.center().y()
        painter.drawPolygon([QPoint(x + 2, y - 3), QPoint(x + 6, y - 3), QPoint(x + 10, y - 7),
                             QPoint(x + 10, y + 7), QPoint(x + 6, y + 3), QPoint(x + 2, y + 3)])
        painter.setPen(QPen(colour, 1.5))
        if audible:
            painter.drawArc(QRect(x + 8, y - 5, 6, 10), -60 * 16, 120 * 16)
        else:
            painter.drawLine(x + 12, y - 4, x + 16, y + 4)
            painter.drawLine(x + 16, y - 4, x + 12, y + 4)
        painter.restore()

    def _header_press(self, pos: QPoint) -> None:
        """A click in the track headers: a toggle flips (one undoable edit), elsewhere selects the track."""
        index = self.track_at(pos.y())
        if index is None:
            return
        track = self.rows()[index]
        change = None
        if self.header_button(index, "lock").adjusted(-2, -2, 2, 2).contains(pos):
            change = EditTrack(track.id, locked=not track.locked)
            change.text = "Unlock track" if track.locked else "Lock track"
        elif self.header_button(index, "view").adjusted(-2, -2, 2, 2).contains(pos):
            if track.kind is TrackKind.VIDEO:
                change = EditTrack(track.id, hidden=not track.hidden)
                change.text = "Show track" if track.hidden else "Hide track"
            else:
                change = EditTrack(track.id, muted=not track.muted)
                change.text = "Unmute track" if track.muted else "Mute track"
        if change is not None:
            self.document.push(change)
        self.select_track(track.id)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        index = self.track_at(pos.y())
        if pos.x() < HEADER_WIDTH and index is not None:
            track = self.rows()[index]
            if not any(self.header_button(index, w).adjusted(-2, -2, 2, 2).contains(pos) for w in ("lock", "view")):
                self.track_rename_requested.emit(track.id)
                return
        super().mouseDoubleClickEvent(event)

    # Mouse

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.position().toPoint()
        if pos.y() < RULER_HEIGHT:
            marker = self.marker_near(pos.x())
            if marker is not None:  # a marker's flag is dragged along the ruler; a click goes to it
                self._drag = _Drag("marker", marker.id, press_x=pos.x(), press_y=pos.y())
                self.set_playhead(marker.frame)
                return
            self._drag = _Drag("scrub")
            self.set_playhead(self.x_to_frame(pos.x()))
            return
        if pos.x() < HEADER_WIDTH:
            self._header_press(pos)
            return
        on_transition = self.transition_hit(pos)
        if on_transition is not None:
            self.select_transition(on_transition[0].id, on_transition[1].id)
            return
        hit = self.hit(pos)
        if hit is None:  # a click on empty track sets the playhead (and picks a gap); a drag draws a band
            self._drag = _Drag("band", press_x=pos.x(), press_y=pos.y(), x=pos.x(), y=pos.y())
            return
        track, clip, part = hit
        modifiers = event.modifiers()
        if modifiers & Qt.KeyboardModifier.ShiftModifier:
            self.select(clip.id, add=True)
            return
        if clip.id not in self.selection or part != "move":
            self.select(clip.id)
        else:
            self._set_selection(self.selection, clip.id)  # keep the group, make this one the inspected clip
        if track.locked:
            self.edit_refused.emit(f"track {track.name} is locked; click its padlock to edit its clips")
            return
        drag = _Drag(part, clip.id, track.id, pos.x(), pos.y(), target_track_id=track.id)
        if part == "move":
            drag.moving = frozenset(self.selection)
            if modifiers & Qt.KeyboardModifier.AltModifier:
                drag.kind = "slip"
        elif modifiers & Qt.KeyboardModifier.ControlModifier:
            drag.kind = f"ripple-{part}"
        elif modifiers & Qt.KeyboardModifier.AltModifier:
            left, right = (self._neighbour(track, clip, -1), clip) if part == "left" else \
                (clip, self._neighbour(track, clip, 1))
            if left is None or right is None:
                self.edit_refused.emit("a roll (Alt+drag) moves a cut between two touching clips; there is no clip "
                                       "on the other side of this edge")
                return
            drag.kind, drag.clip_id, drag.other_id = "roll", left.id, right.id
        self._drag = drag

    @staticmethod
    def _neighbour(track: Track, clip: Clip, side: int) -> Clip | None:
        """The clip touching this one on its left (side -1) or right (side 1), if any."""
        edge = clip.start if side < 0 else clip.end
        return next((c for c in track.clips if c is not clip and (c.end if side < 0 else c.start) == edge), None)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        drag = self._drag
        if drag is None:
            hit = self.hit(pos)
            edge = hit is not None and hit[2] in ("left", "right")
            self.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)
            return
        if drag.kind == "scrub":
            self.set_playhead(self.x_to_frame(pos.x()))
            return
        if drag.kind == "marker":
            marker = self.sequence.marker(drag.clip_id)
            drag.moved = drag.moved or abs(pos.x() - drag.press_x) > 2
            drag.delta_frames = max(-marker.frame, round((pos.x() - drag.press_x) / self.px_per_frame))
            self.update()
            return
        drag.moved = drag.moved or abs(pos.x() - drag.press_x) > 2 or abs(pos.y() - drag.press_y) > 4
        if drag.kind == "band":
            drag.x, drag.y = pos.x(), pos.y()
            self.update()
            return
        drag.delta_frames = round((pos.x() - drag.press_x) / self.px_per_frame)
        _, clip = self.sequence.find_clip(drag.clip_id)
        if self.snapping and drag.kind != "slip":
            edges = {
                "move": [clip.start, clip.end],
                "left": [clip.start],
                "right": [clip.end],
                "ripple-left": [clip.start],
                "ripple-right": [clip.end],
                "roll": [clip.end],
            }[drag.kind]
            ignore = {clip.id, drag.other_id} | set(drag.moving)
            drag.delta_frames = self._snap(drag.delta_frames, edges, ignore)
        if drag.kind == "move":
            moving = [self.sequence.find_clip(i)[1] for i in drag.moving]
            drag.delta_frames = max(-min(c.start for c in moving), drag.delta_frames)
            index = self.track_at(pos.y())
            source_kind = self.sequence.track(drag.track_id).kind
            under = self.rows()[index] if index is not None else None
            # Only a single clip changes track; a group keeps its tracks.
            if len(moving) == 1 and under is not None and under.kind is source_kind and not under.locked:
                drag.target_track_id = under.id
        drag.x, drag.y = pos.x(), pos.y()
        text = self.drag_readout(drag) if drag.moved else ""
        if text != self.readout_text:
            self.readout_text = text
            self.readout.emit(text)
        self.update()

    def _snap(self, delta: int, moving: list[int], ignore: set[str]) -> int:
        """The drag's frame offset, pulled onto the nearest playhead, mark or other clip edge that
        one of the moving edges comes within SNAP_PIXELS of."""
        targets = {self.playhead, *(m for m in self.marks if m is not None), *(m.frame for m in self.sequence.markers)}
        for track in self.sequence.tracks:
            for other in track.clips:
                if other.id not in ignore:
                    targets.update((other.start, other.end))
        best = None
        for edge in moving:
            for target in targets:
                distance = abs(edge + delta - target) * self.px_per_frame
                if distance <= SNAP_PIXELS and (best is None or distance < best[0]):
                    best = (distance, target - edge)
        return delta if best is None else best[1]

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if self.readout_text:
            self.readout_text = ""
            self.readout.emit("")
        if drag is not None and drag.kind == "band":
            self._finish_band(drag)
            return
        if drag is None or drag.kind == "scrub" or not drag.moved:
            self.update()
            return
        if drag.kind == "marker":
            marker = self.sequence.marker(drag.clip_id)
            if drag.delta_frames:
                try:
                    self.document.push(EditMarker(marker.id, frame=marker.frame + drag.delta_frames), "Move marker")
                except EditError as exc:
                    self.edit_refused.emit(str(exc))
                else:
                    self.set_playhead(marker.frame)
            self.update()
            return
        _, clip = self.sequence.find_clip(drag.clip_id)
        d = drag.delta_frames
        text = None
        if drag.kind == "move":
            unchanged = d == 0 and drag.target_track_id == drag.track_id
            if len(drag.moving) > 1:
                # Move the clip furthest along first, so no clip lands on one that has not moved yet.
                group = sorted((self.sequence.find_clip(i)[1] for i in drag.moving), key=lambda c: c.start,
                               reverse=d > 0)
                command = [MoveClip(c.id, c.start + d) for c in group]
                text = f"Move {len(group)} clips"
            else:
                command = MoveClip(clip.id, clip.start + d, drag.target_track_id)
        elif drag.kind in ("left", "right"):
            edge_frame = clip.start if drag.kind == "left" else clip.end
            command = TrimClip(clip.id, drag.kind, edge_frame + d)
            unchanged = d == 0
            beyond = self._frames_beyond_media(clip, drag.kind, edge_frame + d)
            if beyond > 0:
                # Past the generated take's last (or first) frame: the model makes the rest.
                self.extend_requested.emit(clip.id, drag.kind, beyond)
                self.update()
                return
        elif drag.kind.startswith("ripple-"):
            edge = drag.kind.removeprefix("ripple-")
            command = RippleTrim(clip.id, edge, (clip.start if edge == "left" else clip.end) + d)
            unchanged = d == 0
        elif drag.kind == "roll":
            command, unchanged = RollEdit(clip.id, drag.other_id, clip.end + d), d == 0
        else:  # slip: the media moves with the pointer, so the clip shows earlier frames when dragged right
            command, unchanged = SlipClip(clip.id, -d), d == 0
        if not unchanged:
            try:
                self.document.push(command, text)
            except EditError as exc:
                self.edit_refused.emit(str(exc))
        self.update()

    def band_rect(self, drag: _Drag) -> QRect:
        return QRect(QPoint(drag.press_x, drag.press_y), QPoint(drag.x, drag.y)).normalized()

    def _finish_band(self, drag: _Drag) -> None:
        """A click on empty track moves the playhead there and selects the gap it is in; a drag selects
        every clip the band touches."""
        if not drag.moved:
            self.set_playhead(self.x_to_frame(drag.press_x))
            index = self.track_at(drag.press_y)
            if index is None or not self.select_gap(self.rows()[index], self.x_to_frame(drag.press_x)):
                self.select(None)
            self.update()
            return
        band = self.band_rect(drag)
        touched = []
        for index, track in enumerate(self.rows()):
            for clip in track.clips:
                if self.clip_rect(index, clip).intersects(band):
                    touched.append(clip.id)
        self.select_clips(touched)

    def _frames_beyond_media(self, clip: Clip, edge: str, frame: int) -> int:
        """How far a trim to `frame` reaches past the clip's generated media (0 if it does not, or
        if the media is not a generated video, which cannot be extended)."""
        item = self.document.project.media.get(clip.media_id)
        if item is None or not item.is_generated or item.kind is not MediaKind.VIDEO:
            return 0
        media_start = clip.start - clip.source_in  # where the media's frame 0 sits on the timeline
        if edge == "right":
            return max(0, frame - (media_start + item.frames))
        return max(0, media_start - frame)

    # Drops from the media bin

    def _dropped_stills(self, mime) -> list[Path]:
        paths = [Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile()]
        return paths if 0 < len(paths) <= 2 and all(p.suffix.lower() in IMAGE_SUFFIXES for p in paths) else []

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasFormat(MEDIA_MIME) or self._dropped_stills(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if event.mimeData().hasFormat(MEDIA_MIME) or self._dropped_stills(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """Media dragged from the bin lands where it is dropped, one clip after another, as one edit.
        One or two stills dropped from the file manager are animated there (first, and last frame)."""
        pos = event.position().toPoint()
        stills = self._dropped_stills(event.mimeData())
        if stills:
            self.animate_requested.emit(stills, self.x_to_frame(pos.x()))
            event.acceptProposedAction()
            return
        ids = bytes(event.mimeData().data(MEDIA_MIME)).decode().split(",")
        index = self.track_at(pos.y())
        frame = self.x_to_frame(pos.x())
        commands = []
        for media_id in ids:
            item = self.document.project.media.get(media_id)
            if item is None:
                continue
            kind = TrackKind.AUDIO if item.kind is MediaKind.AUDIO else TrackKind.VIDEO
            under = self.rows()[index] if index is not None else None
            track = under if under is not None and under.kind is kind else \
                next(t for t in self.sequence.tracks if t.kind is kind)
            still = round(float(self.sequence.fps) * STILL_SECONDS)
            # Another rate plays at its own speed: its length is in the sequence's frames (see core Clip).
            length = still if item.kind is MediaKind.IMAGE else item.frames if item.kind is MediaKind.AUDIO \
                else conformed_length(item.frames, item.fps, self.sequence.fps)
            commands += add_clip_with_sound(self.sequence, track.id, item, frame, max(1, length))
            frame += max(1, length)
        if not commands:
            return
        try:
            self.document.push(commands, "Add clips" if len(commands) > 1 else "Add clip")
        except EditError as exc:
            self.edit_refused.emit(str(exc))
        event.acceptProposedAction()

    def wheelEvent(self, event: QWheelEvent) -> None:
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            anchor = self.x_to_frame(event.position().x())
            self.set_zoom(self.px_per_frame * (1.25**steps), anchor)
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier:  # up and down the tracks
            self.scroll_y = max(0, min(self._max_scroll_y(), self.scroll_y - round(steps * TRACK_HEIGHT / 2)))
            self.update()
        else:
            self.scroll_frames = max(0.0, self.scroll_frames - steps * 60 / self.px_per_frame)
            self.update()
        event.accept()
