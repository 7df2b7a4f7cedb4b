"""The recipes made from a clip: extend, loop, restyle, bridge (connect) and continue.

The editor and the CLI both build these; here is the one place that says which mode, how many frames
the model must make for the new frames asked for, and which inputs go in. Everything else (prompt,
seed, steps, model…) comes from the base recipe the caller passes, which the builder copies; the guidance
only where it was set by hand (kept_guidance). No torch.
"""

from __future__ import annotations

import dataclasses
from typing import TypedDict, Unpack

from ..core.recipe import RESTYLE_STRENGTH, Condition, Mode, Recipe
from ..core.shape import valid_frames_at_least, valid_frames_at_most
from .cards import Card
from .modes import overlap_frames


class Shot(TypedDict, total=False):
    """The base recipe's fields a builder's caller may set for the take (`**shot`): its size and fps
    where they differ from the base's, and what the editor clears or fills in."""

    prompt: str
    expanded_prompt: str | None
    width: int
    height: int
    fps: float
    model_revision: str | None
    window_prompts: list[str]
    references: list[str]


def kept_guidance(base: Recipe, card: Card) -> float | None:
    """The guidance a recipe made from `base` in another mode keeps: base's where it was set by hand, else
    None (the card's default for the new mode, filled in by prepare): a guidance that suits text to video
    need not suit extending a clip ([mode_guidance] in the card)."""
    if base.guidance is None or base.guidance == card.guidance_for(base.mode):
        return None
    return base.guidance


def extend_frames(card: Card, new_frames: int) -> int:
    """Frames the model makes so that at least `new_frames` of them are new (k overlap the clip)."""
    return valid_frames_at_least(new_frames + overlap_frames(card), card.frame_step)


def two_sided_frames(card: Card, new_frames: int) -> int:
    """A loop's or a bridge's: k frames overlap each end."""
    return valid_frames_at_least(new_frames + 2 * overlap_frames(card), card.frame_step)


def restyle_frames(card: Card, clip_frames: int) -> int:
    """As many frames as the clip has: down to a count the model can make, or all of them where it is longer
    than the model makes at once (remade a part at a time: engine/windows.py)."""
    if clip_frames > card.max_frames:
        return clip_frames
    return valid_frames_at_most(clip_frames, card.frame_step)


def extend_recipe(
    base: Recipe, card: Card, clip: Condition, new_frames: int, *, backward: bool = False, **shot: Unpack[Shot]
) -> Recipe:
    """New frames after (or before) the clip, continuing its motion from its exact last (first) frames.
    `shot`: the take's width, height and fps where they differ from the base's."""
    return dataclasses.replace(
        base,
        mode=Mode.EXTEND_BACKWARD if backward else Mode.EXTEND_FORWARD,
        guidance=kept_guidance(base, card),
        frames=extend_frames(card, new_frames),
        strength=1.0,
        conditions=[clip],
        **shot,
    )


def loop_recipe(base: Recipe, card: Card, clip: Condition, new_frames: int, **shot: Unpack[Shot]) -> Recipe:
    """Frames after the clip that lead back into its first frame, so it plays in a loop."""
    return dataclasses.replace(
        base,
        mode=Mode.LOOP,
        guidance=kept_guidance(base, card),
        frames=two_sided_frames(card, new_frames),
        conditions=[clip],
        **shot,
    )


def restyle_recipe(
    base: Recipe,
    card: Card,
    clip: Condition,
    clip_frames: int,
    *,
    frames: int | None = None,
    strength: float | None = None,
    **shot: Unpack[Shot],
) -> Recipe:
    """The clip remade from a prompt (video to video): as long as it is, or `frames`, and as much of it
    remade as `strength` says (the studio's default restyle strength unless given)."""
    return dataclasses.replace(
        base,
        mode=Mode.VIDEO_TO_VIDEO,
        guidance=kept_guidance(base, card),
        frames=restyle_frames(card, clip_frames) if frames is None else frames,
        strength=RESTYLE_STRENGTH if strength is None else strength,
        conditions=[clip],
        **shot,
    )


def bridge_recipe(
    base: Recipe,
    card: Card,
    before: Condition,
    after: Condition,
    new_frames: int,
    *,
    exact: bool = True,
    **shot: Unpack[Shot],
) -> Recipe:
    """A bridge from the end of one clip to the start of another with at least `new_frames` new frames;
    `exact`: exactly that many (the next longer bridge the model makes, thinned to it — a gap's length)."""
    return dataclasses.replace(
        base,
        mode=Mode.CONNECT,
        guidance=kept_guidance(base, card),
        frames=two_sided_frames(card, new_frames),
        conditions=[before, after],
        bridge_frames=new_frames if exact else None,
        **shot,
    )


def continue_recipe(base: Recipe, last_frame: str, **shot: Unpack[Shot]) -> Recipe:
    """A new shot whose first frame is a clip's last (a still written from it)."""
    return dataclasses.replace(base, mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(last_frame, 0)], **shot)
