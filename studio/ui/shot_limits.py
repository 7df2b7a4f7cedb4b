"""What the chosen model makes, for the Shot panel: sizes and lengths by the card's own rules.

The rules are the engine's (engine.sizes.snap for sizes and the frame rule, engine.windows for
long shots), asked with a probe recipe, so the panel offers exactly what a job would be given and
never keeps a second copy of them. No torch here.
"""

from __future__ import annotations

import math

from ..core.recipe import Mode, Recipe
from ..engine import windows
from ..engine.cards import Card
from ..engine.sizes import SizeError, snap


def _probe(card: Card, width: int, height: int, frames: int) -> Recipe:
    return Recipe(mode=Mode.TEXT_TO_VIDEO, model=card.id, prompt="probe", width=width, height=height, frames=frames)


def made_size(card: Card, width: int, height: int) -> tuple[int, int]:
    """The size the model makes for width × height (rounded to its multiples); SizeError when it
    makes nothing that large."""
    made, _ = snap(_probe(card, width, height, 1), card)
    return made.width, made.height


def made_frames(card: Card, frames: int) -> int:
    """The frames a shot of `frames` gets: the nearest count the frame rule allows, or all of them when
    the shot is longer than the model makes at once and is made in windows. SizeError or
    windows.LongShotError when the model can do neither."""
    probe = _probe(card, card.default_width, card.default_height, frames)
    if windows.is_long(probe, card):
        windows.check(probe, card)
        return frames
    made, _ = snap(probe, card)
    return made.frames


def window_count(card: Card, frames: int) -> int:
    """How many windows a shot of `frames` is made in (1 when the model makes it at once)."""
    probe = _probe(card, card.default_width, card.default_height, frames)
    return len(windows.plan(probe, card)) if windows.is_long(probe, card) else 1


def longest_seconds(card: Card, fps: float) -> float | None:
    """The longest shot in seconds at fps, to two decimals and never over the model's longest; None when
    the model makes longer shots in windows and so has no limit of its own."""
    try:
        made_frames(card, card.max_frames + 1)
        return None
    except (SizeError, windows.LongShotError):
        return math.floor(card.max_frames / fps * 100) / 100
