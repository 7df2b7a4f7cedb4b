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

from studio.core.recipe import Mode  # noqa: E402
from studio.demo import checker, quality, world  # noqa: E402
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
    ltx.generate(pipe, quality.recipe(card, Mode.TEXT_TO_VIDEO, "a red circle", 0), card)  # warm up
    # Scene by scene, every step count back to back: a shared machine's load drifts over the run, and
    # this way it weighs on every step count alike.
    readings: dict[int, list[checker.Reading]] = {steps: [] for steps in steps_list}
    seconds: dict[int, float] = dict.fromkeys(steps_list, 0.0)
    for seed, scene in enumerate(scenes):
        prompt = quality.prompt_for(scene, seed)
        for steps in steps_list:
            at = dataclasses.replace(card, default_steps=steps)
            start = time.monotonic()
            frames = ltx.generate(pipe, quality.recipe(at, Mode.TEXT_TO_VIDEO, prompt, seed), at)
            seconds[steps] += time.monotonic() - start
            readings[steps].append(checker.read(frames))
        print(f"scene {seed + 1}/{len(scenes)} done", file=sys.stderr, flush=True)

    def said(reading: checker.Reading) -> tuple:
        return tuple(getattr(reading, k) for k in CHECKS)

    full = readings[steps_list[0]]
    rows = []
    for steps in steps_list:
        got = readings[steps]
        rates = {
            k: 100 * np.mean([getattr(r, k) == getattr(s, k) for r, s in zip(got, scenes, strict=True)]) for k in CHECKS
        }
        right = 100 * np.mean(
            [said(r) == tuple(getattr(s, k) for k in CHECKS) for r, s in zip(got, scenes, strict=True)]
        )
        # what a Refine keeps: the draft reads as the full take of the same seed does
        agrees = 100 * np.mean([said(r) == said(f) for r, f in zip(got, full, strict=True)])
        rows.append((steps, right, rates, agrees, seconds[steps] / len(scenes)))
    reference = rows[0][4]
    header = " | ".join(CHECKS)
    print(f"| steps | all four right | {header} | reads as the {steps_list[0]}-step take | time a shot (x full) |")
    print("|---|---|" + "---|" * len(CHECKS) + "---|---|")
    for steps, right, rates, agrees, each in rows:
        cells = " | ".join(f"{rates[k]:.0f} %" for k in CHECKS)
        print(f"| {steps} | {right:.0f} % | {cells} | {agrees:.0f} % | {each / reference:.2f} |")
    print(
        f"\n{args.scenes} held-out scenes, seeds 0-{args.scenes - 1}; {steps_list[0]} steps: {reference:.2f} s a shot"
    )


if __name__ == "__main__":
    main()
