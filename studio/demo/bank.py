"""The world's clips as the demo model's training sees them: their size and frame rate, as the VAE's tensors and
as the latents the pipeline denoises, and the bank of latents the transformer learns from, encoded once (each
clip with the frames its conditions are drawn from: an image, a clip, a loop's end, a restyle, a late entry or exit).
train.py draws each step's batch from it."""

from __future__ import annotations

import dataclasses
import random
import sys

import numpy as np
import torch

from . import world

WIDTH = HEIGHT = 128
FRAMES = 25  # the card's default: four latent frames
LONG_FRAMES = 49  # seven latent frames: a quarter of the transformer's batches, for longer shots in one go
LONG_SHARE = 0.25  # of the training clips, also encoded at LONG_FRAMES
LOOP_SHARE = 0.33  # of the training clips, also made into a loop's window (world.loop_path)
RESTYLE_SHARE = 0.33  # of the training clips, also drawn with another object colour: video to video's pairs
# Of the training clips, the moving ones also drawn at LONG_FRAMES as late entries and exits, by turns: the frame
# empty for LATE_EMPTY frames before the shape comes in (world.entering_late), or the shape wholly gone by a frame
# of LATE_GONE and the frame empty after it (world.leaving_early): a long shot's windows after and as it leaves.
LATE_SHARE = 0.33
LATE_EMPTY = (6, 30)
LATE_GONE = (4, 24)
BANK = 1200  # clips encoded once for the transformer stage


def to_tensor(frames: np.ndarray) -> torch.Tensor:
    """uint8 (B, F, H, W, 3) as the VAE's input: (B, 3, F, H, W) in [-1, 1]."""
    return torch.from_numpy(frames).permute(0, 4, 1, 2, 3).float() / 127.5 - 1.0


@torch.no_grad()
def encode_clips(vae, clips: np.ndarray) -> torch.Tensor:
    """uint8 clips (B, F, H, W, 3) as the latents the pipeline denoises: encoded, then normalised as
    LTXConditionPipeline's prepare_latents normalises (B, C, latent frames, h, w), on the CPU (the bank's
    place, wherever the VAE runs)."""
    from diffusers import LTXConditionPipeline

    z = vae.encode(to_tensor(clips).to(vae.device)).latent_dist.mean
    return LTXConditionPipeline._normalize_latents(z, vae.latents_mean, vae.latents_std).cpu()


@torch.no_grad()
def encode_bank(vae, count: int, seed: int) -> dict:
    """Latents of `count` training clips, normalised as the pipeline normalises (prepare_latents):
    each clip's FRAMES frames (and LONG_FRAMES for the first LONG_SHARE of them), two single frames
    at random indices (images placed there: keyframes, a last frame) and nine frames from a random
    index (a clip condition: two latent frames). The first LOOP_SHARE also make a loop: the window a
    loop of a clip of 17-41 of their frames is made in (world.loop_path), and the clip's first nine
    frames, the condition at its end. The first RESTYLE_SHARE are also drawn with another object colour
    (the same path), which video to video learns to turn them into. The moving ones of the first LATE_SHARE are
    also drawn at LONG_FRAMES as late entries and late exits by turns (the bank's "late", of the scenes "late_of",
    drawn as "late_scenes")."""
    rng = random.Random(f"{seed}-bank")
    scenes = [world.random_scene(rng, held=False, enters=0.15) for _ in range(count)]
    image_at = torch.tensor([rng.randint(1, FRAMES - 1) for _ in scenes])
    image2_at = torch.tensor([rng.randint(1, FRAMES - 1) for _ in scenes])
    video_at = torch.tensor([rng.randint(1, FRAMES - 9) for _ in scenes])
    # Drawn after the others, so that a bank's other clips are the same with or without loops.
    loops = int(count * LOOP_SHARE)
    loop_clip = [rng.randint(17, 41) for _ in range(loops)]
    restyled = [
        dataclasses.replace(sc, colour=rng.choice([c for c in world.COLOURS if c not in (sc.colour, sc.background)]))
        for sc in scenes[: int(count * RESTYLE_SHARE)]
    ]
    late_of = [i for i in range(int(count * LATE_SHARE)) if scenes[i].motion != "still"]
    late = {
        i: world.leaving_early(scenes[i], rng.randint(*LATE_GONE))
        if k % 2
        else world.entering_late(scenes[i], rng.randint(*LATE_EMPTY))
        for k, i in enumerate(late_of)
    }

    def encode(clips: list[np.ndarray]) -> torch.Tensor:
        return encode_clips(vae, np.stack(clips))

    bank = {name: [] for name in ("main", "image", "image2", "video", "long", "loop", "loop_end", "restyle", "late")}
    for start in range(0, count, 16):
        part = range(start, min(count, start + 16))
        bank["main"].append(encode([world.render(scenes[i], FRAMES, WIDTH, HEIGHT) for i in part]))
        if start < count * LONG_SHARE:
            bank["long"].append(encode([world.render(scenes[i], LONG_FRAMES, WIDTH, HEIGHT) for i in part]))
        for name, at in (("image", image_at), ("image2", image2_at)):
            bank[name].append(encode([world.render(scenes[i], 1, WIDTH, HEIGHT, first=int(at[i])) for i in part]))
        bank["video"].append(encode([world.render(scenes[i], 9, WIDTH, HEIGHT, first=int(video_at[i])) for i in part]))
        if in_loops := [i for i in part if i < loops]:
            windows = [world.loop_path(scenes[i], loop_clip[i], FRAMES, 9) for i in in_loops]
            bank["loop"].append(
                encode([world.render_path(scenes[i], w, WIDTH, HEIGHT) for i, w in zip(in_loops, windows, strict=True)])
            )
            bank["loop_end"].append(encode([world.render(scenes[i], 9, WIDTH, HEIGHT) for i in in_loops]))
        if in_restyled := [i for i in part if i < len(restyled)]:
            bank["restyle"].append(encode([world.render(restyled[i], FRAMES, WIDTH, HEIGHT) for i in in_restyled]))
        if in_late := [i for i in part if i in late]:
            bank["late"].append(encode([world.render(late[i], LONG_FRAMES, WIDTH, HEIGHT) for i in in_late]))
        print(f"\rencoding training clips {part[-1] + 1}/{count}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return {
        "scenes": scenes,
        "restyled": restyled,
        **{name: torch.cat(parts) for name, parts in bank.items() if parts},
        "image_at": image_at,
        "image2_at": image2_at,
        "video_at": video_at,
        "loop_end_at": torch.full((loops,), FRAMES - 9),
        "late_of": torch.tensor(late_of),
        "late_scenes": [late[i] for i in late_of],
    }


def coordinates(latent_frames: int, at: torch.Tensor) -> torch.Tensor:
    """The pipeline's video coordinates (prepare_latents, then __call__'s division by the frame
    rate) for latents whose first frame is output frame `at` (one index a sample)."""
    from diffusers import LTXConditionPipeline

    ids = LTXConditionPipeline._prepare_video_ids(len(at), latent_frames, HEIGHT // 32, WIDTH // 32)
    ids = LTXConditionPipeline._scale_video_ids(ids, 32, 8, frame_index=0).float()
    ids[:, 0] = (ids[:, 0] + at[:, None]) / world.FPS
    return ids


def pack(latents: torch.Tensor) -> torch.Tensor:
    from diffusers import LTXConditionPipeline

    return LTXConditionPipeline._pack_latents(latents, 1, 1)
