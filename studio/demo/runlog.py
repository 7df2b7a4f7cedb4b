"""What every stage of the demo model's training shares: the loss log, the progress bar, checkpoints a
killed run resumes from, and the learning-rate schedule."""

from __future__ import annotations

import csv
import math
import os
import sys
import time
from pathlib import Path

import torch


class Log:
    """training-log.csv in the output folder: stage, step, loss, learning rate, seconds so far."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "training-log.csv"
        new = not self.path.exists() or self.path.stat().st_size == 0
        self.file = self.path.open("a", newline="")
        self.writer = csv.writer(self.file)
        if new:
            self.row("stage", "step", "loss", "lr", "seconds")  # flushed: a run killed before its first step keeps it

    def row(self, *values) -> None:
        self.writer.writerow(values)
        self.file.flush()

    def rewind(self, stage: str, step: int) -> None:
        """Drop the rows of `stage` (and of its probes, `stage-…`) from `step` on: a run killed after its last
        checkpoint logged them, and the run resumed from that checkpoint logs them again. The log then reads
        as one run, each step once."""
        self.file.close()
        with self.path.open(newline="") as file:
            rows = list(csv.reader(file))

        def redone(row: list[str]) -> bool:
            ours = len(row) > 1 and (row[0] == stage or row[0].startswith(stage + "-"))
            return ours and row[1].isdigit() and int(row[1]) >= step

        kept = [row for row in rows if not redone(row)]
        if len(kept) != len(rows):
            tmp = self.path.with_suffix(".tmp")
            with tmp.open("w", newline="") as file:
                csv.writer(file).writerows(kept)
            os.replace(tmp, self.path)
        self.file = self.path.open("a", newline="")
        self.writer = csv.writer(self.file)


def save_checkpoint(path: Path, **state) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)  # never a half-written checkpoint


def resume(path: Path, optimizer, *, log: Log | None = None, stage: str = "", **modules) -> tuple[int, float]:
    """Loads a stage's checkpoint into its modules (by their keys) and optimizer, and drops the log's rows of
    the steps it will do again. The step to go on from, and the stage's clock: time.monotonic() less the
    seconds the stage had run by its checkpoint, so the log's seconds go on from there, not from 0.
    Read onto the CPU and copied onto wherever the modules are: a run begun on a GPU goes on without one."""
    step, seconds = 0, 0.0
    if path.exists():
        state = torch.load(path, weights_only=True, map_location="cpu")
        for key, module in modules.items():
            module.load_state_dict(state[key])
        how = [(group["fused"], group["foreach"]) for group in optimizer.param_groups]
        optimizer.load_state_dict(state["optimizer"])
        for group, (fused, foreach) in zip(optimizer.param_groups, how, strict=True):
            group["fused"], group["foreach"] = fused, foreach  # how it steps is this run's, not the checkpoint's
        step, seconds = state["step"], float(state.get("seconds", 0.0))  # checkpoints before 2026-12-07 have none
    if log is not None:
        log.rewind(stage, step)
    return step, time.monotonic() - seconds


def adamw(params, **settings) -> torch.optim.AdamW:
    """Every stage's optimizer: AdamW, fused where torch has the kernel (the CPU's and CUDA's), one pass over
    the parameters instead of a dozen small operations on each: a video transformer's step about 3 % faster on
    the 2-core CPU (benchmarks/demo_training.md)."""
    params = list(params)
    return torch.optim.AdamW(params, fused=params[0].device.type in ("cpu", "cuda"), **settings)


def optimise(optimizer, params, loss: torch.Tensor) -> None:
    """One step of every stage: the loss's gradients, clipped to norm 1, applied."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()


def lr_at(step: int, steps: int, peak: float, warmup: int = 50) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))))


class Progress:
    """A one-line progress bar on stderr: stage, step, loss, time left."""

    def __init__(self, stage: str, steps: int, start: int) -> None:
        self.stage, self.steps, self.start, self.t0 = stage, steps, start, time.monotonic()

    def show(self, step: int, loss: float) -> None:
        done = step + 1 - self.start
        rate = (time.monotonic() - self.t0) / max(1, done)
        left = rate * (self.steps - step - 1)
        bar = "#" * int(30 * (step + 1) / self.steps)
        print(
            f"\r{self.stage} [{bar:<30}] {step + 1}/{self.steps} loss {loss:.4f} {left / 60:.0f} min left",
            end="",
            file=sys.stderr,
            flush=True,
        )
