"""The benchmark's run, section by section under the time guard, and its tables; where they are written."""

from __future__ import annotations

import platform
import time
from pathlib import Path

import torch

from ...core.settings import data_dir
from . import budget, transformer_step, whole_shot
from .budget import Budget
from .configs import build_component, resolve

RESULTS_NAME = "gpu-results.md"
TINY_SHOT_SECONDS = 20.0  # a tiny shot on the CPU, both runs, built and run: a few seconds each


def checkout_benchmarks() -> Path | None:
    """benchmarks/ of the checkout this studio runs from; None when it is installed (site-packages)."""
    root = Path(whole_shot.__file__).resolve().parents[3]
    folder = root / "benchmarks"
    return folder if (root / "pyproject.toml").is_file() and folder.is_dir() else None


def results_path() -> Path:
    """benchmarks/gpu-results.md in a checkout, else the same name in the user's data folder."""
    folder = checkout_benchmarks() or data_dir() / "benchmarks"
    return folder / RESULTS_NAME


def _pass_estimate(flop: float, rate_tflops: float) -> float:
    return flop / (rate_tflops * 1e12)


def step_rows(tiny: bool, guard: Budget, rate: float, repeats: int, compile_blocks: bool) -> list[dict]:
    device = "cpu" if tiny else "cuda"
    dtype = torch.float32 if tiny else torch.bfloat16
    rows = []
    for arch in transformer_step.ARCHITECTURES:
        meta = transformer_step.build(arch, tiny, "meta", dtype)
        count = transformer_step.flop_count(arch, meta, tiny)
        parameters = sum(p.numel() for p in meta.parameters())
        estimate = budget.build_seconds(parameters) + (repeats + 1) * _pass_estimate(count, rate)
        if not guard.allows(f"{arch.name} step", estimate):
            continue
        model = transformer_step.build(arch, tiny, device, dtype)
        kwargs = transformer_step.inputs(arch, model, tiny, device, dtype)
        if device == "cuda":
            torch.cuda.empty_cache()
            torch.cuda.reset_peak_memory_stats()
        eager = transformer_step.pass_time(model, kwargs, device, repeats)
        peak = torch.cuda.max_memory_allocated() / 2**30 if device == "cuda" else None
        compiled = None
        if compile_blocks and guard.allows(f"{arch.name} compiled step", budget.COMPILE_SECONDS + estimate):
            model.compile_repeated_blocks(fullgraph=True)
            compiled = transformer_step.pass_time(model, kwargs, device, repeats)
        rows.append(
            {
                "name": arch.name,
                "tokens": transformer_step.shapes(arch, tiny),
                "tflop": count / 1e12,
                "eager_s": eager,
                "compiled_s": compiled,
                "tflops": count / eager / 1e12,
                "peak_gb": peak,
            }
        )
        del model, kwargs
        whole_shot.release()
    return rows


def shot_estimate(shot: whole_shot.Shot, rate: float) -> tuple[int, float, float]:
    """Steps, seconds of one step, and the whole section's seconds for a full-size shot: the pass's FLOPs
    estimated as 2·P·T (every parameter once per token) + 4·T²·d per layer (attention), two passes a step
    (classifier-free guidance)."""
    card = whole_shot.card_for(shot)
    model = build_component(resolve(shot.architecture, "transformer"), "meta")
    config = model.config
    parameters = sum(p.numel() for p in model.parameters())
    tokens = shot.tokens(card) + shot.text_tokens
    d = config.num_attention_heads * config.attention_head_dim
    flop = 2 * parameters * tokens + 4 * tokens * tokens * d * config.num_layers
    step = 2 * _pass_estimate(flop, rate)
    steps = budget.shot_steps(card.default_steps, step)
    build = budget.build_seconds(parameters * 3)  # the text encoder and VAE too: about as much again, twice
    warm_up = whole_shot.WARM_UP_STEPS * step + budget.DECODE_SECONDS
    runs = 2 * (steps * step + budget.DECODE_SECONDS + warm_up) + budget.COMPILE_SECONDS
    return steps, step, build + runs


def shot_rows(tiny: bool, guard: Budget, rate: float) -> list[dict]:
    rows = []
    for shot in whole_shot.SHOTS:
        steps, estimate = (None, TINY_SHOT_SECONDS) if tiny else shot_estimate(shot, rate)[::2]
        if guard.allows(f"{shot.family} whole shot", estimate):
            rows.append(_guarded(whole_shot.stock_and_studio, shot.family, shot, tiny, steps))
    return rows


def tier_rows(tiny: bool, guard: Budget, rate: float) -> list[dict]:
    shot = whole_shot.TIER_SHOT
    steps, _, section = (None, 0.0, TINY_SHOT_SECONDS) if tiny else shot_estimate(shot, rate)
    # Offloading moves every weight across PCIe at each step (group) or each component (model): slower.
    slowdown = {"resident": 1.0, "model_offload": 1.5, "group_offload": 3.0}
    rows = []
    for tier in whole_shot.TIERS:
        if guard.allows(f"{shot.family} {tier}", section / 2 * slowdown[tier]):
            rows.append(_guarded(whole_shot.tier_run, f"{shot.family} {tier}", shot, tier, tiny, steps))
    return rows


def _guarded(run, what: str, *args) -> dict:
    """A section's row, or its failure as the row (out of memory on a smaller GPU is a result too)."""
    try:
        return run(*args)
    except torch.OutOfMemoryError:
        whole_shot.release()
        return {"failed": f"{what}: out of GPU memory"}


def _ms(seconds: float | None) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds is not None else "—"


def _gb(value: float | None) -> str:
    return f"{value:.1f} GB" if value is not None else "—"


def step_table(rows: list[dict], peak: float | None) -> str:
    lines = [
        "| transformer | latent F×H×W | TFLOP a pass | eager step | TFLOP/s | of peak | compiled step | eager/compiled "
        "| peak memory |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        share = f"{r['tflops'] / peak:.0%}" if peak else "—"
        ratio = f"{r['eager_s'] / r['compiled_s']:.2f}" if r["compiled_s"] else "—"
        lines.append(
            f"| {r['name']} | {'×'.join(map(str, r['tokens']))} | {r['tflop']:.3g} | {_ms(r['eager_s'])} "
            f"| {r['tflops']:.3g} | {share} | {_ms(r['compiled_s'])} | {ratio} | {_gb(r['peak_gb'])} |"
        )
    return "\n".join(lines)


def shot_table(rows: list[dict]) -> str:
    lines = [
        "| family | card | W×H×frames | steps | stock | studio's path | stock/studio | stock peak | studio peak "
        "| memory plan | fast paths |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['failed']} |" + " |" * 10)
            continue
        stock, studio = r["stock"], r["studio"]
        lines.append(
            f"| {r['family']} | {r['card']} | {r['size']} | {r['steps']} | {stock['seconds']:.2f} s "
            f"| {studio['seconds']:.2f} s | {stock['seconds'] / studio['seconds']:.2f} | {_gb(stock['peak_gb'])} "
            f"| {_gb(studio['peak_gb'])} | {r['plan']} | {', '.join(r['paths']) or 'none'} |"
        )
    return "\n".join(lines)


def tier_table(rows: list[dict]) -> str:
    lines = ["| tier | card | steps | shot | time / resident's | peak memory | note |", "|---|---|---|---|---|---|---|"]
    resident = next((r["seconds"] for r in rows if r.get("tier") == "resident"), None)
    for r in rows:
        if "failed" in r:
            lines.append(f"| {r['failed']} |" + " |" * 6)
            continue
        ratio = f"{r['seconds'] / resident:.2f}" if resident else "—"
        lines.append(
            f"| {r['tier']} | {r['card']} | {r['steps']} | {r['seconds']:.2f} s | {ratio} | {_gb(r['peak_gb'])} "
            f"| {r['note'] or ' '} |"
        )
    return "\n".join(lines)


def run(tiny: bool, seconds: float, repeats: int, compile_blocks: bool) -> str:
    """Every section the budget allows; the report as markdown."""
    device = None if tiny else torch.cuda.get_device_name()
    rate = budget.assumed_tflops(device)
    guard = Budget(seconds)
    steps = step_rows(tiny, guard, rate, repeats, compile_blocks)
    shots = shot_rows(tiny, guard, rate)
    tiers = tier_rows(tiny, guard, rate)
    where = f"CPU ({platform.processor() or platform.machine()}), tiny configs" if tiny else device
    cpu_tiers = (
        "On the CPU the offload tiers do not apply (memory is shared): those rows run resident and say so.\n\n"
        if tiny
        else ""
    )
    skipped = "\n".join(f"- {line}" for line in guard.skipped) or "- nothing"
    return (
        f"{time.strftime('%Y-%m-%d')}, {where}, torch {torch.__version__}, budget {seconds:.0f} s "
        f"({seconds - guard.left():.0f} s used)\n\n"
        f"One transformer pass (batch 1, random inputs):\n\n{step_table(steps, budget.peak_tflops(device))}\n\n"
        f"A whole shot at the card's size (text encode, steps, decode), stock diffusers call vs the studio's path, "
        f"same pipeline and seed, each after a {whole_shot.WARM_UP_STEPS}-step warm-up call (the studio's compiles "
        f"there, if it compiles):\n\n{shot_table(shots)}\n\n"
        f"The studio's path under each memory tier ({whole_shot.TIER_SHOT.card}):\n\n{tier_table(tiers)}\n\n"
        f"{cpu_tiers}Skipped by the time guard:\n\n{skipped}\n"
    )
