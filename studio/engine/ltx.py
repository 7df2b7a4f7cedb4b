"""The LTX family: a recipe as an LTXConditionPipeline call.

text to video has no conditions; image to video puts each input image at its frame index (the
first frame, and for a first+last shot a second image at the last frame).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition
from PIL import Image, ImageOps

from ..core.recipe import Recipe
from .cards import Card
from .jobs import Cancelled
from .requests import condition_path


def fit_image(path: str | Path, width: int, height: int) -> Image.Image:
    """An input image cropped to the shot's aspect and scaled to its size, so it is never stretched."""
    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image).convert("RGB")
        return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)


def call_arguments(recipe: Recipe, card: Card, project_folder: str | Path | None = None) -> dict:
    """The pipeline arguments for a recipe (everything but the callback)."""
    extra = dict(card.call)
    timesteps = extra.pop("timesteps", None)
    # A card's own schedule (the distilled models') fits only the step count it was made for.
    if timesteps is not None and len(timesteps) == recipe.steps:
        extra["timesteps"] = list(timesteps)
    conditions = [
        LTXVideoCondition(
            image=fit_image(condition_path(c.path, project_folder), recipe.width, recipe.height),
            frame_index=c.frame_index,
            strength=c.strength,
        )
        for c in recipe.conditions
    ]
    return {
        "conditions": conditions or None,
        "prompt": recipe.expanded_prompt or recipe.prompt,
        "negative_prompt": recipe.negative_prompt,
        "width": recipe.width,
        "height": recipe.height,
        "num_frames": recipe.frames,
        "frame_rate": round(recipe.fps),
        "num_inference_steps": recipe.steps,
        "guidance_scale": recipe.guidance,
        # The noise comes from a CPU generator so a seed gives the same frames on any device.
        "generator": torch.Generator("cpu").manual_seed(recipe.seed),
        "output_type": "np",
        **extra,
    }


def generate(
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> np.ndarray:
    """Run the pipeline; return uint8 frames shaped (recipe.frames, height, width, 3).

    on_step(step, total) is called after each denoising step. When should_stop() turns true the
    run ends at the next step with Cancelled, before the VAE decode (the pipeline's own interrupt
    flag would skip the remaining steps but still decode).
    """
    if should_stop is not None and should_stop():
        raise Cancelled()

    def step_end(pipeline, index: int, timestep, tensors: dict) -> dict:
        if on_step is not None:
            on_step(index + 1, pipeline.num_timesteps)
        if should_stop is not None and should_stop():
            raise Cancelled()
        return {}

    output = pipe(**call_arguments(recipe, card, project_folder), callback_on_step_end=step_end)
    video = np.asarray(output.frames[0])  # (frames, height, width, 3) floats in [0, 1]
    expected = (recipe.frames, recipe.height, recipe.width, 3)
    if video.shape != expected:
        raise RuntimeError(f"the pipeline made video shaped {video.shape}, not {expected}")
    return (video * 255.0).round().clip(0, 255).astype(np.uint8)
