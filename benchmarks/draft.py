"""The demo model's draft: text-to-video adherence and time a shot at fewer steps than its full 20, on the same
scenes and seeds, measured by the checker (studio/demo/quality.py), to choose its card's [draft] steps.

    python benchmarks/draft.py [--scenes N] [--steps 20,12,10,8,6,4]

Held-out prompts only (colour, shape and background triples training never saw), as demo_quality.py's
text-to-video row. Time is a ratio against the full steps' shot in the same run (the machine is shared).
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from studio.demo import quality, world  # noqa: E402
from studio.engine.cards import find_weights, load_cards  # noqa: E402
from studio.engine.families.ltx import adapter as ltx  # noqa: E402
from studio.engine.runtime.loader import load_pipeline, pick_device  # noqa: E402

CHECKS = ("background", "colour", "shape", "motion")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=12)
    parser.add_argument("--steps", default="20,12,10,8,6,4", help="step counts, the first the reference")
    args = parser.parse_args()
    card = load_cards()["demo"]
    folder = find_weights(card)
    if folder is None:
        sys.exit("No demo model weights in studio/models/demo/")
    pipe = load_pipeline(folder, card, pick_device("cpu"))
    rng = random.Random(1)  # demo_quality.py's held-out scenes
    scenes = [world.random_scene(rng, held=True, enters=0.0) for _ in range(args.scenes)]
    steps_list = [int(s) for s in args.steps.split(",")]
    quality.text_to_video(ltx.generate, pipe, card, scenes[0], 0)  # warm up: the first call pays for loading
    # Scene by scene, every step count back to back: a shared machine's load drifts over the run, and
    # this way it weighs on every step count alike.
    results: dict[int, list[dict]] = {steps: [] for steps in steps_list}
    seconds: dict[int, float] = dict.fromkeys(steps_list, 0.0)
    for seed, scene in enumerate(scenes):
        for steps in steps_list:
            at = dataclasses.replace(card, default_steps=steps)
            start = time.monotonic()
            results[steps].append(quality.text_to_video(ltx.generate, pipe, at, scene, seed))
            seconds[steps] += time.monotonic() - start
        print(f"scene {seed + 1}/{len(scenes)} done", file=sys.stderr, flush=True)
    rows = []
    for steps in steps_list:
        rates = {k: 100 * np.mean([bool(r[k]) for r in results[steps]]) for k in CHECKS}
        right = 100 * np.mean([all(r[k] for k in CHECKS) for r in results[steps]])
        rows.append((steps, right, rates, seconds[steps] / len(scenes)))
    reference = rows[0][3]
    print(f"| steps | all four right | {' | '.join(CHECKS)} | time a shot (x {steps_list[0]} steps') |")
    print("|---|---|" + "---|" * len(CHECKS) + "---|")
    for steps, right, rates, each in rows:
        cells = " | ".join(f"{rates[k]:.0f} %" for k in CHECKS)
        print(f"| {steps} | {right:.0f} % | {cells} | {each / reference:.2f} |")
    print(
        f"\n{args.scenes} held-out scenes, seeds 0-{args.scenes - 1}; {steps_list[0]} steps: {reference:.2f} s a shot"
    )


if __name__ == "__main__":
    main()
