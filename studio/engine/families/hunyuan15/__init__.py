"""HunyuanVideo 1.5: separate text and image checkpoints, each a folder of its own pipeline class.

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
    """HunyuanVideo 1.5 defaults, read from the folder's configs: a HunyuanVideo15Pipeline makes text
    shots, a HunyuanVideo15ImageToVideoPipeline first-frame shots; the transformer's target_size (640
    for the 480p checkpoints, 960 for the 720p ones) gives the default 16:9 size, and the guider's
    scale the default guidance (1.0 for the CFG-distilled checkpoints)."""
    vae = read_json(folder / "vae" / "config.json")
    transformer = read_json(folder / "transformer" / "config.json")
    guider_file = folder / "guider" / "guider_config.json"
    guider = read_json(guider_file) if guider_file.is_file() else {}
    spatial = int(vae.get("spatial_compression_ratio") or 16)
    step = int(vae.get("temporal_compression_ratio") or 4)
    multiple = math.lcm(FAMILY.size_multiple, spatial * int(transformer.get("patch_size") or 1))
    target = int(transformer.get("target_size") or 640)
    image = index["_class_name"] == "HunyuanVideo15ImageToVideoPipeline"
    max_frames = valid_frames_at_most(121, step)
    return dict(
        pipeline=index["_class_name"],
        last_frame="no",
        modes=(Mode.IMAGE_TO_VIDEO,) if image else (Mode.TEXT_TO_VIDEO,),
        frame_step=step,
        max_frames=max_frames,
        default_frames=max_frames,
        size_multiple=multiple,
        max_width=multiple_at_most(2 * target, multiple),
        max_height=multiple_at_most(2 * target, multiple),
        default_width=max(round(target * 4 / 3 / multiple) * multiple, multiple),  # 848 at 640, 1280 at 960
        default_height=max(round(target * 3 / 4 / multiple) * multiple, multiple),  # 480 at 640, 720 at 960
        default_fps=24.0,
        default_steps=50,
        default_guidance=float(guider.get("guidance_scale", 6.0)),
        memory_gb=48.0 if target > 640 else 40.0,
    )


FAMILY = Family(
    id="hunyuan15",
    label="HunyuanVideo 1.5",
    pipelines=("HunyuanVideo15Pipeline", "HunyuanVideo15ImageToVideoPipeline"),
    folder_classes=("HunyuanVideo15Pipeline", "HunyuanVideo15ImageToVideoPipeline"),
    size_multiple=16,  # the VAE compresses 16x in space; the pipeline checks nothing and rounds down
    call_keys=frozenset(),  # guidance goes to the folder's guider, not to the call
    card_defaults=card_defaults,
    # its guider (classifier-free guidance) skips the pass only at exactly 1
    negative_pass=lambda guidance, call: not math.isclose(guidance, 1.0),
)
