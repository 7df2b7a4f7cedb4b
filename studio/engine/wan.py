"""The Wan family (2.1, 2.2): a recipe as a WanPipeline or WanImageToVideoPipeline call.

Wan has no condition pipeline. text to video goes to WanPipeline; image to video goes to
WanImageToVideoPipeline with the image at frame 0 as `image` and, for a first+last shot (Wan 2.1
FLF2V), the image at the last frame as `last_image`. The loader hands generate() the pipeline for
the recipe's mode (card.pipeline_for).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from ..core.recipe import Mode, Recipe
from .cards import Card
from .ltx import fit_image
from .modes import condition_path
from .steps import StepHooks


def _images(recipe: Recipe, card: Card, project_folder: str | Path | None) -> dict:
    """`image` and `last_image` from the recipe's conditions, as the card's model takes them."""
    if recipe.mode is Mode.TEXT_TO_VIDEO:
        if recipe.conditions:
            raise ValueError("text to video takes no input images; use image to video")
        return {}
    if recipe.mode is not Mode.IMAGE_TO_VIDEO:  # VACE (extend, connect, keyframes) is still to come
        raise ValueError(f"the studio cannot run Wan for {recipe.mode.label} yet")
    last_index = recipe.frames - 1
    by_index = {}
    for condition in recipe.conditions:
        if condition.frame_index not in (0, last_index):
            raise ValueError(
                f"{card.name} takes input images at the first and last frames only, not at frame "
                f"{condition.frame_index}"
            )
        if condition.strength != 1.0:
            raise ValueError(f"{card.name} takes its input images at full strength (1.0), not {condition.strength}")
        if condition.frame_index in by_index:
            raise ValueError(f"two input images are placed at frame {condition.frame_index}")
        by_index[condition.frame_index] = condition
    if 0 not in by_index:
        raise ValueError(f"{card.name} needs an input image at the first frame")
    has_last = last_index in by_index and last_index > 0
    if has_last and card.last_frame == "no":
        raise ValueError(f"{card.name} takes a first frame only, not a last frame")
    if not has_last and card.last_frame == "required":
        raise ValueError(f"{card.name} needs both a first and a last frame")

    def fitted(index: int):
        return fit_image(condition_path(by_index[index].path, project_folder), recipe.width, recipe.height)

    images = {"image": fitted(0)}
    if has_last:
        images["last_image"] = fitted(last_index)
    return images


def call_arguments(recipe: Recipe, card: Card, project_folder: str | Path | None = None) -> dict:
    """The pipeline arguments for a recipe (everything but the callback)."""
    return {
        **_images(recipe, card, project_folder),
        "prompt": recipe.expanded_prompt or recipe.prompt,
        "negative_prompt": recipe.negative_prompt,
        "width": recipe.width,
        "height": recipe.height,
        "num_frames": recipe.frames,
        "num_inference_steps": recipe.steps,
        "guidance_scale": recipe.guidance,
        # The noise comes from a CPU generator so a seed gives the same frames on any device.
        "generator": torch.Generator("cpu").manual_seed(recipe.seed),
        "output_type": "np",
        **card.call,
    }


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
    arguments = call_arguments(recipe, card, project_folder)  # bad inputs fail before any step runs

    output = pipe(**arguments, **hooks.pipeline_arguments(lambda latents: latents[0]))  # (B, C, F, H, W)
    video = np.asarray(output.frames[0])  # (frames, height, width, 3) floats in [0, 1]
    # Wan rounds a size or frame count it cannot make down without an error: refuse that here.
    expected = (recipe.frames, recipe.height, recipe.width, 3)
    if video.shape != expected:
        raise RuntimeError(f"the pipeline made video shaped {video.shape}, not {expected}")
    return (video * 255.0).round().clip(0, 255).astype(np.uint8)
