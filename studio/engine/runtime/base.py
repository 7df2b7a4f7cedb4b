"""What every family's pipeline adapter shares: the protocol the worker and windows.py speak to it,
the inputs every family reads the same way, and the call arguments every pipeline takes.

A family's adapter is the module engine/families/<family id>/adapter.py, in the family's own folder;
adapter() finds it by that name, so a family is registered once, in engine/families/__init__.py.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple, Protocol, cast

import numpy as np
import torch
from PIL import Image, ImageOps

from ...core.recipe import CLIP_INPUTS, Recipe, with_style
from .. import families, modes
from ..card import Card
from ..families import FAMILIES


class Take(NamedTuple):
    """What a family makes of a recipe: uint8 frames (N, height, width, 3), and the sound with them
    (samples x channels, float) and its sample rate where the family makes sound (else None)."""

    frames: np.ndarray
    sound: np.ndarray | None = None
    sample_rate: int | None = None


class Adapter(Protocol):
    """A family's pipeline adapter (a module), as the worker and windows.py call it."""

    # Whether a long shot's windows may hand their denoised latents on (make_take's carry, windows.py).
    CARRIES_LATENTS: bool

    def make_take(
        self,
        pipe: Any,
        recipe: Recipe,
        card: Card,
        project_folder: str | Path | None = None,
        on_step: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_preview: Callable[[np.ndarray], None] | None = None,
        *,
        assemble: bool = True,
        carry: dict | None = None,
        upsampler: Any = None,
    ) -> Take:
        """The take of a recipe. on_step, should_stop and on_preview are the step hooks (steps.StepHooks).
        assemble=False: the frames the pipeline made, a clip mode's input clips not joined on (windows.py);
        carry: a long shot's latent carry, for a family that CARRIES_LATENTS; upsampler: a two-pass card's,
        from load_upsampler."""
        ...


def frames_only(generate: Callable[..., np.ndarray]) -> Callable[..., Take]:
    """Adapter.make_take for a family whose generate() makes frames only and joins no clips (so
    assemble is the same take), carries no latents and has no upsampler."""

    def make_take(
        pipe: Any,
        recipe: Recipe,
        card: Card,
        project_folder: str | Path | None = None,
        on_step: Callable[[int, int], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        on_preview: Callable[[np.ndarray], None] | None = None,
        *,
        assemble: bool = True,
        carry: dict | None = None,
        upsampler: Any = None,
    ) -> Take:
        return Take(generate(pipe, recipe, card, project_folder, on_step, should_stop, on_preview))

    return make_take


class TwoPassAdapter(Adapter, Protocol):
    """The adapter of a family whose cards may make their shots in two passes ([multiscale]: the
    family's multiscale_keys)."""

    def load_upsampler(self, folder: str | Path, pipe: Any, card: Card) -> Any:
        """The card's latent upsampler from its folder, sharing the loaded pipeline's modules."""
        ...


def adapter(family: str) -> Adapter:
    """The adapter module of a registered family."""
    if family not in FAMILIES:
        raise ValueError(f"the studio cannot run the {family} family yet")
    return cast(Adapter, importlib.import_module(f"{families.__name__}.{family}.adapter"))


def two_pass_adapter(family: str) -> TwoPassAdapter:
    """The adapter of a family whose cards may have two passes (cards.py refuses [multiscale] elsewhere)."""
    return cast(TwoPassAdapter, adapter(family))


def fit_image(path: str | Path, width: int, height: int) -> Image.Image:
    """An input image cropped to the shot's aspect and scaled to its size, so it is never stretched."""
    with Image.open(path) as opened:
        image = ImageOps.exif_transpose(opened).convert("RGB")
        return ImageOps.fit(image, (width, height), Image.Resampling.LANCZOS)


def read_clips(recipe: Recipe, project_folder: str | Path | None = None) -> list[np.ndarray]:
    """The frames of a clip mode's input clips, fitted to the shot's size; [] for the other modes."""
    if recipe.mode not in CLIP_INPUTS:
        return []
    return [modes.read_clip(c, project_folder, recipe.width, recipe.height) for c in recipe.conditions]


def flow_shift(recipe: Recipe, card: Card) -> float | None:
    """The flow shift a recipe runs with: its own, else the card's for the shot's size (Wan was trained with a
    larger shift for larger video; 3.0 at 480p is too little at 720p), else None (the pipeline's schedule)."""
    return recipe.flow_shift if recipe.flow_shift is not None else card.flow_shift_for(recipe.width, recipe.height)


def shared_arguments(recipe: Recipe, card: Card, leave_out: tuple[str, ...] = (), **own: Any) -> dict[str, Any]:
    """The pipeline call's arguments every family's call shares, the family's own, then the card's
    [call] table (which wins); leave_out names shared ones the family's pipeline does not take."""
    extra = dict(card.call)
    timesteps = extra.pop("timesteps", None)
    # A card's own schedule (the distilled models') fits only the step count it was made for.
    if timesteps is not None and len(timesteps) == recipe.steps:
        extra["timesteps"] = list(timesteps)
    arguments = {
        "prompt": with_style(recipe.expanded_prompt or recipe.prompt, recipe.style),
        "negative_prompt": recipe.negative_prompt,
        "width": recipe.width,
        "height": recipe.height,
        "num_frames": recipe.frames,
        "num_inference_steps": recipe.steps,
        "guidance_scale": recipe.guidance,
        # The noise comes from a CPU generator so a seed gives the same frames on any device.
        "generator": torch.Generator("cpu").manual_seed(recipe.seed),
        "output_type": "np",
    }
    for name in leave_out:
        del arguments[name]
    return {**arguments, **own, **extra}
