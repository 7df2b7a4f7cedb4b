"""Long shots: a shot longer than a model makes at once, generated in windows. No torch here.

The first window is the shot's own mode (text or a first frame) at the card's longest length W.
Every later window extends forward from the last k = frame_step + 1 frames made so far (the same
overlap as a clip extension: two latent frames, motion and all) with the seed + window index, and
its own prompt where the recipe has per-window prompts. The take is window 1 followed by each later
window's frames after its overlap; the last window is made at the next length the frame rule allows
and its surplus frames dropped, so a long shot can be any number of frames.

Latent carry: where the family allows it (its generate() takes `carry`: LTX), a window leaves its
denoised latents behind and the next window's overlap is taken from them rather than decoded and
encoded again; see ltx.carried_overlap for which part of the overlap that is.

Colour drift: the model remakes the k overlap frames it was given; their difference from the frames
it was given is the window's drift (the VAE round trip of the conditioning frames, and the model's
own wander). One gain and offset per channel, fitted on the overlap, is applied to the window's new
frames, so the join carries no jump in colour or brightness.

A family takes part when its card can extend forward and its generate() takes assemble=False (the
frames as the pipeline made them, overlap included).
"""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..core.recipe import Condition, Mode, Recipe
from .cards import Card
from .modes import overlap_frames

# Modes a long shot can start from: its first window is one of these, the rest extend it.
LONG_MODES = (Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO)
GAIN_LIMITS = (0.8, 1.25)  # a drift correction beyond these is the content changing, not drift
# Families that make each shot's sound with its picture: windows do not carry sound across joins yet.
SOUND_FAMILIES = {"ltx2"}


class LongShotError(ValueError):
    """A long shot the model cannot make, with what to do instead."""


@dataclass(frozen=True)
class Window:
    index: int
    frames: int  # the frames the pipeline makes for it, overlap included
    new: int  # of those, the frames that go into the take
    prompt: str
    seed: int


def is_long(recipe: Recipe, card: Card) -> bool:
    """Whether a recipe is made in windows: longer than the card makes at once."""
    return recipe.frames > card.max_frames


def check(recipe: Recipe, card: Card) -> None:
    """Raise LongShotError if the long shot cannot be made; call only when is_long()."""
    seconds = f"{recipe.frames} frames"
    if recipe.mode not in LONG_MODES:
        raise LongShotError(f"{recipe.mode.label} makes at most {card.max_frames} frames at once with {card.name}, "
                            f"not {seconds}; make the shot, then extend it")
    if card.family in SOUND_FAMILIES:
        raise LongShotError(f"{card.name} makes a shot's sound with its picture, and long shots in windows do not "
                            f"carry sound yet: make a shot of up to {card.max_frames} frames and extend it (an "
                            "extension keeps the sound)")
    if Mode.EXTEND_FORWARD not in card.modes:
        raise LongShotError(f"{card.name} makes at most {card.max_frames} frames at once and cannot extend a shot "
                            f"to make {seconds} in windows; choose a model that can extend (e.g. LTX-Video)")
    if any(c.frame_index > 0 for c in recipe.conditions):
        raise LongShotError("a long shot takes a first frame only: a still at a later frame belongs to a shot "
                            f"of at most {card.max_frames} frames")


def plan(recipe: Recipe, card: Card) -> list[Window]:
    """The windows of a long shot of recipe.frames frames (any count)."""
    step, k = card.frame_step, overlap_frames(card)
    longest = (card.max_frames - 1) // step * step + 1
    prompts = recipe.window_prompts or [recipe.expanded_prompt or recipe.prompt]
    windows: list[Window] = []
    left = recipe.frames
    while left > 0:
        index = len(windows)
        if index == 0:
            frames = longest if left >= longest else _valid_at_least(left, step)
            new = min(frames, left)
        else:
            frames = min(longest, _valid_at_least(left + k, step))
            new = min(frames - k, left)
        prompt = prompts[min(index, len(prompts) - 1)]
        windows.append(Window(index, frames, new, prompt, recipe.seed + index))
        left -= new
    return windows


def _valid_at_least(frames: int, step: int) -> int:
    return (frames - 1 + step - 1) // step * step + 1


def window_recipe(recipe: Recipe, window: Window, partial_path: str | None, made: int, card: Card) -> Recipe:
    """The recipe one window runs: the shot's own mode first, then extend forward from `partial_path`,
    the take so far (`made` frames), by its last k frames."""
    common = {"frames": window.frames, "seed": window.seed, "prompt": window.prompt, "window_prompts": [],
              "expanded_prompt": None}
    if window.index == 0:
        if not recipe.window_prompts:
            common.update(prompt=recipe.prompt, expanded_prompt=recipe.expanded_prompt)
        return dataclasses.replace(recipe, **common)
    k = overlap_frames(card)
    tail = Condition(partial_path, source_in=made - k, source_out=made)
    return dataclasses.replace(recipe, mode=Mode.EXTEND_FORWARD, conditions=[tail], **common)


def match_colour(new: np.ndarray, made_overlap: np.ndarray, given_overlap: np.ndarray) -> np.ndarray:
    """new frames with the colour drift between the overlap as remade and as given taken out: per
    channel, the gain and offset that carry the remade overlap's mean and spread onto the given one's."""
    made = made_overlap.reshape(-1, 3).astype(np.float64)
    given = given_overlap.reshape(-1, 3).astype(np.float64)
    spread = made.std(axis=0)
    gain = np.where(spread > 1.0, given.std(axis=0) / np.maximum(spread, 1e-6), 1.0)
    gain = np.clip(gain, *GAIN_LIMITS)
    offset = given.mean(axis=0) - gain * made.mean(axis=0)
    corrected = new.astype(np.float64) * gain + offset
    return corrected.round().clip(0, 255).astype(np.uint8)


def generate_long(
    family,
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | None,
    write_partial: Callable[[np.ndarray, int, int], str],
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_preview: Callable[[np.ndarray], None] | None = None,
    carry_latents: bool = True,
) -> np.ndarray:
    """Make a long shot window by window with family.generate; return its frames.

    After each window, write_partial(frames so far, windows done, windows) writes the take so far
    (playable) and returns its path, which the next window extends. Progress counts steps across
    all windows. A cancel (steps.StepHooks raises jobs.Cancelled) ends the loop; the caller decides
    what to keep: every finished window is in the last partial take."""
    windows = plan(recipe, card)
    k = overlap_frames(card)
    steps_each = recipe.steps or 1
    total = steps_each * len(windows)
    made: np.ndarray | None = None
    partial_path: str | None = None
    carrying = carry_latents and "carry" in inspect.signature(family.generate).parameters
    extra = {"carry": {}} if carrying else {}  # one dict through every window: each leaves its latents
    for window in windows:
        done_before = window.index * steps_each

        def step(done: int, _total: int, before: int = done_before) -> None:
            if on_step:
                on_step(before + done, total)

        run = window_recipe(recipe, window, partial_path, 0 if made is None else len(made), card)
        frames = family.generate(pipe, run, card, project_folder, step, should_stop, on_preview, assemble=False,
                                 **extra)
        if made is None:
            made = frames[: window.new]
        else:
            fresh = match_colour(frames[k : k + window.new], frames[:k], made[-k:])
            made = np.concatenate([made, fresh])
        partial_path = write_partial(made, window.index + 1, len(windows))
    return made
