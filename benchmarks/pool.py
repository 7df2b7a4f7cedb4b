"""A batch of 8 tiny-model shots on 1 worker, on 2 local workers, and on 2 Ray actors (a local Ray cluster),
in one run (and 1 worker limited to one thread, to show how much of the cores one worker already
uses): the wall time of each as a ratio to the one worker's (issue 13: 2 workers aim ≤ 0.6), and
the Ray backend's cost per job against the local pool.

    python benchmarks/pool.py [--shots 8] [--steps 8]

Workers are started and warmed with one job each before the clock starts (a worker's start, torch and
diffusers, is paid once per worker per session, not per job). No GPU needed; with one, the same batch
on a full-size model is the next row to add (benchmarks/results.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from studio.core.recipe import Mode, Recipe
from studio.engine.jobs import JobState
from studio.engine.service import EngineService
from studio.engine.workers import WorkerSlot, local_slots


def recipe(model: Path, seed: int, steps: int) -> Recipe:
    return Recipe(
        mode=Mode.TEXT_TO_VIDEO,
        model=str(model),
        prompt="waves crash on the rocks",
        width=64,
        height=64,
        frames=17,
        steps=steps,
        seed=seed,
    )


def run_batch(service: EngineService, model: Path, out: Path, shots: int, steps: int) -> float:
    """Warm every worker with a job, then the wall time of the batch, from its first submit to its last take."""
    warm = [service.submit(recipe(model, 1000 + i, 1), out / f"warm-{i}.mkv") for i in range(len(service.workers()))]
    for job_id in warm:
        service.wait(job_id)
    start = time.perf_counter()
    jobs = [service.submit(recipe(model, i, steps), out / f"shot-{i}.mkv") for i in range(shots)]
    for job_id in jobs:
        job = service.wait(job_id)
        if job.state is not JobState.DONE:
            raise SystemExit(f"job {job_id} ended {job.state}: {job.error}")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=8)
    parser.add_argument("--steps", type=int, default=8)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="studio-pool-bench-"))
    model = work / "tiny-ltx"
    subprocess.run([sys.executable, "-m", "studio.testing.tiny", "ltx", str(model)], check=True)
    times: dict[str, float] = {}
    one_thread = [WorkerSlot("CPU 1", {"CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"})]
    pools = (
        ("1 local worker", local_slots(workers=1)),
        ("1 local worker, 1 thread", one_thread),  # how much of the cores one worker already uses
        ("2 local workers", local_slots(workers=2)),
    )
    for name, slots in pools:
        (work / name).mkdir()
        with EngineService(log_dir=work / "logs", slots=slots) as service:
            times[name] = run_batch(service, model, work / name, args.shots, args.steps)
        print(f"{name}: {times[name]:.1f} s", flush=True)
    try:
        import ray

        from studio.engine.cluster import connect
    except ImportError:
        print("Ray is not installed (pip install 'studio[cluster]'): the cluster row is skipped")
    else:
        slots, launch = connect("local", num_cpus=2)
        (work / "ray").mkdir()
        with EngineService(log_dir=work / "logs", slots=slots, launcher=launch) as service:
            times["2 Ray actors"] = run_batch(service, model, work / "ray", args.shots, args.steps)
        ray.shutdown()
        print(f"2 Ray actors: {times['2 Ray actors']:.1f} s", flush=True)

    reference = times["1 local worker"]
    print(f"\n{time.strftime('%Y-%m-%d')}, {platform.node()}: {os.cpu_count()} CPU cores, no GPU; ", end="")
    print(f"{args.shots} shots of the tiny LTX model, 64x64, 17 frames, {args.steps} steps\n")
    print("| workers | wall | ratio to 1 worker |\n|---|---|---|")
    for name, seconds in times.items():
        print(f"| {name} | {seconds:.1f} s | {seconds / reference:.2f} |")
    if "2 Ray actors" in times:
        overhead = (times["2 Ray actors"] - times["2 local workers"]) / args.shots
        print(f"\nRay's cost per job against the local pool of 2: {overhead:+.2f} s")


if __name__ == "__main__":
    main()
