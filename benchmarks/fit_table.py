"""The README's table: each card's memory tier on GPUs of 8 to 80 GB, at its default size.

From the cards' [components] sizes (benchmarks/component_sizes.py) and the planner studio uses
(studio.engine.memory.plan_for_footprint), as `studio models fit --gpu-memory GB` prints it per GPU:

    python benchmarks/fit_table.py > benchmarks/fit_table.md
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.engine.cards import load_cards  # noqa: E402
from studio.engine.footprint import footprint  # noqa: E402
from studio.engine.memory import plan_for_footprint  # noqa: E402

GPUS = (8, 12, 16, 24, 32, 48, 80)
SHORT = {"resident": "resident", "model_offload": "model", "group_offload": "group"}


def cell(plan) -> str:
    text = SHORT[plan.tier]
    if plan.tier == "resident" and plan.vae_tiling:
        text += " (tiled)"
    return text if plan.fits else "group, may not fit"


def main() -> int:
    cards = sorted((c for c in load_cards().values() if c.kind != "upsampler"), key=lambda c: c.id)
    print("| model (default size) | largest component | " + " | ".join(f"{g} GB" for g in GPUS) + " |")
    print("|---|---|" + "---|" * len(GPUS))
    for card in cards:
        fp = footprint(card)
        name, size = fp.largest()
        size_text = f"{card.default_width}x{card.default_height}, {card.default_frames} frames"
        cells = [cell(plan_for_footprint(float(g), fp)) for g in GPUS]
        print(f"| {card.id} ({size_text}) | {name} {size:.1f} GB | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
