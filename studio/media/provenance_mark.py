"""The mark: the facts a file with generated material carries (the recipes of its generated shots and
the media it was made from), and the marks for a take, for a set of recipes and for a stretch of a
sequence. provenance.py writes it into tags and sidecars; provenance_signing.py into a C2PA manifest.

Any recipe can be marked: the record is strict JSON. Numbers JSON has no word for (NaN, infinities)
are written as the strings "NaN", "Infinity" and "-Infinity", which float() reads back; text is kept
as it is (JSON escapes a NUL and every control character), except for lone surrogates, which no
UTF-8 file can hold and which become U+FFFD. The one-line summary drops control characters.
"""

from __future__ import annotations

import json
import math
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.project import Project, Sequence, TrackKind
from ..core.recipe import Recipe
from .probe import MediaError

DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
RECIPE_LABEL = "org.studio.recipe"
GENERATOR = "studio"
COMMENT_PREFIX = "AI-generated (studio)"


class ProvenanceError(MediaError):
    """A file could not be marked or read back as generated, with the reason."""


@dataclass(frozen=True)
class Mark:
    """The facts a file with generated material carries: the recipes of its generated shots and the
    media it was made from."""

    recipes: tuple[dict[str, Any], ...]  # Recipe.to_dict() of each generated shot, in order
    sources: tuple[Path, ...] = ()  # files it was made from, for the manifest's ingredients
    relationship: str = "componentOf"  # the sources' part: "componentOf" (a cut) or "inputTo" (a generation)

    def record(self) -> dict[str, Any]:
        """The record the tags, the sidecar and the manifest's recipe assertion hold: strict JSON, whatever
        the recipes hold (see the module's notes)."""
        return _json_safe(
            {
                "ai_generated": True,
                "generator": GENERATOR,
                "digital_source_type": DIGITAL_SOURCE_TYPE,
                "recipes": list(self.recipes),
            }
        )

    def record_json(self) -> str:
        """The record as compact JSON, for the tags."""
        return json.dumps(self.record(), separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def summary(self) -> str:
        """One line for people: AI-generated (studio): the shots' models, seeds and prompts."""
        shots = [_recipe_line(r) for r in self.record()["recipes"]]
        if len(shots) > 3:
            shots = [*shots[:3], f"and {len(shots) - 3} more"]
        text = f"{COMMENT_PREFIX}: {'; '.join(shots)}"
        text = "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)  # NUL, escapes, newlines
        return " ".join(text.split())  # one line, for every container


def _recipe_line(recipe: dict[str, Any]) -> str:
    prompt = str(recipe.get("expanded_prompt") or recipe.get("prompt") or "")
    if len(prompt) > 80:
        prompt = prompt[:77] + "…"
    line = f'{recipe.get("mode", "?")} by {recipe.get("model", "?")}, seed {recipe.get("seed", "?")}, "{prompt}"'
    partial = recipe.get("partial")
    if isinstance(partial, dict):
        line += (
            f" (partial: {partial.get('frames', '?')} of {partial.get('of_frames', '?')} frames, "
            f"window {partial.get('windows', '?')} of {partial.get('of_windows', '?')})"
        )
    return line


_SURROGATE = re.compile("[\ud800-\udfff]")


def _json_safe(value: Any) -> Any:
    """value with what strict JSON and UTF-8 cannot hold replaced: non-finite floats by "NaN", "Infinity"
    or "-Infinity", lone surrogates by U+FFFD; anything not JSON by its text."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else "Infinity" if value > 0 else "-Infinity"
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {str(_json_safe(k)): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int):
        return value
    return _json_safe(str(value))


def mark_for_recipes(
    recipes: Iterable[Recipe], sources: Iterable[str | os.PathLike[str]] = (), relationship: str = "inputTo"
) -> Mark:
    return Mark(tuple(r.to_dict() for r in recipes), tuple(Path(s) for s in sources), relationship)


def mark_for_take(
    recipe: Recipe,
    folder: str | os.PathLike[str] | None = None,
    *,
    partial: tuple[int, int, int, int] | None = None,
) -> Mark:
    """The mark of a take the engine made from recipe, with the files it was conditioned on (relative
    to folder) as ingredients. partial = (frames made, frames planned, windows made, windows planned)
    marks a long shot's take so far: its recipe says how much of the shot it holds (of an extension or
    a bridge, the frames it made, not its clip's)."""
    data = recipe.to_dict()
    if partial is not None:
        made, of_frames, windows, of_windows = partial
        data["partial"] = {"frames": made, "of_frames": of_frames, "windows": windows, "of_windows": of_windows}
    return Mark((data,), tuple(recipe_sources(recipe, Path(folder) if folder is not None else None)), "inputTo")


def recipe_sources(recipe: Recipe, folder: Path | None = None) -> list[Path]:
    """The files a recipe was conditioned on (clips, stills, references) that exist, relative to folder."""
    found = []
    for text in [c.path for c in recipe.conditions] + list(recipe.references):
        path = Path(text)
        if not path.is_absolute() and folder is not None:
            path = folder / path
        if path.is_file() and path not in found:
            found.append(path)
    return found


def mark_for_sequence(
    project: Project, sequence: Sequence, first: int, end: int, *, picture: bool = True, sound: bool = True
) -> Mark | None:
    """The mark for frames [first, end) of a sequence as rendered, or None when no generated media is in
    them: only clips on tracks that are rendered (video tracks not hidden when picture, audio tracks
    not muted when sound) count."""
    recipes: dict[str, dict[str, Any]] = {}
    sources: list[Path] = []
    for track in sequence.tracks:
        wanted = picture if track.kind is TrackKind.VIDEO else sound
        if not wanted or not track.enabled:
            continue
        for clip in track.clips:
            if clip.end <= first or clip.start >= end:
                continue
            item = project.media.get(clip.media_id)
            if item is None:
                continue
            path = project.media_path(item)
            if path not in sources:
                sources.append(path)
            if item.recipe is not None and item.id not in recipes:
                recipes[item.id] = item.recipe.to_dict()
    if not recipes:
        return None
    return Mark(tuple(recipes.values()), tuple(sources), "componentOf")
