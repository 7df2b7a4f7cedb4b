"""Where a long shot's joins jump: the demo model extends clips changed one way at a time, and each join
is held to the long shot's own test (studio.demo.quality.join_jumps: the step into the first new frame at
most the take's median step + quality.JUMP of the width).

    python benchmarks/demo_joins.py [--scenes N] > benchmarks/demo_joins.md

A long shot's every window extends the one before by its last nine frames. Extending the world's own clips
keeps every join; extending what the model made does not (benchmarks/demo_training.md, *Why a long shot's
joins jump*). The columns change the world's clip toward what the model makes, one way at a time, to find
which difference the jumps follow. Extend forward's pool (quality.POOLS), fixed seeds.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import random
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from studio.core.recipe import Condition, Mode  # noqa: E402
from studio.demo import checker, quality, world  # noqa: E402
from studio.engine.cards import find_weights, load_cards  # noqa: E402
from studio.engine.families.ltx import adapter as ltx  # noqa: E402
from studio.engine.modes import overlap_frames  # noqa: E402
from studio.engine.runtime.loader import load_pipeline, pick_device  # noqa: E402

CLIP = 25  # the clip extended: the card's default length


def paced(scene: world.Scene, pace) -> np.ndarray:
    """The scene's clip with its shape's step at frame f scaled by pace(f)."""
    (vx, vy), (x, y), centres = scene.velocity(), scene.start, []
    for f in range(CLIP):
        centres.append((x, y))
        scale = pace(f)
        x, y = x + vx * scale, y + vy * scale
    return world.render_path(scene, centres)


def other_shape(scene: world.Scene) -> world.Scene:
    return dataclasses.replace(scene, shape=world.SHAPES[(world.SHAPES.index(scene.shape) + 1) % len(world.SHAPES)])


def uneven(scene: world.Scene, seed: int) -> np.ndarray:
    """The scene's clip with each step 0.4-1.6x the scene's, drawn at random (seeded)."""
    rng = random.Random(seed)
    return paced(scene, lambda f: rng.uniform(0.4, 1.6))


# What each column extends: the scene's clip as the world draws it, then changed one way.
CLIPS = {
    "as drawn": lambda scene, seed: world.render(scene, CLIP),
    "blurred (sigma 3 px)": lambda scene, seed: np.stack(
        [cv2.GaussianBlur(f, (0, 0), 3) for f in world.render(scene, CLIP)]
    ),
    "another shape than the prompt's": lambda scene, seed: world.render(other_shape(scene), CLIP),
    "twice the prompt's speed": lambda scene, seed: paced(scene, lambda f: 2.0),
    "half the prompt's speed": lambda scene, seed: paced(scene, lambda f: 0.5),
    "slowing to 0.4 of it": lambda scene, seed: paced(scene, lambda f: 1 - 0.6 * f / (CLIP - 1)),
    "uneven steps (0.4-1.6x)": lambda scene, seed: uneven(scene, seed),
}


def join_kept(pipe, card, scene: world.Scene, seed: int, clip: np.ndarray, window: int) -> bool:
    """Whether the model's extension of `clip` (in a window of `window` frames, its last nine the
    overlap) passes the long shot's test of a join (quality.join_jumps)."""
    with tempfile.TemporaryDirectory() as tmp:
        path, _ = quality._clip(Path(tmp), "clip", clip)
        run = quality.recipe(
            card,
            Mode.EXTEND_FORWARD,
            quality.prompt_for(scene, seed),
            seed,
            frames=CLIP + window - overlap_frames(card),
            conditions=[Condition(path)],
        )
        take = ltx.generate(pipe, run, card)
    return bool(quality.join_jumps(checker.read(take), [CLIP])[0] <= quality.JUMP)  # unseen there: inf, not kept


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=40)
    args = parser.parse_args()
    card = load_cards()["demo"]
    pipe = load_pipeline(find_weights(card), card, pick_device("cpu"))
    pool, t0 = quality.scenes("extend_forward", args.scenes), time.monotonic()
    rows = []
    for window in (card.default_frames, card.max_frames):
        kept = {
            name: np.mean([join_kept(pipe, card, s, seed, make(s, seed), window) for seed, s in enumerate(pool)])
            for name, make in CLIPS.items()
        }
        rows.append((window, kept))
    print(f"# Where a long shot's joins jump ({date.today()}, {platform.machine()} CPU)\n")
    print(
        f"`python benchmarks/demo_joins.py --scenes {args.scenes}`: {time.monotonic() - t0:.0f} s. Extend forward's "
        f"pool, {args.scenes} scenes; each cell: the share of joins within the long shot's test.\n"
    )
    print("| window | " + " | ".join(CLIPS) + " |")
    print("|---" * (len(CLIPS) + 1) + "|")
    for window, kept in rows:
        print(f"| {window} frames | " + " | ".join(f"{100 * v:.0f} %" for v in kept.values()) + " |")


if __name__ == "__main__":
    main()
