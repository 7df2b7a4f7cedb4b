"""Edits to the sequence itself rather than to one clip: its format, its style and references, its markers, its
tracks."""

from __future__ import annotations

from dataclasses import dataclass, field

from .command_base import Command, EditError, _check_unlocked, recorded
from .project import Marker, Project, Track, TrackKind
from .timebase import FrameRate


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
        seq.width, seq.height, seq.fps = recorded(self._old)


@dataclass
class SetSequenceStyle(Command):
    """Set the look every new shot of the sequence is asked for (Sequence.style); takes already made keep theirs."""

    style: str
    _old: str | None = field(default=None, repr=False)

    @property
    def text(self) -> str:  # type: ignore[override]
        return "Set sequence style" if self.style.strip() else "Clear sequence style"

    def apply(self, project: Project) -> None:
        self._old = project.sequence.style
        project.sequence.style = self.style.strip()

    def revert(self, project: Project) -> None:
        project.sequence.style = recorded(self._old)


@dataclass
class SetSequenceReferences(Command):
    """Set the reference images every new shot of the sequence is given (Sequence.references), for models that
    take them; takes already made keep theirs."""

    references: list[str]
    _old: list[str] | None = field(default=None, repr=False)

    @property
    def text(self) -> str:  # type: ignore[override]
        return "Set sequence references" if self.references else "Clear sequence references"

    def apply(self, project: Project) -> None:
        self._old = list(project.sequence.references)
        project.sequence.references = list(dict.fromkeys(self.references))  # each image once, in order

    def revert(self, project: Project) -> None:
        project.sequence.references = recorded(self._old)


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
        marker.name, marker.frame = recorded(self._before)
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
        index, marker = recorded(self._removed)
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
        index, track = recorded(self._removed)
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
        for key, value in recorded(self._before).items():
            setattr(track, key, value)
