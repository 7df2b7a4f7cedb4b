"""The GPU benchmark (`python benchmarks/gpu.py`, `studio bench`): the families' full-size models with
random weights (no download: built from the published configs in component_configs.toml), in bf16 on
one CUDA GPU, in one run that fits a time budget (8 minutes by default on an H100/H200):

  1. one transformer pass per architecture (transformer_step.py): its time, the TFLOP/s it reaches
     against the FLOP count written down in flops.py, and peak memory; regional compile with --compile;
  2. a whole shot per family at its card's default size (whole_shot.py): the stock diffusers call against
     the studio's path (loader.prepare_pipeline), same pipeline and seed, time and peak memory as ratios;
  3. the studio's path under each memory tier (resident, model offload, group offload) for LTX-Video 2B.

The time guard (budget.py) estimates each section before running it and skips, with a note in the
table, what would pass the budget. The budget's arithmetic, at the assumed 40% of an H100's 989 TFLOP/s
bf16 peak (~396 TFLOP/s), two passes a step (guidance), FLOPs by flops.py where written, else 2·P·T +
4·T²·d per layer:
  section 1: 7 architectures, 6 passes each: ~0.06 s (LTX 2B, 22 TFLOP) to ~4.3 s (Wan I2V 14B, 1686
             TFLOP) a pass, plus ~3-6 s building each: ~70 s;
  section 2: the denoising of both runs of a shot is held to ~30 s by running fewer steps than the card's
             where needed (the table says how many), plus building (~10-25 s), two decodes (~8 s each) and a
             first compile (~30 s): ~80-100 s a family, so the last family or two may be skipped on an H100;
  section 3: LTX-Video 2B (40 steps, ~0.11 s each) three times, offload tiers slower: ~60 s.
--budget SECONDS allows more. Without CUDA nothing is measured and it says so; --tiny runs the same code
on the CPU with the tiny test models (studio/testing/tiny) and tiny transformer configs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

NO_CUDA = "no CUDA device: nothing measured (--tiny runs the same code on the CPU with tiny models)"


def parser(prog: str | None = None) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=prog, description="The studio's GPU benchmark (random weights, no download).")
    add_arguments(p)
    return p


def add_arguments(p: argparse.ArgumentParser) -> None:
    from .budget import BUDGET_SECONDS

    p.add_argument("--tiny", action="store_true", help="tiny models on the CPU (the test's run)")
    p.add_argument("--budget", type=float, default=BUDGET_SECONDS, metavar="SECONDS", help="time allowed (480)")
    p.add_argument("--repeats", type=int, default=5, help="timed passes per transformer (after one warm-up)")
    p.add_argument("--compile", action="store_true", help="also time each transformer compiled by regions")
    p.add_argument("--out", help="the markdown file to append the table to (default: benchmarks/gpu-results.md "
                   "in a checkout, else the data folder; --tiny writes only here)")  # fmt: skip


def run_benchmark(args: argparse.Namespace) -> int:
    """The benchmark as asked; 0 also when there is no CUDA device to measure (it says so)."""
    import torch

    if args.budget <= 0 or args.repeats < 1:
        print("studio bench: --budget must be above 0 seconds and --repeats at least 1", file=sys.stderr)
        return 2
    if not args.tiny and not torch.cuda.is_available():
        print(NO_CUDA)
        return 0
    from .report import results_path, run

    out = Path(args.out) if args.out else None if args.tiny else results_path()
    report = run(args.tiny, args.budget, args.repeats, args.compile)
    print(report)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("a", encoding="utf-8") as file:
            file.write(f"\n## GPU benchmark\n\n{report}")
        print(f"written to {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_benchmark(parser().parse_args(argv))
