"""Bridges, loops and restyles longer than the demo model makes at once (engine/windows.py: a bridge's
extensions from the first clip closed by a connect into the clip after; a restyle a part of the clip at a
time), against the one-shot bridge, loop and restyle on the same scenes.

    python benchmarks/demo_long_clip_modes.py [--scenes N] [--gap FRAMES] > benchmarks/demo_long_clip_modes.md

A bridge: clip A is a scene's frames 0-24, clip B its frames from 25 + gap, and the bridge is made exactly
`gap` frames long (a gap on the timeline). The checks are demo_quality's connect checks (from A, to B: the
bridge's first and last frames within 5 % of the width of where the scene puts the shape) and one object in
every frame, plus how far the bridge strays from the scene's own path (the mean distance of its centres from
scene.centre, where it is seen). Scenes whose shape stays wholly in the frame from A's last frame to B's
first (the world's shape moves in a straight line and leaves; slow and still scenes, mostly). The same
scenes' one-shot bridge of 7 frames (B from frame 32) is the reference, measured in the same run. A loop
adds the same frames after a 25-frame clip. A restyle remakes the scene's whole span (25 + gap + 25
frames) at strength 0.3 with a prompt naming another object colour, checked as demo_quality's video to
video (the motion and path kept within 5 % of the width, the colour changed, one object); its reference
is the one-shot restyle of the span's first 25 frames.
"""

from __future__ import annotations

import argparse
import dataclasses
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from studio.core.recipe import Condition, Mode  # noqa: E402
from studio.demo import checker, quality, world  # noqa: E402
from studio.engine import windows  # noqa: E402
from studio.engine.cards import find_weights, load_cards  # noqa: E402
from studio.engine.families.ltx import adapter as ltx  # noqa: E402
from studio.engine.runtime.loader import load_pipeline, pick_device  # noqa: E402
from studio.media.takes import read_frames, write_frames  # noqa: E402

POOL_SEED = 11


def pool(count: int, gap: int) -> list[world.Scene]:
    rng = random.Random(POOL_SEED)
    out: list[world.Scene] = []
    while len(out) < count:
        scene = world.random_scene(rng, held=None, enters=0.0)
        if world.inside(scene, 0, 25 + gap + 8):
            out.append(scene)
    return out


def bridge(pipe, card, scene: world.Scene, seed: int, gap: int) -> dict:
    k = card.frame_step + 1
    with tempfile.TemporaryDirectory() as tmp:
        a = str(write_frames(Path(tmp) / "a.mkv", world.render(scene, 25), world.FPS))
        b = str(write_frames(Path(tmp) / "b.mkv", world.render(scene, 25, first=25 + gap), world.FPS))
        recipe = quality.recipe(
            card,
            Mode.CONNECT,
            quality.prompt_for(scene, seed),
            seed,
            frames=gap + 2 * k,
            conditions=[Condition(a), Condition(b)],
            bridge_frames=gap,
        )
        made = _make(pipe, card, recipe, tmp)
    got = checker.read(made)
    path = [checker.distance(c, scene.centre(25 + i)) for i, c in enumerate(got.centres) if c is not None]
    start, end = (checker.distance(got.centres[i], scene.centre(25 + j)) for i, j in ((0, 0), (-1, gap - 1)))
    return {
        "frames": len(made),
        "from_a": start <= quality.NEAR,
        "to_b": end <= quality.NEAR,
        "one_object": got.one_object,
        "end_offset": end,
        "path_drift": float(np.mean(path)) if path else float("inf"),
    }


def loop(pipe, card, scene: world.Scene, seed: int, new: int) -> dict:
    k = card.frame_step + 1
    with tempfile.TemporaryDirectory() as tmp:
        path = write_frames(Path(tmp) / "clip.mkv", world.render(scene, 25), world.FPS)
        original = read_frames(path)
        recipe = quality.recipe(
            card,
            Mode.LOOP,
            quality.prompt_for(scene, seed),
            seed,
            frames=new + 2 * k,
            conditions=[Condition(str(path))],
        )
        take = _make(pipe, card, recipe, tmp)
    got = checker.read(take)
    wrap = checker.distance(got.centres[-1], got.centres[0])
    return {
        "frames": len(take) - 25,
        "kept_exactly": bool(np.array_equal(take[:25], original)),
        "wraps": wrap <= 2 * scene.speed + quality.NEAR,
        "one_object": got.one_object,
        "wrap_distance": wrap,
    }


def restyle(pipe, card, scene: world.Scene, seed: int, frames: int) -> dict:
    others = [c for c in world.COLOURS if c not in (scene.colour, scene.background)]
    changed = dataclasses.replace(scene, colour=random.Random(seed).choice(others))
    with tempfile.TemporaryDirectory() as tmp:
        path = write_frames(Path(tmp) / "clip.mkv", world.render(scene, frames), world.FPS)
        original = read_frames(path)
        recipe = quality.recipe(
            card,
            Mode.VIDEO_TO_VIDEO,
            quality.prompt_for(changed, seed),
            seed,
            frames=frames,
            conditions=[Condition(str(path))],
            strength=0.3,
        )
        made = _make(pipe, card, recipe, tmp)
    got, was = checker.read(made), checker.read(original)
    drift = max(
        (checker.distance(a, b) for a, b in zip(got.centres, was.centres, strict=True) if a and b), default=np.inf
    )
    return {
        "frames": len(made),
        "motion_kept": got.motion == scene.motion and drift <= quality.NEAR,
        "colour_changed": got.colour == changed.colour,
        "one_object": got.one_object,
        "path_drift": drift,
    }


def _make(pipe, card, recipe, tmp: str) -> np.ndarray:
    """The take, in windows where it is longer than the model makes at once (as the worker makes it)."""
    if not windows.is_long(recipe, card):
        return ltx.generate(pipe, recipe, card)

    def write_partial(frames, done, count):
        return str(write_frames(Path(tmp) / f"so-far-{done}.mkv", frames, world.FPS))

    return windows.generate_long(ltx, pipe, recipe, card, None, write_partial)


def _motions(scenes: list[world.Scene]) -> str:
    """How many scenes of each motion and speed (of the width a frame) the pool has."""
    kinds = Counter("still" if s.motion == "still" else f"{s.motion} at {s.speed:.4f}" for s in scenes)
    return ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))


def rate(rows: list[dict], key: str) -> str:
    passed = sum(bool(r[key]) for r in rows)
    return f"{100 * passed / len(rows):.0f} % ({passed} of {len(rows)})"


def mean(rows: list[dict], key: str) -> str:
    values = [r[key] for r in rows if np.isfinite(r[key])]
    return f"{np.mean(values):.3f}" if values else "-"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=30)
    parser.add_argument("--gap", type=int, default=60)
    args = parser.parse_args()
    card = load_cards()["demo"]
    folder = find_weights(card)
    if folder is None:
        sys.exit("No demo model weights in studio/models/demo/")
    pipe = load_pipeline(folder, card, pick_device("cpu"))
    scenes = pool(args.scenes, args.gap)
    short = card.default_frames - 2 * (card.frame_step + 1)  # the one-shot bridge of the quality table
    runs = [
        (f"bridge of {short} frames (one shot)", lambda s, i: bridge(pipe, card, s, i, short)),
        (f"bridge of {args.gap} frames (in windows)", lambda s, i: bridge(pipe, card, s, i, args.gap)),
        (f"loop of {short} new frames (one shot)", lambda s, i: loop(pipe, card, s, i, short)),
        (f"loop of {args.gap} new frames (in windows)", lambda s, i: loop(pipe, card, s, i, args.gap)),
        ("restyle of 25 frames (one shot)", lambda s, i: restyle(pipe, card, s, i, 25)),
        (f"restyle of {50 + args.gap} frames (in windows)", lambda s, i: restyle(pipe, card, s, i, 50 + args.gap)),
    ]
    t0 = time.monotonic()
    table = []
    for name, run in runs:
        start = time.monotonic()
        rows = [run(scene, seed) for seed, scene in enumerate(scenes)]
        kind = name.split()[0]
        checks = {
            "bridge": ("from_a", "to_b", "one_object"),
            "loop": ("kept_exactly", "wraps", "one_object"),
            "restyle": ("motion_kept", "colour_changed", "one_object"),
        }[kind]
        means = {"bridge": ("end_offset", "path_drift"), "loop": ("wrap_distance",), "restyle": ("path_drift",)}[kind]
        table.append(
            (
                name,
                ", ".join(f"{k} {rate(rows, k)}" for k in checks),
                ", ".join(f"{k} {mean(rows, k)}" for k in means),
                f"{(time.monotonic() - start) / len(rows):.1f} s",
            )
        )
    print(f"# Long bridges, loops and restyles of the demo model ({date.today()}, {platform.machine()} CPU)\n")
    print(
        f"`python benchmarks/demo_long_clip_modes.py --scenes {args.scenes} --gap {args.gap}`: "
        f"{time.monotonic() - t0:.0f} s in all; {len(scenes)} scenes ({_motions(scenes)}), "
        f"the card's defaults ({card.default_steps} steps, connect and loop at guidance "
        f"{card.guidance_for('connect'):g}).\n"
    )
    print("| made | passed | means | time a shot |")
    print("|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
