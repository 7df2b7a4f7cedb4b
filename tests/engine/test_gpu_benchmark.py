"""benchmarks/gpu.py on the CPU: its FLOP formula against torch's own counter on the full-size
transformers (built on the meta device: no weights, no compute), and its whole run on tiny configs."""

from __future__ import annotations

import importlib.util
import sys

import pytest
import torch

from tests.conftest import REPO


@pytest.fixture(scope="module")
def gpu():
    spec = importlib.util.spec_from_file_location("gpu_benchmark", REPO / "benchmarks" / "gpu.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


@pytest.mark.parametrize("name", ["ltx-0_9_5", "wan-2_1-1_3b"])
def test_the_written_flop_count_is_torchs_count_at_full_size(gpu, name):
    arch = next(a for a in gpu.ARCHITECTURES if a.name == name)
    model = gpu.build(arch, tiny=False, device="meta", dtype=torch.bfloat16)
    counted = gpu.counted_flops(model, gpu.inputs(arch, model, tiny=False, device="meta", dtype=torch.bfloat16))
    assert gpu.flops(arch, model, tiny=False) == pytest.approx(counted, rel=0.01)


def test_ltx_2b_at_768x512_and_121_frames_is_the_issues_29_tflop(gpu):
    arch = gpu.Architecture("ltx-0_9_5", "ltx", 768, 512, 121, 128, 32, 8, 1)
    model = gpu.build(arch, tiny=False, device="meta", dtype=torch.bfloat16)
    assert gpu.flops(arch, model, tiny=False) / 1e12 == pytest.approx(29.1, abs=0.05)


def test_the_tiny_run_prints_a_row_for_every_architecture(gpu, capsys):
    assert gpu.main(["--tiny", "--no-compile", "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    for arch in gpu.ARCHITECTURES:
        row = next(line for line in out.splitlines() if line.startswith(f"| {arch.name} |"))
        assert "| 3×4×6 |" in row and " ms |" in row


def test_without_cuda_the_full_run_measures_nothing_and_says_how_to_run_it(gpu, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu.main([]) == 0
    assert "no CUDA device" in capsys.readouterr().out
