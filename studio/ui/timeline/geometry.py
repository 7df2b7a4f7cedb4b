"""Where things are on the timeline: frames to pixels and back, the rows of tracks, and what lies
under a point (a clip's body or edge, a transition, a marker's flag, a header toggle).

The sizes are constants so tests and benchmarks can aim clicks at a row without a widget.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor

from ...core.project import Clip, Marker, Sequence, Track, TrackKind, Transition

RULER_HEIGHT = 26
TRACK_HEIGHT = 58
HEADER_WIDTH = 118
HEADER_BUTTON = 16  # the lock and eye/speaker toggles in a track's header
TRANSITION_HEIGHT = 16  # the band a transition is drawn in, through the middle of its track
EDGE_GRAB = 6  # pixels either side of a clip edge that grab the edge for trimming
MIN_PX_PER_FRAME, MAX_PX_PER_FRAME = 0.05, 40.0
MARKER_GRAB = 5  # pixels either side of a marker's flag on the ruler that grab it
MARKER_COLOUR = QColor("#3fc1a5")


def clips_between(track: Track, first: float, last: float) -> list[Clip]:
    """The clips of a track that reach into the frames [first, last]: found by bisection, since a
    track's clips are sorted and never overlap (so their ends are sorted too)."""
    clips = track.clips
    start = bisect_left(clips, first, key=lambda clip: clip.end)
    stop = bisect_right(clips, last, lo=start, key=lambda clip: clip.start)
    return clips[start:stop]


def stacked_rows(sequence: Sequence) -> list[Track]:
    """The tracks top to bottom as editors stack them: the highest video track first, then the
    audio tracks in order."""
    video = [t for t in sequence.tracks if t.kind is TrackKind.VIDEO]
    return video[::-1] + [t for t in sequence.tracks if t.kind is not TrackKind.VIDEO]


class TimelineGeometry:
    """The timeline widget's mapping between its pixels and the sequence. A base of TimelineWidget
    (these are its public methods), kept apart so the layout can be read in one place."""

    # Set by TimelineWidget; the view state every mapping depends on.
    px_per_frame: float
    scroll_frames: float  # the frame at the left edge of the track area
    scroll_y: int  # pixels the tracks are scrolled up under the ruler

    @property
    def sequence(self) -> Sequence:
        return self.document.project.sequence

    def rows(self) -> list[Track]:
        """The tracks top to bottom as editors stack them: the highest video track first, then the
        audio tracks in order."""
        return stacked_rows(self.sequence)

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
        return self.span_rect(track_index, start, start + clip.duration)

    def span_rect(self, track_index: int, start: int, end: int) -> QRect:
        """Frames start..end of a row, inset from its edges as clips are drawn."""
        row = self.track_rect(track_index)
        left, right = self.frame_to_x(start), self.frame_to_x(end)
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

    def marker_near(self, x: int) -> Marker | None:
        """The marker whose flag is within MARKER_GRAB pixels of x on the ruler."""
        best = None
        for marker in self.sequence.markers:
            distance = abs(self.frame_to_x(marker.frame) - x)
            if distance <= MARKER_GRAB and (best is None or distance < best[0]):
                best = (distance, marker)
        return None if best is None else best[1]
