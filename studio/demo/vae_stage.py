"""The demo model's first stage (train.py): its VAE, diffusers' AutoencoderKLLTXVideo in LTX-Video 0.9.5's layout
at small widths, trained on the world's frames, then clips, then in a second cycle on longer clips where two latent
frames meet; the main cycle's first steps on crops. Its latents' statistics, which the pipeline normalises with,
are measured after it (measure_latents)."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from . import world
from .bank import FRAMES, HEIGHT, WIDTH, to_tensor
from .runlog import Log, Progress, adamw, lr_at, optimise, resume, save_checkpoint

VAE_STEPS = 9000  # the last VAE_JOIN_STEPS of them on longer clips
VAE_JOIN_STEPS = 2000  # clips of JOIN_FRAMES: the join between two latent frames (benchmarks/demo_training.md)
CLIP_FRAMES = 9  # the first cycle's clips: the first latent frame and one more
JOIN_FRAMES = 17  # three latent frames: the first, and two that meet
BATCH_VAE = 4  # clips of 9 frames; every other step 4x as many single frames
VAE_CROP = 64  # the side of a crop (vae_cropped): 2x2 latent tokens
VAE_LR = 2e-4
VAE_FRAMES_FIRST = 0.15  # the first 15 % of VAE steps on single frames: they teach the drawing fast
LATENT_CHANNELS = 32


def build_vae():
    """LTX-Video 0.9.5's VAE layout at small widths: every down and up step has a parameter-free
    path (space-to-depth means, depth-to-space repeats) beside its convolution. The 0.9.0 layout
    (plain strided convolutions) lost the red and green of flat frames in its first blocks and
    never learnt the world (benchmarks/demo_training.md)."""
    from diffusers import AutoencoderKLLTXVideo

    return AutoencoderKLLTXVideo(
        latent_channels=LATENT_CHANNELS,
        block_out_channels=(16, 32, 64, 128),
        down_block_types=("LTXVideo095DownBlock3D",) * 3,
        spatio_temporal_scaling=(True, True, True),
        downsample_type=("spatiotemporal",) * 3,
        layers_per_block=(1, 1, 1, 1),
        decoder_block_out_channels=(32, 64, 128),
        decoder_layers_per_block=(1, 1, 1, 1),
        decoder_spatio_temporal_scaling=(True, True, True),
        decoder_inject_noise=(False,) * 4,
        upsample_residual=(True,) * 3,
        upsample_factor=(2,) * 3,
        patch_size=4,
        patch_size_t=1,
        timestep_conditioning=False,
    )


def vae_join_from(steps: int) -> int:
    """The step the VAE's join cycle starts at."""
    return steps - min(VAE_JOIN_STEPS, steps // 4)


def vae_frames(step: int, steps: int) -> int:
    """How many frames each clip of a VAE step has: 1 (single frames: the first VAE_FRAMES_FIRST of
    the first cycle, then every other step), CLIP_FRAMES, or JOIN_FRAMES in the join cycle."""
    join_from = vae_join_from(steps)
    if step < VAE_FRAMES_FIRST * join_from or step % 2 == 1:
        return 1
    return JOIN_FRAMES if step >= join_from else CLIP_FRAMES


def vae_cropped(step: int, steps: int) -> bool:
    """Whether a VAE step trains on crops (VAE_CROP): the first six sevenths of the main cycle. A convolutional
    VAE learns from a part of a frame what it learns from the whole, at a quarter of the pixels (the stage 17
    minutes shorter, every mode of the quality table kept: benchmarks/demo_training.md). The main cycle's last
    steps are whole frames, where a latent token has neighbours on every side (trained on crops alone, a whole
    frame's inner tokens came out as background); so is the join cycle (on crops it lost squares)."""
    return step < 6 * vae_join_from(steps) // 7


def crop_near_shape(x: torch.Tensor, weight: torch.Tensor, shape: torch.Tensor, rng: random.Random):
    """Each clip's VAE_CROP square crop (x, its weight) on where its shape goes (`shape`: its pixels, any
    frame), at the latent grid's phase (multiples of 32, so every token is one a whole frame has) and a grid
    step either way now and then, so the shape is seen at every place in a token."""
    crops, weights = [], []
    height, width = x.shape[-2:]
    for i in range(x.shape[0]):
        ys, xs = torch.nonzero(shape[i, 0].amax(0), as_tuple=True)
        centre = (float(ys.float().mean()), float(xs.float().mean())) if len(ys) else (height / 2, width / 2)
        top, left = (
            min(size - VAE_CROP, max(0, round((c - VAE_CROP / 2) / 32) * 32 + 32 * rng.choice((-1, 0, 0, 1))))
            for c, size in zip(centre, (height, width), strict=True)
        )
        crops.append(x[i, :, :, top : top + VAE_CROP, left : left + VAE_CROP])
        weights.append(weight[i, :, :, top : top + VAE_CROP, left : left + VAE_CROP])
    return torch.stack(crops), torch.stack(weights)


def vae_loss(vae, step: int, steps: int, seed: int) -> torch.Tensor:
    """One VAE step's batch, drawn on the CPU (the same on any device), and its loss on the VAE's device;
    on crops where vae_cropped says."""
    rng = random.Random(f"{seed}-vae-{step}")  # each step its own draw: a resumed run is the same run
    torch.manual_seed(rng.randrange(2**31))
    # Single frames (the first latent frame alone) are nine times cheaper than clips and teach the
    # drawing; a clip from scratch learnt nothing in 600 steps. Clips then teach the eight frames
    # a latent frame holds, and in the join cycle how two latent frames meet.
    frames = vae_frames(step, steps)
    count = 4 * BATCH_VAE if frames == 1 else BATCH_VAE
    scenes = [world.random_scene(rng, held=None, enters=0.3) for _ in range(count)]
    x = to_tensor(np.stack([world.render(s, frames, WIDTH, HEIGHT, first=rng.randint(-12, 12)) for s in scenes]))
    # The shape and its edges weigh five times the plain background: a shape is a few per cent of
    # the frame, and without this it came out blurred and in the wrong colour.
    background = torch.tensor([world.COLOURS[s.background] for s in scenes]).float() / 127.5 - 1
    shape = ((x - background[:, :, None, None, None]).abs().sum(1, keepdim=True) > 0.01).float()
    weight = 1 + 4 * torch.nn.functional.max_pool3d(shape, (1, 5, 5), 1, (0, 2, 2))
    if vae_cropped(step, steps):
        x, weight = crop_near_shape(x, weight, shape, rng)
    x, weight = x.to(vae.device), weight.to(vae.device)
    posterior = vae.encode(x).latent_dist
    # The mean first: with the posterior's noise from the start the decoder learnt to ignore the
    # latents. Sampling later keeps the decoder tolerant of the spread the pipeline samples with.
    z = posterior.sample() if step >= vae_join_from(steps) // 2 else posterior.mode()
    y = vae.decode(z).sample
    # The pipeline samples its condition latents from the posterior (retrieve_latents), so its
    # spread must end up small: its variance is pushed down outright. (A KL term instead let it
    # stay near 1 and the decoder learn to ignore the latents.)
    return (weight * (y - x) ** 2).mean() + posterior.var.mean()


def train_vae(folder: Path, steps: int, log: Log, seed: int, device: str | torch.device = "cpu") -> object:
    """The VAE's stage, on `device`. Its last steps (VAE_JOIN_STEPS, or a quarter of a short run) are a
    second cycle on clips of JOIN_FRAMES: trained on 9-frame clips alone (one latent frame after the
    first), it never saw two latent frames meet, and its round trip of a 25-frame shot moved the object
    too fast within each latent frame and back at every join."""
    torch.manual_seed(seed)  # its first weights too: torch's own seed differs from process to process
    vae = build_vae().to(device)
    join_from = vae_join_from(steps)
    opt = adamw(vae.parameters(), lr=VAE_LR, weight_decay=0.0, betas=(0.9, 0.99))
    ckpt = folder / "checkpoints" / "vae.pt"
    start, t0 = resume(ckpt, opt, log=log, stage="vae", model=vae)
    progress = Progress("vae", steps, start)
    vae.train()
    for step in range(start, steps):
        joins = step >= join_from
        # The join cycle restarts the schedule at half the rate: it refines a trained VAE.
        lr = lr_at(step - join_from, steps - join_from, VAE_LR / 2) if joins else lr_at(step, join_from, VAE_LR)
        for group in opt.param_groups:
            group["lr"] = lr
        loss = vae_loss(vae, step, steps, seed)
        optimise(opt, vae.parameters(), loss)
        progress.show(step, loss.item())
        if step % 20 == 0 or step == steps - 1:
            log.row("vae", step, f"{loss.item():.5f}", f"{lr:.2e}", f"{time.monotonic() - t0:.0f}")
        if step % 100 == 0:
            log.row("vae-probe", step, f"{probe_error(vae):.5f}", "", "")
            log.row("vae-probe-frame", step, f"{probe_error(vae, 1):.5f}", "", "")
            if joins:
                log.row("vae-probe-joins", step, f"{probe_error(vae, JOIN_FRAMES):.5f}", "", "")
        if (step + 1) % 200 == 0 or step == steps - 1:
            save_checkpoint(
                ckpt, model=vae.state_dict(), optimizer=opt.state_dict(), step=step + 1, seconds=time.monotonic() - t0
            )
    print(file=sys.stderr)
    vae.eval()
    return vae


@torch.no_grad()
def probe_error(vae, frames: int = CLIP_FRAMES) -> float:
    """Mean squared error of a fixed clip's round trip: the log shows whether the VAE is learning.
    Getting only the background right scores about 0.1, a zero output 1.0."""
    clip = world.render(world.Scene("blue", "yellow", "circle", "right", start=(0.3, 0.4)), frames, WIDTH, HEIGHT)
    x = to_tensor(clip[None]).to(vae.device)
    return float(((vae.decode(vae.encode(x).latent_dist.mode()).sample - x) ** 2).mean())


@torch.no_grad()
def measure_latents(vae, seed: int, batches: int = 16) -> None:
    """Sets the VAE's latents_mean/latents_std from the world's clips, as the pipeline normalises."""
    rng = random.Random(f"{seed}-stats")
    zs = []
    for _ in range(batches):
        clips = np.stack([world.render(world.random_scene(rng, held=None), FRAMES, WIDTH, HEIGHT) for _ in range(8)])
        zs.append(vae.encode(to_tensor(clips).to(vae.device)).latent_dist.mean)
    z = torch.cat(zs).transpose(0, 1).flatten(1)  # channels x everything else
    vae.latents_mean.copy_(z.mean(1))
    vae.latents_std.copy_(z.std(1).clamp(min=1e-3))
