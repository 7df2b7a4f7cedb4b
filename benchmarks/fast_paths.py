"""The fast paths (runtime/speed.py) measured on the demo model on this machine's CPU: each one alone and
the demo card's combination, against the plain path at the same seeds.

    python benchmarks/fast_paths.py [--t2v 8] [--i2v 4] [--extend 2]

For each path: the checker's adherence (studio/demo/checker.py) on the same scenes, the PSNR of its frames
against the plain path's (same scene, same seed), and the time of a shot as a ratio to the plain path's in
the same run. The first shot (a text-to-video one, after a shot that warms the process) is timed apart,
against the plain path's first: it holds regional compilation's compile, from an empty compile cache. Shots
run interleaved (every path's shot of a scene, then the next scene), so a busy shared machine slows every
path alike; the ratio is given for wall time and for the process's CPU time.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
# A fresh compile cache: inductor keeps compiled code on disk between runs, which would hide the first shot's compile.
os.environ.setdefault("TORCHINDUCTOR_CACHE_DIR", tempfile.mkdtemp(prefix="fast-paths-inductor-"))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from studio.core.recipe import Mode  # noqa: E402
from studio.demo import quality, world  # noqa: E402
from studio.engine.cards import find_weights, load_cards  # noqa: E402
from studio.engine.families.ltx import adapter as ltx  # noqa: E402
from studio.engine.fast_paths import COMPILE_ENV  # noqa: E402
from studio.engine.runtime import speed  # noqa: E402
from studio.engine.runtime.loader import load_pipeline, pick_device  # noqa: E402

TEXT_CHECKS = ("background", "colour", "shape", "motion")
IMAGE_CHECKS = ("first_frame", "motion")
EXTEND_CHECKS = ("kept_exactly", "direction", "speed", "no_jump")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


def paths(card) -> dict:
    """Each path's card (its [speed] table) and what to do to its pipeline after loading."""
    plain = dataclasses.replace(card, speed={})
    threshold = card.speed.get("cache_threshold", 0.05)
    return {
        "plain (stock diffusers)": (plain, None),
        "first block cache 0.05": (dataclasses.replace(card, speed={"cache": "first_block"}), None),
        "first block cache 0.1": (
            dataclasses.replace(card, speed={"cache": "first_block", "cache_threshold": 0.1}),
            None,
        ),
        "regional compile": (dataclasses.replace(card, speed={"compile": "regional"}), None),
        "int8 weights (torchao)": (
            plain,
            lambda pipe: speed.quantize_transformer(pipe.transformer, "int8", torch.device("cpu")),
        ),
        "the demo card's [speed]": (card, None),
        "regional compile + cache " + f"{threshold:g}": (
            dataclasses.replace(
                card, speed={"compile": "regional", "cache": "first_block", "cache_threshold": threshold}
            ),
            None,
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--t2v", type=int, default=8)
    parser.add_argument("--i2v", type=int, default=4)
    parser.add_argument("--extend", type=int, default=2)
    args = parser.parse_args()
    os.environ[COMPILE_ENV] = "1"  # compile on the CPU for this measurement (off there by default)
    torch.set_num_threads(2)
    card = load_cards()["demo"]
    folder = find_weights(card)
    pipes = {}
    for name, (path_card, after) in paths(card).items():
        pipe = load_pipeline(folder, path_card, pick_device("cpu"))
        if after:
            after(pipe)
        pipes[name] = (pipe, path_card)
    rng = random.Random(1)
    shots = [(Mode.TEXT_TO_VIDEO, world.random_scene(rng, held=True, enters=0.0)) for _ in range(args.t2v)]
    rng = random.Random(2)
    shots += [(Mode.IMAGE_TO_VIDEO, world.random_scene(rng, held=None, enters=0.0)) for _ in range(args.i2v)]
    rng = random.Random(3)
    shots += [(Mode.EXTEND_FORWARD, world.random_scene(rng, held=None, enters=0.0)) for _ in range(args.extend)]

    # The process's own first-run costs (allocations, kernel choices) out of the way before anything is timed.
    warm_scene = world.random_scene(random.Random(0), held=None, enters=0.0)
    quality.text_to_video(ltx.generate, pipes["plain (stock diffusers)"][0], card, warm_scene, 99)
    rows: dict[str, dict] = {name: {"wall": 0.0, "cpu": 0.0, "psnr": [], "checks": []} for name in pipes}
    first: dict[str, float] = {}
    for index, (mode, scene) in enumerate([shots[0]] + shots):
        plain_frames = None
        for name, (pipe, path_card) in pipes.items():
            captured = []

            def generate(p, recipe, c, _captured=captured, _card=path_card):
                speed.cache_for_mode(p, _card, recipe.mode)
                frames = ltx.generate(p, recipe, _card)
                _captured.append(frames)
                return frames

            wall, cpu = time.perf_counter(), time.process_time()
            fn = {
                Mode.TEXT_TO_VIDEO: quality.text_to_video,
                Mode.IMAGE_TO_VIDEO: quality.image_to_video,
                Mode.EXTEND_FORWARD: quality.extend,
            }[mode]
            result = fn(generate, pipe, path_card, scene, index)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            if index == 0:  # the warm-up shot: the compile happens here
                first[name] = wall
                continue
            plain_frames = captured[0] if plain_frames is None else plain_frames
            row = rows[name]
            row["wall"] += wall
            row["cpu"] += cpu
            row["psnr"].append(psnr(captured[0], plain_frames))
            row["checks"].append((mode, result))
        print(f"shot {index}/{len(shots)} done", file=sys.stderr, flush=True)

    base = rows["plain (stock diffusers)"]
    print(
        f"Demo model, {args.t2v} text-to-video (held-out) + {args.i2v} image-to-video + {args.extend} extend-forward "
        "shots, 128x128, 25 frames, "
    )
    print(f"{card.default_steps} steps; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch")
    print(
        f"{torch.__version__}; `python benchmarks/fast_paths.py --t2v {args.t2v} --i2v {args.i2v} "
        f"--extend {args.extend}`\n"
    )
    print(
        "| path | text to video: background / colour / shape / motion | image to video: first frame / motion "
        "| extend forward: kept / direction / speed / no jump "
        "| PSNR vs plain (mean, min) | shot time vs plain: wall, CPU | first shot vs plain's first (wall) |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, row in rows.items():
        t2v = [r for m, r in row["checks"] if m == Mode.TEXT_TO_VIDEO]
        i2v = [r for m, r in row["checks"] if m == Mode.IMAGE_TO_VIDEO]
        adherence = " / ".join(f"{100 * np.mean([bool(r[k]) for r in t2v]):.0f} %" for k in TEXT_CHECKS)
        image = " / ".join(f"{100 * np.mean([bool(r[k]) for r in i2v]):.0f} %" for k in IMAGE_CHECKS) if i2v else "-"
        ext = [r for m, r in row["checks"] if m == Mode.EXTEND_FORWARD]
        extend = " / ".join(f"{100 * np.mean([bool(r[k]) for r in ext]):.0f} %" for k in EXTEND_CHECKS) if ext else "-"
        finite = [p for p in row["psnr"] if np.isfinite(p)]
        quality_text = "identical" if not finite else f"{np.mean(finite):.1f} dB, {min(finite):.1f} dB"
        if finite and len(finite) < len(row["psnr"]):
            quality_text += f" ({len(row['psnr']) - len(finite)} identical)"
        print(
            f"| {name} | {adherence} | {image} | {extend} | {quality_text} | {row['wall'] / base['wall']:.2f}x, "
            f"{row['cpu'] / base['cpu']:.2f}x | {first[name] / first['plain (stock diffusers)']:.2f}x |"
        )


if __name__ == "__main__":
    main()
