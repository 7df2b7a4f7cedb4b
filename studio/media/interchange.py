"""Timelines in and out of the studio through OpenTimelineIO: .otio, .otioz (with its media),
FCP 7 XML (Premiere, Resolve) and CMX 3600 EDL (Avid, conform tools).

A studio sequence becomes an OTIO timeline at the sequence's rate: each track a Track, each clip a
Clip whose media reference points at its file, the spaces between clips Gaps, the markers markers.
What only the studio knows travels in metadata under the "studio" key and comes back on import:
a generated shot's recipe, its takes (as the clip's alternative media references, the one in use
active), track locks. Media that is offline becomes a MissingReference that still carries its recipe,
so a shot not generated yet (or lost) can be made again from the imported timeline.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shutil
import tempfile
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

import opentimelineio as otio

from ..core import temporaries
from ..core.commands import longest_transition
from ..core.errors import StudioError
from ..core.project import (
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
    new_id,
)
from ..core.recipe import Recipe
from ..core.settings import cache_dir
from ..core.timebase import FrameRate
from .probe import MediaError, probe

# The formats by suffix, and the OTIO adapter that writes and reads each.
ADAPTERS = {".otio": "otio_json", ".otioz": "otioz", ".xml": "fcp_xml", ".edl": "cmx_3600"}
KEY = "studio"
COMMENT = "studio: "  # how the studio's metadata starts in an FCP XML or EDL clip comment


class InterchangeError(StudioError, ValueError):
    """A timeline that cannot be written or read, with what to do about it."""


def _rt(frames: int, rate: float) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(frames, rate)


def _range(start: int, duration: int, rate: float) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_rt(start, rate), _rt(duration, rate))


def _url(path: Path) -> str:
    return Path(path).absolute().as_uri()


def _path(url: str) -> Path:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme in ("", "file"):
        return Path(urllib.request.url2pathname(parsed.path) if parsed.scheme else url)
    raise InterchangeError(f"the media {url} is not a file on this machine")


def _facts(item: MediaItem) -> dict[str, Any]:
    """What an imported timeline needs to know of a media item when its file is not at hand."""
    return {
        "media_id": item.id,
        "name": item.name,
        "kind": str(item.kind),
        "width": item.width,
        "height": item.height,
        "fps": str(item.fps),
        "frames": item.frames,
        "recipe": item.recipe.to_dict() if item.recipe else None,
    }


def _reference(project: Project, item: MediaItem, rate: float) -> otio.core.MediaReference:
    facts = _facts(item)
    if project.is_offline(item):
        return otio.schema.MissingReference(name=item.name, metadata={KEY: facts})
    available = _range(0, item.frames, rate) if item.kind is not MediaKind.IMAGE else None
    reference = otio.schema.ExternalReference(
        target_url=_url(project.media_path(item)), available_range=available, metadata={KEY: facts}
    )
    reference.name = item.name
    return reference


def to_otio(project: Project, sequence: Sequence | None = None) -> otio.schema.Timeline:
    """The sequence as an OTIO timeline; every time is in the sequence's frames at its rate."""
    sequence = sequence or project.sequence
    rate = float(sequence.fps)
    timeline = otio.schema.Timeline(name=sequence.name or project.name, global_start_time=_rt(0, rate))
    timeline.metadata[KEY] = {
        "fps": str(sequence.fps),
        "width": sequence.width,
        "height": sequence.height,
        "project": project.name,
        "style": sequence.style,
        # Absolute, as media's URLs are: whoever reads the timeline has no project folder to resolve them in.
        "references": [str(project.resolve(path)) for path in sequence.references],
    }
    video = [t for t in sequence.tracks if t.kind is TrackKind.VIDEO]
    audio = [t for t in sequence.tracks if t.kind is TrackKind.AUDIO]
    for track in video + audio:  # OTIO stacks bottom to top, as the studio's V1, V2…
        kind = otio.schema.TrackKind.Video if track.kind is TrackKind.VIDEO else otio.schema.TrackKind.Audio
        out = otio.schema.Track(name=track.name, kind=kind)
        out.enabled = track.enabled
        out.metadata[KEY] = {"id": track.id, "locked": track.locked, "muted": track.muted, "hidden": track.hidden}
        at = 0
        transitions = {(left.id, right.id): t for t, left, right, _ in track.live_transitions()}
        previous = None
        for clip in sorted(track.clips, key=lambda c: c.start):
            if clip.start > at:
                out.append(otio.schema.Gap(source_range=_range(0, clip.start - at, rate)))
            elif previous is not None and (previous.id, clip.id) in transitions:
                out.append(_transition(transitions[previous.id, clip.id], rate))
            out.append(_clip(project, clip, rate))
            at, previous = clip.end, clip
        timeline.tracks.append(out)
    for marker in sequence.markers:
        timeline.tracks.markers.append(
            otio.schema.Marker(
                name=marker.name, marked_range=_range(marker.frame, 0, rate), metadata={KEY: {"id": marker.id}}
            )
        )
    return timeline


def _transition(transition: Transition, rate: float) -> otio.schema.Transition:
    """A studio transition as OTIO's: centred on the cut, frames // 2 over the outgoing clip
    (in_offset) and the rest over the incoming one (out_offset). A dip to black has no SMPTE
    type: it is a custom transition that the studio's metadata names."""
    dissolve = transition.kind is TransitionKind.DISSOLVE
    before = transition.frames // 2
    return otio.schema.Transition(
        name="Cross Dissolve" if dissolve else "Dip to Black",
        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve if dissolve else otio.schema.TransitionTypes.Custom,
        in_offset=_rt(before, rate),
        out_offset=_rt(transition.frames - before, rate),
        metadata={KEY: {"id": transition.id, "kind": str(transition.kind)}},
    )


def _clip(project: Project, clip: Clip, rate: float) -> otio.schema.Clip:
    item = project.media.get(clip.media_id)
    out = otio.schema.Clip(
        name=(item.name if item else clip.media_id) or clip.media_id,
        source_range=_range(clip.source_in, clip.duration, rate),
    )
    takes = [project.media[m] for m in clip.takes if m in project.media]
    # The takes again, as plain facts: FCP XML and EDL keep one reference per clip, but keep comments.
    out.metadata[KEY] = {
        "clip_id": clip.id,
        "media_id": clip.media_id,
        "fit": clip.fit,
        "retime": clip.retime,
        "fade_in": clip.fade_in,
        "fade_out": clip.fade_out,
        "recipe": item.recipe.to_dict() if item and item.recipe else None,
        "takes": [{**_facts(t), "url": None if project.is_offline(t) else _url(project.media_path(t))} for t in takes],
    }
    if item is None:
        out.media_reference = otio.schema.MissingReference(name=clip.media_id)
    elif len(takes) > 1:
        # Each take is an alternative reference; the one the clip shows is active.
        references = {f"take {n}": _reference(project, take, rate) for n, take in enumerate(takes, 1)}
        active = next(k for k, take in zip(references, takes, strict=True) if take.id == item.id)
        out.set_media_references(references, active)
    else:
        out.media_reference = _reference(project, item, rate)
    return out


def write_timeline(project: Project, path: str | os.PathLike[str], sequence: Sequence | None = None) -> Path:
    """Write the sequence to a timeline file, its format by suffix (ADAPTERS); the file appears only
    when complete. An EDL holds one video track: the topmost with clips."""
    path = Path(path)
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        raise InterchangeError(f"{path.name}: write a timeline as {', '.join(ADAPTERS)}")
    if not path.parent.is_dir():
        raise InterchangeError(f"cannot write {path}: the folder {path.parent} does not exist")
    timeline = to_otio(project, sequence)
    options: dict[str, Any] = {}
    if adapter in ("fcp_xml", "cmx_3600"):  # these keep only their own metadata: the studio's goes in comments
        for clip in timeline.find_clips():
            text = json.dumps(_plain(clip.metadata[KEY]), separators=(",", ":"))
            if adapter == "fcp_xml":
                clip.metadata["fcp_xml"] = {"comments": {"mastercomment1": COMMENT + text}}
            else:
                clip.metadata["cmx_3600"] = {"comments": [COMMENT + text]}
    if adapter == "cmx_3600":
        timeline = _edl_ready(timeline)
    elif adapter == "otioz":
        missing = [c.name for c in timeline.find_clips() if isinstance(c.media_reference, otio.schema.MissingReference)]
        if missing:
            raise InterchangeError(
                f"an .otioz carries its media, and these clips have none on this machine: "
                f"{', '.join(missing[:5])}; relink them or write an .otio instead"
            )
        options["media_policy"] = otio.adapters.file_bundle_utils.MediaReferencePolicy.ErrorIfNotFile
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.part{path.suffix}")
    temporaries.hold(tmp)  # no sweep removes it while this process lives
    try:
        otio.adapters.write_to_file(timeline, str(tmp), adapter_name=adapter, **options)
        os.replace(tmp, path)
    except otio.exceptions.OTIOError as exc:
        raise InterchangeError(f"cannot write {path.name}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
        temporaries.release(tmp)
    return path


def _edl_ready(timeline: otio.schema.Timeline) -> otio.schema.Timeline:
    """A copy with the one video track a CMX 3600 EDL can hold (the topmost with clips) and no audio
    (EDL audio channels would need the video beside them) and no alternative takes, nor transitions:
    a CMX dissolve is not centred on the cut, and OTIO's EDL reader gives the outgoing clip back
    shortened by it, so the cut would not come back as it went; a dip to black has no EDL form."""
    tracks = [t for t in timeline.video_tracks() if t.find_clips()]
    if not tracks:
        raise InterchangeError("an EDL lists video clips, and the sequence has none")
    edl = otio.schema.Timeline(name=timeline.name, global_start_time=timeline.global_start_time)
    track = tracks[-1].deepcopy()
    for index in reversed(range(len(track))):
        if isinstance(track[index], otio.schema.Transition):
            del track[index]
    edl.tracks.append(track)
    for clip in edl.find_clips():
        active = clip.media_reference.clone()  # a copy: the clip lets go of the references it held
        clip.set_media_references({"DEFAULT_MEDIA": active}, "DEFAULT_MEDIA")
    return edl


def read_timeline(path: str | os.PathLike[str], rate: float = 24.0) -> Project:
    """A timeline file as a new, unsaved project. Media is linked where it is (offline where it is
    not found); what the studio wrote in its metadata (recipes, takes, locks) comes back. An EDL
    carries no rate: `rate` is the one it was cut at."""
    path = Path(path)
    adapter = ADAPTERS.get(path.suffix.lower())
    if adapter is None:
        raise InterchangeError(f"{path.name}: the studio reads timelines as {', '.join(ADAPTERS)}")
    if not path.is_file():
        raise InterchangeError(f"{path} does not exist")
    options: dict[str, Any] = {}
    if adapter == "cmx_3600":
        options["rate"] = rate
    base = path.parent  # what relative media paths start from
    try:
        if adapter == "otioz":  # its media unpacked once, into our cache, never beside the user's file
            base = unpacked(path)
        timeline = otio.adapters.read_from_file(str(path), adapter_name=adapter, **options)
    except (otio.exceptions.OTIOError, ValueError, KeyError, zipfile.BadZipFile) as exc:
        raise InterchangeError(f"cannot read {path.name}: {exc}") from exc
    return _from_otio(timeline, path.stem, rate, base)


def unpacked(bundle: Path) -> Path:
    """The folder an .otioz's contents are unpacked into: once per version of the bundle (its path,
    size and time), in cache_dir()/otioz, so rendering it again unpacks nothing; unpacking a newer
    version removes the older copy. A project imported from the bundle links its media there."""
    stat = bundle.stat()
    where = hashlib.sha256(str(bundle.resolve()).encode()).hexdigest()[:16]
    version = hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:8]
    root = cache_dir() / "otioz"
    folder = root / f"{where}-{version}"
    if folder.is_dir():
        return folder
    try:
        root.mkdir(parents=True, exist_ok=True)
        part = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=root))
    except OSError as exc:
        raise InterchangeError(f"cannot unpack {bundle.name} into the cache {root}: {exc.strerror or exc}") from exc
    try:
        with zipfile.ZipFile(bundle) as contents:
            contents.extractall(part)  # zipfile keeps every name inside `part`
        os.rename(part, folder)  # whole or not at all: a half-unpacked bundle is never used
    except OSError as exc:
        shutil.rmtree(part, ignore_errors=True)
        if not folder.is_dir():  # another process may have unpacked it first
            raise InterchangeError(f"cannot unpack {bundle.name} into the cache {root}: {exc.strerror or exc}") from exc
    except BaseException:
        shutil.rmtree(part, ignore_errors=True)
        raise
    for older in root.glob(f"{where}-*"):
        if older != folder:
            shutil.rmtree(older, ignore_errors=True)
    return folder


def _from_otio(timeline: otio.schema.Timeline, name: str, default_rate: float, base: Path) -> Project:
    facts = _plain(timeline.metadata.get(KEY, {}))  # plain lists (its references)
    clips = list(timeline.find_clips())
    rate_value = facts.get("fps") or (
        str(clips[0].source_range.duration.rate) if clips and clips[0].source_range else default_rate
    )
    fps = FrameRate.parse(rate_value)
    rate = float(fps)
    project = Project.new(facts.get("project") or timeline.name or name)
    sequence = project.sequence
    sequence.name = timeline.name or name
    sequence.fps = fps
    style = facts.get("style", "")
    sequence.style = style if isinstance(style, str) else ""  # another tool's odd value: no style, not a failure
    references = facts.get("references", [])
    if isinstance(references, list):  # likewise: none rather than a failure
        sequence.references = [r for r in references if isinstance(r, str) and r]
    sequence.tracks = []
    by_url: dict[str, MediaItem] = {}
    for stack_track in timeline.tracks:
        kind = TrackKind.AUDIO if stack_track.kind == otio.schema.TrackKind.Audio else TrackKind.VIDEO
        state = dict(stack_track.metadata.get(KEY, {}))
        track = Track(
            new_id(),
            kind,
            stack_track.name
            or f"{'A' if kind is TrackKind.AUDIO else 'V'}{1 + sum(t.kind is kind for t in sequence.tracks)}",
            locked=bool(state.get("locked")),
            muted=bool(state.get("muted")),
            hidden=bool(state.get("hidden")),
        )
        if not stack_track.enabled:
            track.hidden, track.muted = kind is TrackKind.VIDEO, kind is TrackKind.AUDIO
        pending: otio.schema.Transition | None = None  # a transition waits for the clip after it
        for item in stack_track:
            if isinstance(item, otio.schema.Transition):
                pending = item
                continue
            if not isinstance(item, otio.schema.Clip):
                pending = None
                continue
            placed = stack_track.range_of_child(item)
            start = round(placed.start_time.value_rescaled_to(rate))
            duration = round(placed.duration.value_rescaled_to(rate))
            source_in = round(item.source_range.start_time.value_rescaled_to(rate)) if item.source_range else 0
            studio = _studio_metadata(item)
            references = dict(item.media_references())
            active_reference = references[item.active_media_reference_key]
            listed = studio.get("takes") or []
            if listed and not any(KEY in r.metadata for r in references.values()):
                # FCP XML and EDL keep one bare reference: the takes' facts come from the clip's comment
                references = {str(n): _fact_reference(facts) for n, facts in enumerate(listed)}
                active_reference = next(
                    (
                        r
                        for r, facts in zip(references.values(), listed, strict=True)
                        if facts.get("media_id") == studio.get("media_id")
                    ),
                    active_reference,
                )
            takes = [_media(project, ref, by_url, rate, base) for ref in references.values()]
            active = _media(project, active_reference, by_url, rate, base)
            if active.id not in {t.id for t in takes}:
                takes.append(active)
            if active.recipe is None and studio.get("recipe"):
                active.recipe = Recipe.from_dict(studio["recipe"])
            clip = Clip(
                new_id(),
                active.id,
                start,
                source_in,
                source_in + duration,
                takes=list(dict.fromkeys(t.id for t in takes)),
            )
            _look(clip, studio)
            if pending is not None and track.clips and track.clips[-1].end == clip.start:
                transition = _from_transition(pending, track.clips[-1], clip, rate)
                if transition is not None:
                    track.transitions.append(transition)
            pending = None
            track.clips.append(clip)
        track.sort()
        sequence.tracks.append(track)
    if not any(t.kind is TrackKind.VIDEO for t in sequence.tracks):
        sequence.tracks.insert(0, Track(new_id(), TrackKind.VIDEO, "V1"))
    for marker in timeline.tracks.markers:
        frame = round(marker.marked_range.start_time.value_rescaled_to(rate))
        if not any(m.frame == frame for m in sequence.markers):
            sequence.markers.append(Marker(new_id(), frame, marker.name))
    sequence.markers.sort(key=lambda m: m.frame)
    first = next((m for m in project.media.values() if m.kind is MediaKind.VIDEO and m.width), None)
    sequence.width = int(facts.get("width") or (first.width if first else 1920))
    sequence.height = int(facts.get("height") or (first.height if first else 1080))
    return project


def _look(clip: Clip, studio: dict[str, Any]) -> None:
    """The clip's fit, retime and fades from what the studio wrote, where they are valid."""
    if studio.get("fit") in FITS:
        clip.fit = studio["fit"]
    if studio.get("retime") in RETIMES:
        clip.retime = studio["retime"]
    for key in ("fade_in", "fade_out"):
        value = studio.get(key)
        if isinstance(value, int) and 0 <= value <= clip.duration:
            setattr(clip, key, value)


def _from_transition(item: otio.schema.Transition, left: Clip, right: Clip, rate: float) -> Transition | None:
    """An OTIO transition between two clips as the studio's: its whole length, centred on the cut
    (the studio's transitions always are). A dissolve, or a dip where the studio wrote one; another
    custom kind comes in as a dissolve. None where it has no length or does not fit the clips."""
    frames = round(item.in_offset.value_rescaled_to(rate)) + round(item.out_offset.value_rescaled_to(rate))
    studio = _plain(item.metadata.get(KEY, {}))
    kind = TransitionKind.DIP if isinstance(studio, dict) and studio.get("kind") == "dip" else TransitionKind.DISSOLVE
    if frames <= 0:
        return None
    frames = min(frames, longest_transition(left, right))
    return Transition(new_id(), kind, left.id, right.id, frames)


def _plain(value: Any) -> Any:
    """OTIO's metadata containers as the dicts and lists JSON knows."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, str) or not hasattr(value, "__iter__"):
        return value
    return [_plain(v) for v in value]


def _studio_metadata(clip: otio.schema.Clip) -> dict[str, Any]:
    """What the studio wrote about a clip: its own metadata (.otio), or a comment (FCP XML, EDL)."""
    if KEY in clip.metadata:
        return _plain(clip.metadata[KEY])
    comments: list[str] = []
    fcp = _plain(clip.metadata.get("fcp_xml", {}))
    if isinstance(fcp, dict) and isinstance(fcp.get("comments"), dict):
        comments += [str(v) for v in fcp["comments"].values()]
    cmx = _plain(clip.metadata.get("cmx_3600", {}))
    if isinstance(cmx, dict):
        comments += [str(v) for v in cmx.get("comments", [])]
    for comment in comments:
        if comment.startswith(COMMENT):
            try:
                return dict(json.loads(comment[len(COMMENT) :]))
            except (json.JSONDecodeError, TypeError, ValueError):
                return {}  # a comment someone edited: the cut still imports
    return {}


def _fact_reference(facts: dict[str, Any]) -> otio.core.MediaReference:
    if facts.get("url"):
        return otio.schema.ExternalReference(target_url=facts["url"], metadata={KEY: facts})
    return otio.schema.MissingReference(name=facts.get("name", ""), metadata={KEY: facts})


def _media(
    project: Project, reference: otio.core.MediaReference, by_url: dict[str, MediaItem], rate: float, base: Path
) -> MediaItem:
    """The project's media item for a reference: one per file, probed where the file is here."""
    facts = _plain(reference.metadata.get(KEY, {}))  # plain lists: a recipe holds some (window prompts)
    url = getattr(reference, "target_url", None)
    key = url or f"missing:{facts.get('media_id') or reference.name or id(reference)}"
    if key in by_url:
        return by_url[key]
    recipe = Recipe.from_dict(facts["recipe"]) if facts.get("recipe") else None
    item = MediaItem(new_id(), path="", name=facts.get("name") or reference.name or "", recipe=recipe)
    if url is not None:
        path = _path(url)
        path = path if path.is_absolute() else base / path
        item.path = str(path)
        item.name = item.name or path.name
        try:
            info = probe(path)
            item.kind, item.width, item.height = info.kind, info.width, info.height
            item.fps = info.fps or FrameRate.parse(rate)
            item.frames = (
                info.frames if info.kind is not MediaKind.AUDIO else FrameRate.parse(rate).frames(info.duration)
            )
            item.has_audio = info.has_audio
        except MediaError:  # not on this machine: offline, with what the timeline says of it
            _facts_into(item, facts, reference, rate)
    else:  # a shot with no media: its recipe can make it again
        item.path = f"media/{item.id}-missing.mkv"
        _facts_into(item, facts, reference, rate)
    project.media[item.id] = item
    by_url[key] = item
    return item


def _facts_into(item: MediaItem, facts: dict[str, Any], reference, rate: float) -> None:
    item.kind = MediaKind(facts.get("kind", "video"))
    item.width, item.height = int(facts.get("width", 0)), int(facts.get("height", 0))
    item.fps = FrameRate.parse(facts.get("fps", rate))
    available = getattr(reference, "available_range", None)
    item.frames = int(facts.get("frames") or (round(available.duration.value_rescaled_to(rate)) if available else 0))
