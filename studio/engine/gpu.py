"""The NVIDIA GPU the driver sees, found without torch: `studio doctor` compares it with what torch sees.

installers/bootstrap.py asks nvidia-smi the same question to choose a torch build; it runs before the
venv exists and cannot import this package, so the question is asked there in its own few lines.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

QUERY = ["nvidia-smi", "--query-gpu=name,driver_version", "--format=csv,noheader"]


def nvidia_gpu() -> str | None:
    """The first NVIDIA GPU nvidia-smi lists, as "NAME (driver VERSION)"; None without nvidia-smi or a GPU."""
    try:
        done = subprocess.run(QUERY, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()] if done.returncode == 0 else []
    if not lines or "," not in lines[0]:
        return None
    name, _, driver = lines[0].rpartition(",")
    return f"{name.strip()} (driver {driver.strip()})"


MEMORY_QUERY = ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"]


@dataclass(frozen=True)
class GpuMemory:
    """The NVIDIA GPUs a model has to fit: the smallest one's memory (each worker loads its own copy)."""

    name: str  # "NVIDIA GeForce RTX 4090", or "2 × NVIDIA A10G"
    total_gb: float  # GB of 2^30 bytes, as the fit table and `studio models fit --gpu-memory` count

    def __str__(self) -> str:
        return f"{self.name}, {self.total_gb:.0f} GB"


def nvidia_gpu_memory() -> GpuMemory | None:
    """The NVIDIA GPUs nvidia-smi lists and the smallest one's memory; None without nvidia-smi or a GPU."""
    try:
        done = subprocess.run(MEMORY_QUERY, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    found: list[tuple[str, float]] = []
    for line in done.stdout.splitlines() if done.returncode == 0 else []:
        name, _, mib = line.strip().rpartition(",")
        try:
            found.append((name.strip(), float(mib) / 1024))
        except ValueError:  # "[N/A]" or a line of another shape: not a size to plan with
            continue
    if not found:
        return None
    names = sorted({name for name, _ in found})
    name = f"{len(found)} × {names[0]}" if len(found) > 1 and len(names) == 1 else ", ".join(names)
    return GpuMemory(name, min(gb for _, gb in found))


def nvidia_gpu_count() -> int:
    """How many NVIDIA GPUs nvidia-smi lists: the local pool's "--gpus all" runs a worker on each."""
    try:
        done = subprocess.run([*QUERY[:1], "--list-gpus"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return 0
    return sum(1 for line in done.stdout.splitlines() if line.startswith("GPU ")) if done.returncode == 0 else 0


def unused_gpu_warning(gpu: str | None, torch_version: str, torch_cuda: str | None, cuda_available: bool) -> str | None:
    """One sentence, saying what to do, when there is an NVIDIA GPU that torch cannot use; None otherwise.

    torch_cuda is torch.version.cuda: None for a CPU-only build.
    """
    if gpu is None or cuda_available:
        return None
    if torch_cuda is None:
        return (
            f"{gpu} found, but torch {torch_version} is a CPU-only build and cannot use it: run setup again "
            "(python installers/bootstrap.py run; STUDIO_TORCH=cu126, cu130… chooses the CUDA build) or "
            "reinstall torch with --index-url https://download.pytorch.org/whl/cuXYZ for your driver's CUDA."
        )
    return (
        f"{gpu} found, but torch {torch_version} (CUDA {torch_cuda}) cannot use it: the driver may be older than "
        f"CUDA {torch_cuda}; update it, or run setup again with STUDIO_TORCH set to an older CUDA build (cu126…)."
    )
