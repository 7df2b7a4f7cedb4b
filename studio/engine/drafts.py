"""Draft, then refine: a card's draft quality, and the recipes of a draft and of its Refine.

A draft is the same shot made quickly (fewer steps, a smaller size, a distilled model where the
publisher ships one) to judge the idea; its Refine makes the full take of the same recipe (same seed,
prompt, conditions and size). A two-pass card ([multiscale], LTX-Video 0.9.7) drafts its first pass
alone, decoded, and keeps that pass's latents beside the take, so the Refine only upsamples and refines
them. No torch here: the editor asks it for its tooltip, requests.prepare for the recipes.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import StudioError
from ..core.recipe import DRAFT, FULL, Recipe
from ..core.shape import multiple_at_most
from .card import Card

DRAFT_KEYS: dict[str, type] = {
    "steps": int,  # the draft's denoising steps; absent: the draft model's default, else the rule's
    "scale": float,  # the draft's size as a fraction of the shot's (0 < scale <= 1), rounded down to the multiple
    "model": str,  # a distilled card's id, the draft made with it (same family: its latents fit the refine)
    "first_pass_only": bool,  # a two-pass card: the draft is the first pass alone, decoded
}
# A card without [draft]: half its steps (rounded up) at its own size. The studio's rule: every
# scheduler takes fewer steps, while a smaller size than a model was trained at can break it.
DEFAULT_STEP_FRACTION = 0.5
DEFAULT_RULE = "half the card's steps, at the shot's size"
# The last two parts of a project's take, media/<id>.mkv; its draft latents go in cache/latents/<id>.safetensors.
LATENTS_FOLDER = ("cache", "latents")


class DraftError(StudioError, ValueError):
    """A [draft] table that cannot be used, or a take that cannot be refined."""


def check_draft(table: dict[str, Any], family: str, multiscale: dict[str, Any], where: str) -> dict[str, Any]:
    """A card's [draft] table, checked: known keys of their types and ranges; first_pass_only only for an
    LTX-Video card whose second pass runs through an upsampler card ([multiscale] upsampler) or that drafts
    with another card's model (whose [multiscale] requests checks)."""
    unknown = sorted(set(table) - set(DRAFT_KEYS))
    if unknown:
        raise DraftError(f"{where}: unknown {', '.join(unknown)} (known: {', '.join(DRAFT_KEYS)})")
    checked: dict[str, Any] = {}
    for key, kind in DRAFT_KEYS.items():
        if key not in table:
            continue
        value = table[key]
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise DraftError(f"{where}: '{key}' should be {kind.__name__}, not {value!r}")
        checked[key] = value
    if checked.get("steps", 1) < 1:
        raise DraftError(f"{where}: steps should be at least 1, not {checked['steps']}")
    if not 0 < checked.get("scale", 1.0) <= 1:
        raise DraftError(f"{where}: scale should be above 0 and at most 1, not {checked['scale']}")
    if checked.get("first_pass_only"):
        if family != "ltx":
            raise DraftError(f"{where}: first_pass_only is for LTX-Video's two passes through an upsampler card")
        if "upsampler" not in multiscale and "model" not in checked:
            raise DraftError(f"{where}: first_pass_only needs a [multiscale] card (a first pass to draft)")
        if "scale" in checked:
            raise DraftError(f"{where}: a first pass's size is [multiscale] first_pass_scale; leave out scale")
    return checked


@dataclass(frozen=True)
class DraftPlan:
    """What a card's draft runs: its model (None: the card's own), steps, size scale, and whether it is a
    two-pass card's first pass alone."""

    model: str | None
    steps: int | None  # None: the draft model's default steps
    scale: float
    first_pass_only: bool
    from_rule: bool = False  # the card has no [draft]: DEFAULT_RULE


def plan(card: Card) -> DraftPlan:
    """The card's [draft], or the rule (DEFAULT_RULE) for a card without one."""
    table = card.draft
    if not table:
        return DraftPlan(None, math.ceil(card.default_steps * DEFAULT_STEP_FRACTION), 1.0, False, from_rule=True)
    return DraftPlan(
        table.get("model"), table.get("steps"), table.get("scale", 1.0), bool(table.get("first_pass_only"))
    )


def first_pass_alone(recipe: Recipe, card: Card) -> bool:
    """Whether a recipe run with this card is a two-pass card's first pass alone: a draft, with a card whose
    draft is first_pass_only (its [multiscale] upsampler is not needed)."""
    return recipe.quality == DRAFT and bool(card.multiscale) and plan(card).first_pass_only


def first_pass_size(width: int, height: int, multiscale: dict[str, Any], multiple: int) -> tuple[int, int]:
    """A two-pass shot's first pass size: first_pass_scale of the shot's, rounded down to the multiple
    (the LTX adapter's first_pass_size, which the refine's upsampling starts from)."""
    scale = multiscale["first_pass_scale"]
    return multiple_at_most(int(width * scale), multiple), multiple_at_most(int(height * scale), multiple)


def draft_recipe(full: Recipe, card: Card, draft_card: Card) -> Recipe:
    """The draft of a prepared full recipe: draft_card's model (the card's own, or its [draft] model),
    the draft's steps and size; `full` keeps what the Refine asks for. Not yet prepared (snapped)."""
    draft = plan(card)
    steps = draft.steps if draft.steps is not None else draft_card.default_steps
    if draft.first_pass_only:
        multiscale = card.multiscale or draft_card.multiscale
        width, height = first_pass_size(full.width, full.height, multiscale, card.size_multiple)
    else:
        width = multiple_at_most(int(full.width * draft.scale), card.size_multiple)
        height = multiple_at_most(int(full.height * draft.scale), card.size_multiple)
    other_model = draft_card.id != card.id
    return dataclasses.replace(
        full,
        model=draft_card.id if other_model else full.model,
        steps=steps,
        # a distilled model wants its own guidance (1.0, no classifier-free guidance)
        guidance=draft_card.guidance_for(full.mode) if other_model else full.guidance,
        width=width,
        height=height,
        flow_shift=None,  # the card's for the draft's size, filled in by prepare
        quality=DRAFT,
        full={
            "model": full.model,
            "steps": full.steps,
            "guidance": full.guidance,
            "width": full.width,
            "height": full.height,
            "flow_shift": full.flow_shift,
        },
        draft=None,
    )


def refine_recipe(draft: Recipe, take: str | os.PathLike[str]) -> Recipe:
    """The Refine of a draft take: its recipe at full quality (the model, steps, guidance and size its
    `full` keeps; the same seed, prompt and conditions), remembering the draft it came from (take: the
    draft's file, relative to the project where it is inside one). DraftError for a take that is no draft."""
    if draft.quality != DRAFT or not draft.full:
        raise DraftError("it is not a draft (only a draft take can be refined; remix it to make it again)")
    return dataclasses.replace(
        draft,
        **draft.full,
        quality=FULL,
        full=None,
        model_revision=None,
        upsampler=None,
        draft={
            "take": str(take),
            "model": draft.model,
            "steps": draft.steps,
            "guidance": draft.guidance,
            "width": draft.width,
            "height": draft.height,
        },
    )


def latents_path(take: str | os.PathLike[str], project_folder: str | os.PathLike[str] | None = None) -> Path:
    """Where a draft take's first-pass latents are kept: a project's take (PROJECT/media/ID.mkv) in the
    project's cache, PROJECT/cache/latents/ID.safetensors; any other file beside it, NAME.latents.safetensors."""
    take = Path(take)
    if project_folder is not None and not take.is_absolute():
        take = Path(project_folder) / take
    if take.parent.name == "media" and (take.parent.parent / "cache").is_dir():
        return take.parent.parent.joinpath(*LATENTS_FOLDER, f"{take.stem}.safetensors")
    return take.with_name(f"{take.stem}.latents.safetensors")


def describe(card: Card, width: int, height: int, draft_card: Card | None = None) -> str:
    """What a Draft of this card makes, for the Shot panel's tooltip: "8 steps at 512x352 with …"."""
    draft = plan(card)
    if draft_card is None or draft.model is None:
        draft_card = card
    steps = draft.steps if draft.steps is not None else draft_card.default_steps
    if draft.first_pass_only:
        w, h = first_pass_size(width, height, card.multiscale or draft_card.multiscale, card.size_multiple)
    else:
        w = multiple_at_most(int(width * draft.scale), card.size_multiple)
        h = multiple_at_most(int(height * draft.scale), card.size_multiple)
    text = f"{steps} steps at {w}x{h}"
    if draft_card.id != card.id:
        text += f" with {draft_card.name}"
    if draft.first_pass_only:
        text += ", the first pass alone (Refine upsamples and refines it)"
    if draft.from_rule:
        text += f" ({DEFAULT_RULE}: the card sets no draft)"
    return text
