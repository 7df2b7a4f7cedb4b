"""The film as data: a project holds media items and sequences; a sequence holds tracks of clips.

Pure Python. The views observe it through the commands that change it (see commands.py).
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

from .recipe import Recipe
from .timebase import FrameRate


def new_id() -> str:
    return uuid.uuid4().hex[:12]


class MediaKind(StrEnum):
    VIDEO = "video"
    IMAGE = "image"
    AUDIO = "audio"


@dataclass
class MediaItem:
    """A file the project uses. A generated take is a media item with the recipe that made it."""

    id: str
    path: str  # relative to the project folder when inside it, else absolute
    kind: MediaKind = MediaKind.VIDEO
    width: int = 0
    height: int = 0
    fps: FrameRate = field(default_factory=lambda: FrameRate(24))
    frames: int = 0
    has_audio: bool = False
    recipe: Recipe | None = None
    name: str = ""

    @property
    def is_generated(self) -> bool:
        return self.recipe is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "path": self.path,
            "kind": str(self.kind),
            "width": self.width,
            "height": self.height,
            "fps": str(self.fps),
            "frames": self.frames,
            "has_audio": self.has_audio,
            "recipe": self.recipe.to_dict() if self.recipe else None,
            "name": self.name,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MediaItem:
        return cls(
            id=data["id"],
            path=data["path"],
            kind=MediaKind(data.get("kind", "video")),
            width=int(data.get("width", 0)),
            height=int(data.get("height", 0)),
            fps=FrameRate.parse(data.get("fps", "24")),
            frames=int(data.get("frames", 0)),
            has_audio=bool(data.get("has_audio", False)),
            recipe=Recipe.from_dict(data["recipe"]) if data.get("recipe") else None,
            name=data.get("name", ""),
        )


FITS = ("fit", "fill", "stretch")  # a clip of another shape in the sequence frame: bars, crop, distort
RETIMES = ("frames", "flow")  # a clip of another rate: nearest source frame, or optical-flow in-betweens


def media_position(frame: int | Fraction, media_fps: FrameRate, sequence_fps: FrameRate) -> Fraction:
    """Where a clip's source frame (counted at the sequence rate, see Clip) falls in the media's
    own frames: exact, usually between two of them when the rates differ."""
    return Fraction(frame) * media_fps.fraction / sequence_fps.fraction


def nearest_media_frame(frame: int, media_fps: FrameRate, sequence_fps: FrameRate) -> int:
    """The media frame nearest in time to a clip's source frame (halves round up): frame repeat/drop."""
    return math.floor(media_position(frame, media_fps, sequence_fps) + Fraction(1, 2))


def conformed_length(media_frames: int, media_fps: FrameRate, sequence_fps: FrameRate) -> int:
    """How many sequence-rate frames a media of `media_frames` frames lasts: those whose nearest
    media frame exists (a 60-frame 30 fps take is 48 frames on a 24 fps sequence)."""
    if media_fps == sequence_fps:
        return media_frames
    bound = (media_frames - Fraction(1, 2)) * sequence_fps.fraction / media_fps.fraction
    return max(0, math.ceil(bound))


@dataclass
class Clip:
    """A stretch of one media item placed on a track.

    `start` is the clip's first frame on the timeline; `source_in`/`source_out` are the half-open
    range of the media that it shows, counted in frames at the sequence's rate on the media's own
    clock (media time × sequence fps). When the media's rate is the sequence's these are simply
    media frames; otherwise the clip plays at its real speed and compose picks the media frame for
    each of its frames as `retime` says (see media_position). So the clip's length on the timeline
    is always source_out - source_in, and every edit's arithmetic is whole frames.

    `fit` says how a clip of another shape fills the sequence frame; `fade_in`/`fade_out` are fades
    from and to black over that many of its first/last frames. A generated shot keeps all its takes;
    `media_id` is the active one.
    """

    id: str
    media_id: str
    start: int
    source_in: int
    source_out: int
    takes: list[str] = field(default_factory=list)
    fit: str = "fit"
    retime: str = "frames"
    fade_in: int = 0
    fade_out: int = 0

    def __post_init__(self) -> None:
        if self.media_id not in self.takes:
            self.takes.append(self.media_id)

    @property
    def duration(self) -> int:
        return self.source_out - self.source_in

    @property
    def end(self) -> int:
        """The first timeline frame after the clip."""
        return self.start + self.duration

    def source_frame(self, timeline_frame: int) -> int:
        return self.source_in + (timeline_frame - self.start)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "media_id": self.media_id,
            "start": self.start,
            "source_in": self.source_in,
            "source_out": self.source_out,
            "takes": list(self.takes),
            # Written only when set, so files stay small; older files load with the defaults.
            **{k: getattr(self, k) for k, default in _CLIP_DEFAULTS.items() if getattr(self, k) != default},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Clip:
        clip = cls(
            id=data["id"],
            media_id=data["media_id"],
            start=int(data["start"]),
            source_in=int(data["source_in"]),
            source_out=int(data["source_out"]),
            takes=list(data.get("takes", [])),
            fit=str(data.get("fit", "fit")),
            retime=str(data.get("retime", "frames")),
            fade_in=int(data.get("fade_in", 0)),
            fade_out=int(data.get("fade_out", 0)),
        )
        if clip.fit not in FITS or clip.retime not in RETIMES:
            raise ValueError(f"clip {clip.id}: unknown fit {clip.fit!r} or retime {clip.retime!r}")
        return clip


_CLIP_DEFAULTS = {"fit": "fit", "retime": "frames", "fade_in": 0, "fade_out": 0}


class TransitionKind(StrEnum):
    DISSOLVE = "dissolve"  # cross-dissolve: the outgoing picture blends into the incoming one
    DIP = "dip"  # dip to black: out to black by the cut, up from black after it


@dataclass
class Transition:
    """A transition at the cut between two touching clips of one track, centred on the cut: it
    covers `frames` frames from cut - frames // 2. Over it the outgoing clip runs on past its end
    and the incoming one starts before its start, on the media's handles where the media has
    them, else holding their edge frames. It applies while the two clips touch; an edit that
    separates them leaves it in the track, inert, until undo brings them together again."""

    id: str
    kind: TransitionKind
    left_id: str
    right_id: str
    frames: int

    def window(self, cut: int) -> tuple[int, int]:
        """The frames [first, end) it covers around a cut."""
        first = cut - self.frames // 2
        return first, first + self.frames

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "left_id": self.left_id,
            "right_id": self.right_id,
            "frames": self.frames,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Transition:
        return cls(
            id=data["id"],
            kind=TransitionKind(data.get("kind", "dissolve")),
            left_id=data["left_id"],
            right_id=data["right_id"],
            frames=int(data["frames"]),
        )


class TrackKind(StrEnum):
    VIDEO = "video"
    AUDIO = "audio"


@dataclass
class Track:
    id: str
    kind: TrackKind = TrackKind.VIDEO
    name: str = ""
    clips: list[Clip] = field(default_factory=list)  # kept sorted by start, never overlapping
    locked: bool = False  # its clips cannot be edited
    muted: bool = False  # an audio track left out of playback and export
    hidden: bool = False  # a video track left out of the viewer and export
    transitions: list[Transition] = field(default_factory=list)

    @property
    def enabled(self) -> bool:
        """Whether the track is seen or heard: not hidden (video), not muted (audio)."""
        return not (self.hidden if self.kind is TrackKind.VIDEO else self.muted)

    def sort(self) -> None:
        self.clips.sort(key=lambda c: c.start)

    def clip_at(self, frame: int) -> Clip | None:
        for clip in self.clips:
            if clip.start <= frame < clip.end:
                return clip
        return None

    def find(self, clip_id: str) -> Clip | None:
        return next((c for c in self.clips if c.id == clip_id), None)

    def overlaps(self, start: int, end: int, ignore: AbstractSet[str] = frozenset()) -> bool:
        return any(c.start < end and start < c.end for c in self.clips if c.id not in ignore)

    def cut_of(self, transition: Transition) -> tuple[Clip, Clip, int] | None:
        """The two clips and the cut a transition joins; None while they do not touch (it is inert)."""
        left, right = self.find(transition.left_id), self.find(transition.right_id)
        if left is None or right is None or left.end != right.start:
            return None
        return left, right, left.end

    def live_transitions(self) -> list[tuple[Transition, Clip, Clip, int]]:
        """The transitions in effect, with their clips and cuts, in timeline order."""
        if not self.transitions:
            return []
        by_id = {clip.id: clip for clip in self.clips}  # one pass, not a search per transition
        live = []
        for transition in self.transitions:
            left, right = by_id.get(transition.left_id), by_id.get(transition.right_id)
            if left is not None and right is not None and left.end == right.start:
                live.append((transition, left, right, left.end))
        return sorted(live, key=lambda entry: entry[3])

    def transition_at(self, frame: int) -> tuple[Transition, Clip, Clip, int] | None:
        """The transition in effect at a timeline frame, with its clips and cut."""
        for entry in self.live_transitions():
            first, end = entry[0].window(entry[3])
            if first <= frame < end:
                return entry
        return None

    def find_transition(self, transition_id: str) -> Transition | None:
        return next((t for t in self.transitions if t.id == transition_id), None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "kind": str(self.kind),
            "name": self.name,
            "clips": [c.to_dict() for c in self.clips],
        }
        data.update({k: True for k in ("locked", "muted", "hidden") if getattr(self, k)})
        if self.transitions:
            data["transitions"] = [t.to_dict() for t in self.transitions]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Track:
        track = cls(
            id=data["id"],
            kind=TrackKind(data.get("kind", "video")),
            name=data.get("name", ""),
            clips=[Clip.from_dict(c) for c in data.get("clips", [])],
            locked=bool(data.get("locked", False)),
            muted=bool(data.get("muted", False)),
            hidden=bool(data.get("hidden", False)),
            transitions=[Transition.from_dict(t) for t in data.get("transitions", [])],
        )
        track.sort()
        return track


@dataclass
class Marker:
    """A named point on the sequence: a note, a beat, where a shot must land."""

    id: str
    frame: int
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "frame": self.frame, "name": self.name}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Marker:
        return cls(id=data["id"], frame=int(data["frame"]), name=data.get("name", ""))


@dataclass
class Sequence:
    id: str
    name: str = "Sequence 1"
    fps: FrameRate = field(default_factory=lambda: FrameRate(24))
    width: int = 768
    height: int = 512
    tracks: list[Track] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)  # kept sorted by frame
    # The look every shot made for the sequence is asked for, after its own prompt (Recipe.style): the
    # shots of one film share a style without the words being typed into each.
    style: str = ""
    # Reference images every shot of the sequence is given where its model takes them (Recipe.references:
    # a character, an object, a place that stays the same from shot to shot), stored as media paths are.
    references: list[str] = field(default_factory=list)

    @property
    def duration(self) -> int:
        """Frames from 0 to the end of the last clip on any track."""
        return max((c.end for t in self.tracks for c in t.clips), default=0)

    def video_tracks(self) -> list[Track]:
        return [t for t in self.tracks if t.kind is TrackKind.VIDEO]

    def find_clip(self, clip_id: str) -> tuple[Track, Clip]:
        for track in self.tracks:
            clip = track.find(clip_id)
            if clip is not None:
                return track, clip
        raise KeyError(f"no clip {clip_id} in sequence {self.name}")

    def track(self, track_id: str) -> Track:
        for track in self.tracks:
            if track.id == track_id:
                return track
        raise KeyError(f"no track {track_id} in sequence {self.name}")

    def marker(self, marker_id: str) -> Marker:
        for marker in self.markers:
            if marker.id == marker_id:
                return marker
        raise KeyError(f"no marker {marker_id} in sequence {self.name}")

    def marker_at(self, frame: int) -> Marker | None:
        return next((m for m in self.markers if m.frame == frame), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "fps": str(self.fps),
            "width": self.width,
            "height": self.height,
            "tracks": [t.to_dict() for t in self.tracks],
            "markers": [m.to_dict() for m in self.markers],
            "style": self.style,
            "references": list(self.references),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Sequence:
        return cls(
            id=data["id"],
            name=data.get("name", "Sequence"),
            fps=FrameRate.parse(data.get("fps", "24")),
            width=int(data.get("width", 768)),
            height=int(data.get("height", 512)),
            tracks=[Track.from_dict(t) for t in data.get("tracks", [])],
            markers=sorted((Marker.from_dict(m) for m in data.get("markers", [])), key=lambda m: m.frame),
            style=data.get("style", ""),
            references=list(data.get("references", [])),
        )

    @classmethod
    def new(
        cls, name: str = "Sequence 1", fps: FrameRate | None = None, width: int = 768, height: int = 512
    ) -> Sequence:
        return cls(
            id=new_id(),
            name=name,
            fps=fps or FrameRate(24),
            width=width,
            height=height,
            tracks=[Track(new_id(), TrackKind.VIDEO, "V1"), Track(new_id(), TrackKind.AUDIO, "A1")],
        )


@dataclass
class Project:
    """A project lives in a folder `Name.studio/` (see store.py). `folder` is None until first saved."""

    name: str = "Untitled"
    folder: Path | None = None
    media: dict[str, MediaItem] = field(default_factory=dict)
    sequences: list[Sequence] = field(default_factory=list)

    @classmethod
    def new(cls, name: str = "Untitled") -> Project:
        return cls(name=name, sequences=[Sequence.new()])

    @property
    def sequence(self) -> Sequence:
        """The sequence being edited (one per project for now)."""
        return self.sequences[0]

    def media_path(self, item: MediaItem) -> Path:
        """The absolute path of a media item's file."""
        return self.resolve(item.path)

    def resolve(self, stored: str) -> Path:
        """A path as the project stores it (relative_path: media, the sequence's references) made absolute."""
        path = Path(stored)
        if path.is_absolute() or self.folder is None:
            return path
        return self.folder / path

    def relative_path(self, path: Path) -> str:
        """How to store a path: relative to the project folder when it lies inside it."""
        path = Path(path).absolute()
        if self.folder is not None:
            try:
                return path.relative_to(self.folder.absolute()).as_posix()
            except ValueError:
                pass
        return str(path)

    def is_offline(self, item: MediaItem) -> bool:
        return not self.media_path(item).exists()
