"""Sizes and frame counts a model can make: snap a recipe to the nearest ones, and say so.

A size that only needs rounding is rounded with a note a person can read; a size no rounding
can fix (zero, negative, beyond the card's maximum) is a SizeError.
"""

from __future__ import annotations

import dataclasses

from ..core.errors import StudioError
from ..core.recipe import Recipe
from ..core.shape import nearest_multiple, nearest_valid_frames
from .cards import Card


class SizeError(StudioError, ValueError):
    """A size or frame count the model cannot make."""


def snap(recipe: Recipe, card: Card) -> tuple[Recipe, list[str]]:
    """The recipe with width, height and frames the card's model can make, and notes on what changed."""
    notes: list[str] = []
    sizes = {}
    for name, limit in (("width", card.max_width), ("height", card.max_height)):
        value = getattr(recipe, name)
        if not isinstance(value, int) or value <= 0:
            raise SizeError(f"the {name} must be a positive number of pixels, not {value}")
        if value > limit:
            raise SizeError(f"a {name} of {value} is larger than {card.name} can make (at most {limit})")
        snapped = min(nearest_multiple(value, card.size_multiple), limit)
        if snapped != value:
            notes.append(f"{name} {value} → {snapped}: {card.label} needs multiples of {card.size_multiple}")
        sizes[name] = snapped

    frames = recipe.frames
    if not isinstance(frames, int) or frames <= 0:
        raise SizeError(f"the frame count must be positive, not {frames}")
    if frames > card.max_frames:
        raise SizeError(f"{frames} frames is more than {card.name} can make at once (at most {card.max_frames})")
    snapped_frames = min(nearest_valid_frames(frames, card.frame_step), card.max_frames)
    if snapped_frames != frames:
        notes.append(f"frames {frames} → {snapped_frames}: {card.label} needs {card.frame_step}k+1 frames")
    if recipe.fps <= 0:
        raise SizeError(f"the frame rate must be positive, not {recipe.fps}")

    conditions = []
    for condition in recipe.conditions:
        index = condition.frame_index
        if index < 0 or index >= frames:
            raise SizeError(f"an input image is placed at frame {index}, outside the shot's {frames} frames")
        if index == frames - 1 and index > 0:  # a last-frame condition stays on the last frame
            index = snapped_frames - 1
        elif index >= snapped_frames:
            raise SizeError(f"an input image is placed at frame {index}, outside the shot's {snapped_frames} frames")
        conditions.append(dataclasses.replace(condition, frame_index=index))

    result = dataclasses.replace(
        recipe, width=sizes["width"], height=sizes["height"], frames=snapped_frames, conditions=conditions
    )
    return result, notes
