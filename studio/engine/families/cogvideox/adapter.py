"""The CogVideoX family (1.0: 2B, 5B, 5B I2V; 1.5: 5B, 5B I2V): a recipe as a call of the pipeline
class for its mode, which the loader hands generate() (card.pipeline_for).

    text to video    CogVideoXPipeline
    image to video   CogVideoXImageToVideoPipeline, the image as the first frame (the I2V folders)
    video to video   CogVideoXVideoToVideoPipeline, made from a 1.0 text folder's modules: SDEdit, the
                     clip encoded, noised to the level the schedule has after (1 - strength) of the
                     steps, and only the last steps x strength steps run; strength 0 keeps the clip's
                     own frames exactly (no step runs), 1 remakes it from noise

Frames are 8k+1 (1.5: 16k+1), not 4k+1: the VAE decodes latent frames two at a time after an odd
first group, so an even number of latent frames (4k+1 frames for odd k) comes back as 4k+4 frames.
CogVideoX-5b-I2V's learned position embeddings hold one size and length (720x480, 49 frames): the
pipeline refuses another size, and for another length quietly swaps them for sin-cos ones the model
never saw, so both are refused here before any step runs.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from ....core.recipe import Mode, Recipe
from ...cards import Card
from ...modes import condition_path, output_frames
from ...runtime.base import fit_image, frames_only, read_clips, shared_arguments
from ...runtime.speed import cache_for_mode
from ...runtime.steps import StepHooks


def check_shape(pipe, recipe: Recipe, card: Card) -> None:
    """Refuse a size or length the loaded transformer cannot make, naming what it can."""
    config = pipe.transformer.config
    spatial = pipe.vae_scale_factor_spatial
    if config.use_learned_positional_embeddings:
        size = (config.sample_width * spatial, config.sample_height * spatial)
        if (recipe.width, recipe.height) != size:
            raise ValueError(f"{card.name} makes {size[0]}x{size[1]} video only, not {recipe.width}x{recipe.height}")
        if recipe.frames != config.sample_frames:
            raise ValueError(f"{card.name} makes {config.sample_frames} frames only, not {recipe.frames}")
    if config.patch_size_t is not None:  # 1.5's rotary positions reach sample_* latent pixels, no further
        width, height = config.sample_width * spatial, config.sample_height * spatial
        if recipe.width > width or recipe.height > height:
            raise ValueError(f"{card.name} makes video up to {width}x{height}, not {recipe.width}x{recipe.height}")
        if recipe.mode is Mode.VIDEO_TO_VIDEO:
            raise ValueError(f"{card.name} cannot remake clips: its pipeline refuses most clip lengths")


def _image(recipe: Recipe, card: Card, project_folder: str | Path | None) -> Image.Image:
    """The first frame of an image to video shot, fitted to its size."""
    if len(recipe.conditions) != 1 or recipe.conditions[0].frame_index != 0:
        where = ", ".join(str(c.frame_index) for c in recipe.conditions) or "none"
        raise ValueError(f"{card.name} takes one input image, at the first frame (given at frames: {where})")
    condition = recipe.conditions[0]
    if condition.strength != 1.0:
        raise ValueError(f"{card.name} takes its input image at full strength (1.0), not {condition.strength}")
    return fit_image(condition_path(condition.path, project_folder), recipe.width, recipe.height)


def call_arguments(
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    clips: list[np.ndarray] | None = None,
) -> dict:
    """The pipeline arguments for a recipe (everything but the callback); clips are read_clips()'
    frames (read here if not given)."""
    if recipe.mode is Mode.TEXT_TO_VIDEO:
        if recipe.conditions:
            raise ValueError("text to video takes no input images; use image to video")
        return shared_arguments(recipe, card)
    if recipe.mode is Mode.IMAGE_TO_VIDEO:
        return shared_arguments(recipe, card, image=_image(recipe, card, project_folder))
    if recipe.mode is Mode.VIDEO_TO_VIDEO:
        if clips is None:
            clips = read_clips(recipe, project_folder)
        # The pipeline takes its length from the clip: exactly the shot's frames of it.
        video = [Image.fromarray(f) for f in clips[0][: recipe.frames]]
        return shared_arguments(recipe, card, ("num_frames",), video=video, strength=recipe.strength)
    raise ValueError(f"the studio cannot run CogVideoX for {recipe.mode.label}")


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
    check_shape(pipe, recipe, card)
    clips = read_clips(recipe, project_folder)
    if recipe.mode is Mode.VIDEO_TO_VIDEO and recipe.strength == 0:
        return clips[0][: recipe.frames].copy()  # nothing to remake: the clip's own frames, exactly
    arguments = call_arguments(recipe, card, project_folder, clips)  # bad inputs fail before any step runs

    output = pipe(**arguments, **hooks.pipeline_arguments(latent_layout))
    return output_frames(output, recipe)


def latent_layout(latents: torch.Tensor) -> torch.Tensor:
    """latents_to_video for previews: CogVideoX keeps its latents as (batch, frames, channels, height, width)."""
    return latents[0].transpose(0, 1)


make_take = frames_only(generate)  # base.Adapter: its modes join no clips, so no sound and no assembly
