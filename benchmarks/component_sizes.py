"""Recompute the cards' component sizes from the real models' configs, without their weights.

Each component in studio/testing/bench/component_configs.toml is built on torch's meta device with its real
diffusers/transformers class, and its parameters and buffers times the dtype's bytes are its size in
GB (2**30 bytes). The output is one `[components]` table per architecture, as the cards hold it:

    python benchmarks/component_sizes.py > benchmarks/component_sizes.txt
    python benchmarks/component_sizes.py --write-cards   # and replace each card's [components] table
"""

from __future__ import annotations

import sys
from pathlib import Path

from studio.testing.bench.configs import build_component, configs, resolve

CARDS_DIR = Path(__file__).resolve().parent.parent / "studio" / "models"
BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}
# Which architecture each card is.
CARDS = {
    "ltx-video-0.9.5": "ltx-0_9_5",
    "ltx-video-0.9.7-dev": "ltx-0_9_7-13b",
    "ltx-video-0.9.7-distilled": "ltx-0_9_7-13b",
    "ltx-2": "ltx-2",
    "wan-2.1-t2v-1.3b": "wan-2_1-1_3b",
    "wan-2.1-vace-1.3b": "wan-2_1-vace-1_3b",
    "wan-2.1-vace-14b": "wan-2_1-vace-14b",
    "wan-2.1-i2v-14b-480p": "wan-2_1-i2v-14b",
    "wan-2.1-flf2v-14b-720p": "wan-2_1-flf2v-14b",
    "wan-2.2-ti2v-5b": "wan-2_2-ti2v-5b",
    "cogvideox-2b": "cogvideox-2b",
    "cogvideox-5b": "cogvideox-5b",
    "cogvideox-5b-i2v": "cogvideox-5b-i2v",
    "cogvideox-1.5-5b": "cogvideox-1_5-5b",
    "cogvideox-1.5-5b-i2v": "cogvideox-1_5-5b-i2v",
    "hunyuanvideo-1.5-480p-t2v": "hunyuanvideo-1_5-t2v",
    "hunyuanvideo-1.5-720p-t2v": "hunyuanvideo-1_5-t2v",
    "hunyuanvideo-1.5-480p-i2v": "hunyuanvideo-1_5-i2v",
    "hunyuanvideo-1.5-720p-i2v": "hunyuanvideo-1_5-i2v",
}
MARK = "# Component sizes on the GPU (GB of 2**30 bytes)"


def component_count(spec: dict) -> int:
    """Elements of one component: its parameters and floating buffers (built on the meta device)."""
    model = build_component(spec, "meta")
    count = sum(p.numel() for p in model.parameters())
    count += sum(b.numel() for name, b in model.named_buffers() if b.is_floating_point())
    return count


def tables() -> dict[str, str]:
    """One [components] table per architecture, as TOML text."""
    data = configs()
    cache: dict[str, int] = {}
    out = {}
    for arch, components in data["architectures"].items():
        lines = [
            f"{MARK}: architecture {arch} of studio/testing/bench/component_configs.toml,",
            "# built on the meta device by benchmarks/component_sizes.py (configs and their sources there).",
            "[components]",
        ]
        for name in components:
            spec = resolve(arch, name)
            key = repr(sorted(spec.items(), key=str))
            if key not in cache:
                cache[key] = component_count(spec)
            dtype = spec.get("dtype", "bfloat16")
            gb = cache[key] * BYTES[dtype] / 2**30
            lines.append(f"{name}_gb = {gb:.2f}  # {cache[key] / 1e9:.2f}B parameters in {dtype}")
        out[arch] = "\n".join(lines) + "\n"
    return out


def write_cards(found: dict[str, str]) -> None:
    """Replace (or add) the [components] table at the end of each card."""
    for card_id, arch in CARDS.items():
        path = CARDS_DIR / f"{card_id}.toml"
        text = path.read_text()
        if MARK in text:
            text = text[: text.index(MARK)].rstrip("\n") + "\n"
        path.write_text(text + "\n" + found[arch])


def main() -> int:
    found = tables()
    if "--write-cards" in sys.argv[1:]:
        write_cards(found)
    for arch, table in found.items():
        print(f"# {arch}: {', '.join(c for c, a in CARDS.items() if a == arch)}")
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
