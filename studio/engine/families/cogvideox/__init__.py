"""CogVideoX 1.0 / 1.5: one pipeline class per mode, over the same modules for text and clips.

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
    """CogVideoX defaults, read from the folder's configs: a CogVideoXPipeline makes text shots, and
    remakes clips too where it has no temporal patches (1.0; 1.5's pipeline refuses most clip lengths);
    a CogVideoXImageToVideoPipeline makes first-frame shots. Frames are 8k+1 (1.0) or 16k+1 (1.5):
    the VAE decodes only an odd number of latent frames to 4(n-1)+1 frames, and 1.5 was trained on
    16k+1. Learned position embeddings (CogVideoX-5b-I2V) hold one size and length only."""
    vae = read_json(folder / "vae" / "config.json")
    transformer = read_json(folder / "transformer" / "config.json")
    spatial = 2 ** (len(vae.get("block_out_channels", (0, 0, 0, 0))) - 1)
    temporal = int(vae.get("temporal_compression_ratio") or 4)
    patch = int(transformer.get("patch_size") or 2)
    version_15 = transformer.get("patch_size_t") is not None
    step = temporal * (4 if version_15 else 2)
    multiple = math.lcm(FAMILY.size_multiple, spatial * patch)
    sample_width = int(transformer.get("sample_width", 90)) * spatial
    sample_height = int(transformer.get("sample_height", 60)) * spatial
    sample_frames = int(transformer.get("sample_frames", 49))
    pipelines: dict[str, str] = {}
    if index["_class_name"] == "CogVideoXImageToVideoPipeline":
        modes: tuple[Mode, ...] = (Mode.IMAGE_TO_VIDEO,)
    elif version_15:
        modes = (Mode.TEXT_TO_VIDEO,)
    else:
        modes = (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
        pipelines = {str(Mode.VIDEO_TO_VIDEO): "CogVideoXVideoToVideoPipeline"}
    if version_15:  # trained at 1360x768 and up to 161 frames; rotary positions reach sample_* x 8
        max_width = multiple_at_most(min(1360, sample_width), multiple)
        max_height = multiple_at_most(min(1360, sample_height), multiple)
        default_width, default_height = min(1360, max_width), min(768, max_height)
        max_frames, fps = valid_frames_at_most(max(161, sample_frames), step), 16.0
    else:  # trained at 720x480, 49 frames
        max_width = multiple_at_most(sample_width, multiple)
        max_height = multiple_at_most(sample_height, multiple)
        default_width, default_height = max_width, max_height
        max_frames, fps = max(valid_frames_at_most(sample_frames, step), 1), 8.0
    return dict(
        pipeline=index["_class_name"],
        pipelines=pipelines,
        last_frame="no",
        modes=modes,
        frame_step=step,
        max_frames=max_frames,
        default_frames=min(valid_frames_at_most(sample_frames, step), max_frames),
        size_multiple=multiple,
        max_width=max_width,
        max_height=max_height,
        default_width=default_width,
        default_height=default_height,
        default_fps=fps,
        default_steps=50,
        default_guidance=6.0,
        memory_gb=24.0,
    )


FAMILY = Family(
    id="cogvideox",
    label="CogVideoX",
    pipelines=("CogVideoXPipeline", "CogVideoXImageToVideoPipeline", "CogVideoXVideoToVideoPipeline"),
    folder_classes=("CogVideoXPipeline", "CogVideoXImageToVideoPipeline"),
    size_multiple=16,  # check_inputs demands 8, but the VAE's 8x times the 2x2 patches need 16
    call_keys=frozenset({"max_sequence_length", "use_dynamic_cfg"}),
    card_defaults=card_defaults,
)
