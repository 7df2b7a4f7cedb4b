"""The Wan family (2.1, 2.2): a recipe as a call of the Wan pipeline class its mode runs as.

Wan has no condition pipeline; the loader hands generate() the pipeline for the recipe's mode
(card.pipeline_for), made from the loaded one where it differs.

    WanPipeline              text to video
    WanImageToVideoPipeline  image to video: the image at frame 0 as `image` and, for a first+last
                             shot (Wan 2.1 FLF2V), the image at the last frame as `last_image`
    WanVideoToVideoPipeline  video to video (Wan 2.1 T2V's modules), SDEdit like LTX's: the clip is
                             encoded, noised to the level the schedule has after (1 - strength) of the
                             steps, and the last steps x strength steps run; strength 0 is the clip
    WanVACEPipeline          every other mode (VACE): `video` holds the frames to keep at their
                             positions and grey (0.5) elsewhere, `mask` is black where a frame is kept
                             and white where one is made. Keyframes and image to video put stills
                             there; extend, connect and loop put the clip frames modes.placements()
                             chooses, and modes.assemble() joins the result to the clip's exact
                             frames. Recipe.references go in as `reference_images`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageOps

from ....core.recipe import CLIP_INPUTS, Condition, Mode, Recipe
from ... import modes
from ...cards import Card
from ...modes import condition_path
from ...runtime.base import Take, fit_image, flow_shift, read_clips, shared_arguments
from ...runtime.speed import cache_for_mode
from ...runtime.steps import StepHooks

VACE = "WanVACEPipeline"
VIDEO_TO_VIDEO = "WanVideoToVideoPipeline"
GREY = 0.5  # VACE's "nothing here": 0 once the pipeline maps pixels to [-1, 1]


def _stills(recipe: Recipe, card: Card, first_and_last_only: bool) -> dict[int, Condition]:
    """The recipe's input images by frame index, checked as the card's model takes them."""
    last_index = recipe.frames - 1
    by_index: dict[int, Condition] = {}
    for condition in recipe.conditions:
        if first_and_last_only and condition.frame_index not in (0, last_index):
            raise ValueError(
                f"{card.name} takes input images at the first and last frames only, not at frame "
                f"{condition.frame_index}"
            )
        if not 0 <= condition.frame_index <= last_index:
            raise ValueError(
                f"an input image is placed at frame {condition.frame_index}, outside the shot's {recipe.frames} frames"
            )
        if condition.strength != 1.0:
            raise ValueError(f"{card.name} takes its input images at full strength (1.0), not {condition.strength}")
        if condition.frame_index in by_index:
            raise ValueError(f"two input images are placed at frame {condition.frame_index}")
        by_index[condition.frame_index] = condition
    if recipe.mode is Mode.IMAGE_TO_VIDEO:
        if 0 not in by_index:
            raise ValueError(f"{card.name} needs an input image at the first frame")
        has_last = last_index in by_index and last_index > 0
        if has_last and card.last_frame == "no":
            raise ValueError(f"{card.name} takes a first frame only, not a last frame")
        if not has_last and card.last_frame == "required":
            raise ValueError(f"{card.name} needs both a first and a last frame")
    return by_index


def _images(recipe: Recipe, card: Card, project_folder: str | Path | None) -> dict:
    """`image` and `last_image` (WanImageToVideoPipeline) from the recipe's conditions."""
    if recipe.mode is Mode.TEXT_TO_VIDEO:
        if recipe.conditions:
            raise ValueError("text to video takes no input images; use image to video")
        return {}
    if recipe.mode is not Mode.IMAGE_TO_VIDEO:
        raise ValueError(f"{card.name} cannot do {recipe.mode.label}")
    by_index = _stills(recipe, card, first_and_last_only=True)

    def fitted(index: int):
        return fit_image(condition_path(by_index[index].path, project_folder), recipe.width, recipe.height)

    images = {"image": fitted(0)}
    last_index = recipe.frames - 1
    if last_index in by_index and last_index > 0:
        images["last_image"] = fitted(last_index)
    return images


def reference_image(path: str | Path) -> Image.Image:
    """A reference image as it is: VACE scales it onto a white canvas of the shot's size, never cropped."""
    with Image.open(path) as image:
        return ImageOps.exif_transpose(image).convert("RGB")


def _vace_inputs(recipe: Recipe, card: Card, project_folder: str | Path | None, clips: list[np.ndarray]) -> dict:
    """`video`, `mask` and `reference_images` for WanVACEPipeline."""
    known: list[tuple[np.ndarray, int]] = []  # uint8 frames and the output index of the first
    if recipe.mode is Mode.VIDEO_TO_VIDEO:
        raise ValueError(f"{card.name} cannot do video to video: VACE has no strength to remake a clip by")
    if recipe.mode in CLIP_INPUTS:
        for frames, index, clip in modes.placements(recipe.mode, clips, recipe.frames, card):
            strength = recipe.conditions[clip].strength
            if strength != 1.0:
                raise ValueError(
                    f"{card.name} keeps a clip's frames as they are: its strength must be 1.0, not {strength}"
                )
            known.append((frames, index))
    elif recipe.mode is Mode.TEXT_TO_VIDEO:
        if recipe.conditions:
            raise ValueError("text to video takes no input images; use image to video or keyframes")
    else:  # image to video and keyframes: stills at their frames
        stills = _stills(recipe, card, first_and_last_only=recipe.mode is Mode.IMAGE_TO_VIDEO)
        for index, condition in sorted(stills.items()):
            image = fit_image(condition_path(condition.path, project_folder), recipe.width, recipe.height)
            known.append((np.asarray(image)[None], index))

    arguments: dict = {}
    if known:  # without, the pipeline makes the all-grey video and all-white mask itself
        video = torch.full((1, recipe.frames, 3, recipe.height, recipe.width), GREY)
        mask = torch.ones(1, recipe.frames, 1, recipe.height, recipe.width)
        for frames, index in known:
            # (frames, H, W, 3) uint8 -> (frames, 3, H, W) in [0, 1], as the pipeline's video processor takes tensors
            video[0, index : index + len(frames)] = torch.tensor(frames).permute(0, 3, 1, 2) / 255.0
            mask[0, index : index + len(frames)] = 0.0
        arguments = {"video": video, "mask": mask}
    if recipe.references:
        arguments["reference_images"] = [reference_image(condition_path(p, project_folder)) for p in recipe.references]
    return arguments


@contextmanager
def scheduler_shift(pipe, shift: float | None) -> Iterator[None]:
    """The pipeline runs with a scheduler of this flow shift for the call, as diffusers' Wan docs set it
    (from_config with flow_shift); the loaded one comes back after, as the worker keeps the pipeline
    for the next job. None: the scheduler as it is."""
    if shift is None:
        yield
        return
    shipped = pipe.scheduler
    if "flow_shift" not in shipped.config:
        raise ValueError(f"the scheduler {type(shipped).__name__} takes no flow shift")
    pipe.scheduler = type(shipped).from_config(shipped.config, flow_shift=shift)
    try:
        yield
    finally:
        pipe.scheduler = shipped


def call_arguments(
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    clips: list[np.ndarray] | None = None,
) -> dict:
    """The pipeline arguments for a recipe (everything but the callback). clips are read_clips()'
    frames (read here if not given)."""
    pipeline = card.pipeline_for(recipe.mode)
    if clips is None:
        clips = read_clips(recipe, project_folder)
    if recipe.references and pipeline != VACE:
        raise ValueError(f"{card.name} takes no reference images")
    arguments = shared_arguments(recipe, card)
    if pipeline == VACE:
        arguments.update(_vace_inputs(recipe, card, project_folder, clips))
    elif pipeline == VIDEO_TO_VIDEO:
        if recipe.mode is not Mode.VIDEO_TO_VIDEO:
            raise ValueError(f"{VIDEO_TO_VIDEO} makes video to video only, not {recipe.mode.label}")
        del arguments["num_frames"]  # the clip's length is the shot's
        arguments["video"] = [Image.fromarray(f) for f in clips[0][: recipe.frames]]
        arguments["strength"] = recipe.strength
    else:
        arguments.update(_images(recipe, card, project_folder))
    return arguments


CARRIES_LATENTS = False  # each window encodes its overlap from the frames


def make_take(
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder=None,
    on_step=None,
    should_stop=None,
    on_preview=None,
    *,
    assemble: bool = True,
    carry: dict | None = None,
    upsampler=None,
) -> Take:
    """base.Adapter's take: generate()'s frames, no sound."""
    return Take(generate(pipe, recipe, card, project_folder, on_step, should_stop, on_preview, assemble))


def generate(
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_preview: Callable[[np.ndarray], None] | None = None,
    assemble: bool = True,
) -> np.ndarray:
    """Run the pipeline; return the take as uint8 frames shaped (N, height, width, 3).

    N is recipe.frames, except for the clip modes, whose take joins the clip's frames and the new
    ones (modes.assemble): extend and loop are longer than recipe.frames, connect is shorter.
    assemble=False returns the recipe.frames frames the pipeline made, overlaps included (windows.py).

    on_step, should_stop and on_preview are the step hooks (steps.StepHooks).
    """
    hooks = StepHooks(on_step, should_stop, on_preview)
    hooks.check()
    cache_for_mode(pipe, card, recipe.mode)  # the card's step cache only in the modes it suits (runtime/speed.py)

    clips = read_clips(recipe, project_folder)
    if recipe.mode is Mode.VIDEO_TO_VIDEO and recipe.strength == 0:
        return clips[0][: recipe.frames].copy()  # nothing to remake: the clip's own frames, exactly
    arguments = call_arguments(recipe, card, project_folder, clips)  # bad inputs fail before any step runs
    references = len(arguments.get("reference_images") or [])

    def to_video(latents: torch.Tensor) -> torch.Tensor:  # (B, C, F, H, W); VACE puts the references first
        return latents[0][:, references:]

    with scheduler_shift(pipe, flow_shift(recipe, card)):
        output = pipe(**arguments, **hooks.pipeline_arguments(to_video))
    frames = modes.output_frames(output, recipe)
    if not assemble:
        return frames
    return modes.assemble(recipe.mode, frames, clips, card, recipe.bridge_frames)
