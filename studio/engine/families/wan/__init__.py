"""Wan 2.1 / 2.2: text, images, a clip to remake and VACE's video + mask go to different pipeline classes.

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

# What Wan VACE does: every mode is frames kept (black in its mask) and frames made (white); video to
# video is not, as VACE has no strength to remake a clip by.
VACE_MODES = tuple(m for m in Mode if m is not Mode.VIDEO_TO_VIDEO)


def card_defaults(folder: Path, index: dict[str, Any]) -> dict[str, Any]:
    """Wan 2.1 / 2.2 defaults, with what the folder can do read from its configs: a WanPipeline makes
    text shots, and first-frame shots too when its transformer takes the image in the latents
    (Wan 2.2 TI2V, expand_timesteps), or else remakes clips (video to video); a
    WanImageToVideoPipeline makes image shots only, from a first frame (I2V), or from a first and a
    last frame when its image embedding has positions for two images (FLF2V); a WanVACEPipeline
    (VACE) makes every mode but video to video, and takes reference images."""
    vae = read_json(folder / "vae" / "config.json")
    transformer = read_json(folder / "transformer" / "config.json")
    spatial = int(vae.get("scale_factor_spatial") or 8)
    step = int(vae.get("scale_factor_temporal") or 4)
    patch = transformer.get("patch_size", (1, 2, 2))
    multiple = math.lcm(FAMILY.size_multiple, spatial * int(patch[1]), spatial * int(patch[2]))
    pipelines: dict[str, str] = {}
    last_frame = "no"
    if index["_class_name"] == "WanImageToVideoPipeline":
        modes: tuple[Mode, ...] = (Mode.IMAGE_TO_VIDEO,)
        last_frame = "required" if transformer.get("pos_embed_seq_len") else "no"
    elif index["_class_name"] == "WanVACEPipeline":
        modes = VACE_MODES
        last_frame = "optional"
    elif index.get("expand_timesteps"):
        modes = (Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO)
        pipelines = {str(Mode.IMAGE_TO_VIDEO): "WanImageToVideoPipeline"}
    elif (index.get("transformer_2") or [None])[0] is None and vae.get("z_dim", 16) == 16:
        # One transformer (2.2's two-transformer A14B would lose its second) and Wan 2.1's VAE (the only
        # one WanVideoToVideoPipeline sizes right): a clip is remade SDEdit-style, by that pipeline made
        # from the loaded modules.
        modes = (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
        pipelines = {str(Mode.VIDEO_TO_VIDEO): "WanVideoToVideoPipeline"}
    else:
        modes = (Mode.TEXT_TO_VIDEO,)
    max_frames = valid_frames_at_most(161, step)
    return dict(
        pipeline=index["_class_name"],
        pipelines=pipelines,
        last_frame=last_frame,
        references=index["_class_name"] == "WanVACEPipeline",
        # diffusers' Wan docs: the VAE (and a CLIP image encoder) in float32 for decoding quality
        dtypes={name: "float32" for name in ("vae", "image_encoder") if (index.get(name) or [None])[0]},
        modes=modes,
        frame_step=step,
        max_frames=max_frames,
        default_frames=min(valid_frames_at_most(81, step), max_frames),
        size_multiple=multiple,
        max_width=multiple_at_most(1280, multiple),
        max_height=multiple_at_most(1280, multiple),
        default_width=multiple_at_most(832, multiple),
        default_height=multiple_at_most(480, multiple),
        default_fps=16.0,
        default_steps=50,
        default_guidance=5.0,
        memory_gb=24.0,
    )


FAMILY = Family(
    id="wan",
    label="Wan",
    pipelines=("WanPipeline", "WanImageToVideoPipeline", "WanVACEPipeline", "WanVideoToVideoPipeline"),
    folder_classes=("WanPipeline", "WanImageToVideoPipeline", "WanVACEPipeline"),
    size_multiple=16,  # check_inputs demands 16; a bigger VAE or patch needs more (the card says)
    call_keys=frozenset({"max_sequence_length", "guidance_scale_2"}),
    card_defaults=card_defaults,
)
