"""The transformers of the studio's model families at full size, random weights, on one GPU: the time of
one denoising step, the TFLOP/s it reaches against a FLOP count written down here, and peak memory;
eager against regional torch.compile (diffusers' compile_repeated_blocks) in the same run, as a ratio.

    python benchmarks/gpu.py            # every architecture below, bf16, on CUDA; skips without one
    python benchmarks/gpu.py --tiny     # the same code on tiny configs on the CPU (the test runs this)

No download: each transformer is built from its published config (benchmarks/component_configs.toml)
with random weights, at its card's default size. Prints a table and, on a GPU, writes it to
benchmarks/gpu-results.md with the device and date. Meant to run in a few minutes on an H100/H200.

The FLOP count of one transformer pass (batch 1), for N video tokens, L text tokens, width d, FFN
width f, over its layers (a multiply-add is 2 FLOPs; norms, RoPE and the small embeddings are left out):
    self-attention   8·N·d²  (Q, K, V, O)  + 4·N²·d  (scores, values)
    cross-attention  4·N·d²  (Q, O)  + 4·L·d²  (K, V of the text)  + 4·N·L·d
    feed-forward     4·N·d·f
For LTX-Video 2B at 768×512, 121 frames (N = 24·16·16 = 6144, L = 128, d = 2048, f = 8192, 28 layers)
that is 29.1 TFLOP, the issue's anchor. The test checks this count against torch's own FLOP counter.

Still to add (issue 14): a whole shot, stock diffusers call vs the studio's path, the memory tiers, and
the families whose inputs are not built here yet (LTX-2, CogVideoX, HunyuanVideo 1.5, Wan I2V/VACE).
"""

from __future__ import annotations

import argparse
import importlib
import platform
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
CONFIGS = HERE / "component_configs.toml"
# Dense bf16 peak (TFLOP/s) by device name, from the vendors' data sheets (SXM parts).
PEAK_BF16 = {"H100": 989.0, "H200": 989.0, "A100": 312.0, "L40S": 362.0, "RTX 4090": 165.0}


@dataclass(frozen=True)
class Architecture:
    name: str  # its entry in component_configs.toml
    family: str  # ltx or wan: how its inputs are built
    width: int  # the card's default size and length
    height: int
    frames: int
    text_tokens: int  # the pipeline's max_sequence_length
    spatial: int  # the VAE's compression
    temporal: int
    patch: int  # the transformer's spatial patch: tokens are the latent's pixels in patch×patch squares


# Sizes from the cards (studio/models/*.toml), compressions from the VAEs' configs.
ARCHITECTURES = [
    Architecture("ltx-0_9_5", "ltx", 768, 512, 97, 128, 32, 8, 1),
    Architecture("ltx-0_9_7-13b", "ltx", 768, 512, 97, 128, 32, 8, 1),
    Architecture("wan-2_1-1_3b", "wan", 832, 480, 81, 512, 8, 4, 2),
]
# The tiny stand-ins for --tiny: the same classes, widths small enough for a CPU.
TINY = {
    "ltx": {"in_channels": 8, "out_channels": 8, "num_attention_heads": 4, "attention_head_dim": 16,
            "cross_attention_dim": 64, "num_layers": 2, "caption_channels": 32},
    "wan": {"patch_size": [1, 2, 2], "num_attention_heads": 4, "attention_head_dim": 16, "in_channels": 4,
            "out_channels": 4, "text_dim": 32, "freq_dim": 32, "ffn_dim": 96, "num_layers": 2},
}  # fmt: skip


def build(arch: Architecture, tiny: bool, device: str, dtype: torch.dtype) -> torch.nn.Module:
    spec = tomllib.loads(CONFIGS.read_text())["architectures"][arch.name]["transformer"]
    module, _, name = spec["class"].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    config = TINY[arch.family] if tiny else spec.get("config", {})
    with torch.device(device):
        model = cls(**config)
    return model.to(dtype).eval().requires_grad_(False)


def shapes(arch: Architecture, tiny: bool) -> tuple[int, int, int]:
    """The video's tokens, frames × height × width, at the card's default size (tiny: a few a side)."""
    if tiny:
        return 3, 4, 6
    side = arch.spatial * arch.patch
    return (arch.frames - 1) // arch.temporal + 1, arch.height // side, arch.width // side


def inputs(arch: Architecture, model: torch.nn.Module, tiny: bool, device: str, dtype: torch.dtype) -> dict:
    frames, height, width = shapes(arch, tiny)
    config = model.config
    text = 8 if tiny else arch.text_tokens
    if arch.family == "ltx":
        return {
            "hidden_states": torch.randn(1, frames * height * width, config.in_channels, device=device, dtype=dtype),
            "encoder_hidden_states": torch.randn(1, text, config.caption_channels, device=device, dtype=dtype),
            "timestep": torch.tensor([500], device=device),
            "encoder_attention_mask": torch.ones(1, text, device=device, dtype=dtype),
            "num_frames": frames,
            "height": height,
            "width": width,
            "return_dict": False,
        }
    channels = config.in_channels
    ph, pw = config.patch_size[1], config.patch_size[2]
    return {
        "hidden_states": torch.randn(1, channels, frames, height * ph, width * pw, device=device, dtype=dtype),
        "timestep": torch.tensor([500], device=device),
        "encoder_hidden_states": torch.randn(1, text, config.text_dim, device=device, dtype=dtype),
        "return_dict": False,
    }


def flops(arch: Architecture, model: torch.nn.Module, tiny: bool) -> float:
    """One pass, batch 1, by the formula in this file's docstring."""
    frames, height, width = shapes(arch, tiny)
    config = model.config
    n, layers = frames * height * width, config.num_layers
    d = config.num_attention_heads * config.attention_head_dim
    text = 8 if tiny else arch.text_tokens
    f = 4 * d if arch.family == "ltx" else config.ffn_dim  # LTX's FeedForward is 4x its width
    per_layer = 8 * n * d * d + 4 * n * n * d + 4 * n * d * d + 4 * text * d * d + 4 * n * text * d + 4 * n * d * f
    return float(per_layer * layers)


def counted_flops(model: torch.nn.Module, kwargs: dict) -> float:
    """torch's own count of the same pass (matmuls and attention), to check the formula against."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model(**kwargs)
    return float(counter.get_total_flops())


def step_time(model: torch.nn.Module, kwargs: dict, device: str, repeats: int) -> float:
    """Median seconds of one pass, after a warm-up pass (and a compile, if compiled)."""
    times = []
    with torch.inference_mode():
        for i in range(repeats + 1):
            if device == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            model(**kwargs)
            if device == "cuda":
                torch.cuda.synchronize()
            if i:
                times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def run(tiny: bool, compile_blocks: bool, repeats: int) -> list[dict]:
    device = "cpu" if tiny else "cuda"
    dtype = torch.float32 if tiny else torch.bfloat16
    rows = []
    for arch in ARCHITECTURES:
        model = build(arch, tiny, device, dtype)
        kwargs = inputs(arch, model, tiny, device, dtype)
        if device == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        eager = step_time(model, kwargs, device, repeats)
        peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
        compiled = None
        if compile_blocks:
            model.compile_repeated_blocks(fullgraph=True)
            compiled = step_time(model, kwargs, device, repeats)
        count = flops(arch, model, tiny)
        rows.append(
            {
                "name": arch.name,
                "tokens": shapes(arch, tiny),
                "tflop": count / 1e12,
                "eager_s": eager,
                "compiled_s": compiled,
                "tflops": count / eager / 1e12,
                "peak_gb": peak,
            }
        )
        del model, kwargs
    return rows


def table(rows: list[dict], peak: float | None) -> str:
    lines = [
        "| transformer | latent F×H×W | TFLOP a pass | eager step | TFLOP/s | of peak | compiled step | eager/compiled "
        "| peak memory |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        share = f"{r['tflops'] / peak:.0%}" if peak else "—"
        compiled = f"{r['compiled_s'] * 1000:.1f} ms" if r["compiled_s"] else "—"
        ratio = f"{r['eager_s'] / r['compiled_s']:.2f}" if r["compiled_s"] else "—"
        memory = f"{r['peak_gb']:.1f} GB" if r["peak_gb"] is not None else "—"
        lines.append(
            f"| {r['name']} | {'×'.join(map(str, r['tokens']))} | {r['tflop']:.3g} | {r['eager_s'] * 1000:.1f} ms "
            f"| {r['tflops']:.3g} | {share} | {compiled} | {ratio} | {memory} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny configs on the CPU (the test's run)")
    parser.add_argument("--no-compile", action="store_true", help="eager only")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if not args.tiny and not torch.cuda.is_available():
        print("no CUDA device: nothing measured (python benchmarks/gpu.py --tiny runs the code on the CPU)")
        return 0
    rows = run(args.tiny, compile_blocks=not args.no_compile and not args.tiny, repeats=args.repeats)
    if args.tiny:
        device, peak = f"CPU ({platform.processor() or platform.machine()}), tiny configs", None
    else:
        device = torch.cuda.get_device_name()
        peak = next((value for key, value in PEAK_BF16.items() if key in device), None)
    report = f"{time.strftime('%Y-%m-%d')}, {device}, torch {torch.__version__}\n\n{table(rows, peak)}\n"
    print(report)
    if not args.tiny:
        with (HERE / "gpu-results.md").open("a", encoding="utf-8") as out:
            out.write(f"\n## benchmarks/gpu.py\n\n{report}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
