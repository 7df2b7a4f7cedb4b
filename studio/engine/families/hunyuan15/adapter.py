"""The HunyuanVideo 1.5 family: a recipe as a HunyuanVideo15Pipeline or HunyuanVideo15ImageToVideoPipeline call.

The text and the image checkpoints are separate folders, each of its own pipeline class: text to video
goes to HunyuanVideo15Pipeline, image to video to HunyuanVideo15ImageToVideoPipeline with the image at
frame 0 (the checkpoints take a first frame only).

Three things these pipelines do differently from LTX's and Wan's, and how the studio meets them:

  guidance   the call takes no guidance_scale: a guider module (classifier-free guidance) holds it.
             For one call the pipeline runs with a copy of its guider at the recipe's guidance
             (guider.new, as the diffusers docs show); 1.0 turns the unconditional pass off.
  steps      the call takes no step callback: progress, cancel and previews run after each
             scheduler step instead, through a wrapper on this one scheduler's step for the call.
  size       the image pipeline takes no width or height: it picks the training bucket nearest the
             image's aspect at the checkpoint's resolution (848x480 for a 16:9 image at 480p). A shot
             must have the size its recipe says, so for the call the bucket is the recipe's size; the
             image is cropped to that aspect first, never stretched.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from ....core.recipe import Mode, Recipe
from ...cards import Card
from ...modes import condition_path, output_frames
from ...runtime.base import fit_image, frames_only, shared_arguments
from ...runtime.speed import cache_for_mode
from ...runtime.steps import StepHooks


def _image(recipe: Recipe, card: Card, project_folder: str | Path | None) -> dict:
    """`image` from the recipe's conditions: one input image, at the first frame, at full strength."""
    if recipe.mode is Mode.TEXT_TO_VIDEO:
        if recipe.conditions:
            raise ValueError("text to video takes no input images; use image to video")
        return {}
    if recipe.mode is not Mode.IMAGE_TO_VIDEO:
        raise ValueError(f"{card.name} cannot do {recipe.mode.label}")
    if not recipe.conditions:
        raise ValueError(f"{card.name} needs an input image at the first frame")
    for condition in recipe.conditions:
        if condition.frame_index != 0:
            raise ValueError(
                f"{card.name} takes a first frame only, not an input image at frame {condition.frame_index}"
            )
        if condition.strength != 1.0:
            raise ValueError(f"{card.name} takes its input image at full strength (1.0), not {condition.strength}")
    if len(recipe.conditions) > 1:
        raise ValueError(f"{card.name} takes one input image, not {len(recipe.conditions)}")
    path = condition_path(recipe.conditions[0].path, project_folder)
    return {"image": fit_image(path, recipe.width, recipe.height)}


def call_arguments(recipe: Recipe, card: Card, project_folder: str | Path | None = None) -> dict:
    """The pipeline arguments for a recipe (everything but the guidance and the step hooks)."""
    image = _image(recipe, card, project_folder)
    size = ("width", "height") if image else ()  # the image pipeline takes no size: see _sized
    # guidance goes to the folder's guider (_guided), not to the call
    return shared_arguments(recipe, card, ("guidance_scale", *size), **image)


CARRIES_LATENTS = False  # it makes no long shots


def generate(
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_preview: Callable[[np.ndarray], None] | None = None,
) -> np.ndarray:
    """Run the pipeline; return uint8 frames shaped (recipe.frames, height, width, 3).

    on_step, should_stop and on_preview are the step hooks (steps.StepHooks).
    """
    hooks = StepHooks(on_step, should_stop, on_preview)
    hooks.check()
    cache_for_mode(pipe, card, recipe.mode)  # the card's step cache only in the modes it suits (runtime/speed.py)
    arguments = call_arguments(recipe, card, project_folder)  # bad inputs fail before any step runs

    with _guided(pipe, recipe.guidance), _sized(pipe, recipe), _stepped(pipe, hooks):
        output = pipe(**arguments)
    return output_frames(output, recipe)


def latents_to_video(latents: torch.Tensor) -> torch.Tensor:
    """The scheduler's latents (batch, channels, frames, height, width) as steps.latent_preview takes them."""
    return latents[0]


@contextmanager
def _replaced(owner, name: str, value) -> Iterator[None]:
    """owner.name is value for the block, then what it was: the loaded pipeline is shared between jobs."""
    own = name in vars(owner)
    before = vars(owner).get(name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        if own:
            setattr(owner, name, before)
        else:
            delattr(owner, name)


@contextmanager
def _guided(pipe, guidance: float | None) -> Iterator[None]:
    """The pipeline's guider at the recipe's guidance (its other settings kept), for one call."""
    if guidance is None:
        yield
        return
    original = pipe.guider
    pipe.guider = original.new(guidance_scale=float(guidance))
    try:
        yield
    finally:
        pipe.guider = original


@contextmanager
def _sized(pipe, recipe: Recipe) -> Iterator[None]:
    """The image pipeline's size choice made the recipe's size (see the module docstring)."""
    if recipe.mode is not Mode.IMAGE_TO_VIDEO:
        yield
        return

    def recipe_size(*args, **kwargs) -> tuple[int, int]:
        return recipe.height, recipe.width

    with _replaced(pipe.video_processor, "calculate_default_height_width", recipe_size):
        yield


@contextmanager
def _stepped(pipe, hooks: StepHooks) -> Iterator[None]:
    """The step hooks after each scheduler step: these pipelines call no step callback of their own.
    Cancelled raised here leaves the call before the VAE decode, as from a step callback."""
    step_end = hooks.pipeline_arguments(latents_to_video)["callback_on_step_end"]
    scheduler = pipe.scheduler
    original = scheduler.step
    index = itertools.count()

    def step(*args, **kwargs):
        result = original(*args, **kwargs)
        latents = result[0] if isinstance(result, tuple) else result.prev_sample
        step_end(pipe, next(index), None, {"latents": latents})
        return result

    with _replaced(scheduler, "step", step):
        yield


make_take = frames_only(generate)  # base.Adapter: its modes join no clips, so no sound and no assembly
