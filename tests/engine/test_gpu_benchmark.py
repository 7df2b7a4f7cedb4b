"""The GPU benchmark (studio/testing/bench, benchmarks/gpu.py, `studio bench`) on the CPU: each family's
FLOP formula against torch's own counter on the full-size transformers (built on the meta device: no
weights, no compute), the whole-shot and memory-tier rows on the tiny models, the full-size pipelines
assembled on the meta device, the time guard, and the command without CUDA."""

from __future__ import annotations

import pytest
import torch

from studio.cli import main as studio_main
from studio.engine.runtime.loader import Device
from studio.testing.bench import NO_CUDA, budget, main, transformer_step, whole_shot
from studio.testing.bench.report import checkout_benchmarks
from tests.conftest import REPO


@pytest.mark.parametrize("arch", transformer_step.ARCHITECTURES, ids=lambda a: a.name)
def test_the_written_flop_count_is_torchs_count_at_full_size(arch):
    model = transformer_step.build(arch, tiny=False, device="meta", dtype=torch.bfloat16)
    kwargs = transformer_step.inputs(arch, model, tiny=False, device="meta", dtype=torch.bfloat16)
    counted = transformer_step.counted_flops(model, kwargs)
    assert transformer_step.flop_count(arch, model, tiny=False) == pytest.approx(counted, rel=0.01)


def test_ltx_2b_at_768x512_and_121_frames_is_the_issues_29_tflop():
    arch = transformer_step.Architecture("ltx-0_9_5", "ltx", 768, 512, 121, 128, 32, 8, 1)
    model = transformer_step.build(arch, tiny=False, device="meta", dtype=torch.bfloat16)
    assert transformer_step.flop_count(arch, model, tiny=False) / 1e12 == pytest.approx(29.1, abs=0.05)


@pytest.mark.parametrize("shot", whole_shot.SHOTS, ids=lambda s: s.family)
def test_a_whole_tiny_shot_runs_stock_and_by_the_studios_path(shot):
    row = whole_shot.stock_and_studio(shot, tiny=True, steps=None)
    assert row["family"] == shot.family and row["steps"] >= 2
    for run in (row["stock"], row["studio"]):
        assert run["seconds"] > 0 and run["peak_gb"] is None  # no GPU memory to measure on the CPU
    assert row["plan"] == "resident" and isinstance(row["paths"], list)


@pytest.mark.parametrize("shot", whole_shot.SHOTS, ids=lambda s: s.family)
def test_the_full_size_pipeline_is_assembled_from_the_configs(shot):
    pipe, card = whole_shot.build_pipeline(shot, tiny=False, device=Device(torch.device("meta"), torch.bfloat16))
    assert card.id == shot.card
    assert sum(p.numel() for p in pipe.transformer.parameters()) == whole_shot.transformer_parameters(shot)
    arguments = whole_shot.call_arguments(pipe, card, steps=3)
    assert (arguments["width"], arguments["height"], arguments["num_frames"]) == (
        card.default_width,
        card.default_height,
        card.default_frames,
    )
    assert arguments["num_inference_steps"] == 3 and set(card.call) <= set(arguments)


def test_the_memory_tiers_run_on_the_cpu_as_resident_and_say_so():
    rows = [whole_shot.tier_run(whole_shot.TIER_SHOT, tier, tiny=True, steps=None) for tier in whole_shot.TIERS]
    assert [r["tier"] for r in rows] == ["resident", "model_offload", "group_offload"]
    assert all(r["seconds"] > 0 and r["plan"] == "resident" for r in rows)
    assert rows[0]["note"] == ""
    assert all("does not apply on cpu" in r["note"] for r in rows[1:])


def test_a_shot_runs_fewer_steps_when_the_cards_would_not_fit():
    assert budget.shot_steps(40, 0.1) == 40  # 80 passes of 0.1 s fit 30 s
    assert budget.shot_steps(50, 1.5) == 10  # 2 runs x 10 steps x 1.5 s = 30 s
    assert budget.shot_steps(50, 100.0) == budget.MIN_STEPS


def test_the_time_guard_skips_what_would_pass_the_budget_and_the_table_says_so(tmp_path, capsys):
    out = tmp_path / "results.md"
    assert main(["--tiny", "--budget", "1", "--out", str(out)]) == 0
    text = out.read_text()
    assert "Skipped by the time guard" in text and "- ltx-0_9_5 step: estimated" in text
    assert "- ltx whole shot: estimated" in text and "- ltx group_offload: estimated" in text
    assert f"written to {out}" in capsys.readouterr().out


def test_tiny_writes_nothing_into_the_checkouts_benchmarks(tmp_path):
    assert checkout_benchmarks() == REPO / "benchmarks"
    before = sorted((p.name, p.stat().st_mtime_ns) for p in (REPO / "benchmarks").iterdir())
    assert main(["--tiny", "--budget", "1"]) == 0
    assert sorted((p.name, p.stat().st_mtime_ns) for p in (REPO / "benchmarks").iterdir()) == before


def test_studio_bench_without_cuda_says_so_in_one_line_and_exits_0(monkeypatch, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert studio_main(["bench"]) == 0
    out = capsys.readouterr()
    assert out.out == NO_CUDA + "\n" and out.err == ""


def test_a_bad_budget_is_refused_before_anything_runs(capsys):
    assert studio_main(["bench", "--tiny", "--budget", "0"]) == 2
    assert "--budget must be above 0" in capsys.readouterr().err
