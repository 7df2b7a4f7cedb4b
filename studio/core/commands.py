"""Edit commands: each change to a project is an object that can apply itself and revert itself.

The editor wraps them in Qt undo commands; the CLI and the tests apply them directly. A command
checks its edit before changing anything, so a refused edit leaves the project as it was.

The clip edits live here; the sequence's own edits (format, markers, tracks), the track-wide trims and
the transitions have modules of their own, and every command is importable from here as well.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from .command_base import Command, EditError, _check_placement, _check_unlocked, _max_frames, recorded
from .project import FITS, RETIMES, Clip, MediaItem, MediaKind, Project, Sequence, TrackKind, new_id
from .sequence_commands import (
    AddMarker,
    AddTrack,
    DeleteMarker,
    EditMarker,
    EditTrack,
    RemoveTrack,
    SetSequenceFormat,
    SetSequenceReferences,
    SetSequenceStyle,
)
from .transition_commands import AddTransition, RemoveTransition, check_transition, cut_near, longest_transition
from .trim_commands import ClearRange, RippleDelete, RippleTrim, RollEdit, SlipClip, clear_range

__all__ = [
    "AddClip",
    "AddMarker",
    "AddMedia",
    "AddTake",
    "AddTrack",
    "AddTransition",
    "ClearRange",
    "Command",
    "DeleteClip",
    "DeleteMarker",
    "EditClip",
    "EditError",
    "EditMarker",
    "EditTrack",
    "MoveClip",
    "RemoveTrack",
    "RemoveTransition",
    "RippleDelete",
    "RippleTrim",
    "RollEdit",
    "SetActiveTake",
    "SetSequenceFormat",
    "SetSequenceReferences",
    "SetSequenceStyle",
    "SlipClip",
    "SplitClip",
    "TrimClip",
    "UseTake",
    "add_clip_with_sound",
    "check_transition",
    "clear_range",
    "cut_near",
    "longest_transition",
]


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
        sound = next(
            (
                t
                for t in seq.tracks
                if t.kind is TrackKind.AUDIO and not t.locked and not t.overlaps(start, start + length)
            ),
            None,
        )
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
        old_track_id, old_start = recorded(self._old)
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
                raise EditError(f"the clip's media ends after {limit} frames; use Extend to generate more")
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
        clip.start, clip.source_in, clip.source_out = recorded(self._old)
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
        clip.source_out, clip.fade_in, clip.fade_out = recorded(self._old_out)


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
        track_id, clip = recorded(self._removed)
        track = project.sequence.track(track_id)
        track.clips.append(clip)
        track.sort()


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
            raise EditError(
                f"that take has {limit} frames and the clip shows up to frame {clip.source_out}; trim the clip first"
            )
        self._old = clip.media_id
        clip.media_id = self.media_id

    def revert(self, project: Project) -> None:
        _, clip = project.sequence.find_clip(self.clip_id)
        clip.media_id = recorded(self._old)


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
        _check_placement(
            project.sequence, track.id, self.start, self.start + self.source_out - self.source_in, {clip.id}
        )
        self._old = (clip.media_id, clip.start, clip.source_in, clip.source_out, list(clip.takes))
        if self.media_id not in clip.takes:
            clip.takes.append(self.media_id)
        clip.media_id, clip.start, clip.source_in, clip.source_out = (
            self.media_id,
            self.start,
            self.source_in,
            self.source_out,
        )
        track.sort()

    def revert(self, project: Project) -> None:
        track, clip = project.sequence.find_clip(self.clip_id)
        clip.media_id, clip.start, clip.source_in, clip.source_out, clip.takes = recorded(self._old)
        track.sort()


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
        for key, value in recorded(self._before).items():
            setattr(clip, key, value)
