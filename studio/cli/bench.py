"""`studio bench`: the GPU benchmark (studio/testing/bench) from an installed studio: the families' full-size
models with random weights, no download. Without CUDA it says so in one line and exits 0; --tiny runs it
on the CPU with the tiny test models."""

from __future__ import annotations

import argparse


def add_bench(sub) -> None:
    from ..testing.bench import add_arguments

    bench = sub.add_parser("bench", help="the GPU benchmark: random-weight full-size models, stock vs the studio")
    add_arguments(bench)
    bench.set_defaults(func=cmd_bench)


def cmd_bench(args: argparse.Namespace) -> int:
    from ..testing.bench import run_benchmark

    return run_benchmark(args)
