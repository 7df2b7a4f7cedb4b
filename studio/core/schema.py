"""What a project file must hold: the types, ranges and unique ids checked before a Project is built.

Every loader (store.load, autosave recovery, the CLI) goes through `check_project`, so a damaged or
hand-edited file is refused with one line that says what is wrong where — "sequences[0].fps: must be
a positive finite frame rate, got Infinity" — instead of failing later, deep in the editor. JSON is
read with `parse`, which turns absurdly long integers into a value that fails the checks (Python's
own parser raises an error without a location for them).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from .errors import StudioError
from .project import FITS, RETIMES, MediaKind, TrackKind, TransitionKind
from .recipe import QUALITIES, Mode

INT_MAX = 2**31 - 1  # frame counts, sizes and indices: what Qt's int and ffmpeg take
SEED_MAX = 2**64 - 1
SIZE_MAX = 16384  # pixels
FPS_MIN, FPS_MAX = 0.01, 1000
_DIGITS_MAX = 30  # longer integer literals are kept as HugeInt
_RATE = re.compile(r"^\s*(\d{1,9})\s*(?:/\s*(\d{1,9})\s*)?$")


class InvalidProject(StudioError, ValueError):
    """A value in a project file that is of the wrong type or out of range; str() says where."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.where = where
        self.problem = problem


class HugeInt:
    """An integer literal too long to be any value the studio uses."""

    def __init__(self, text: str) -> None:
        self.digits = len(text.lstrip("-"))

    def __repr__(self) -> str:
        return f"a {self.digits}-digit number"


def parse(text: str) -> Any:
    """json.loads, except that integers of more than 30 digits become HugeInt (refused by the checks)."""
    return json.loads(text, parse_int=lambda s: int(s) if len(s) <= _DIGITS_MAX else HugeInt(s))


def shown(value: Any) -> str:
    """A value as the file spells it, short: Infinity, null, "text", a 5000-digit number."""
    if isinstance(value, HugeInt):
        return repr(value)
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    text = json.dumps(value)
    return text if len(text) <= 40 else text[:37] + "…"


def _fail(where: str, what: str, value: Any) -> InvalidProject:
    return InvalidProject(where, f"must be {what}, got {shown(value)}")


# The value checks: each returns the value or raises InvalidProject naming `where`.


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(where, "an object", value)
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(where, "a list", value)
    return value


def _text(value: Any, where: str, *, empty: bool = True, optional: bool = False) -> None:
    if value is None and optional:
        return
    if not isinstance(value, str) or (not empty and not value):
        raise _fail(where, "text" if empty else "non-empty text", value)


def _bool(value: Any, where: str) -> None:
    if not isinstance(value, bool):
        raise _fail(where, "true or false", value)


def _int(value: Any, where: str, low: int = 0, high: int = INT_MAX, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    # bool is an int to Python, but true is no frame count
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _fail(where, f"a whole number from {low} to {high}", value)


def _number(value: Any, where: str, low: float, high: float, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if (
        not isinstance(value, int | float)
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not low <= value <= high
    ):
        raise _fail(where, f"a number from {low:g} to {high:g}", value)


def _choice(value: Any, where: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise _fail(where, "one of " + ", ".join(choices), value)


def _rate(value: Any, where: str) -> None:
    """A frame rate as the file writes it ("24", "30000/1001") or a plain number."""
    rate: float | None = None
    if isinstance(value, str):
        match = _RATE.match(value)
        if match is not None:
            rate = int(match[1]) / int(match[2] or 1) if int(match[2] or 1) else None
        else:
            try:
                rate = float(value)  # "23.976"
            except ValueError:
                rate = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        rate = float(value)
    if rate is None or not FPS_MIN <= rate <= FPS_MAX:  # also NaN and Infinity
        raise _fail(where, f"a positive finite frame rate ({FPS_MIN:g} to {FPS_MAX})", value)


def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _get(data: dict[str, Any], key: str, where: str, check, *args: Any, **kwargs: Any) -> None:
    """Check data[key] if it is there; absent keys take the loader's default."""
    if key in data:
        check(data[key], _at(where, key), *args, **kwargs)


def _required(data: dict[str, Any], key: str, where: str) -> Any:
    if key not in data:
        raise InvalidProject(_at(where, key), "is missing")
    return data[key]


# The parts of a project


def check_recipe(value: Any, where: str) -> None:
    data = _object(value, where)
    _choice(_required(data, "mode", where), f"{where}.mode", tuple(m.value for m in Mode))
    _text(_required(data, "model", where), f"{where}.model")
    _text(_required(data, "prompt", where), f"{where}.prompt")
    for key in ("negative_prompt", "style"):
        _get(data, key, where, _text)
    for key in ("expanded_prompt", "model_revision", "upsampler"):
        _get(data, key, where, _text, optional=True)
    _get(data, "seed", where, _int, 0, SEED_MAX)
    _get(data, "steps", where, _int, 1, 10_000, optional=True)
    _get(data, "guidance", where, _number, 0, 1000, optional=True)
    _get(data, "width", where, _int, 1, SIZE_MAX)
    _get(data, "height", where, _int, 1, SIZE_MAX)
    _get(data, "frames", where, _int, 1)
    _get(data, "fps", where, _number, FPS_MIN, FPS_MAX)  # the engine's rate: a plain number
    _get(data, "strength", where, _number, 0, 1)
    _get(data, "bridge_frames", where, _int, 1, optional=True)
    _get(data, "flow_shift", where, _number, 0, 1000, optional=True)
    _get(data, "quality", where, _choice, QUALITIES)
    for key in ("full", "draft"):  # a draft's full version; a refine's draft
        if data.get(key) is not None:
            _object(data[key], f"{where}.{key}")
    for key in ("window_prompts", "references"):
        if key in data:
            for i, text in enumerate(_list(data[key], f"{where}.{key}")):
                _text(text, f"{where}.{key}[{i}]")
    for i, condition in enumerate(_list(data.get("conditions", []), f"{where}.conditions")):
        at = f"{where}.conditions[{i}]"
        condition = _object(condition, at)
        _text(_required(condition, "path", at), f"{at}.path", empty=False)
        _get(condition, "frame_index", at, _int, -INT_MAX)
        _get(condition, "media_id", at, _text, optional=True)
        _get(condition, "strength", at, _number, 0, 1000)
        _get(condition, "source_in", at, _int)
        _get(condition, "source_out", at, _int, optional=True)


def _check_media(value: Any, where: str) -> None:
    data = _object(value, where)
    _text(_required(data, "id", where), f"{where}.id", empty=False)
    _text(_required(data, "path", where), f"{where}.path", empty=False)
    _get(data, "kind", where, _choice, tuple(k.value for k in MediaKind))
    _get(data, "width", where, _int, 0, 65536)
    _get(data, "height", where, _int, 0, 65536)
    _get(data, "fps", where, _rate)
    _get(data, "frames", where, _int)
    _get(data, "has_audio", where, _bool)
    _get(data, "name", where, _text)
    if data.get("recipe") is not None:  # null or absent: imported footage
        check_recipe(data["recipe"], f"{where}.recipe")


def _check_clip(value: Any, where: str) -> None:
    data = _object(value, where)
    _text(_required(data, "id", where), f"{where}.id", empty=False)
    _text(_required(data, "media_id", where), f"{where}.media_id", empty=False)
    _int(_required(data, "start", where), f"{where}.start")
    source_in = _required(data, "source_in", where)
    _int(source_in, f"{where}.source_in", -INT_MAX)  # a still's clip may start before its one frame
    _int(_required(data, "source_out", where), f"{where}.source_out", source_in + 1)
    for i, take in enumerate(_list(data.get("takes", []), f"{where}.takes")):
        _text(take, f"{where}.takes[{i}]", empty=False)
    _get(data, "fit", where, _choice, FITS)
    _get(data, "retime", where, _choice, RETIMES)
    _get(data, "fade_in", where, _int)
    _get(data, "fade_out", where, _int)


def _check_track(value: Any, where: str) -> None:
    data = _object(value, where)
    _text(_required(data, "id", where), f"{where}.id", empty=False)
    _get(data, "kind", where, _choice, tuple(k.value for k in TrackKind))
    _get(data, "name", where, _text)
    for key in ("locked", "muted", "hidden"):
        _get(data, key, where, _bool)
    for i, clip in enumerate(_list(data.get("clips", []), f"{where}.clips")):
        _check_clip(clip, f"{where}.clips[{i}]")
    for i, transition in enumerate(_list(data.get("transitions", []), f"{where}.transitions")):
        at = f"{where}.transitions[{i}]"
        transition = _object(transition, at)
        _text(_required(transition, "id", at), f"{at}.id", empty=False)
        _get(transition, "kind", at, _choice, tuple(k.value for k in TransitionKind))
        _text(_required(transition, "left_id", at), f"{at}.left_id")
        _text(_required(transition, "right_id", at), f"{at}.right_id")
        _int(_required(transition, "frames", at), f"{at}.frames", 1)


def _check_sequence(value: Any, where: str) -> None:
    data = _object(value, where)
    _text(_required(data, "id", where), f"{where}.id", empty=False)
    _get(data, "name", where, _text)
    _get(data, "fps", where, _rate)
    _get(data, "width", where, _int, 1, SIZE_MAX)
    _get(data, "height", where, _int, 1, SIZE_MAX)
    _get(data, "style", where, _text)
    for i, reference in enumerate(_list(data.get("references", []), f"{where}.references")):
        _text(reference, f"{where}.references[{i}]", empty=False)
    for i, track in enumerate(_list(data.get("tracks", []), f"{where}.tracks")):
        _check_track(track, f"{where}.tracks[{i}]")
    for i, marker in enumerate(_list(data.get("markers", []), f"{where}.markers")):
        at = f"{where}.markers[{i}]"
        marker = _object(marker, at)
        _text(_required(marker, "id", at), f"{at}.id", empty=False)
        _int(_required(marker, "frame", at), f"{at}.frame")
        _get(marker, "name", at, _text)


def _unique_ids(data: dict[str, Any]) -> None:
    """Each kind of thing has ids of its own: two media items (or clips, tracks…) with one id would
    make every reference to it ambiguous, so the file is refused rather than one silently dropped."""
    seen: dict[tuple[str, str], str] = {}

    def claim(kind: str, item: dict[str, Any], where: str) -> None:
        first = seen.setdefault((kind, item["id"]), where)
        if first != where:
            raise InvalidProject(
                f"{where}.id", f"the {kind} id {shown(item['id'])} is also used by {first}; give one of them another id"
            )

    for i, media in enumerate(data.get("media", [])):
        claim("media", media, f"media[{i}]")
    for s, sequence in enumerate(data.get("sequences", [])):
        claim("sequence", sequence, f"sequences[{s}]")
        for m, marker in enumerate(sequence.get("markers", [])):
            claim("marker", marker, f"sequences[{s}].markers[{m}]")
        for t, track in enumerate(sequence.get("tracks", [])):
            at = f"sequences[{s}].tracks[{t}]"
            claim("track", track, at)
            for c, clip in enumerate(track.get("clips", [])):
                claim("clip", clip, f"{at}.clips[{c}]")
            for n, transition in enumerate(track.get("transitions", [])):
                claim("transition", transition, f"{at}.transitions[{n}]")


def check_project(data: Any) -> None:
    """Raise InvalidProject for the first value of a (migrated) project file that the studio cannot use."""
    data = _object(data, "")
    _get(data, "name", "", _text)
    for i, media in enumerate(_list(data.get("media", []), "media")):
        _check_media(media, f"media[{i}]")
    for i, sequence in enumerate(_list(data.get("sequences", []), "sequences")):
        _check_sequence(sequence, f"sequences[{i}]")
    _unique_ids(data)  # a clip's media_id may name no media item: it shows as missing, as elsewhere
