"""Tiny models for tests and for trying the studio without a download.

Real diffusers and transformers classes with tiny configs (those of diffusers' own LTX, Wan and CogVideoX
pipeline tests), random weights from fixed seeds, and a tokenizer trained here on a few sentences,
so nothing is fetched from the network. The output is noise-like video, but every code path of
the real model runs: text encoding, conditioning, denoising, VAE decode.

Wan comes as several folders because its real layouts cannot share a transformer: "wan" is laid out
like Wan 2.2 TI2V 5B (one WanPipeline folder that makes text and first-frame shots, the image
pipeline made from its modules), "wan-i2v" like Wan 2.1 I2V (a WanImageToVideoPipeline folder with a
CLIP image encoder, first-frame shots) and "wan-flf2v" like Wan 2.1 FLF2V (the same, but its
transformer has positions for two images' CLIP tokens and demands a first and a last frame); and
"wan-t2v" like Wan 2.1 T2V 1.3B (a WanPipeline without expand_timesteps: text shots, and clips
remade through WanVideoToVideoPipeline), "wan-vace" like Wan 2.1 VACE (a WanVACEPipeline: every
mode but video to video, and reference images).
CogVideoX comes as four: "cogvideox" like CogVideoX-2b (text shots, and clips remade through the video
pipeline made from its modules), "cogvideox-i2v" like CogVideoX-5b-I2V (first-frame shots at its one
size and length), and "cogvideox-1.5" and "cogvideox-1.5-i2v" like the 1.5 models (temporal patches).
"""

from __future__ import annotations

import os
from pathlib import Path

from ...engine.weights import CARD_FILE
from . import cogvideox, hunyuan15, ltx, ltx2, wan
from .expander import build_tiny_expander

# What `studio models tiny NAME` can build: NAME -> seed -> (pipeline, card). (The prompt expander,
# `studio models tiny expander DIR`, is a language model, built by build_tiny_expander.)
TINY = {**ltx.TINY, **ltx2.TINY, **wan.TINY, **hunyuan15.TINY, **cogvideox.TINY}


def build_tiny(family: str, folder: str | os.PathLike[str], seed: int = 0) -> Path:
    """Build a family's tiny model into a folder with save_pretrained, plus its studio card."""
    if family == "expander":
        return build_tiny_expander(folder, seed)
    if family not in TINY:
        raise ValueError(f"no tiny model for the family {family!r} (there is one for: {', '.join(TINY)}, expander)")
    folder = Path(folder)
    if (folder / "model_index.json").exists():
        raise FileExistsError(f"{folder} already holds a model")
    pipe, card = TINY[family](seed)
    pipe.save_pretrained(folder, safe_serialization=True)
    if family == "ltx2-two-pass":
        ltx2.save_ltx2_two_pass_parts(folder, pipe, seed)
    (folder / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    return folder
