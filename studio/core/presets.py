"""Aspect-ratio and resolution presets, read from studio/resources/presets.toml; where the studio's
data files are."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

# The studio's data files (style sheet, presets, prompt policy) are package data, so an installed
# studio has them as a checkout does. pip installs a wheel's package data as plain files.
RESOURCES = Path(str(files("studio") / "resources"))


@dataclass(frozen=True)
class Aspect:
    name: str
    ratio: tuple[int, int]


@dataclass(frozen=True)
class Resolution:
    name: str
    short_side: int


def load(path: Path = RESOURCES / "presets.toml") -> tuple[list[Aspect], list[Resolution]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    aspects = [Aspect(a["name"], (int(a["ratio"][0]), int(a["ratio"][1]))) for a in data["aspect"]]
    resolutions = [Resolution(r["name"], int(r["short_side"])) for r in data["resolution"]]
    return aspects, resolutions


def frame_size(aspect: Aspect, short_side: int) -> tuple[int, int]:
    """Width and height for an aspect ratio at a short-side length (before the model's snapping)."""
    w, h = aspect.ratio
    if w >= h:
        return round(short_side * w / h), short_side
    return short_side, round(short_side * h / w)
