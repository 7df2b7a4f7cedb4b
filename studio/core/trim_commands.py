"""Edits that rewrite several clips of one track at once, as editors trim: clear a range, ripple
delete, ripple trim, roll, slip. Each keeps a copy of the track's clips to revert to."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .command_base import Command, EditError, _check_unlocked, _max_frames, recorded
from .project import Clip, Project, Track, new_id


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
        project.sequence.track(recorded(self._track_id)).clips = [copy.deepcopy(c) for c in recorded(self._before)]


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
