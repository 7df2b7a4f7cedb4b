"""The demo model's quality table: every mode, many scenes, measured by the checker (studio/demo/quality.py).

    python benchmarks/demo_quality.py [--scenes N] [--long-seconds S] [--model DIR] > benchmarks/demo_quality.md

--model measures another model of the demo's world, such as the one `studio models train-demo DIR` makes
(DIR/demo), with the demo card; by default the shipped one (studio/models/demo).

Text to video runs on held-out combinations only (object colour, shape and background triples that
training never saw: studio.demo.world.held_out), so adherence is to prompts not in the training set.
Every other mode runs on scenes drawn at random from the whole world. Each mode keeps the scenes whose
shape stays in the frame over the frames its checks read (studio.demo.quality.POOLS), where the world's
own frames pass every check (tests/demo/test_quality_measures.py): a perfect model scores 100 %. Seeds are
fixed: the same run prints the same table.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

from studio.demo import quality, world  # noqa: E402
from studio.engine import windows  # noqa: E402
from studio.engine.cards import find_weights, load_cards  # noqa: E402
from studio.engine.families.ltx import adapter as ltx  # noqa: E402
from studio.engine.runtime.loader import load_pipeline, pick_device  # noqa: E402


def rate(rows: list[dict], key: str) -> str:
    """The share of shots passing a check, and its 95 % interval: '65 % [50-78]'."""
    passed = sum(bool(r[key]) for r in rows)
    low, high = wilson(passed, len(rows))
    return f"{100 * passed / len(rows):.0f} % [{100 * low:.0f}-{100 * high:.0f}]"


def wilson(passed: int, shots: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson score interval of a rate: how far another pool of as many shots could read (40 shots at
    70 % span about 55-82 %), so two tables are compared by more than their last digit."""
    p = passed / shots
    centre = (p + z * z / (2 * shots)) / (1 + z * z / shots)
    half = z * np.sqrt(p * (1 - p) / shots + z * z / (4 * shots * shots)) / (1 + z * z / shots)
    return max(0.0, centre - half), min(1.0, centre + half)


def mean(rows: list[dict], key: str) -> str:
    values = [r[key] for r in rows if np.isfinite(r[key])]
    return f"{np.mean(values):.3f}" if values else "n/a"


def guidance_said(card) -> str:
    """The card's guidance, and each mode's own where its [mode_guidance] differs: '3 (1.5: loop, connect)'."""
    own: dict[float, list[str]] = {}
    for mode, value in card.mode_guidance.items():
        if value != card.default_guidance:
            own.setdefault(value, []).append(mode)
    said = "; ".join(f"{value:g}: {', '.join(modes)}" for value, modes in own.items())
    return f"{card.default_guidance:g}" + (f" ({said})" if said else "")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenes", type=int, default=40)
    parser.add_argument("--long-seconds", type=float, default=60.0)
    parser.add_argument("--model", type=Path, help="a model folder of the demo's world (default: the shipped one)")
    args = parser.parse_args()
    card = load_cards().get("demo")
    folder = args.model if args.model else find_weights(card) if card else None
    if args.model and not (args.model / "model_index.json").is_file():
        sys.exit(f"{args.model} is not a diffusers model folder (no model_index.json): give train-demo's DIR/demo")
    if folder is None or card is None:
        sys.exit(
            "No demo model: studio/models/demo.toml and its weights in studio/models/demo/ are not there yet "
            "(issue 11; benchmarks/demo_training.md says where its training stands)"
        )
    pipe = load_pipeline(folder, card, pick_device("cpu"))
    n = args.scenes
    t0 = time.monotonic()
    table = []

    def measure(name, fn, pool, checks, means=()):
        start = time.monotonic()
        rows = [fn(ltx.generate, pipe, card, scene, seed) for seed, scene in enumerate(pool)]
        each = (time.monotonic() - start) / len(rows)
        table.append(
            (
                name,
                len(rows),
                ", ".join(f"{k} {rate(rows, k)}" for k in checks),
                ", ".join(f"{k} {mean(rows, k)}" for k in means),
                f"{each:.1f} s",
            )
        )

    for mode, (name, fn, checks, means) in quality.MEASURES.items():
        measure(name, fn, quality.scenes(mode, n), checks, means)

    frames = int(args.long_seconds * world.FPS) + 1
    long_count = max(1, n // 4)  # a quarter as many: each is many windows

    def long_fn(generate, pipe, card, scene, seed):
        return quality.long_shot(
            lambda p, r, c, w: windows.generate_long(ltx, p, r, c, None, w), pipe, card, scene, seed, frames
        )

    measure(
        f"long shot, {args.long_seconds:g} s in windows",
        long_fn,
        quality.scenes("long_shot", long_count),
        ("smooth", "steady_look", "colour", "motion", "at_edges"),
        ("worst_jump", "background_drift", "object_drift"),
    )

    print(f"# Demo model quality ({date.today()}, {platform.machine()} CPU, {platform.python_version()})\n")
    print(
        f"`python benchmarks/demo_quality.py --scenes {n} --long-seconds {args.long_seconds:g}"
        + (f" --model {args.model}" if args.model else "")
        + f"`: {time.monotonic() - t0:.0f} s in all. Card defaults: {card.default_steps} steps, guidance "
        f"{guidance_said(card)}, {card.default_width}x{card.default_height}, {card.default_frames} frames.\n"
    )
    print("| mode | shots | passed | means | time a shot |")
    print("|---|---|---|---|---|")
    for row in table:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print("\n[low-high]: the rate's 95 % interval over that many shots (Wilson's score interval).")


if __name__ == "__main__":
    main()
