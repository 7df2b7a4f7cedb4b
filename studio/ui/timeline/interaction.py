"""The mouse on the timeline: a press starts a drag, each move previews it, the release makes it
exactly one edit command (so a drag is one undo step).

What a press on a clip starts, by where it lands and the keys held:

    body                move (the whole selection)      Alt: slip (the media under the clip)
    left/right edge     trim                            Ctrl: ripple trim   Alt: roll the cut
    on the ruler        scrub the playhead, or drag a marker's flag
    on empty track      a click sets the playhead and picks the gap; a drag draws a rubber band

A trim dragged past a generated take's first or last frame asks for the rest to be generated
(extend_requested) instead of editing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QMouseEvent

from ...core.commands import EditError, EditMarker, MoveClip, RippleTrim, RollEdit, SlipClip, TrimClip
from ...core.project import Clip, MediaKind, Project, Sequence, Track
from .geometry import HEADER_WIDTH, RULER_HEIGHT
from .headers import header_press
from .snapping import snap, snap_targets

if TYPE_CHECKING:
    from .widget import TimelineWidget


@dataclass
class Drag:
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


# Press


def press(view: TimelineWidget, event: QMouseEvent) -> None:
    """A left press: what it grabs becomes view.drag (or it acts at once: a header toggle, a
    transition, a shift-click)."""
    if event.button() != Qt.MouseButton.LeftButton:
        return
    pos = event.position().toPoint()
    if pos.y() < RULER_HEIGHT:
        marker = view.marker_near(pos.x())
        if marker is not None:  # a marker's flag is dragged along the ruler; a click goes to it
            view.drag = Drag("marker", marker.id, press_x=pos.x(), press_y=pos.y())
            view.set_playhead(marker.frame)
            return
        view.drag = Drag("scrub")
        view.set_playhead(view.x_to_frame(pos.x()))
        return
    if pos.x() < HEADER_WIDTH:
        header_press(view, pos)
        return
    on_transition = view.transition_hit(pos)
    if on_transition is not None:
        view.select_transition(on_transition[0].id, on_transition[1].id)
        return
    hit = view.hit(pos)
    if hit is None:  # a click on empty track sets the playhead (and picks a gap); a drag draws a band
        view.drag = Drag("band", press_x=pos.x(), press_y=pos.y(), x=pos.x(), y=pos.y())
        return
    track, clip, part = hit
    modifiers = event.modifiers()
    if modifiers & Qt.KeyboardModifier.ShiftModifier:
        view.select(clip.id, add=True)
        return
    if clip.id not in view.selection or part != "move":
        view.select(clip.id)
    else:
        view._set_selection(view.selection, clip.id)  # keep the group, make this one the inspected clip
    if track.locked:
        view.edit_refused.emit(f"track {track.name} is locked; click its padlock to edit its clips")
        return
    drag = Drag(part, clip.id, track.id, pos.x(), pos.y(), target_track_id=track.id)
    if part == "move":
        drag.moving = frozenset(view.selection)
        if modifiers & Qt.KeyboardModifier.AltModifier:
            drag.kind = "slip"
    elif modifiers & Qt.KeyboardModifier.ControlModifier:
        drag.kind = f"ripple-{part}"
    elif modifiers & Qt.KeyboardModifier.AltModifier:
        left, right = (neighbour(track, clip, -1), clip) if part == "left" else (clip, neighbour(track, clip, 1))
        if left is None or right is None:
            view.edit_refused.emit(
                "a roll (Alt+drag) moves a cut between two touching clips; there is no clip "
                "on the other side of this edge"
            )
            return
        drag.kind, drag.clip_id, drag.other_id = "roll", left.id, right.id
    view.drag = drag


def neighbour(track: Track, clip: Clip, side: int) -> Clip | None:
    """The clip touching this one on its left (side -1) or right (side 1), if any."""
    edge = clip.start if side < 0 else clip.end
    return next((c for c in track.clips if c is not clip and (c.end if side < 0 else c.start) == edge), None)


# Move


def move(view: TimelineWidget, pos: QPoint) -> None:
    """The pointer moved: without a drag, the cursor shows whether an edge is under it; with one, the
    drag follows (snapped) and the widget redraws its preview."""
    drag = view.drag
    if drag is None:
        hit = view.hit(pos)
        edge = hit is not None and hit[2] in ("left", "right")
        view.setCursor(Qt.CursorShape.SizeHorCursor if edge else Qt.CursorShape.ArrowCursor)
        return
    if drag.kind == "scrub":
        view.set_playhead(view.x_to_frame(pos.x()))
        return
    if drag.kind == "marker":
        marker = view.sequence.marker(drag.clip_id)
        drag.moved = drag.moved or abs(pos.x() - drag.press_x) > 2
        drag.delta_frames = max(-marker.frame, round((pos.x() - drag.press_x) / view.px_per_frame))
        view.update()
        return
    drag.moved = drag.moved or abs(pos.x() - drag.press_x) > 2 or abs(pos.y() - drag.press_y) > 4
    if drag.kind == "band":
        drag.x, drag.y = pos.x(), pos.y()
        view.update()
        return
    drag.delta_frames = round((pos.x() - drag.press_x) / view.px_per_frame)
    _, clip = view.sequence.find_clip(drag.clip_id)
    if view.snapping and drag.kind != "slip":
        ignore = {clip.id, drag.other_id} | set(drag.moving)
        targets = snap_targets(view.sequence, view.playhead, view.marks, ignore)
        drag.delta_frames = snap(drag.delta_frames, dragged_edges(drag.kind, clip), targets, view.px_per_frame)
    if drag.kind == "move":
        moving = [view.sequence.find_clip(i)[1] for i in drag.moving]
        drag.delta_frames = max(-min(c.start for c in moving), drag.delta_frames)
        index = view.track_at(pos.y())
        source_kind = view.sequence.track(drag.track_id).kind
        under = view.rows()[index] if index is not None else None
        # Only a single clip changes track; a group keeps its tracks.
        if len(moving) == 1 and under is not None and under.kind is source_kind and not under.locked:
            drag.target_track_id = under.id
    drag.x, drag.y = pos.x(), pos.y()
    text = drag_readout(view.sequence, drag) if drag.moved else ""
    if text != view.readout_text:
        view.readout_text = text
        view.readout.emit(text)
    view.update()


def dragged_edges(kind: str, clip: Clip) -> list[int]:
    """The frames of the dragged clip that snap: both ends for a move, else the edge being dragged."""
    return {
        "move": [clip.start, clip.end],
        "left": [clip.start],
        "right": [clip.end],
        "ripple-left": [clip.start],
        "ripple-right": [clip.end],
        "roll": [clip.end],
    }[kind]


def drag_readout(sequence: Sequence, drag: Drag) -> str:
    """What a clip drag does so far, e.g. "+00:00:01:05  duration 00:00:04:12"."""
    _, clip = sequence.find_clip(drag.clip_id)
    fps, d = sequence.fps, drag.delta_frames
    offset = ("+" if d >= 0 else "") + fps.timecode(d)
    if drag.kind == "move":
        return f"{offset}  start {fps.timecode(clip.start + d)}"
    if drag.kind == "slip":
        return f"{offset}  source in {fps.timecode(clip.source_in - d)}"
    grows = 1 if drag.kind in ("right", "ripple-right", "roll") else -1
    return f"{offset}  duration {fps.timecode(max(0, clip.duration + grows * d))}"


def preview_span(drag: Drag | None, track: Track, clip: Clip) -> tuple[int, int]:
    """Where a clip is drawn while a drag is under way: what the edit will make of it on release."""
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


# Release


def release(view: TimelineWidget) -> None:
    """The button is up: the drag becomes one edit (or a selection, or nothing if it never moved)."""
    drag, view.drag = view.drag, None
    if view.readout_text:
        view.readout_text = ""
        view.readout.emit("")
    if drag is not None and drag.kind == "band":
        finish_band(view, drag)
        return
    if drag is None or drag.kind == "scrub" or not drag.moved:
        view.update()
        return
    if drag.kind == "marker":
        marker = view.sequence.marker(drag.clip_id)
        if drag.delta_frames:
            try:
                view.document.push(EditMarker(marker.id, frame=marker.frame + drag.delta_frames), "Move marker")
            except EditError as exc:
                view.edit_refused.emit(str(exc))
            else:
                view.set_playhead(marker.frame)
        view.update()
        return
    _, clip = view.sequence.find_clip(drag.clip_id)
    d = drag.delta_frames
    text = None
    if drag.kind == "move":
        unchanged = d == 0 and drag.target_track_id == drag.track_id
        if len(drag.moving) > 1:
            # Move the clip furthest along first, so no clip lands on one that has not moved yet.
            group = sorted((view.sequence.find_clip(i)[1] for i in drag.moving), key=lambda c: c.start, reverse=d > 0)
            command = [MoveClip(c.id, c.start + d) for c in group]
            text = f"Move {len(group)} clips"
        else:
            command = MoveClip(clip.id, clip.start + d, drag.target_track_id)
    elif drag.kind in ("left", "right"):
        edge_frame = clip.start if drag.kind == "left" else clip.end
        command = TrimClip(clip.id, drag.kind, edge_frame + d)
        unchanged = d == 0
        beyond = frames_beyond_media(view.document.project, clip, drag.kind, edge_frame + d)
        if beyond > 0:
            # Past the generated take's last (or first) frame: the model makes the rest.
            view.extend_requested.emit(clip.id, drag.kind, beyond)
            view.update()
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
            view.document.push(command, text)
        except EditError as exc:
            view.edit_refused.emit(str(exc))
    view.update()


def frames_beyond_media(project: Project, clip: Clip, edge: str, frame: int) -> int:
    """How far a trim to `frame` reaches past the clip's generated media (0 if it does not, or
    if the media is not a generated video, which cannot be extended)."""
    item = project.media.get(clip.media_id)
    if item is None or not item.is_generated or item.kind is not MediaKind.VIDEO:
        return 0
    media_start = clip.start - clip.source_in  # where the media's frame 0 sits on the timeline
    if edge == "right":
        return max(0, frame - (media_start + item.frames))
    return max(0, media_start - frame)


# Rubber band


def band_rect(drag: Drag) -> QRect:
    return QRect(QPoint(drag.press_x, drag.press_y), QPoint(drag.x, drag.y)).normalized()


def finish_band(view: TimelineWidget, drag: Drag) -> None:
    """A click on empty track moves the playhead there and selects the gap it is in; a drag selects
    every clip the band touches."""
    if not drag.moved:
        view.set_playhead(view.x_to_frame(drag.press_x))
        index = view.track_at(drag.press_y)
        if index is None or not view.select_gap(view.rows()[index], view.x_to_frame(drag.press_x)):
            view.select(None)
        view.update()
        return
    band = band_rect(drag)
    touched = []
    for index, track in enumerate(view.rows()):
        for clip in track.clips:
            if view.clip_rect(index, clip).intersects(band):
                touched.append(clip.id)
    view.select_clips(touched)
