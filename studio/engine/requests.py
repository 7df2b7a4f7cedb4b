"""Check a generation request before it is queued, the same way for the CLI and the editor.

prepare() turns a recipe as a person wrote it into the one the engine will run (defaults from
the card filled in, sizes snapped) or raises RequestError with one line saying what to fix.
No torch here.
"""

from __future__ import annotations

import dataclasses
import math
import os
import warnings
from pathlib import Path

from ..core.errors import StudioError
from ..core.recipe import CLIP_INPUTS, DRAFT, FULL, QUALITIES, Condition, Mode, Recipe
from ..core.shape import valid_frames_at_least, valid_frames_at_most
from ..media.probe import MediaError, probe
from . import drafts, policy, windows
from .cards import (
    DEMO_MODEL,
    FAMILIES,
    SHIFTABLE,
    Card,
    CardError,
    ModelNotFound,
    Resolved,
    catalogue,
    resolve,
    upsampler_folder,
)
from .modes import condition_path, min_frames, overlap_frames
from .sizes import SizeError, snap
from .weights import ModelFolderError, check_folder

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}

# Upper bounds on every number in a request, checked before anything loads or runs: a typo such as
# --frames 1000000000 is refused at once rather than queued as millions of windows.
MAX_SECONDS = 600  # a shot's length; the editor's cap
MAX_SECONDS_LONG = 3600  # with allow_long (--allow-long): an hour, made in windows
FPS_RANGE = (1, 120)
MAX_STEPS = 500
MAX_GUIDANCE = 50
MAX_SEED = 2**32 - 1
MAX_IMAGE_SIDE = 8192  # an input still or reference image, in pixels per side
MAX_TEXT = 10_000  # characters in a prompt


class RequestError(StudioError, ValueError):
    """A request the engine cannot run, with what to do about it."""


PathLike = str | os.PathLike[str]


def resolve_model(
    model: str,
    models_dir: PathLike | None = None,
    cards_dir: PathLike | None = None,
    require_weights: bool = True,
) -> Resolved:
    """resolve() with its errors as RequestError; by default the weights must be on this machine."""
    try:
        resolved = resolve(model, models_dir, cards_dir)
    except (ModelNotFound, ModelFolderError, CardError) as exc:
        raise RequestError(str(exc)) from exc
    if require_weights and resolved.folder is None:
        card = resolved.card
        where = f" from {card.repo}" if card.repo else ""
        raise RequestError(
            f"the model '{card.id}' is not downloaded: get it{where} into models/{card.id}/ or the Hugging Face cache"
        )
    return resolved


def available_models(models_dir: PathLike | None = None, cards_dir: PathLike | None = None) -> list[tuple[str, str]]:
    """(label, value) for every model whose weights are on this machine; value goes in Recipe.model."""
    try:
        known = catalogue(models_dir, cards_dir)
    except CardError:
        return []
    # An upsampler (kind = "upsampler") is a part of a two-pass model, not a model to make shots with.
    # The demo model ships with the studio; any real model on this machine comes first (is chosen).
    ready = [entry for entry in known if entry.installed and entry.card.kind == "video"]
    ready.sort(key=lambda entry: entry.card.id == DEMO_MODEL)
    return [(entry.card.name, entry.card.id) for entry in ready]


def prepare(
    recipe: Recipe,
    *,
    project_folder: PathLike | None = None,
    models_dir: PathLike | None = None,
    cards_dir: PathLike | None = None,
    allow_long: bool = False,
) -> tuple[Recipe, list[str]]:
    """The recipe the engine will run, and notes on what was changed to make it runnable.

    models_dir is a user-chosen folder of models (<dir>/<card id>/) searched before models/;
    relative input paths are relative to project_folder. A shot longer than MAX_SECONDS is
    refused unless allow_long (up to MAX_SECONDS_LONG).
    """
    if not recipe.prompt or not recipe.prompt.strip():
        raise RequestError("the prompt is empty: describe the shot")
    if recipe.quality not in QUALITIES:
        raise RequestError(f"the quality must be {' or '.join(QUALITIES)}, not {recipe.quality!r}")
    if recipe.quality == DRAFT and not recipe.full:  # asked for as a draft: the full shot first, then its draft
        return _draft(recipe, project_folder, models_dir, cards_dir, allow_long)
    check_numbers(recipe, allow_long=allow_long)
    _check_policy(recipe)
    resolved = resolve_model(recipe.model, models_dir, cards_dir)
    assert resolved.folder is not None  # resolve_model requires the weights by default
    try:  # a few small files read, no torch: a folder that lacks a piece is refused before a job is queued
        check_folder(resolved.folder, resolved.card.own_parts)
    except ModelFolderError as exc:
        raise RequestError(str(exc)) from exc
    card = resolved.card
    if card.multiscale and not drafts.first_pass_alone(recipe, card):
        # a two-pass model without its upsampler: said now, not when the job has loaded it
        try:
            upsampler_folder(card, resolved.folder, models_dir)
        except ModelNotFound as exc:
            raise RequestError(str(exc)) from exc
    if recipe.mode not in card.modes:
        raise RequestError(_cannot(card, recipe.mode, models_dir, cards_dir))
    clips = _check_inputs(recipe, project_folder)
    _check_references(recipe, card, project_folder, models_dir, cards_dir)
    notes: list[str] = []
    if recipe.bridge_frames is not None:
        recipe, notes = _bridge_length(recipe, card)

    steps = card.default_steps if recipe.steps is None else recipe.steps
    guidance = card.guidance_for(recipe.mode) if recipe.guidance is None else recipe.guidance
    if steps < 1:
        raise RequestError(f"the number of steps must be at least 1, not {steps}")
    if guidance < 0:
        raise RequestError(f"the guidance must not be negative, not {guidance}")
    if recipe.flow_shift is not None and not 0 < recipe.flow_shift <= 1000:
        raise RequestError(f"the flow shift must be a positive number up to 1000, not {recipe.flow_shift}")
    if recipe.flow_shift is not None and (card.family not in SHIFTABLE or "timesteps" in card.call):
        raise RequestError(
            f"{card.name} takes no flow shift (Wan and LTX models without a schedule of their own do); leave it empty"
        )
    recipe = dataclasses.replace(recipe, steps=steps, guidance=guidance)
    if recipe.negative_prompt.strip() and _negative_unused(guidance, card):
        notes.append(
            f"the negative prompt is not used: at guidance {guidance:g} the model makes no guided pass "
            "(a guidance above 1 uses it)"
        )
    if windows.is_long(recipe, card):
        snapped, more = _long_shot(recipe, card)
    else:
        try:
            snapped, more = snap(recipe, card)
        except SizeError as exc:
            raise RequestError(str(exc)) from exc
        if len(recipe.window_prompts) > 1:
            more.append(
                f"the shot fits in one window of {card.name} ({card.max_frames} frames at most): "
                "only the first window prompt is used"
            )
            snapped = dataclasses.replace(snapped, prompt=recipe.window_prompts[0], window_prompts=[])
    notes += more
    notes += _check_clip_lengths(snapped, card, clips)
    if snapped.flow_shift is None:  # the card's for the size, recorded so the take can be made again
        snapped = dataclasses.replace(snapped, flow_shift=card.flow_shift_for(snapped.width, snapped.height))
    return snapped, notes


def _draft(
    recipe: Recipe,
    project_folder: PathLike | None,
    models_dir: PathLike | None,
    cards_dir: PathLike | None,
    allow_long: bool,
) -> tuple[Recipe, list[str]]:
    """A shot asked for as a draft: the full shot prepared (its Refine's recipe), then the card's draft of it
    (drafts.draft_recipe) prepared in turn, with a note saying what the draft is."""
    full, notes = prepare(
        dataclasses.replace(recipe, quality=FULL, draft=None),
        project_folder=project_folder,
        models_dir=models_dir,
        cards_dir=cards_dir,
        allow_long=allow_long,
    )
    card = resolve_model(full.model, models_dir, cards_dir).card
    plan = drafts.plan(card)
    draft_card = card
    if plan.model is not None:
        try:
            draft_card = resolve_model(plan.model, models_dir, cards_dir).card
        except RequestError as exc:
            raise RequestError(f"{card.name} drafts with {plan.model}, which is not here ({exc})") from exc
        if draft_card.family != card.family or (plan.first_pass_only and not drafts.plan(draft_card).first_pass_only):
            raise RequestError(
                f"{card.name}'s [draft] model {plan.model} is not a first-pass {card.label} model; fix the card"
            )
    draft, more = prepare(
        drafts.draft_recipe(full, card, draft_card),
        project_folder=project_folder,
        models_dir=models_dir,
        cards_dir=cards_dir,
        allow_long=allow_long,
    )
    note = f"a draft: {drafts.describe(card, full.width, full.height, draft_card)}"
    return draft, [*notes, *(n for n in more if n not in notes), note]  # each said once, not for both passes


def check_numbers(recipe: Recipe, *, allow_long: bool = False) -> None:
    """Every number in the recipe is a number within its limit, or RequestError saying which and what
    the limit is. Needs no model: it runs before anything is loaded. (Sizes and frame counts the
    model cannot make are snap()'s to refuse, against the card's own limits.)"""
    check_fps(recipe.fps)
    _whole("the frame count", recipe.frames)
    check_length(recipe.frames, recipe.fps, allow_long=allow_long)
    _whole("the seed", recipe.seed, 0, MAX_SEED)
    if recipe.steps is not None:
        _whole("the number of steps", recipe.steps, 1, MAX_STEPS, "more rarely helps; try 20 to 50")
    if recipe.guidance is not None:
        _real("the guidance", recipe.guidance, 0, MAX_GUIDANCE, "most models want 1 to 10")
    _real("the strength", recipe.strength, 0, 1, "0 keeps the clip, 1 remakes it")
    for name in ("width", "height"):
        _whole(f"the {name}", getattr(recipe, name))
    if recipe.bridge_frames is not None:
        _whole("the bridge length", recipe.bridge_frames)
        check_length(recipe.bridge_frames, recipe.fps, allow_long=allow_long)  # one longer than a shot: in windows
    for condition in recipe.conditions:
        name = Path(condition.path).name
        _real(f"the strength of {name}", condition.strength, 0, 1)
        _whole(f"the frame of {name}", condition.frame_index)
        _whole(f"the first frame taken from {name}", condition.source_in)
        if condition.source_out is not None:
            _whole(f"the end frame taken from {name}", condition.source_out)
    texts = [
        ("a prompt", recipe.prompt),
        ("a negative prompt", recipe.negative_prompt),
        ("an expanded prompt", recipe.expanded_prompt or ""),
        ("a style", recipe.style),
        *(("a window's prompt", text) for text in recipe.window_prompts),
    ]
    for what, text in texts:
        if len(text) > MAX_TEXT:
            raise RequestError(
                f"{what} of {len(text)} characters is longer than the {MAX_TEXT} the studio takes; shorten it"
            )


def check_fps(fps: object) -> None:
    """A frame rate between FPS_RANGE's ends, or RequestError."""
    _real("the frame rate", fps, *FPS_RANGE, "e.g. 24, 25 or 30")


def check_seconds(seconds: object, *, allow_long: bool = False) -> None:
    """A shot length in seconds: positive and within the limit (see check_length)."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not math.isfinite(seconds):
        raise RequestError(f"the duration must be a number of seconds, not {seconds!r}")
    if seconds <= 0:
        raise RequestError(f"the duration must be positive, not {seconds:g} seconds")
    longest = MAX_SECONDS_LONG if allow_long else MAX_SECONDS
    if seconds > longest:
        raise RequestError(_too_long(f"{seconds:g} s", allow_long))


def check_length(frames: int, fps: float, *, allow_long: bool = False) -> None:
    """A shot of `frames` at `fps` lasts at most MAX_SECONDS (MAX_SECONDS_LONG with allow_long)."""
    longest = MAX_SECONDS_LONG if allow_long else MAX_SECONDS
    if frames > math.ceil(longest * fps):  # a length rounded to whole frames is still within it
        raise RequestError(_too_long(f"{frames} frames at {fps:g} fps ({frames / fps:,.0f} s)", allow_long))


def _too_long(asked: str, allow_long: bool) -> str:
    if allow_long:
        return f"a shot of {asked} is longer than the {MAX_SECONDS_LONG} s the studio makes at most; make it in parts"
    return (
        f"a shot of {asked} is longer than {MAX_SECONDS} s, the studio's limit; ask for a shorter one, or for up "
        f"to {MAX_SECONDS_LONG} s with --allow-long"
    )


def _whole(name: str, value: object, low: int | None = None, high: int | None = None, hint: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(f"{name} must be a whole number, not {value!r}")
    if low is not None and value < low:
        raise RequestError(f"{name} must be at least {low}, not {value}")
    if high is not None and value > high:
        raise RequestError(f"{name} must be at most {high}, not {value}" + (f" ({hint})" if hint else ""))


def _real(name: str, value: object, low: float, high: float | None, hint: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestError(f"{name} must be a number, not {value!r}")
    if not math.isfinite(value) or value < low or (high is not None and value > high):
        limits = f"between {low:g} and {high:g}" if high is not None else f"a number of at least {low:g}"
        raise RequestError(f"{name} must be {limits}, not {value:g}" + (f" ({hint})" if hint else ""))


def _long_shot(recipe: Recipe, card: Card) -> tuple[Recipe, list[str]]:
    """A shot longer than the model makes at once: checked, its size snapped, its frame count kept
    (windows drop the last window's surplus), and a note on how it will be made."""
    try:
        windows.check(recipe, card)
        sized, notes = snap(dataclasses.replace(recipe, frames=card.max_frames), card)
    except (windows.LongShotError, SizeError) as exc:
        raise RequestError(str(exc)) from exc
    sized = dataclasses.replace(sized, frames=recipe.frames)
    plan = windows.plan(sized, card)
    made = sum(window.new for window in plan)
    seconds = f"{made / recipe.fps:.1f} s"
    what = {
        Mode.EXTEND_FORWARD: f"an extension of {made} frames ({seconds})",
        Mode.EXTEND_BACKWARD: f"an extension backward of {made} frames ({seconds})",
        Mode.CONNECT: f"a bridge of {made} frames ({seconds})",
        Mode.LOOP: f"a loop of {made} new frames ({seconds})",
        Mode.VIDEO_TO_VIDEO: f"the clip's {made} frames ({seconds}) remade",
    }.get(recipe.mode, f"a long shot of {seconds}")
    how = "a part of the clip each" if recipe.mode is Mode.VIDEO_TO_VIDEO else "each continuing the last"
    notes.append(
        f"{what} in {len(plan)} windows of up to {plan[0].frames} frames, {how} "
        f"(seeds {recipe.seed}–{recipe.seed + len(plan) - 1})"
    )
    if len(recipe.window_prompts) > len(plan):
        notes.append(
            f"{len(recipe.window_prompts)} window prompts for {len(plan)} windows: the last "
            f"{len(recipe.window_prompts) - len(plan)} are not used"
        )
    return sized, notes


def _check_policy(recipe: Recipe) -> None:
    """The prompt policy (engine.policy): what the shot is asked to show, not what it should avoid."""
    texts = [recipe.prompt, recipe.expanded_prompt or "", recipe.style, *recipe.window_prompts]
    try:
        refusal = policy.check(texts)
    except policy.PolicyError as exc:
        raise RequestError(f"the prompt policy cannot be read: {exc}") from exc
    if refusal is not None:
        raise RequestError(f"refused by the prompt policy: {refusal}")


def _negative_unused(guidance: float, card: Card) -> bool:
    """Whether the card's pipeline leaves the negative prompt out at this guidance (its family says)."""
    return not FAMILIES[card.family].negative_pass(guidance, card.call)


def _bridge_length(recipe: Recipe, card: Card) -> tuple[Recipe, list[str]]:
    """A connect of an exact bridge length: the shot the model makes for it (2k overlap frames and
    the next bridge length its frame rule allows), and a note when the bridge is thinned."""
    wanted = recipe.bridge_frames
    assert wanted is not None  # prepare() calls this only for a recipe with a bridge length
    if recipe.mode is not Mode.CONNECT:
        raise RequestError(f"an exact bridge length goes with connect, not {recipe.mode.label}")
    if wanted < 1:
        raise RequestError(f"a bridge needs at least one frame, not {wanted}")
    k, step = overlap_frames(card), card.frame_step
    frames = valid_frames_at_least(wanted + 2 * k, step)
    if frames > card.max_frames:  # made in windows (windows.py), exactly as long as asked; checked there
        return dataclasses.replace(recipe, frames=wanted + 2 * k), []
    made = frames - 2 * k
    notes = [f"the bridge is made {made} frames long and thinned evenly to {wanted}"] if made != wanted else []
    return dataclasses.replace(recipe, frames=frames), notes


def _cannot(card: Card, mode: Mode, models_dir: PathLike | None, cards_dir: PathLike | None) -> str:
    """Why a model cannot run a mode, and which installed models can."""
    try:
        able = [e.card.id for e in catalogue(models_dir, cards_dir) if e.installed and mode in e.card.modes]
    except CardError:
        able = []
    others = f"installed models that can: {', '.join(able)}" if able else "no installed model can"
    return f"{card.name} cannot do {mode.label} ({others})"


def _check_inputs(recipe: Recipe, project_folder: PathLike | None) -> list[tuple[Condition, Path, int, int, int]]:
    """Check the inputs a mode needs; return each clip as (condition, file, frames, width, height)."""
    mode = recipe.mode
    wanted = CLIP_INPUTS.get(mode, 0)
    if mode is Mode.TEXT_TO_VIDEO and recipe.conditions:
        raise RequestError("text to video takes no input images; use image to video")
    if mode is Mode.IMAGE_TO_VIDEO and not recipe.conditions:
        raise RequestError("image to video needs an input image")
    if mode is Mode.KEYFRAMES and not recipe.conditions:
        raise RequestError("keyframes needs at least one still placed at a frame")
    if wanted and len(recipe.conditions) != wanted:
        what = {
            Mode.EXTEND_FORWARD: "a clip to extend",
            Mode.EXTEND_BACKWARD: "a clip to extend",
            Mode.CONNECT: "two clips: the one to come from and the one to go to",
            Mode.VIDEO_TO_VIDEO: "one clip to remake",
            Mode.LOOP: "one clip to loop",
        }[mode]
        got = f" (it was given {len(recipe.conditions)})" if recipe.conditions else ""
        raise RequestError(f"{mode.label} needs {what}{got}")

    clips = []
    for condition in recipe.conditions:
        path = condition_path(condition.path, project_folder)
        if not 0.0 <= condition.strength <= 1.0:
            raise RequestError(f"the strength of {path.name} must be between 0 and 1, not {condition.strength}")
        if not wanted:
            if not path.is_file():
                raise RequestError(f"the input image {path} does not exist")
            if path.suffix.lower() not in IMAGE_SUFFIXES:
                raise RequestError(
                    f"the input {path} is not an image the studio reads ({', '.join(sorted(IMAGE_SUFFIXES))})"
                )
            _check_image(path)
            continue
        if not path.is_file():
            raise RequestError(f"the clip {path} does not exist")
        if path.suffix.lower() in IMAGE_SUFFIXES:
            raise RequestError(f"{mode.label} needs a video clip, and {path.name} is a still image")
        try:
            info = probe(path)
        except MediaError as exc:
            raise RequestError(str(exc)) from exc
        if info.fps is None:
            raise RequestError(f"{mode.label} needs a video clip, and {path.name} holds no video frames")
        end = info.frames if condition.source_out is None else condition.source_out
        if not 0 <= condition.source_in < end <= info.frames:
            raise RequestError(
                f"the frames {condition.source_in} to {end} are not inside {path.name} (it has {info.frames} frames)"
            )
        clips.append((condition, path, end - condition.source_in, info.width, info.height))
    return clips


def _check_references(
    recipe: Recipe, card: Card, project_folder: PathLike | None, models_dir: PathLike | None, cards_dir: PathLike | None
) -> None:
    """Reference images: a model whose card takes them, and image files that can be read."""
    if not recipe.references:
        return
    if not card.references:
        try:
            able = [e.card.id for e in catalogue(models_dir, cards_dir) if e.installed and e.card.references]
        except CardError:
            able = []
        others = f"installed models that do: {', '.join(able)}" if able else "no installed model does"
        raise RequestError(f"{card.name} takes no reference images ({others})")
    for reference in recipe.references:
        path = condition_path(reference, project_folder)
        if not path.is_file():
            raise RequestError(
                f"the reference image {path} does not exist: put it back, or leave it out of the references"
            )
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise RequestError(
                f"the reference {path} is not an image the studio reads ({', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        _check_image(path)


def _check_image(path: Path) -> None:
    """Read the whole image now, so a damaged or huge file is refused before a job waits for a model to load."""
    from PIL import Image, UnidentifiedImageError

    too_big = (
        f"the input image {path.name} is larger than the studio takes ({MAX_IMAGE_SIDE} pixels a side at "
        "most); scale it down to the shot's size"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # our own limit is lower
            with Image.open(path) as image:
                width, height = image.size
                if max(width, height) > MAX_IMAGE_SIDE:
                    raise RequestError(f"{too_big} (it is {width}x{height})")
                image.load()
    except Image.DecompressionBombError as exc:
        raise RequestError(too_big) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, RequestError):
            raise
        raise RequestError(
            f"the input image {path.name} cannot be read ({exc}); export it again or choose another"
        ) from exc


def _check_clip_lengths(recipe: Recipe, card: Card, clips: list[tuple[Condition, Path, int, int, int]]) -> list[str]:
    """After snapping: the clips are long enough for the mode, and the shot long enough for new frames."""
    mode, notes = recipe.mode, []
    k = overlap_frames(card)
    least = min_frames(mode, card)
    if recipe.frames < least:
        raise RequestError(
            f"{mode.label} with {card.name} needs a shot of at least {least} frames "
            f"({k} of them overlap the clip), not {recipe.frames}"
        )
    for _, path, frames, width, height in clips:
        needed = recipe.frames if mode is Mode.VIDEO_TO_VIDEO else k
        if frames < needed:
            if mode is Mode.VIDEO_TO_VIDEO:
                raise RequestError(
                    f"the clip {path.name} has {frames} frames and the shot {recipe.frames}: video to video "
                    "remakes frame for frame, so ask for fewer frames"
                )
            raise RequestError(
                f"the clip {path.name} has {frames} frames; {mode.label} needs at least {k}, the frames "
                "the new ones continue from"
            )
        if mode is Mode.VIDEO_TO_VIDEO and frames > recipe.frames:  # said, not left to be found on the timeline
            most = recipe.frames >= valid_frames_at_most(card.max_frames, card.frame_step)
            why = f" ({card.name} remakes at most {recipe.frames} at once)" if most else ""
            notes.append(
                f"video to video remakes the first {recipe.frames} of the clip's {frames} frames{why}: "
                "the take is that long"
            )
        if (width, height) != (recipe.width, recipe.height):
            notes.append(
                f"the clip {path.name} is {width}x{height} and the shot {recipe.width}x{recipe.height}: "
                "its frames are scaled and cropped to fit"
            )
    assert recipe.steps is not None  # prepare() fills in the card's default steps before this
    if mode is Mode.VIDEO_TO_VIDEO and 0 < recipe.strength and int(recipe.steps * recipe.strength) == 0:
        raise RequestError(
            f"a strength of {recipe.strength:g} with {recipe.steps} steps runs no step at all "
            f"(it runs steps x strength of them): raise the steps or the strength"
        )
    return notes
