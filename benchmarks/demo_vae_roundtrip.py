"""What a demo VAE keeps of the world's shapes: its round trip (encode, decode, no transformer), read by the checker.

    python benchmarks/demo_vae_roundtrip.py [VAE_FOLDER ...] > benchmarks/demo_vae_roundtrip.md

Without folders it reads the shipped model's VAE (studio/models/demo/vae). Text to video's shape cannot be
better than what the decoder draws from a latent, so this is its ceiling, and minutes to measure where a
transformer on a new VAE takes an hour. Per VAE:

- clips: 48 scenes of 25 frames (moving or still, some entering), each read whole: the shape is the checker's
  vote over the frames where it is wholly inside, against its reading of the world's own frames;
- per frame: still and moving 25-frame clips wholly inside the frame, the shape of every frame read on its own
  (checker.shape_of). Frame 0 is a latent frame of its own; every later latent frame holds the VAE's time
  compression's frames (eight for the shipped one), which is where a square's corners are lost
  (benchmarks/demo_training.md, *What the latent holds of each frame* and *Four frames to a latent frame*).
"""

from __future__ import annotations

import dataclasses
import platform
import random
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from studio.demo import bank, checker, world  # noqa: E402

SHIPPED = Path(__file__).resolve().parent.parent / "studio" / "models" / "demo" / "vae"


def round_trip(vae, scene: world.Scene, frames: int = 25) -> np.ndarray:
    x = bank.to_tensor(world.render(scene, frames, bank.WIDTH, bank.HEIGHT)[None])
    with torch.no_grad():
        y = vae.decode(vae.encode(x).latent_dist.mode()).sample
    return ((y.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 4, 1).numpy()[0]


def clips(vae) -> dict[str, str]:
    rng = random.Random("roundtrip-48")
    right: dict[str, list[bool]] = {"all": [], **{shape: [] for shape in world.SHAPES}}
    for scene in (world.random_scene(rng, held=None) for _ in range(48)):
        truth = checker.read(world.render(scene, 25, bank.WIDTH, bank.HEIGHT)).shape
        if truth is not None:
            ok = checker.read(round_trip(vae, scene)).shape == truth
            right["all"].append(ok)
            right[truth].append(ok)
    return {k: f"{sum(v)} of {len(v)}" for k, v in right.items()}


def per_frame(vae, moving: bool, count: int) -> dict[str, str]:
    """Shares of frames read as the right shape: frame 0, and frames 1-24; all shapes and squares alone."""
    rng = random.Random("perframe")
    rows: dict[str, list[np.ndarray]] = {"all": [], "square": []}
    while len(rows["all"]) < count:
        scene = world.random_scene(rng, held=None, enters=0.0)
        if not moving:
            scene = dataclasses.replace(scene, motion="still")
        elif scene.motion == "still":
            continue
        if not world.inside(scene, 0, 25):
            continue
        masks = checker.object_masks(round_trip(vae, scene), world.COLOURS[scene.background])
        ok = np.array([mask.any() and checker.shape_of(mask) == scene.shape for mask in masks])
        rows["all"].append(ok)
        if scene.shape == "square":
            rows["square"].append(ok)
    out = {}
    for key, got in rows.items():
        share = 100 * np.mean(got, 0)
        out[key] = f"{share[0]:.0f} / {share[1:].mean():.0f} % ({len(got)})"
    return out


def main() -> None:
    from diffusers import AutoencoderKLLTXVideo

    torch.set_num_threads(2)
    folders = [Path(a) for a in sys.argv[1:]] or [SHIPPED]
    t0 = time.monotonic()
    print(f"# The demo VAE's round trip ({date.today()}, {platform.machine()} CPU, {platform.python_version()})\n")
    print("Clips: the whole clip's shape right, of the scenes with a shape to read. Per frame: the share of frame 0 /")
    print("of frames 1-24 read right (the number of clips).\n")
    print(
        "| VAE | latent channels | space, time | clips: all; circles; squares; triangles "
        "| still, per frame: all; squares | moving, per frame: all; squares |"
    )
    print("|---|---|---|---|---|---|")
    for folder in folders:
        vae = AutoencoderKLLTXVideo.from_pretrained(folder, torch_dtype=torch.float32).eval()
        c, still = clips(vae), per_frame(vae, False, 24)
        moving = per_frame(vae, True, 22)
        print(
            f"| {folder} | {vae.config.latent_channels} | {vae.spatial_compression_ratio}x, "
            f"{vae.temporal_compression_ratio}x | {c['all']}; {c['circle']}; {c['square']}; "
            f"{c['triangle']} | {still['all']}; {still['square']} | {moving['all']}; {moving['square']} |"
        )
    print(f"\n{time.monotonic() - t0:.0f} s in all.")


if __name__ == "__main__":
    main()
