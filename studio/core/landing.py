"""Where a generated take lands: the kinds of landing a job can have, and the pure function that turns
a finished take into the edit commands that put it there.

The editor decides the landing when it queues a job and keeps it (in jobs.json too) until the take
exists; then `land` says what to push. Nothing here knows about Qt or the engine, so every kind of
landing, and the frame arithmetic of extensions and continuations, is tested without a window.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from .commands import (
    AddClip,
    AddMedia,
    AddTake,
    Command,
    SetActiveTake,
    SetSequenceFormat,
    UseTake,
    add_clip_with_sound,
)
from .project import Clip, MediaItem, MediaKind, Project, Track, conformed_length, new_id
from .recipe import Recipe
from .timebase import FrameRate


@dataclass
class Spot:
    """Where a shot on its way is drawn on the timeline (its placeholder), and where it lands."""

    track_id: str
    start: int
    frames: int
    label: str

    @property
    def end(self) -> int:
        return self.start + self.frames


@dataclass
class NewShot:
    """A shot of its own: a media item and a clip where its placeholder stood (Generate, Fill Gap).
    Variations share a group: the first take to land makes the clip, the others join its takes."""

    take_id: str
    track_id: str | None = None  # where it lands, if not on the generate track (a filled gap's)
    group: str | None = None


@dataclass
class Remix:
    """A new take of an existing clip's shot; the clip shows it if it still shows the take it came from."""

    take_id: str
    clip_id: str
    from_media: str


@dataclass
class Extension:
    """A take that holds the clip's take's exact frames plus new ones before ("left") or after ("right")."""

    take_id: str
    clip_id: str
    edge: str  # "left" or "right": the edge that was dragged past the media
    frames: int  # how far the edge was dragged past the media
    old_frames: int  # the extended take's length before


@dataclass
class Replacement:
    """A take made from the frames the clip shows (a loop, a restyle): the clip then shows all of it."""

    take_id: str
    clip_id: str
    new_frames: int  # frames the take adds after what the clip showed (a loop's); 0: same length
    old_frames: int  # the clip's media's length


@dataclass
class Continuation:
    """A new shot whose first frame is a clip's last, landing right after that clip."""

    take_id: str
    track_id: str
    start: int


Landing = NewShot | Remix | Extension | Replacement | Continuation


@dataclass
class Landed:
    """What a finished take does to the project: the commands to push as one undo step, and what the
    editor shows after. When the commands are refused (an EditError), `fallback` is pushed instead."""

    commands: list[Command]
    text: str  # the undo step's name
    message: str | None = None
    select: str | None = None  # the clip to select
    show: tuple[str, int, int] | None = None  # track id, start, end: frames to scroll into view
    fallback: list[Command] | None = None
    fallback_text: str = ""
    fallback_message: str | None = None  # said with the refusal after it
    group_clip: tuple[str, str] | None = None  # (group, clip id): where the group's other takes go
    takes_changed: bool = False  # a clip's takes changed (the inspector shows them)


# jobs.json keeps a landing in the form every earlier studio wrote (and reads it back), one set of keys
# whichever the kind; a landing with keys this studio does not know raises TypeError (another version's).
_SAVED_KEYS = ("take_id", "extension", "track_id", "clip_id", "from_media", "group", "start")


def landing_to_dict(landing: Landing) -> dict[str, Any]:
    saved: dict[str, Any] = dict.fromkeys(_SAVED_KEYS)
    saved["take_id"] = landing.take_id
    if isinstance(landing, NewShot):
        saved.update(track_id=landing.track_id, group=landing.group)
    elif isinstance(landing, Remix):
        saved.update(clip_id=landing.clip_id, from_media=landing.from_media)
    elif isinstance(landing, Extension):
        saved["extension"] = {
            "clip_id": landing.clip_id,
            "edge": landing.edge,
            "frames": landing.frames,
            "old_frames": landing.old_frames,
        }
    elif isinstance(landing, Replacement):
        saved["extension"] = {
            "clip_id": landing.clip_id,
            "edge": "whole",
            "frames": landing.new_frames,
            "old_frames": landing.old_frames,
        }
    else:
        saved.update(track_id=landing.track_id, start=landing.start)
    return saved


def landing_from_dict(data: Mapping[str, Any]) -> Landing:
    """Raises TypeError for a landing this studio cannot read (unknown or missing keys)."""
    unknown = set(data) - set(_SAVED_KEYS)
    if unknown or "take_id" not in data:
        raise TypeError(f"a landing with the keys {sorted(data)}")
    get = data.get
    if get("extension") is not None:
        ext = get("extension")
        if not isinstance(ext, Mapping) or set(ext) != {"clip_id", "edge", "frames", "old_frames"}:
            raise TypeError(f"an extension that is not one this studio writes: {ext!r}")
        if ext["edge"] == "whole":
            return Replacement(data["take_id"], ext["clip_id"], ext["frames"], ext["old_frames"])
        return Extension(data["take_id"], **ext)
    if get("clip_id") is not None:
        if get("from_media") is None:
            raise TypeError(f"a remix without the media it was made from: {dict(data)!r}")
        return Remix(data["take_id"], data["clip_id"], data["from_media"])
    if get("start") is not None:
        if get("track_id") is None:
            raise TypeError(f"a continuation without its track: {dict(data)!r}")
        return Continuation(data["take_id"], data["track_id"], data["start"])
    return NewShot(data["take_id"], track_id=get("track_id"), group=get("group"))


def spot_from_dict(data: Mapping[str, Any] | None) -> Spot | None:
    """Raises TypeError for a placeholder this studio cannot read."""
    return None if data is None else Spot(**data)


def spot_to_dict(spot: Spot | None) -> dict[str, Any] | None:
    return None if spot is None else asdict(spot)


def free_start(track: Track, start: int, frames: int, spots: Iterable[Spot]) -> int:
    """Where a shot of `frames` can land: at `start` if that stretch is free of clips and of other
    shots on their way, else after everything on the track."""
    pending = [s for s in spots if s.track_id == track.id]
    busy = track.overlaps(start, start + frames) or any(s.start < start + frames and start < s.end for s in pending)
    if not busy:
        return start
    return max([c.end for c in track.clips] + [s.end for s in pending] + [0])


class FinishedJob(Protocol):
    """What a finished job says of its take (engine.jobs.JobDone; core does not import the engine)."""

    @property
    def output(self) -> str: ...
    @property
    def recipe(self) -> Recipe: ...
    @property
    def width(self) -> int: ...
    @property
    def height(self) -> int: ...
    @property
    def fps(self) -> float: ...
    @property
    def frames(self) -> int: ...
    @property
    def audio(self) -> bool: ...


def take_item(take_id: str, project: Project, done: FinishedJob) -> MediaItem:
    """The media item a finished job's take file becomes."""
    return MediaItem(
        id=take_id,
        path=project.relative_path(Path(done.output)),
        kind=MediaKind.VIDEO,
        width=done.width,
        height=done.height,
        fps=FrameRate.parse(done.fps),
        frames=done.frames,
        recipe=done.recipe,
        name=done.recipe.title[:60],
        has_audio=done.audio,
    )


def land(
    landing: Landing,
    item: MediaItem,
    project: Project,
    *,
    spot: Spot | None,
    spots: Iterable[Spot] = (),
    playhead: int = 0,
    default_track: str,
    groups: Mapping[str, str] | None = None,
) -> Landed:
    """The commands that put a finished take where its landing says. `spot` is its own placeholder (None
    when it had none), `spots` every other shot still on its way, `default_track` the track a shot lands
    on when its own is gone (the editor's generate track), `groups` the clips variations landed in."""
    groups = groups or {}
    if isinstance(landing, Extension | Replacement):
        return _extension(landing, item, project)
    if isinstance(landing, Remix):
        return _take(item, project, landing.clip_id, remix_of=landing.from_media)
    if isinstance(landing, NewShot) and landing.group is not None and landing.group in groups:
        return _take(item, project, groups[landing.group], remix_of=None)
    seq = project.sequence
    track_id = (
        landing.track_id if landing.track_id is not None and _has_track(project, landing.track_id) else default_track
    )
    track = seq.track(track_id)
    if isinstance(landing, Continuation):
        return _continuation(item, track, landing.start, spots)
    start = free_start(track, spot.start if spot else playhead, item.frames, spots)
    commands: list[Command] = [AddMedia(item)]
    length = item.frames
    # The first shot sets the sequence's format; a draft sets the size its Refine will have.
    full = item.recipe.full if item.recipe is not None and item.recipe.full else {}
    width, height = full.get("width", item.width), full.get("height", item.height)
    if seq.duration == 0 and (seq.width, seq.height, seq.fps) != (width, height, item.fps):
        commands.append(SetSequenceFormat(width, height, item.fps))
    else:  # another rate plays at its own speed, so it lasts its time in the sequence's frames
        length = conformed_length(item.frames, item.fps, seq.fps)
    placed = add_clip_with_sound(seq, track.id, item, start, length)  # as when a file with sound is dropped
    picture = placed[0].clip
    return Landed(
        [*commands, *placed],
        "Generate shot",
        f"Shot ready: {item.frames} frames at {item.width}×{item.height}",
        select=picture.id,
        show=(track.id, start, start + length),
        group_clip=(landing.group, picture.id) if landing.group is not None else None,
    )


def _has_track(project: Project, track_id: str) -> bool:
    return any(t.id == track_id for t in project.sequence.tracks)


def _take(item: MediaItem, project: Project, clip_id: str, remix_of: str | None) -> Landed:
    """A remix or a further variation joins its clip's takes; a remix is shown if the clip still shows
    the take it was made from. A deleted clip leaves the take in the bin."""
    try:
        _, clip = project.sequence.find_clip(clip_id)
    except KeyError:
        return Landed([AddMedia(item)], "Add take")
    added = [AddMedia(item), AddTake(clip.id, item.id)]
    shown = [SetActiveTake(clip.id, item.id)] if remix_of is not None and clip.media_id == remix_of else []
    return Landed(
        [*added, *shown],
        "Remix take" if remix_of is not None else "Add variation",
        f"New take of the shot ready ({len(clip.takes) + 1} takes)",
        # a take of another length than the clip shows: kept among the takes
        fallback=added,
        fallback_text="Add take",
        takes_changed=True,
    )


def _continuation(item: MediaItem, track: Track, wanted: int, spots: Iterable[Spot]) -> Landed:
    """The continuation's first frame is the clip's last: the clip starts one frame in, so that frame
    does not show twice."""
    start = free_start(track, wanted, item.frames - 1, spots)
    clip = Clip(new_id(), item.id, start, min(1, item.frames - 1), item.frames)
    return Landed(
        [AddMedia(item), AddClip(track.id, clip)],
        "Continue shot",
        f"Continuation ready: {clip.duration} new frames",
        select=clip.id,
        show=(track.id, clip.start, clip.end),
    )


def _extension(landing: Extension | Replacement, item: MediaItem, project: Project) -> Landed:
    """The extended take holds the old take's exact frames plus the new ones; the clip now shows it,
    reaching exactly as far as it was dragged."""
    try:
        _, clip = project.sequence.find_clip(landing.clip_id)
    except KeyError:  # the clip was deleted meanwhile: keep the take in the bin
        return Landed([AddMedia(item)], "Add extended take")
    text = "Extend clip"
    if isinstance(landing, Replacement):  # made from the frames the clip shows: the clip now shows all of it
        place = (clip.start, 0, item.frames)
        if landing.new_frames:
            text, message = "Loop clip", f"Looped: {landing.new_frames} frames lead back into its start"
        else:  # a restyle: as long as the model remade it, which may be less than the clip showed
            part = f": {item.frames} of its {clip.duration} frames" if item.frames < clip.duration else ""
            text, message = "Restyle clip", f"Restyled{part}"
    elif landing.edge == "right":  # as far as dragged, or as far as the take goes (a long one cancelled)
        dragged = min(landing.frames, item.frames - landing.old_frames)
        place = (clip.start, clip.source_in, landing.old_frames + dragged)
        message = f"Extended by {dragged} frames"
    else:  # the old frames now start `added` frames into the take
        added = item.frames - landing.old_frames  # new frames (at least as many as were asked for)
        media_start = clip.start - clip.source_in
        place = (media_start - landing.frames, added - landing.frames, clip.source_out + added)
        message = f"Extended by {landing.frames} frames"
    return Landed(
        [AddMedia(item), UseTake(clip.id, item.id, *place)],
        text,
        message,
        fallback=[AddMedia(item)],
        fallback_text="Add extended take",
        fallback_message="The extended take is in the bin; it no longer fits on the timeline: ",
    )
