"""The recipe a `generate`, `extend` or `connect` command line asks for: the card's (or the clip's)
defaults where the options are silent, one builder per mode, then prepared as the editor's are.

generate.py runs it; nothing here starts a job or imports torch.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
from pathlib import Path
from typing import TYPE_CHECKING

from ..core.recipe import BRIDGE_PROMPT, DRAFT, FULL, Condition, Mode, Recipe
from ..core.timebase import FrameRate
from .common import CommandError

if TYPE_CHECKING:
    from ..engine.cards import Card


def _recorded_prompt(path: str | None, backward: bool = False) -> str | None:
    """The prompt a generated clip was made with, as `studio verify` reads its record (a long shot's: the window
    an extension joins, its last or, backward, its first); None for a clip without one."""
    from ..media.provenance import ProvenanceError, verify

    if path is None:
        return None
    try:
        recipes = verify(Path(path)).recipes
    except (ProvenanceError, OSError, ValueError):
        return None
    if len(recipes) != 1:
        return None
    windows = recipes[0].get("window_prompts") or []
    said = (windows[0] if backward else windows[-1]) if windows else recipes[0].get("prompt")
    return said if isinstance(said, str) and said.strip() else None


def _clip_info(path: str):
    """A clip's size, rate and frame count, or a one-line CommandError."""
    from ..media.probe import MediaError, probe

    if not Path(path).is_file():
        raise CommandError(f"the clip {Path(path).absolute()} does not exist")
    try:
        info = probe(path)
    except MediaError as exc:
        raise CommandError(str(exc)) from exc
    if info.fps is None:
        raise CommandError(f"{path} is not a video clip")
    return info


def _frames_asked(args: argparse.Namespace, fps: float, default: int, notes: list[str]) -> int:
    """The frames --seconds or --frames ask for (new frames, for the clip verbs), else default."""
    from ..engine.requests import RequestError, check_length, check_seconds

    if args.seconds is not None:
        try:
            check_seconds(args.seconds, allow_long=args.allow_long)
        except RequestError as exc:
            raise CommandError(str(exc)) from exc
        frames = FrameRate.parse(fps).frames(args.seconds)
        notes.append(f"{args.seconds:g} s at {fps:g} fps is {frames} frames")
    else:
        frames = args.frames if args.frames is not None else default
    if frames <= 0:
        raise CommandError(f"the frame count must be positive, not {frames}")
    try:
        check_length(frames, fps, allow_long=args.allow_long)
    except RequestError as exc:
        raise CommandError(str(exc)) from exc
    return frames


def _keyframe(text: str) -> Condition:
    path, at, index = text.rpartition("@")
    if not at or not path or not index.lstrip("-").isdigit():
        raise CommandError(f"--keyframe {text}: write it as PATH@FRAME, e.g. still.png@24")
    return Condition(path, int(index))


# One builder per mode, each finishing the base recipe (prompt, seed, size…) with engine/recipes.py, as
# the editor's do. The clip modes make enough frames that the new ones are at least those asked for:
# k of them overlap each clip they continue from (engine/modes.py).


def extend_shot(args: argparse.Namespace, base: Recipe, card: Card, fps: float, notes: list[str]) -> Recipe:
    """`extend`: the clip followed (or, with --backward, preceded) by new frames."""
    from ..engine.modes import overlap_frames
    from ..engine.recipes import extend_recipe

    asked = _frames_asked(args, fps, card.default_frames - overlap_frames(card), notes)
    return extend_recipe(base, card, Condition(args.clip), asked, backward=args.backward)


def bridge_shot(args: argparse.Namespace, base: Recipe, card: Card, fps: float, notes: list[str]) -> Recipe:
    """`connect`: new frames from the end of clip A to the start of clip B."""
    from ..engine.modes import overlap_frames
    from ..engine.recipes import bridge_recipe

    _clip_info(args.clip_b)
    asked = _frames_asked(args, fps, card.default_frames - 2 * overlap_frames(card), notes)
    # a length asked for is kept exactly, thinned from the next one the model makes
    exact = args.seconds is not None or args.frames is not None
    return bridge_recipe(base, card, Condition(args.clip_a), Condition(args.clip_b), asked, exact=exact)


def loop_shot(args: argparse.Namespace, base: Recipe, card: Card, fps: float, notes: list[str]) -> Recipe:
    """`generate --video --loop`: the clip followed by new frames that lead back into its start."""
    from ..engine.modes import overlap_frames
    from ..engine.recipes import loop_recipe

    asked = _frames_asked(args, fps, card.default_frames - 2 * overlap_frames(card), notes)
    return loop_recipe(base, card, Condition(args.video), asked)


def restyle_shot(args: argparse.Namespace, base: Recipe, card: Card, clip, fps: float, notes: list[str]) -> Recipe:
    """`generate --video`: the clip remade from the prompt, as much as --strength says."""
    from ..engine.recipes import restyle_frames, restyle_recipe

    frames = _frames_asked(args, fps, restyle_frames(card, clip.frames), notes)
    return restyle_recipe(base, card, Condition(args.video), clip.frames, frames=frames, strength=args.strength)


def new_shot(args: argparse.Namespace, base: Recipe, card: Card, fps: float, notes: list[str]) -> Recipe:
    """`generate` without --video: from the prompt, with stills at the first, last or chosen frames."""
    frames = _frames_asked(args, fps, card.default_frames, notes)
    conditions = [Condition(args.image, 0)] if args.image else []
    keyframes = [_keyframe(text) for text in args.keyframe or []]
    if args.end_image:
        conditions.append(Condition(args.end_image, max(frames - 1, 1)))
    if keyframes:
        mode, conditions = Mode.KEYFRAMES, conditions + keyframes
    else:
        mode = Mode.IMAGE_TO_VIDEO if conditions else Mode.TEXT_TO_VIDEO
    return dataclasses.replace(base, mode=mode, frames=frames, conditions=conditions)


def _check_generate_options(args: argparse.Namespace) -> None:
    """`generate`'s options that cannot go together, refused before any clip is read for them."""
    video = args.video
    if args.end_image and not args.image:
        raise CommandError("--end-image needs --image for the first frame")
    if args.loop and not video:
        raise CommandError("--loop needs --video, the clip to loop")
    if args.strength is not None and (not video or args.loop):
        raise CommandError("--strength goes with --video (video to video)")
    if video and (args.image or args.keyframe):
        raise CommandError("--video cannot be combined with --image or --keyframe")


def _overlap_note(mode: Mode, recipe: Recipe, card: Card) -> str:
    """For the clip modes: how many of the frames the model makes are new, and which overlap."""
    from ..engine.modes import new_frame_count, overlap_frames

    k = overlap_frames(card)
    where = {
        Mode.EXTEND_FORWARD: f"the first {k} of them overlap the clip's end",
        Mode.EXTEND_BACKWARD: f"the last {k} of them overlap the clip's start",
        Mode.CONNECT: f"the first {k} overlap the end of A and the last {k} the start of B",
        Mode.LOOP: f"the first {k} overlap the clip's end and the last {k} its start",
    }[mode]
    new = recipe.bridge_frames or new_frame_count(mode, recipe.frames, card)
    return f"{new} new frames: the model makes {recipe.frames}; {where}"


def build_recipe(args: argparse.Namespace) -> tuple[Recipe, list[str]]:
    """The recipe the arguments ask for, with the card's (or the clip's) defaults where they are
    silent, prepared. args.command is generate, extend or connect."""
    from ..engine.requests import check_fps, prepare, resolve_model

    card = resolve_model(args.model, args.models_dir).card
    notes: list[str] = []
    verb = args.command
    video = getattr(args, "video", None)
    first_clip = {"extend": getattr(args, "clip", None), "connect": getattr(args, "clip_a", None)}.get(verb, video)
    clip = _clip_info(first_clip) if first_clip else None  # its size and rate are the defaults
    fps = args.fps if args.fps is not None else (float(clip.fps) if clip else card.default_fps)
    check_fps(fps)  # before any length is worked out from it

    prompt = args.prompt
    if prompt is None and verb in ("extend", "connect"):  # the clip's own where it was generated, as the editor's
        prompt = _recorded_prompt(first_clip, backward=getattr(args, "backward", False))
    if prompt is None:
        prompt = {"connect": BRIDGE_PROMPT}.get(verb, "the shot continues")
    base = Recipe(
        mode=Mode.TEXT_TO_VIDEO,  # each builder below sets the mode, the frames and the inputs
        model=args.model,
        prompt=prompt,
        negative_prompt=args.negative,
        style=args.style,
        seed=args.seed if args.seed is not None else random.randrange(2**31),
        steps=args.steps,
        guidance=args.guidance,
        width=args.width if args.width is not None else (clip.width if clip else card.default_width),
        height=args.height if args.height is not None else (clip.height if clip else card.default_height),
        frames=card.default_frames,
        fps=float(fps),
        window_prompts=list(getattr(args, "window_prompt", None) or []),
        references=list(args.reference or []),
        quality=DRAFT if getattr(args, "draft", False) else FULL,
    )
    if verb == "extend":
        recipe = extend_shot(args, base, card, fps, notes)
    elif verb == "connect":
        recipe = bridge_shot(args, base, card, fps, notes)
    else:
        _check_generate_options(args)
        if args.loop:
            recipe = loop_shot(args, base, card, fps, notes)
        elif video:
            recipe = restyle_shot(args, base, card, clip, fps, notes)
        else:
            recipe = new_shot(args, base, card, fps, notes)

    if getattr(args, "expand", False):
        recipe.expanded_prompt = expanded(prompt, args.expander)
        notes.append(f"expanded prompt: {recipe.expanded_prompt}")
    recipe, more = prepare(recipe, project_folder=Path.cwd(), models_dir=args.models_dir, allow_long=args.allow_long)
    notes += more
    if recipe.mode in (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD, Mode.CONNECT, Mode.LOOP):
        notes.append(_overlap_note(recipe.mode, recipe, card))
    return recipe, notes


def expanded(prompt: str, expander: str | None) -> str:
    """The prompt rewritten by the local text model, or a one-line CommandError."""
    from ..engine.runtime.expand import expand
    from ..engine.weights import ExpanderError, find_expander

    try:
        folder = find_expander(expander)
        if folder is None:
            raise ExpanderError(
                "no prompt expander is installed: put a text model (e.g. Qwen/Qwen2.5-0.5B-Instruct) "
                "in models/expander/, set $STUDIO_EXPANDER, or give --expander FOLDER"
            )
        return expand(prompt, folder)
    except ExpanderError as exc:
        raise CommandError(str(exc)) from exc
