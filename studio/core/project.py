"""The film as data: a project holds media items and sequences; a sequence holds tracks of clips.

Pure Python. The views observe it through the commands that change it (see commands.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
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


@dataclass
class Clip:
    """A stretch of one media item placed on a track.

    `start` is the clip's first frame on the timeline; `source_in`/`source_out` are the half-open
    frame range of the media that it shows. A generated shot keeps all its takes; `media_id` is the
    active one.
    """

    id: str
    media_id: str
    start: int
    source_in: int
    source_out: int
    takes: list[str] = field(default_factory=list)

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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Clip:
        return cls(
            id=data["id"],
            media_id=data["media_id"],
            start=int(data["start"]),
            source_in=int(data["source_in"]),
            source_out=int(data["source_out"]),
            takes=list(data.get("takes", [])),
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

    def overlaps(self, start: int, end: int, ignore: set[str] = frozenset()) -> bool:
        return any(c.start < end and start < c.end for c in self.clips if c.id not in ignore)

    def to_dict(self) -> dict[str, Any]:
        data = {"id": self.id, "kind": str(self.kind), "name": self.name, "clips": [c.to_dict() for c in self.clips]}
        data.update({k: True for k in ("locked", "muted", "hidden") if getattr(self, k)})
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
        path = Path(item.path)
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
