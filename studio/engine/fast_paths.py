"""The fast paths a card may ask for, as its [speed] table, and the user's settings that turn them off
or override them. No torch here: the cards are read by the editor; runtime/speed.py applies them.

    [speed]
    compile = "regional"          # torch.compile of the transformer's repeated blocks (CUDA; once per size)
    cache = "first_block"         # diffusers' First Block Cache: a step reuses the last one's residual
    cache_threshold = 0.05        #   when the first block's output changed less than this (relative)
    cache_modes = ["text_to_video"]   # the modes it runs in; others run uncached (where it hurts the picture)
    quantize = "int8"             # torchao weights on the offload tiers only: "int8" (weight-only) or "fp8"
"""

from __future__ import annotations

import os
from typing import Any

from ..core.errors import StudioError
from ..core.recipe import Mode

FAST_ENV = "STUDIO_FAST"  # 0: every fast path off, for a bit-exact stock run
ATTENTION_ENV = "STUDIO_ATTENTION"  # a diffusers attention backend instead of the one chosen for the device
COMPILE_ENV = "STUDIO_COMPILE"  # 1: compile on the CPU too (off there by default: benchmarks/results.md)

COMPILE = ("off", "regional")
CACHES = ("off", "first_block")
QUANTIZE = ("off", "int8", "fp8")
SPEED_KEYS: dict[str, type | tuple[type, ...]] = {
    "compile": str,
    "cache": str,
    "cache_threshold": (int, float),
    "cache_modes": list,
    "quantize": str,
}


class SpeedError(StudioError, ValueError):
    """A fast path asked for that the card's table, the device or the installed packages cannot give."""


def check_speed(table: dict[str, Any]) -> dict[str, Any]:
    """A card's [speed] table checked: known keys, known values; ValueError saying what is wrong."""
    unknown = sorted(set(table) - set(SPEED_KEYS))
    if unknown:
        raise ValueError(f"unknown {', '.join(unknown)} (known: {', '.join(SPEED_KEYS)})")
    for key, kind in SPEED_KEYS.items():
        if key in table and (not isinstance(table[key], kind) or isinstance(table[key], bool)):
            raise ValueError(f"{key} should be a {_kind_name(kind)}, not {table[key]!r}")
    for key, allowed in (("compile", COMPILE), ("cache", CACHES), ("quantize", QUANTIZE)):
        if key in table and table[key] not in allowed:
            raise ValueError(f"{key} = {table[key]!r} should be one of {', '.join(repr(a) for a in allowed)}")
    checked = dict(table)
    if "cache_threshold" in table:
        if table.get("cache", "off") == "off":
            raise ValueError('cache_threshold is set but no cache is chosen (cache = "first_block")')
        if not 0 < table["cache_threshold"] < 1:
            raise ValueError(f"cache_threshold should be between 0 and 1, not {table['cache_threshold']}")
        checked["cache_threshold"] = float(table["cache_threshold"])
    if "cache_modes" in table:
        modes = [str(m) for m in Mode]
        wrong = [m for m in table["cache_modes"] if m not in modes]
        if wrong:
            raise ValueError(f"cache_modes names {', '.join(map(repr, wrong))}, not a mode (modes: {', '.join(modes)})")
    return checked


def _kind_name(kind: type | tuple[type, ...]) -> str:
    if kind is str:
        return "string"
    return "list of modes" if kind is list else "number"


def fast_paths_enabled() -> bool:
    """False when the user asked for the stock path ($STUDIO_FAST=0)."""
    return os.environ.get(FAST_ENV, "1").strip().lower() not in ("0", "off", "no", "false")


def cache_threshold(speed: dict[str, Any]) -> float:
    """The card's First Block Cache threshold; diffusers' default (FirstBlockCacheConfig) where not set."""
    return float(speed.get("cache_threshold", 0.05))


def cache_runs_in(speed: dict[str, Any], mode: Mode | str) -> bool:
    """Whether the card's step cache runs in a mode: every mode unless the card lists some."""
    if speed.get("cache", "off") == "off" or not fast_paths_enabled():
        return False
    return str(mode) in speed.get("cache_modes", [str(m) for m in Mode])
