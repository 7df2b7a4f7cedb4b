"""The demo model's first-frame transformer: text to video's first frame, drawn from the prompt.

The video transformer (train.py) draws a square's corners round when it makes a shot from text alone: its
squares come out as squircles the checker reads as circles, whatever the sampling (benchmarks/demo_training.md).
Given a first frame, the same model keeps the shape it is shown. So the demo card makes text to video in two
steps ([first_frame] in studio/models/demo.toml, engine/families/ltx/adapter.first_frame_then_animate), as
Emu Video factorises it (arXiv:2311.10709): this transformer draws the first frame, and the video transformer
animates it as image to video.

It is the video transformer's layout (train.build_transformer), begun from the finished video transformer's
weights (which already draw the world's shapes and read its prompts) and trained by flow matching on
one-frame shots: the first frames of FIRST_FRAMES training scenes (the world's, held-out combinations left out,
the shape in the frame), encoded once with the finished VAE; the frozen text encoder; one prompt in ten dropped
so guidance works; one cosine of the learning rate over the stage. Saved in the model's first_frame/ folder.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import torch

from . import text, world
from .bank import HEIGHT, WIDTH, coordinates, encode_clips, pack
from .runlog import Log, lr_at

# Begun from the video transformer's weights (train.train), 6000 steps drew the shape as the shipped one's 24000 from
# its seed's weights did (from the shipped video transformer 148 of 160 held-out shots against 149, from the recipe's
# own 143; benchmarks/demo_training.md, "The first frame from the video transformer"): a quarter of the stage's time.
FIRST_FRAME_STEPS = 6000
FIRST_FRAMES = 12000  # three times the frames did more in the same steps than twice the width (demo_training.md)
BATCH = 32
DROP_TEXT = 0.1
# No shape that enters later: a first frame always shows it. Drawn from the prompt alone, a frame that may be empty
# came out empty for a prompt worded off the grammar (a style's sentence after it), and the shot stayed empty.
ENTERS = 0.0
COMPILE_FROM = 4000  # compiled when the stage is long enough to pay for the compile, as the transformer's


def _named(name: str, seed: int) -> str:
    """A random stream's name: seed 0's (the run that made the shipped transformer) is the plain name."""
    return name if seed == 0 else f"{seed}-{name}"


@torch.no_grad()
def encode_first_frames(vae, count: int, seed: int) -> dict:
    """The first frames of `count` training scenes, as the pipeline's normalised latents (count, C, 1, h, w)."""
    rng = random.Random(_named("first-frames", seed))
    scenes = [world.random_scene(rng, held=False, enters=ENTERS) for _ in range(count)]
    parts = []
    for start in range(0, count, 64):
        frames = np.stack([world.render(scene, 1, WIDTH, HEIGHT) for scene in scenes[start : start + 64]])
        parts.append(encode_clips(vae, frames))
        print(f"\rencoding first frames {min(count, start + 64)}/{count}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {"scenes": scenes, "frames": torch.cat(parts)}


def first_frame_loss(bank: dict, transformer, tokenizer, text_encoder, step: int, seed: int) -> torch.Tensor:
    """One batch of flow matching on one-frame shots, drawn on the CPU, its loss on the transformer's device."""
    rng = random.Random(_named(f"t2i-{step}", seed))
    torch.manual_seed(rng.randrange(2**31))
    idx = torch.tensor([rng.randrange(len(bank["frames"])) for _ in range(BATCH)])
    x0 = bank["frames"][idx]
    prompts = [world.describe(bank["scenes"][i], rng) if rng.random() > DROP_TEXT else "" for i in idx.tolist()]
    sigma = torch.where(torch.rand(BATCH) < 0.5, torch.rand(BATCH), torch.sigmoid(torch.randn(BATCH)))
    s = sigma[:, None, None, None, None]
    noise = torch.randn_like(x0)
    noisy, target = pack((1 - s) * x0 + s * noise), pack(noise - x0)
    timestep = (sigma[:, None] * 1000).expand(-1, noisy.shape[1]).clone()
    with torch.no_grad():  # frozen after its own stage
        prompt_embeds, mask = text.embed_prompts(tokenizer, text_encoder, prompts)
    device = transformer.device
    out = transformer(
        hidden_states=noisy.to(device),
        encoder_hidden_states=prompt_embeds.to(device),
        timestep=timestep.to(device),
        encoder_attention_mask=mask.to(device),
        video_coords=coordinates(1, torch.zeros(BATCH)).to(device),
        return_dict=False,
    )[0]
    return ((out - target.to(device)) ** 2).mean()


def train_first_frame(
    folder: Path,
    bank: dict,
    steps: int,
    log: Log,
    seed: int,
    tokenizer,
    text_encoder,
    device: str | torch.device = "cpu",
    start_from: dict | None = None,
):
    """The first-frame transformer's stage on `device`: one cosine of the learning rate over its steps, from the
    weights `start_from` (train.train gives the video transformer's) or, without them, from the seed's."""
    from .train import transformer_stage

    return transformer_stage(
        folder,
        "first_frame",
        steps,
        log,
        seed,
        device,
        lr_of=lambda step: lr_at(step, steps, 5e-4),
        loss_of=lambda run, step: first_frame_loss(bank, run, tokenizer, text_encoder, step, seed),
        compile_from=COMPILE_FROM,
        compile_with=torch.compile,
        start_from=start_from,
    )
