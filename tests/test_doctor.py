"""`studio doctor` warns when the driver sees an NVIDIA GPU that torch cannot use.

nvidia-smi and torch's view of CUDA are both faked; doctor runs in this process.
"""

from __future__ import annotations

import argparse
import subprocess

import pytest
import torch

from studio import cli
from studio.engine import gpu

RTX = "NVIDIA GeForce RTX 4090 (driver 560.94)"


@pytest.fixture
def doctor(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("STUDIO_DEVICE", "cpu")  # what torch "sees" is faked below; the device stays the CPU

    def run(found: str | None, torch_cuda: str | None, available: bool) -> str:
        monkeypatch.setattr(gpu, "nvidia_gpu", lambda: found)
        monkeypatch.setattr(torch.version, "cuda", torch_cuda)
        monkeypatch.setattr(torch.cuda, "is_available", lambda: available)
        assert cli.cmd_doctor(argparse.Namespace(models_dir=tmp_path)) == 0
        return capsys.readouterr().out

    return run


def warnings(out: str) -> list[str]:
    return [line for line in out.splitlines() if line.startswith("warning")]


def test_a_gpu_with_a_cpu_build_of_torch_is_one_warning_that_says_what_to_do(doctor):
    [line] = warnings(doctor(RTX, None, False))
    assert f"{RTX} found, but torch {torch.__version__} is a CPU-only build and cannot use it" in line
    assert "python installers/bootstrap.py run" in line and "STUDIO_TORCH" in line


def test_a_cuda_build_that_cannot_see_the_gpu_points_at_the_driver(doctor):
    [line] = warnings(doctor(RTX, "13.0", False))
    assert "(CUDA 13.0) cannot use it: the driver may be older than CUDA 13.0" in line


def test_no_warning_without_a_gpu_or_when_torch_sees_it(doctor):
    assert warnings(doctor(None, None, False)) == []
    assert warnings(doctor(RTX, "13.0", True)) == []


def test_nvidia_gpu_reads_nvidia_smi(monkeypatch):
    def fake(command, **kwargs):
        assert command == gpu.QUERY
        return subprocess.CompletedProcess(command, 0, "NVIDIA GeForce RTX 4090, 560.94\nNVIDIA T4, 560.94\n", "")

    monkeypatch.setattr(gpu.subprocess, "run", fake)
    assert gpu.nvidia_gpu() == RTX
    failed = subprocess.CompletedProcess(gpu.QUERY, 9, "", "NVIDIA-SMI has failed: no driver")
    monkeypatch.setattr(gpu.subprocess, "run", lambda command, **kwargs: failed)
    assert gpu.nvidia_gpu() is None


def test_no_nvidia_smi_is_no_gpu(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert gpu.nvidia_gpu() is None


def test_nvidia_gpu_memory_reads_the_smallest_gpu(monkeypatch):
    answers = {
        "one": "NVIDIA GeForce RTX 4090, 24564\n",
        "two": "NVIDIA A10G, 23028\nNVIDIA A10G, 22500\n",
        "mixed": "NVIDIA T4, 15360\nNVIDIA L4, [N/A]\nNVIDIA L40S, 46068\n",
        "none": "[N/A]\n",
    }
    for case, text in answers.items():
        monkeypatch.setattr(
            gpu.subprocess,
            "run",
            lambda command, answer=text, **kw: subprocess.CompletedProcess(command, 0, answer, ""),
        )
        found = gpu.nvidia_gpu_memory()
        if case == "one":
            assert str(found) == "NVIDIA GeForce RTX 4090, 24 GB"
        elif case == "two":
            assert found.name == "2 × NVIDIA A10G" and found.total_gb == 22500 / 1024
        elif case == "mixed":
            assert found.name == "NVIDIA L40S, NVIDIA T4" and found.total_gb == 15
        else:
            assert found is None
