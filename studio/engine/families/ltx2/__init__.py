"""LTX-2: video with its sound, from one LTX2ConditionPipeline (images and clips at frame indices).

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

# What LTX2ConditionPipeline does: images and clips at frame indices. Not video to video (its `latents`
# would start the picture from the clip, but the sound from pure noise at the same noise level).
LTX2_MODES = (
    Mode.TEXT_TO_VIDEO,
    Mode.IMAGE_TO_VIDEO,
    Mode.KEYFRAMES,
    Mode.EXTEND_FORWARD,
    Mode.EXTEND_BACKWARD,
    Mode.CONNECT,
    Mode.LOOP,
)


def card_defaults(folder: Path, index: dict[str, Any]) -> dict[str, Any]:
    """LTX-2 defaults (Lightricks/LTX-2's), with the frame rule and size multiple read from the VAE's config:
    each down block scales space, time or both by 2, after the patch."""
    vae = read_json(folder / "vae" / "config.json")
    kinds = [
        k for k, on in zip(vae.get("downsample_type", ()), vae.get("spatio_temporal_scaling", ()), strict=False) if on
    ]
    spatial = vae.get("spatial_compression_ratio") or vae.get("patch_size", 4) * 2 ** sum(
        k in ("spatial", "spatiotemporal") for k in kinds
    )
    step = int(
        vae.get("temporal_compression_ratio")
        or vae.get("patch_size_t", 1) * 2 ** sum(k in ("temporal", "spatiotemporal") for k in kinds)
    )
    multiple = math.lcm(FAMILY.size_multiple, int(spatial))
    max_frames = valid_frames_at_most(257, step)
    return dict(
        pipeline=FAMILY.pipelines[0],
        modes=LTX2_MODES,
        frame_step=step,
        max_frames=max_frames,
        default_frames=min(valid_frames_at_most(121, step), max_frames),
        size_multiple=multiple,
        max_width=multiple_at_most(1280, multiple),
        max_height=multiple_at_most(1280, multiple),
        default_width=multiple_at_most(768, multiple),
        default_height=multiple_at_most(512, multiple),
        default_fps=24.0,
        default_steps=40,
        default_guidance=4.0,
        memory_gb=72.0,
    )


def check_multiscale(checked: dict[str, Any]) -> dict[str, Any]:
    """A two-pass card's refine: the distilled LoRA file at the top of the repo, and its sigmas."""
    lora = checked["lora"]
    if "/" in lora or not lora.endswith(".safetensors"):
        raise ValueError(f"lora should be a .safetensors file at the top of the repo, not {lora!r}")
    sigmas = checked["refine_sigmas"]
    if not sigmas or not all(isinstance(s, int | float) and 0 < s <= 1 for s in sigmas):
        raise ValueError("refine_sigmas should be sigmas between 0 and 1, at least one")
    checked["refine_sigmas"] = [float(s) for s in sigmas]
    return checked


FAMILY = Family(
    id="ltx2",
    label="LTX-2",
    pipelines=("LTX2ConditionPipeline",),
    folder_classes=("LTX2Pipeline", "LTX2ImageToVideoPipeline", "LTX2ConditionPipeline"),
    size_multiple=32,
    call_keys=frozenset(
        {
            "decode_timestep",
            "decode_noise_scale",
            "guidance_rescale",
            "stg_scale",
            "modality_scale",
            "audio_guidance_scale",
            "audio_stg_scale",
            "audio_modality_scale",
            "audio_guidance_rescale",
            "spatio_temporal_guidance_blocks",
            "use_cross_timestep",
            "timesteps",
            "max_sequence_length",
        }
    ),
    upsampler_pipeline="LTX2LatentUpsamplePipeline",  # a two-pass card's [multiscale] upsampler
    card_defaults=card_defaults,
    # the sound's guidance, 7 (the pipeline's default) unless the card sets it, runs the pass as well
    negative_pass=lambda guidance, call: guidance > 1 or float(call.get("audio_guidance_scale") or 7.0) > 1,
    makes_sound=True,
    multiscale_keys=(
        frozenset({"upsampler_subfolder", "first_pass_scale", "lora", "refine_sigmas"}),
        frozenset({"refine_guidance"}),
    ),
    check_multiscale=check_multiscale,
)
