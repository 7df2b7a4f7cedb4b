"""Edit commands: each change to a project is an object that can apply itself and revert itself.

The editor wraps them in Qt undo commands; the CLI and the tests apply them directly. A command
checks its edit before changing anything, so a refused edit leaves the project as it was.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .errors import StudioError
from .project import (
    FITS,
    RETIMES,
    Clip,
    Marker,
    MediaItem,
    MediaKind,
    Project,
    Sequence,
    Track,
    TrackKind,
    Transition,
    TransitionKind,
    conformed_length,
    new_id,
)
from .timebase import FrameRate


class EditError(StudioError, ValueError):
    """An edit that cannot be made, with a reason a person can read."""


class Command:
    text = "Edit"

    def apply(self, project: Project) -> None:
        raise NotImplementedError

    def revert(self, project: Project) -> None:
        raise NotImplementedError


def _max_frames(project: Project, media_id: str) -> int | None:
    """How many frames a media item lasts at the sequence's rate (its own count when the rates
    match; see Clip); None for stills, which hold for any length."""
    item = project.media[media_id]
    if item.kind is MediaKind.IMAGE:
        return None
    if item.kind is MediaKind.AUDIO:
        return item.frames
    return conformed_length(item.frames, item.fps, project.sequence.fps)


def _check_unlocked(track: Track) -> None:
    if track.locked:
        raise EditError(f"track {track.name or track.id} is locked; unlock it (the padlock in its header) to edit it")


def _check_placement(seq: Sequence, track_id: str, start: int, end: int, ignore: set[str]) -> None:
    _check_unlocked(seq.track(track_id))
    if start < 0:
        raise EditError("a clip cannot start before the beginning of the sequence (frame 0)")
    if seq.track(track_id).overlaps(start, end, ignore):
        raise EditError("that would overlap another clip on the track; move or trim it first")


@dataclass
class AddMedia(Command):
    item: MediaItem
    text = "Import media"

    def apply(self, project: Project) -> None:
        project.media[self.item.id] = self.item

    def revert(self, project: Project) -> None:
        # Undo forgets the item but never deletes its file: generated media stays until purged.
        project.media.pop(self.item.id, None)


@dataclass
class AddClip(Command):
    track_id: str
    clip: Clip
    text = "Add clip"

    def apply(self, project: Project) -> None:
        seq = project.sequence
        if self.clip.media_id not in project.media:
            raise EditError(f"media {self.clip.media_id} is not in the project")
        if self.clip.duration <= 0:
            raise EditError("a clip needs at least one frame")
        _check_placement(seq, self.track_id, self.clip.start, self.clip.end, set())
        track = seq.track(self.track_id)
        track.clips.append(self.clip)
        track.sort()

    def revert(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        track.clips.remove(self.clip)


def add_clip_with_sound(seq: Sequence, track_id: str, item: MediaItem, start: int, length: int) -> list[AddClip]:
    """A clip of `item` on the track at `start`, the picture first; a video with sound gets a clip of its
    sound beside it, on the first unlocked audio track free over those frames (none free: no sound clip)."""
    commands = [AddClip(track_id, Clip(new_id(), item.id, start, 0, length))]
    if item.kind is MediaKind.VIDEO and item.has_audio:
        sound = next((t for t in seq.tracks if t.kind is TrackKind.AUDIO and not t.locked
                      and not t.overlaps(start, start + length)), None)
        if sound is not None:
            commands.append(AddClip(sound.id, Clip(new_id(), item.id, start, 0, length)))
    return commands


@dataclass
class MoveClip(Command):
    clip_id: str
    start: int
    track_id: str | None = None  # None: stay on the same track
    text = "Move clip"
    _old: tuple[str, int] | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        seq = project.sequence
        old_track, clip = seq.find_clip(self.clip_id)
        new_track = seq.track(self.track_id) if self.track_id else old_track
        if new_track.kind != old_track.kind:
            raise EditError(f"a {old_track.kind} clip cannot go on a {new_track.kind} track")
        _check_unlocked(old_track)
        _check_placement(seq, new_track.id, self.start, self.start + clip.duration, {clip.id})
        self._old = (old_track.id, clip.start)
        old_track.clips.remove(clip)
        clip.start = self.start
        new_track.clips.append(clip)
        new_track.sort()

    def revert(self, project: Project) -> None:
        seq = project.sequence
        track, clip = seq.find_clip(self.clip_id)
        old_track_id, old_start = self._old
        track.clips.remove(clip)
        clip.start = old_start
        seq.track(old_track_id).clips.append(clip)
        seq.track(old_track_id).sort()


@dataclass
class TrimClip(Command):
    """Move one edge of a clip. The left edge moves the clip's start and its source in-point together."""

    clip_id: str
    edge: str  # "left" or "right"
    frame: int  # the new timeline frame of that edge
    text = "Trim clip"
    _old: tuple[int, int, int] | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        seq = project.sequence
        track, clip = seq.find_clip(self.clip_id)
        limit = _max_frames(project, clip.media_id)
        start, source_in, source_out = clip.start, clip.source_in, clip.source_out
        if self.edge == "left":
            delta = self.frame - clip.start
            start, source_in = clip.start + delta, clip.source_in + delta
            if source_in < 0 and limit is not None:
                raise EditError("the clip's media has no frames before its first; use Extend to generate more")
        elif self.edge == "right":
            source_out = clip.source_in + (self.frame - clip.start)
            if limit is not None and source_out > limit:
                raise EditError(
                    f"the clip's media ends after {limit} frames; use Extend to generate more"
                )
        else:
            raise EditError(f"unknown edge {self.edge!r}: use 'left' or 'right'")
        if source_out - source_in <= 0:
            raise EditError("a clip needs at least one frame")
        _check_placement(seq, track.id, start, start + source_out - source_in, {clip.id})
        self._old = (clip.start, clip.source_in, clip.source_out)
        clip.start, clip.source_in, clip.source_out = start, source_in, source_out
        track.sort()

    def revert(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        clip.start, clip.source_in, clip.source_out = self._old
        track.sort()


@dataclass
class SplitClip(Command):
    """Cut a clip in two at a timeline frame; the right part becomes a new clip."""

    clip_id: str
    frame: int
    new_clip_id: str
    text = "Split clip"
    _old_out: tuple[int, int, int] | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        _check_unlocked(track)
        if not clip.start < self.frame < clip.end:
            raise EditError("put the playhead inside the clip to split it (not on its first frame)")
        right = copy.deepcopy(clip)
        right.id = self.new_clip_id
        right.start = self.frame
        right.source_in = clip.source_frame(self.frame)
        self._old_out = (clip.source_out, clip.fade_in, clip.fade_out)
        clip.source_out = right.source_in
        # The fade in stays at the start, the fade out goes with the end (each trimmed to its part).
        right.fade_in, right.fade_out = 0, min(clip.fade_out, right.duration)
        clip.fade_in, clip.fade_out = min(clip.fade_in, clip.duration), 0
        track.clips.append(right)
        track.sort()

    def revert(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        _, right = project.sequence.find_clip(self.new_clip_id)
        track.clips.remove(right)
        clip.source_out, clip.fade_in, clip.fade_out = self._old_out


@dataclass
class DeleteClip(Command):
    clip_id: str
    text = "Delete clip"
    _removed: tuple[str, Clip] | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        _check_unlocked(track)
        track.clips.remove(clip)
        self._removed = (track.id, clip)

    def revert(self, project: Project) -> None:
        track_id, clip = self._removed
        track = project.sequence.track(track_id)
        track.clips.append(clip)
        track.sort()


@dataclass
class SetSequenceFormat(Command):
    """Change the sequence's frame size and rate (as editors do for a first clip of another format)."""

    width: int
    height: int
    fps: FrameRate
    text = "Change sequence format"
    _old: tuple[int, int, FrameRate] | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        if self.width <= 0 or self.height <= 0:
            raise EditError(f"a sequence needs a positive size, not {self.width}x{self.height}")
        seq = project.sequence
        self._old = (seq.width, seq.height, seq.fps)
        seq.width, seq.height, seq.fps = self.width, self.height, self.fps

    def revert(self, project: Project) -> None:
        seq = project.sequence
        seq.width, seq.height, seq.fps = self._old


@dataclass
class SetActiveTake(Command):
    """Show another take of the same shot in a clip; the clip keeps its place and range."""

    clip_id: str
    media_id: str
    text = "Switch take"
    _old: str | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        _, clip = project.sequence.find_clip(self.clip_id)
        if self.media_id not in clip.takes:
            raise EditError("that take belongs to another shot")
        limit = _max_frames(project, self.media_id)
        if limit is not None and clip.source_out > limit:
            raise EditError(f"that take has {limit} frames and the clip shows up to frame {clip.source_out}; "
                            "trim the clip first")
        self._old = clip.media_id
        clip.media_id = self.media_id

    def revert(self, project: Project) -> None:
        _, clip = project.sequence.find_clip(self.clip_id)
        clip.media_id = self._old


@dataclass
class UseTake(Command):
    """Put a new take of a shot into a clip, with a new place and range: how an extension lands
    (the extended take holds the old frames plus new ones, so the clip's range moves with them)."""

    clip_id: str
    media_id: str
    start: int
    source_in: int
    source_out: int
    text = "Extend clip"
    _old: tuple[str, int, int, int, list[str]] | None = field(default=None, repr=False)

    def apply(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        limit = _max_frames(project, self.media_id)
        if self.source_in < 0 or (limit is not None and self.source_out > limit) or self.source_out <= self.source_in:
            raise EditError(f"frames {self.source_in}-{self.source_out} are not all in the new take")
        _check_placement(project.sequence, track.id, self.start, self.start + self.source_out - self.source_in,
                         {clip.id})
        self._old = (clip.media_id, clip.start, clip.source_in, clip.source_out, list(clip.takes))
        if self.media_id not in clip.takes:
            clip.takes.append(self.media_id)
        clip.media_id, clip.start, clip.source_in, clip.source_out = (
            self.media_id, self.start, self.source_in, self.source_out)
        track.sort()

    def revert(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        clip.media_id, clip.start, clip.source_in, clip.source_out, clip.takes = self._old
        track.sort()


@dataclass
class AddMarker(Command):
    marker: Marker
    text = "Add marker"

    def apply(self, project: Project) -> None:
        seq = project.sequence
        if self.marker.frame < 0:
            raise EditError("a marker cannot sit before the beginning of the sequence (frame 0)")
        if seq.marker_at(self.marker.frame) is not None:
            raise EditError(f"there is already a marker at {seq.fps.timecode(self.marker.frame)}; rename that one")
        seq.markers.append(self.marker)
        seq.markers.sort(key=lambda m: m.frame)

    def revert(self, project: Project) -> None:
        project.sequence.markers.remove(self.marker)


@dataclass
class EditMarker(Command):
    """Rename or move a marker."""

    marker_id: str
    name: str | None = None
    frame: int | None = None
    text = "Edit marker"
    _before: tuple[str, int] | None = field(default=None, init=False, repr=False)

    def apply(self, project: Project) -> None:
        seq = project.sequence
        marker = seq.marker(self.marker_id)
        frame = marker.frame if self.frame is None else self.frame
        if frame < 0:
            raise EditError("a marker cannot sit before the beginning of the sequence (frame 0)")
        other = seq.marker_at(frame)
        if other is not None and other is not marker:
            raise EditError(f"there is already a marker at {seq.fps.timecode(frame)}")
        self._before = (marker.name, marker.frame)
        marker.name = marker.name if self.name is None else self.name
        marker.frame = frame
        seq.markers.sort(key=lambda m: m.frame)

    def revert(self, project: Project) -> None:
        marker = project.sequence.marker(self.marker_id)
        marker.name, marker.frame = self._before
        project.sequence.markers.sort(key=lambda m: m.frame)


@dataclass
class DeleteMarker(Command):
    marker_id: str
    text = "Delete marker"
    _removed: tuple[int, Marker] | None = field(default=None, init=False, repr=False)

    def apply(self, project: Project) -> None:
        markers = project.sequence.markers
        marker = project.sequence.marker(self.marker_id)
        self._removed = (markers.index(marker), marker)
        markers.remove(marker)

    def revert(self, project: Project) -> None:
        index, marker = self._removed
        project.sequence.markers.insert(index, marker)


@dataclass
class AddTrack(Command):
    """A new track: a video track goes above the other video tracks, an audio track below the others."""

    track: Track
    text = "Add track"

    def apply(self, project: Project) -> None:
        tracks = project.sequence.tracks
        same = [i for i, t in enumerate(tracks) if t.kind is self.track.kind]
        tracks.insert(same[-1] + 1 if same else len(tracks), self.track)

    def revert(self, project: Project) -> None:
        project.sequence.tracks.remove(self.track)


@dataclass
class RemoveTrack(Command):
    """Remove a track with its clips (undo brings both back); the last video track stays."""

    track_id: str
    text = "Delete track"
    _removed: tuple[int, Track] | None = field(default=None, init=False, repr=False)

    def apply(self, project: Project) -> None:
        seq = project.sequence
        track = seq.track(self.track_id)
        if track.kind is TrackKind.VIDEO and len(seq.video_tracks()) == 1:
            raise EditError("a sequence needs at least one video track")
        _check_unlocked(track)
        self._removed = (seq.tracks.index(track), track)
        seq.tracks.remove(track)

    def revert(self, project: Project) -> None:
        index, track = self._removed
        project.sequence.tracks.insert(index, track)


@dataclass
class EditTrack(Command):
    """Rename a track, or lock, mute or hide it."""

    track_id: str
    name: str | None = None
    locked: bool | None = None
    muted: bool | None = None
    hidden: bool | None = None
    text = "Change track"
    _before: dict | None = field(default=None, init=False, repr=False)

    def _changes(self) -> dict:
        return {k: getattr(self, k) for k in ("name", "locked", "muted", "hidden") if getattr(self, k) is not None}

    def apply(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        changes = self._changes()
        if "name" in changes and not changes["name"].strip():
            raise EditError("a track needs a name")
        self._before = {k: getattr(track, k) for k in changes}
        for key, value in changes.items():
            setattr(track, key, value.strip() if key == "name" else value)

    def revert(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        for key, value in self._before.items():
            setattr(track, key, value)


# Edits that change several clips of one track at once keep a copy of the track's clips to revert to.


def _copy_clips(track: Track) -> list[Clip]:
    return [copy.deepcopy(c) for c in track.clips]


def _media_limit_check(project: Project, clip: Clip) -> None:
    limit = _max_frames(project, clip.media_id)
    if clip.source_in < 0 and limit is not None:
        raise EditError("the clip's media has no frames before its first; use Extend to generate more")
    if limit is not None and clip.source_out > limit:
        raise EditError(f"the clip's media ends after {limit} frames; use Extend to generate more")
    if clip.duration <= 0:
        raise EditError("a clip needs at least one frame")


@dataclass
class _TrackEdit(Command):
    """Base for edits that rewrite one track's clips; revert puts the saved copies back."""

    _track_id: str | None = field(default=None, init=False, repr=False)
    _before: list[Clip] | None = field(default=None, init=False, repr=False)

    def _begin(self, track: Track) -> None:
        _check_unlocked(track)
        self._track_id, self._before = track.id, _copy_clips(track)

    def revert(self, project: Project) -> None:
        project.sequence.track(self._track_id).clips = [copy.deepcopy(c) for c in self._before]


@dataclass
class ClearRange(_TrackEdit):
    """Empty frames [start, end) of a track: clips inside go, clips across an end are trimmed, a clip
    across both is cut in two. What an overwrite edit (paste) does before laying its clips down."""

    track_id: str = ""
    start: int = 0
    end: int = 0
    text = "Clear range"
    split_id: str = field(default_factory=new_id)  # fixed here, so redo makes the same clip

    def apply(self, project: Project) -> None:
        if self.end <= self.start:
            raise EditError("an empty range")
        track = project.sequence.track(self.track_id)
        self._begin(track)
        track.clips = clear_range(track.clips, self.start, self.end, self.split_id)


def clear_range(clips: list[Clip], start: int, end: int, split_id: str) -> list[Clip]:
    kept: list[Clip] = []
    for clip in clips:
        if clip.end <= start or clip.start >= end:
            kept.append(clip)
            continue
        if clip.start < start:  # the part before the range stays
            left = copy.deepcopy(clip)
            left.source_out = clip.source_frame(start)
            kept.append(left)
        if clip.end > end:  # the part after the range stays
            right = copy.deepcopy(clip)
            right.id = split_id if clip.start < start else clip.id
            right.source_in, right.start = clip.source_frame(end), end
            kept.append(right)
    return sorted(kept, key=lambda c: c.start)


@dataclass
class RippleDelete(_TrackEdit):
    """Remove frames [start, end) of a track and pull everything after them left to close the gap:
    ripple-deleting a clip, or closing a gap between clips."""

    track_id: str = ""
    start: int = 0
    end: int = 0
    text = "Ripple delete"
    split_id: str = field(default_factory=new_id)  # fixed here, so redo makes the same clip

    def apply(self, project: Project) -> None:
        if self.end <= self.start:
            raise EditError("nothing to delete")
        track = project.sequence.track(self.track_id)
        self._begin(track)
        clips = clear_range(track.clips, self.start, self.end, self.split_id)
        for clip in clips:
            if clip.start >= self.end:
                clip.start -= self.end - self.start
        track.clips = clips


@dataclass
class RippleTrim(_TrackEdit):
    """Trim one edge of a clip and move every later clip on its track by the same amount, so no gap
    opens and nothing is covered. The clip keeps its start; a left-edge trim changes its in-point."""

    clip_id: str = ""
    edge: str = "right"
    frame: int = 0  # where the edge was dragged to
    text = "Ripple trim"

    def apply(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        old_end = clip.end
        trimmed = copy.deepcopy(clip)
        if self.edge == "right":
            trimmed.source_out = clip.source_in + (self.frame - clip.start)
        elif self.edge == "left":
            trimmed.source_in = clip.source_in + (self.frame - clip.start)
        else:
            raise EditError(f"unknown edge {self.edge!r}: use 'left' or 'right'")
        _media_limit_check(project, trimmed)
        shift = trimmed.end - old_end
        self._begin(track)
        clip.source_in, clip.source_out = trimmed.source_in, trimmed.source_out
        for other in track.clips:
            if other is not clip and other.start >= old_end:
                other.start += shift


@dataclass
class RollEdit(_TrackEdit):
    """Move the cut between two touching clips: the first one's out-point and the second one's
    in-point change together, so the sequence's length and everything else stay put."""

    left_id: str = ""
    right_id: str = ""
    frame: int = 0  # the new cut
    text = "Roll edit"

    def apply(self, project: Project) -> None:
        track, left = project.sequence.find_clip(self.left_id)
        right_track, right = project.sequence.find_clip(self.right_id)
        if right_track is not track or left.end != right.start:
            raise EditError("a roll moves the cut between two clips that touch on one track")
        new_left, new_right = copy.deepcopy(left), copy.deepcopy(right)
        new_left.source_out = left.source_frame(self.frame)
        new_right.source_in, new_right.start = right.source_frame(self.frame), self.frame
        _media_limit_check(project, new_left)
        _media_limit_check(project, new_right)
        self._begin(track)
        left.source_out = new_left.source_out
        right.source_in, right.start = new_right.source_in, new_right.start


@dataclass
class SlipClip(_TrackEdit):
    """Show other frames of a clip's media in the same place: in- and out-points move together."""

    clip_id: str = ""
    delta: int = 0  # frames later in the media (negative: earlier)
    text = "Slip clip"

    def apply(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        slipped = copy.deepcopy(clip)
        slipped.source_in += self.delta
        slipped.source_out += self.delta
        _media_limit_check(project, slipped)
        self._begin(track)
        clip.source_in, clip.source_out = slipped.source_in, slipped.source_out


@dataclass
class AddTake(Command):
    """Give a clip's shot one more take (a variation or a remix), without showing it yet."""

    clip_id: str
    media_id: str
    text = "Add take"

    def apply(self, project: Project) -> None:
        _, clip = project.sequence.find_clip(self.clip_id)
        if self.media_id not in project.media:
            raise EditError(f"media {self.media_id} is not in the project")
        if self.media_id in clip.takes:
            raise EditError("the clip has that take already")
        clip.takes.append(self.media_id)

    def revert(self, project: Project) -> None:
        _, clip = project.sequence.find_clip(self.clip_id)
        clip.takes.remove(self.media_id)


@dataclass
class EditClip(Command):
    """Change how a clip shows: its fit in the sequence frame, its retime, its fades (frames)."""

    clip_id: str
    fit: str | None = None
    retime: str | None = None
    fade_in: int | None = None
    fade_out: int | None = None
    text = "Change clip"
    _before: dict | None = field(default=None, init=False, repr=False)

    def _changes(self) -> dict:
        return {k: getattr(self, k) for k in ("fit", "retime", "fade_in", "fade_out") if getattr(self, k) is not None}

    def apply(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        _check_unlocked(track)
        changes = self._changes()
        if changes.get("fit", "fit") not in FITS:
            raise EditError(f"unknown fit {changes['fit']!r}: use {', '.join(FITS)}")
        if changes.get("retime", "frames") not in RETIMES:
            raise EditError(f"unknown retime {changes['retime']!r}: use {', '.join(RETIMES)}")
        for key in ("fade_in", "fade_out"):
            if key in changes and not 0 <= changes[key] <= clip.duration:
                raise EditError(f"a fade of {changes[key]} frames does not fit in a clip of {clip.duration}")
        self._before = {k: getattr(clip, k) for k in changes}
        for key, value in changes.items():
            setattr(clip, key, value)

    def revert(self, project: Project) -> None:
        _, clip = project.sequence.find_clip(self.clip_id)
        for key, value in self._before.items():
            setattr(clip, key, value)


def check_transition(track: Track, transition: Transition) -> None:
    """Refuse a transition that cannot be: unknown kind, no frames, clips that do not touch, or
    longer than the clips on either side of the cut can cover."""
    if transition.kind not in tuple(TransitionKind):
        raise EditError(f"unknown transition {transition.kind!r}")
    if transition.frames <= 0:
        raise EditError("a transition needs at least one frame")
    found = track.cut_of(transition)
    if found is None:
        raise EditError("a transition goes on a cut between two clips that touch on one track")
    left, right, cut = found
    first, end = transition.window(cut)
    if first < left.start or end > right.end:
        longest = longest_transition(left, right)
        raise EditError(f"a {transition.frames}-frame transition is longer than the clips around the cut allow "
                        f"(at most {longest} frames here); make it shorter")


@dataclass
class AddTransition(Command):
    """Put a transition on the cut between two touching clips; one already on that cut is replaced."""

    track_id: str
    transition: Transition
    text = "Add transition"
    _replaced: list[tuple[int, Transition]] = field(default_factory=list, init=False, repr=False)

    def apply(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        _check_unlocked(track)
        check_transition(track, self.transition)
        self._replaced = [(i, t) for i, t in enumerate(track.transitions)
                          if (t.left_id, t.right_id) == (self.transition.left_id, self.transition.right_id)]
        for _, old in self._replaced:
            track.transitions.remove(old)
        track.transitions.append(self.transition)

    def revert(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        track.transitions.remove(self.transition)
        for index, old in self._replaced:
            track.transitions.insert(index, old)


@dataclass
class RemoveTransition(Command):
    track_id: str
    transition_id: str
    text = "Remove transition"
    _removed: tuple[int, Transition] | None = field(default=None, init=False, repr=False)

    def apply(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        _check_unlocked(track)
        transition = track.find_transition(self.transition_id)
        if transition is None:
            raise EditError(f"no transition {self.transition_id} on track {track.name or track.id}")
        self._removed = (track.transitions.index(transition), transition)
        track.transitions.remove(transition)

    def revert(self, project: Project) -> None:
        index, transition = self._removed
        project.sequence.track(self.track_id).transitions.insert(index, transition)


def longest_transition(left: Clip, right: Clip) -> int:
    """The most frames a transition centred on the cut between two clips can cover while staying
    over them: frames // 2 before the cut, the rest from it on."""
    return min(2 * left.duration + 1, 2 * right.duration)


def cut_near(track: Track, frame: int) -> tuple[Clip, Clip] | None:
    """The two touching clips whose cut is nearest a frame (the later cut on a tie); None if the
    track has no cut between touching clips."""
    clips = sorted(track.clips, key=lambda c: c.start)
    cuts = [(a, b) for a, b in zip(clips, clips[1:], strict=False) if a.end == b.start]
    if not cuts:
        return None
    return min(cuts, key=lambda pair: (abs(pair[0].end - frame), -pair[0].end))
