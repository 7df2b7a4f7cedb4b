"""What every edit command shares: the Command interface, EditError, and the checks that refuse an edit
before it changes anything (a locked track, an overlap, frames the media does not have)."""

from __future__ import annotations

from typing import TypeVar

from .errors import StudioError
from .project import MediaKind, Project, Sequence, Track, conformed_length


class EditError(StudioError, ValueError):
    """An edit that cannot be made, with a reason a person can read."""


class Command:
    text = "Edit"

    def apply(self, project: Project) -> None:
        raise NotImplementedError

    def revert(self, project: Project) -> None:
        raise NotImplementedError


T = TypeVar("T")


def recorded(value: T | None) -> T:
    """What apply() kept for revert(); a revert before its apply is a bug, not a user's mistake."""
    if value is None:
        raise RuntimeError("an edit was reverted before it was applied")
    return value


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
