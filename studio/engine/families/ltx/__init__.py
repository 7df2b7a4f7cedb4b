"""LTX-Video 0.9.x: one LTXConditionPipeline for every mode; two-pass cards add its latent upsampler.

What the editor and the cards know of the family, without torch: its pipeline classes, the
arguments a card may set, and the card a model folder without one gets. The worker side, a
recipe as its pipeline's call, is adapter.py beside this file; importing the family never loads it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from ....core.recipe import Mode
from ....core.shape import multiple_at_most, valid_frames_at_most
from ..family import Family, read_json


def card_defaults(folder: Path, index: dict[str, Any]) -> dict[str, Any]:
    """LTX-Video 0.9.x defaults, with the frame rule and size multiple read from the VAE's config."""
    vae = read_json(folder / "vae" / "config.json")
    scaling = vae.get("spatio_temporal_scaling", (True, True, True, False))
    spatial = vae.get("spatial_compression_ratio") or vae.get("patch_size", 4) * 2 ** sum(scaling)
    temporal = vae.get("temporal_compression_ratio") or vae.get("patch_size_t", 1) * 2 ** sum(scaling)
    multiple = math.lcm(FAMILY.size_multiple, int(spatial))
    call = {}
    if vae.get("timestep_conditioning"):  # 0.9.1 and later: the diffusers docs' recommended values
        call = {"decode_timestep": 0.05, "decode_noise_scale": 0.025, "image_cond_noise_scale": 0.025}
    step = int(temporal)
    max_frames = valid_frames_at_most(257, step)
    return dict(
        pipeline=FAMILY.pipelines[0],
        modes=tuple(Mode),  # LTXConditionPipeline does every mode
        frame_step=step,
        max_frames=max_frames,
        default_frames=min(valid_frames_at_most(97, step), max_frames),
        size_multiple=multiple,
        max_width=multiple_at_most(1280, multiple),
        max_height=multiple_at_most(1280, multiple),
        default_width=multiple_at_most(768, multiple),
        default_height=multiple_at_most(512, multiple),
        default_fps=24.0,
        default_steps=40,
        default_guidance=3.0,
        memory_gb=16.0,
        call=call,
    )


def check_multiscale(checked: dict[str, Any]) -> dict[str, Any]:
    """A two-pass card's refine: a strength below 1, and a step count or a schedule of its own."""
    if not 0 < checked["refine_strength"] < 1:  # 1 would start the refine from noise, not from the upsampled latents
        raise ValueError(f"refine_strength should be between 0 and 1, not {checked['refine_strength']}")
    if ("refine_steps" in checked) == ("refine_timesteps" in checked):
        raise ValueError("give refine_steps or refine_timesteps (one of them)")
    if checked.get("refine_steps", 1) < 1 or not checked.get("refine_timesteps", [0]):
        raise ValueError("the refine pass needs at least one step")
    return checked


FAMILY = Family(
    id="ltx",
    label="LTX",
    pipelines=("LTXConditionPipeline",),
    folder_classes=("LTXConditionPipeline", "LTXPipeline", "LTXImageToVideoPipeline"),
    size_multiple=32,
    call_keys=frozenset(
        {
            "decode_timestep",
            "decode_noise_scale",
            "image_cond_noise_scale",
            "guidance_rescale",
            "timesteps",
            "max_sequence_length",
        }
    ),
    upsampler_pipeline="LTXLatentUpsamplePipeline",  # a two-pass card's [multiscale] upsampler
    card_defaults=card_defaults,
    multiscale_keys=(
        frozenset({"upsampler", "first_pass_scale", "refine_strength"}),
        frozenset({"refine_steps", "refine_timesteps", "adain_factor"}),
    ),
    check_multiscale=check_multiscale,
    first_frame=True,  # adapter.first_frame_then_animate: the demo model's text to video
)
