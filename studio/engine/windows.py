"""Long shots: a shot longer than a model makes at once, generated in windows. No torch here.

The first window is the shot's own mode (text or a first frame) at the card's longest length W.
Every later window extends forward from the last k = frame_step + 1 frames made so far (the same
overlap as a clip extension: two latent frames, motion and all) with the seed + window index, the
shot's own guidance (not the card's for extending: measured on the demo model's 60-s shots, that one
turned more passes the prompt's way and let more shapes appear mid-frame; benchmarks/demo_quality.md), and
its own prompt where the recipe has per-window prompts. The take is window 1 followed by each later
window's frames after its overlap; the last window is made at the next length the frame rule allows
and its surplus frames dropped, so a long shot can be any number of frames.

A clip extended forward by more than the model makes at once (a clip's edge dragged far past its media)
is made the same way: its take starts as the clip's exact frames, and every window, the first too,
extends the take so far by its last k frames. A bridge longer than the model makes at once (a long gap
filled, a long loop) extends from its first clip so, and its last window closes it: a connect from the
take so far's last k frames to the first k of the clip after it (a loop's: its own clip), so the bridge
still meets it exactly. A clip extended backward so is made the other way: each window extends the
take so far backward from its first k frames (no latent carry: the carry is a forward one). A clip
remade (video to video) longer than the model makes at once is remade a part at a time: each window
remakes the clip's frames from k before where the last one ended (the last window ends at the clip's
end), its colour matched on those k frames and cross-faded into the take over them.

Latent carry: where the family allows it (its adapter's CARRIES_LATENTS: LTX), a window leaves its
denoised latents behind and the next window's overlap is taken from them rather than decoded and
encoded again; see families/ltx/adapter.carried_overlap for which part of the overlap that is. The
overlap's frames in the take are then the later window's: LTX's decoder reads each latent frame with its
neighbours, and the window before decoded its last one with nothing after it, so the shape slowed there
and the next window's first new frame jumped to catch up (the demo model's long shots: joins smooth in
23 % of shots; taking the later window's decode of the same latents, 90 %; benchmarks/demo_training.md).

Colour drift: the model remakes the k overlap frames it was given; their difference from the frames
it was given is the window's drift (the VAE round trip of the conditioning frames, and the model's
own wander). One gain and offset per channel, fitted on the overlap, is applied to the window's frames
that go into the take, so the join carries no jump in colour or brightness. With a latent carry there is
no round trip to take out: the window works on the window before's own latents, so its colours are that
window's, and the correction only smooths the join, eased out over the overlap (ease_colour). Applied
to the whole window there, each join's small difference between two decodes of the same latents was added
to the next, window after window, and the demo model's 60-s shots drifted (a red background turned pink,
up to 20 levels over 36 windows; benchmarks/demo_quality.md).

Sound: a family that makes a shot's sound with its picture (LTX-2: its takes have sound) gives each
window's sound too; the take's sound is each window's under its new frames, cross-faded over
JOIN_SECONDS at every join.

A family takes part when its card can extend forward; its adapter (runtime.base.Adapter) is called
with assemble=False (the frames as the pipeline made them, overlap included). The adapter comes from
the worker, so this module imports no torch.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypedDict

import numpy as np

from ..core.errors import StudioError
from ..core.recipe import Condition, Mode, Recipe
from ..core.shape import valid_frames_at_least, valid_frames_at_most
from .cards import Card
from .families import FAMILIES
from .modes import overlap_frames, read_clip

# Bridges: made long, their windows extend from the first clip and the last connects to the clip after.
BRIDGES = (Mode.CONNECT, Mode.LOOP)
# Modes whose windows all extend, the first from the clip (conditions[0]) the take so far starts as.
FROM_CLIP = (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD, *BRIDGES)
# Modes a long shot can be made in: text or a first frame, then windows that extend it; FROM_CLIP; or
# video to video, a part of its clip at a time.
LONG_MODES = (Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO, *FROM_CLIP, Mode.VIDEO_TO_VIDEO)
GAIN_LIMITS = (0.8, 1.25)  # a drift correction beyond these is the content changing, not drift
JOIN_SECONDS = 0.02  # a window's sound cross-fades into the next over this long, so the join does not click


class LongShotError(StudioError, ValueError):
    """A long shot the model cannot make, with what to do instead."""


class WindowFields(TypedDict):
    """What a window's recipe changes in the shot's."""

    frames: int
    seed: int
    prompt: str
    window_prompts: list[str]
    expanded_prompt: str | None


class WritePartial(Protocol):
    """Writes the take so far (frames, windows done, windows) and returns its path; a family that
    makes sound passes its sound and sample rate too."""

    def __call__(
        self,
        frames: np.ndarray,
        done: int,
        windows: int,
        /,
        *,
        sound: np.ndarray | None = None,
        sample_rate: int | None = None,
    ) -> str: ...


@dataclass(frozen=True)
class Window:
    index: int
    frames: int  # the frames the pipeline makes for it, overlap included
    new: int  # of those, the frames that go into the take
    prompt: str
    seed: int
    closes: bool = False  # a bridge's last window: a connect from the take so far to the clip after it
    at: int = 0  # video to video: the clip's frame (from its condition's first) the window remakes from


def is_long(recipe: Recipe, card: Card) -> bool:
    """Whether a recipe is made in windows: longer than the card makes at once."""
    return recipe.frames > card.max_frames


def check(recipe: Recipe, card: Card) -> None:
    """Raise LongShotError if the long shot cannot be made; call only when is_long()."""
    asked = f"{recipe.frames} frames"
    k = overlap_frames(card)
    longest = valid_frames_at_most(card.max_frames, card.frame_step)
    if recipe.mode in (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD) and FAMILIES[card.family].makes_sound:
        raise LongShotError(
            f"{card.name} extends a clip by at most {longest - k} frames at once (with its sound), not "
            f"{recipe.frames - k}: extend it that far, then again"
        )
    closes = {Mode.EXTEND_FORWARD, Mode.CONNECT} <= set(card.modes)  # extensions, then a connect into the clip after
    if recipe.mode in BRIDGES and (FAMILIES[card.family].makes_sound or not closes):
        what = "bridge" if recipe.mode is Mode.CONNECT else "loop"
        raise LongShotError(
            f"a {what} of {recipe.frames - 2 * k} frames is longer than {card.name} can make in one shot "
            f"({longest - 2 * k} frames); shorten it"
        )
    if recipe.mode is Mode.VIDEO_TO_VIDEO:
        return  # each window remakes a part of the clip: any model that remakes a clip can
    if recipe.mode not in LONG_MODES:
        raise LongShotError(
            f"{recipe.mode.label} makes at most {card.max_frames} frames at once with {card.name}, "
            f"not {asked}; make the shot, then extend it"
        )
    if Mode.EXTEND_FORWARD not in card.modes:
        raise LongShotError(
            f"{card.name} makes at most {card.max_frames} frames at once and cannot extend a shot "
            f"to make {asked} in windows; choose a model that can extend (e.g. LTX-Video)"
        )
    if any(c.frame_index > 0 for c in recipe.conditions):
        raise LongShotError(
            "a long shot takes a first frame only: a still at a later frame belongs to a shot "
            f"of at most {card.max_frames} frames"
        )


def plan(recipe: Recipe, card: Card) -> list[Window]:
    """The windows of a long shot of recipe.frames frames (any count)."""
    step, k = card.frame_step, overlap_frames(card)
    longest = valid_frames_at_most(card.max_frames, step)
    prompts = recipe.window_prompts or [recipe.expanded_prompt or recipe.prompt]
    windows: list[Window] = []
    if recipe.mode is Mode.VIDEO_TO_VIDEO:
        return _restyle_plan(recipe, longest, step, k, prompts)
    extending = recipe.mode in FROM_CLIP  # every window extends: the first the clip itself
    closing = recipe.mode in BRIDGES and recipe.frames > longest
    left = recipe.frames - k * (2 if recipe.mode in BRIDGES else 1) if extending else recipe.frames
    last = longest - 2 * k if closing else 0  # the closing window's new frames, made after the others
    left -= last
    while left > 0:
        index = len(windows)
        if index == 0 and not extending:
            frames = longest if left >= longest else valid_frames_at_least(left, step)
            new = min(frames, left)
        else:
            frames = min(longest, valid_frames_at_least(left + k, step))
            new = min(frames - k, left)
        windows.append(Window(index, frames, new, _prompt(prompts, index), recipe.seed + index))
        left -= new
    if closing:
        index = len(windows)
        windows.append(Window(index, longest, last, _prompt(prompts, index), recipe.seed + index, closes=True))
    return windows


def _prompt(prompts: list[str], index: int) -> str:
    """A window's prompt: its own line of the window prompts, the last going on for the windows after."""
    return prompts[min(index, len(prompts) - 1)]


def _restyle_plan(recipe: Recipe, longest: int, step: int, k: int, prompts: list[str]) -> list[Window]:
    """Video to video's windows: the clip's first `longest` frames, then each window from k frames before
    where the take so far ends, the last one ending at the clip's end (so it may go back further)."""
    windows = [Window(0, longest, longest, prompts[0], recipe.seed)]
    made = longest
    while made < recipe.frames:
        index = len(windows)
        frames = min(longest, valid_frames_at_least(recipe.frames - made + k, step))
        at = min(made - k, recipe.frames - frames)
        windows.append(Window(index, frames, at + frames - made, _prompt(prompts, index), recipe.seed + index, at=at))
        made = at + frames
    return windows


def window_recipe(recipe: Recipe, window: Window, partial_path: str | None, made: int, card: Card) -> Recipe:
    """The recipe one window runs: the shot's own mode first (an extension's from its clip; a bridge's
    extends forward from its first clip), then extend forward from `partial_path`, the take so far (`made`
    frames), by its last k frames (backward: from its first k); a bridge's closing window connects those
    to the clip after it."""
    common = WindowFields(
        frames=window.frames, seed=window.seed, prompt=window.prompt, window_prompts=[], expanded_prompt=None
    )
    if window.index == 0 and not recipe.window_prompts:
        common["prompt"], common["expanded_prompt"] = recipe.prompt, recipe.expanded_prompt
    if recipe.mode is Mode.VIDEO_TO_VIDEO:  # the part of the clip this window remakes
        clip = recipe.conditions[0]
        part = dataclasses.replace(
            clip, source_in=clip.source_in + window.at, source_out=clip.source_in + window.at + window.frames
        )
        return dataclasses.replace(recipe, conditions=[part], **common)
    if window.index == 0:
        if recipe.mode in BRIDGES:  # extend from the first clip
            return dataclasses.replace(
                recipe, mode=Mode.EXTEND_FORWARD, conditions=recipe.conditions[:1], bridge_frames=None, **common
            )
        return dataclasses.replace(recipe, **common)
    if partial_path is None:
        raise ValueError(f"window {window.index + 1} extends the take so far, and no path to it was given")
    k = overlap_frames(card)
    if recipe.mode is Mode.EXTEND_BACKWARD:  # from the take so far's first frames
        head = Condition(partial_path, source_in=0, source_out=k)
        return dataclasses.replace(recipe, conditions=[head], **common)
    tail = Condition(partial_path, source_in=made - k, source_out=made)
    if window.closes:  # to the clip after: a connect's second clip, a loop's own (its first frames)
        after = recipe.conditions[-1]
        return dataclasses.replace(recipe, mode=Mode.CONNECT, conditions=[tail, after], bridge_frames=None, **common)
    return dataclasses.replace(recipe, mode=Mode.EXTEND_FORWARD, conditions=[tail], bridge_frames=None, **common)


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


def ease_colour(new: np.ndarray, made_overlap: np.ndarray, given_overlap: np.ndarray) -> np.ndarray:
    """new frames, the overlap remade first, with match_colour's correction in full on the overlap's first
    frame (the join) and eased out to none by its last; the frames after the overlap as they were made."""
    k = len(made_overlap)
    corrected = match_colour(new[:k], made_overlap, given_overlap).astype(np.float64)
    weight = np.linspace(1.0, 0.0, k)[:, None, None, None]
    eased = weight * corrected + (1 - weight) * new[:k]
    return np.concatenate([eased.round().clip(0, 255).astype(np.uint8), new[k:]])


def generate_long_with_audio(
    family,
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | None,
    write_partial: WritePartial,
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_preview: Callable[[np.ndarray], None] | None = None,
    carry_latents: bool = True,
    resume: Partial | None = None,
    upsampler=None,
) -> tuple[np.ndarray, np.ndarray | None, int | None]:
    """Make a long shot window by window with family.make_take (family: a runtime.base.Adapter); return
    its frames, and its sound and sample rate for a family that makes sound (else None, None).

    After each window, write_partial(frames so far, windows done, windows) writes the take so far
    (playable) and returns its path, which the next window extends; a family with sound also passes
    sound= and sample_rate=. resume (read_partial) is the take so far of an interrupted run: its
    windows are kept, and the run goes on from the next one (without a latent carry into it).
    upsampler is a two-pass card's (each window is made in two passes). Progress counts steps across all
    windows. A cancel (steps.StepHooks raises jobs.Cancelled) ends the loop; the caller decides what to
    keep: every finished window is in the last partial take."""
    windows = plan(recipe, card)
    k = overlap_frames(card)
    steps_each = recipe.steps or 1
    total = steps_each * len(windows)
    made: np.ndarray | None = None
    sound: np.ndarray | None = None
    sample_rate: int | None = None
    partial_path: str | None = None
    if resume is not None:
        made, sound, sample_rate, partial_path = resume.frames, resume.sound, resume.sample_rate, resume.path
    elif recipe.mode in FROM_CLIP:
        made = clip_frames(recipe, project_folder)  # the take so far: the clip's exact frames (a bridge's first)
    # A bridge's take is its new frames alone: clip A's frames are the take so far's, not the take's.
    dropped = frames_before(recipe, project_folder) if recipe.mode is Mode.CONNECT else 0
    backward, restyle = recipe.mode is Mode.EXTEND_BACKWARD, recipe.mode is Mode.VIDEO_TO_VIDEO
    carrying = carry_latents and family.CARRIES_LATENTS and not (backward or restyle)
    # one dict through every window: each leaves its latents
    extra: dict[str, dict[str, Any]] = {"carry": {}} if carrying else {}
    for window in windows[resume.windows if resume is not None else 0 :]:
        done_before = window.index * steps_each

        def step(done: int, _total: int, before: int = done_before) -> None:
            if on_step:
                on_step(before + done, total)

        run = window_recipe(recipe, window, partial_path, 0 if made is None else len(made), card)
        # None into the first window, nor after a resume; nor into a bridge's closing connect, which takes frames.
        carried_in = carrying and "latents" in extra["carry"] and not window.closes
        take = family.make_take(
            pipe, run, card, project_folder, step, should_stop, on_preview, assemble=False, upsampler=upsampler, **extra
        )
        frames = take.frames
        if made is None:
            made = frames[: window.new]
        elif restyle:
            made = _cross_fade(made, frames, len(made) - window.at, k)
        elif backward:  # the new frames just before the overlap, which is the take so far's first k frames
            before = frames[len(frames) - k - window.new : len(frames) - k]
            made = np.concatenate([match_colour(before, frames[-k:], made[:k]), made])
        elif carried_in:
            # Given its overlap as the window before's own latents, a window decodes them better informed
            # (module docstring): its overlap frames replace the ones made before.
            made = np.concatenate([made[:-k], ease_colour(frames[: k + window.new], frames[:k], made[-k:])])
        else:
            made = np.concatenate([made, match_colour(frames[k : k + window.new], frames[:k], made[-k:])])
        if take.sound is not None:
            sound, sample_rate = _join_sound(
                sound, take.sound, take.sample_rate, recipe.fps, k if window.index else 0, window.new
            )
            partial_path = write_partial(made, window.index + 1, len(windows), sound=sound, sample_rate=sample_rate)
        else:  # the whole take last: a bridge's without its first clip
            written = made[dropped:] if window.index + 1 == len(windows) else made
            partial_path = write_partial(written, window.index + 1, len(windows))
    assert made is not None  # a long shot has at least one window (frames > max_frames), a resume its frames
    return made[dropped:], sound, sample_rate


def _cross_fade(made: np.ndarray, frames: np.ndarray, overlap: int, k: int) -> np.ndarray:
    """The take so far and a window whose first `overlap` frames it already holds: the window's colour
    matched on the last k of those, faded in over them, and its frames after them added."""
    frames = match_colour(frames, frames[overlap - k : overlap], made[-k:])
    weight = np.linspace(0.0, 1.0, k + 2)[1:-1, None, None, None]  # neither all the take's nor all the window's
    faded = (1 - weight) * made[-k:] + weight * frames[overlap - k : overlap]
    return np.concatenate([made[:-k], faded.round().clip(0, 255).astype(np.uint8), frames[overlap:]])


def clip_frames(recipe: Recipe, project_folder: str | None) -> np.ndarray:
    """An extension's clip, as its take holds it: its exact frames at the shot's size."""
    return read_clip(recipe.conditions[0], project_folder, recipe.width, recipe.height)


def frames_before(recipe: Recipe, project_folder: str | None) -> int:
    """How many of a take so far's first frames are its clip's, which the shot did not make: an extension's
    or a bridge's clip (FROM_CLIP); none for the others."""
    return len(clip_frames(recipe, project_folder)) if recipe.mode in FROM_CLIP else 0


def kept_recipe(recipe: Recipe, card: Card, frames: int, project_folder: str | None) -> Recipe | None:
    """The recipe of a long shot cut short (cancelled) with `frames` frames in its take: an extension's
    take holds its clip's frames as well, and its recipe counts the new frames and the overlap. None for
    a bridge: it is not kept."""
    if recipe.mode in BRIDGES:
        return None  # a bridge cut short does not reach the clip after it: nothing of it is a take
    if recipe.mode in (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD):
        frames = frames - frames_before(recipe, project_folder) + overlap_frames(card)
    return dataclasses.replace(recipe, frames=frames)


@dataclass(frozen=True)
class Partial:
    """The take so far of an interrupted long shot: its finished windows."""

    path: str
    frames: np.ndarray
    sound: np.ndarray | None
    sample_rate: int | None
    windows: int  # how many of the plan's windows it holds


def read_partial(path: str, recipe: Recipe, card: Card, project_folder: str | None = None) -> Partial | None:
    """An interrupted run's take so far, if it is one of this recipe's: its size the recipe's, its
    length that of some of the plan's windows (not none, not all; an extension's, after its clip's
    frames). None otherwise: the run starts over."""
    from ..media.audio import read_audio
    from ..media.probe import MediaError, probe
    from ..media.takes import read_frames

    if not Path(path).is_file():
        return None
    try:
        info = probe(path)
        frames = read_frames(path)
        sound = read_audio(path, info.sample_rate) if info.has_audio and info.sample_rate else None
    except (MediaError, OSError, ValueError):
        return None  # unreadable: start over rather than fail the job
    if frames.shape[1:3] != (recipe.height, recipe.width):
        return None
    lengths = list(itertools.accumulate(window.new for window in plan(recipe, card)))
    try:  # an extension's or a bridge's take so far begins with its clip's frames
        before = frames_before(recipe, project_folder)
    except (MediaError, OSError, ValueError):
        return None
    lengths = [before + length for length in lengths]
    if len(frames) not in lengths[:-1]:
        return None
    return Partial(path, frames, sound, info.sample_rate if sound is not None else None, lengths.index(len(frames)) + 1)


def generate_long(
    family,
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | None,
    write_partial: Callable[..., str],
    *args,
    **kwargs,
) -> np.ndarray:
    """generate_long_with_audio's frames only."""
    return generate_long_with_audio(family, pipe, recipe, card, project_folder, write_partial, *args, **kwargs)[0]


def _join_sound(
    sound: np.ndarray | None, window_sound: np.ndarray, sample_rate: int, fps: float, skip: int, new: int
) -> tuple[np.ndarray, int]:
    """The take's sound with a window's added: its sound under the `new` frames after the `skip`
    overlap frames, cross-faded with the sound so far over JOIN_SECONDS before the join (the window's
    own sound for those moments is the overlap's, under the same frames)."""
    from ..core.timebase import FrameRate
    from ..media.audio import frame_sample

    rate = FrameRate.parse(fps)
    first, end = frame_sample(skip, rate, sample_rate), frame_sample(skip + new, rate, sample_rate)
    piece = window_sound[first:end]
    if sound is None:
        return piece, sample_rate
    blend = min(int(JOIN_SECONDS * sample_rate), first, len(sound))
    if blend:
        fade = np.linspace(0.0, 1.0, blend, dtype=np.float32)[:, None]
        sound = sound.copy()
        sound[-blend:] = sound[-blend:] * (1 - fade) + window_sound[first - blend : first] * fade
    return np.concatenate([sound, piece]), sample_rate
