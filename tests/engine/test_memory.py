"""Memory tiers: the choice from free memory, loading with each tier that runs on the CPU, a VAE decode
that runs out of memory retried tiled from the same latents, and out-of-memory jobs failing with advice."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
import torch

from studio.core.recipe import Mode, Recipe
from studio.engine.ltx import generate
from studio.engine.memory import (
    MemoryPlan,
    MemoryTierError,
    advice,
    check_tier,
    choose_plan,
    lower_tier,
    requested_tier,
)


@pytest.mark.parametrize(
    ("free", "need", "tier", "tiled"),
    [
        (80.0, 24.0, "resident", False),
        (26.0, 24.0, "resident", True),  # the weights fit, the decode is tight
        (16.0, 24.0, "model_offload", True),
        (8.0, 24.0, "group_offload", True),
        (None, 24.0, "model_offload", True),  # unknown: the safe middle
    ],
)
def test_the_tier_follows_free_gpu_memory(free, need, tier, tiled):
    plan = choose_plan("cuda", free, need)
    assert (plan.tier, plan.vae_tiling) == (tier, tiled)


def test_the_user_overrides_the_tier_but_offload_does_not_apply_off_cuda():
    assert choose_plan("cuda", 80.0, 24.0, "group_offload").tier == "group_offload"
    cpu = choose_plan("cpu", None, 24.0, "model_offload")
    assert cpu.tier == "resident" and "does not apply on cpu" in cpu.reason
    assert choose_plan("mps", None, 24.0) == MemoryPlan("resident", True, choose_plan("mps", None, 1).reason)


def test_tier_names_from_the_user_and_the_environment(monkeypatch):
    assert check_tier("Model-Offload") == "model_offload"
    with pytest.raises(MemoryTierError, match="unknown memory tier 'lots': choose one of resident, model_offload"):
        check_tier("lots")
    monkeypatch.setenv("STUDIO_MEMORY", "group_offload")
    assert requested_tier() == "group_offload"
    assert requested_tier("resident") == "resident"
    monkeypatch.setenv("STUDIO_MEMORY", "auto")
    assert requested_tier() is None
    assert (lower_tier("resident"), lower_tier("group_offload")) == ("model_offload", None)


def test_out_of_memory_advice_names_a_lower_tier_and_a_smaller_shot():
    text = advice("resident", frames=121, width=1280, height=704)
    assert text.startswith("out of GPU memory with the resident tier: try a lower memory tier (--memory model_offload")
    assert "a smaller size than 1280x704" in text and "fewer frames than 121" in text
    assert "--memory" not in advice("group_offload", 9, 64, 64)  # nothing lower to offer


@pytest.fixture(scope="module")
def recipe(tiny_ltx) -> Recipe:
    return Recipe(
        mode=Mode.TEXT_TO_VIDEO,
        model=str(tiny_ltx),
        prompt="a lighthouse at dusk",
        width=64,
        height=64,
        frames=9,
        steps=3,
        guidance=3.0,
        seed=11,
    )


def count_transformer_calls(pipe) -> list[int]:
    calls = [0]
    pipe.transformer.register_forward_pre_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


@pytest.mark.parametrize(
    "plan",
    [
        MemoryPlan("resident", False, "test"),
        MemoryPlan("resident", True, "test"),
        # Offloading to the CPU from the CPU saves nothing, but it runs diffusers' offload hooks the way
        # a GPU would: the calls these tiers make are checked against the installed diffusers.
        MemoryPlan("model_offload", True, "test"),
        MemoryPlan("group_offload", True, "test"),
    ],
    ids=str,
)
def test_each_tier_that_runs_on_the_cpu_loads_and_generates(tiny_ltx, tiny_card, recipe, plan):
    from studio.engine.loader import load_pipeline, pick_device

    pipe = load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"), plan=plan)
    assert pipe.vae.use_tiling is plan.vae_tiling
    frames = generate(pipe, recipe, tiny_card)
    assert frames.shape == (9, 64, 64, 3)


def test_a_decode_out_of_memory_is_retried_tiled_from_the_same_latents(tiny_ltx, tiny_card, recipe):
    from studio.engine.loader import load_pipeline, pick_device

    plan = MemoryPlan("resident", False, "test")
    clean_pipe = load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"), plan=plan)
    clean_calls = count_transformer_calls(clean_pipe)
    clean = generate(clean_pipe, recipe, tiny_card)

    pipe = load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"), plan=plan)
    calls = count_transformer_calls(pipe)
    inner = pipe.vae._decode
    seen: list[torch.Tensor] = []

    def decode_once_out_of_memory(z, *args, **kwargs):
        seen.append(z.clone())
        if len(seen) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory (injected)")
        return inner(z, *args, **kwargs)

    pipe.vae._decode = decode_once_out_of_memory
    frames = generate(pipe, recipe, tiny_card)

    assert len(seen) == 2 and torch.equal(seen[0], seen[1])  # decoded again from the same latents
    assert pipe.vae.use_tiling and pipe.vae.use_slicing
    assert calls[0] == clean_calls[0] > 0  # no second denoise
    np.testing.assert_array_equal(frames, clean)


def test_a_decode_that_runs_out_again_when_tiled_fails(tiny_ltx, tiny_card, recipe):
    from studio.engine.loader import load_pipeline, pick_device

    pipe = load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"), plan=MemoryPlan("resident", True, "test"))
    pipe.vae.enable_slicing()

    def always_out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    pipe.vae._decode = always_out_of_memory
    with pytest.raises(torch.OutOfMemoryError):
        generate(pipe, recipe, tiny_card)


def test_an_out_of_memory_job_fails_with_advice_and_the_worker_runs_the_next(tiny_ltx, tmp_path, monkeypatch):
    from diffusers import LTXVideoTransformer3DModel

    from studio.engine.worker import Worker

    real_forward = LTXVideoTransformer3DModel.forward
    calls = [0]

    def forward(self, *args, **kwargs):
        calls[0] += 1
        if calls[0] == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB (injected)")
        return real_forward(self, *args, **kwargs)

    monkeypatch.setattr(LTXVideoTransformer3DModel, "forward", forward)
    monkeypatch.setenv("STUDIO_DEVICE", "cpu")

    def run(job_id):
        recipe = dict(mode="text_to_video", model=str(tiny_ltx), prompt="rain", width=64, height=64, frames=9)
        recipe |= dict(steps=2, guidance=3.0)
        output = str(tmp_path / f"{job_id}.mkv")
        return {"type": "run", "job_id": job_id, "recipe": recipe, "output": output, "memory": "resident"}

    requests = io.StringIO("".join(json.dumps(r) + "\n" for r in (run("oom"), run("next"), {"type": "quit"})))
    out = io.StringIO()
    Worker(out, requests).serve()

    events = [json.loads(line) for line in out.getvalue().splitlines()]
    failed = [e for e in events if e["type"] == "failed"]
    assert [e["job_id"] for e in failed] == ["oom"]
    assert failed[0]["reason"] == (
        "out of GPU memory with the resident tier: try a lower memory tier (--memory model_offload, or "
        "STUDIO_MEMORY=model_offload), a smaller size than 64x64, fewer frames than 9 or closing other "
        "programs that use the GPU"
    )
    assert events[-1]["type"] == "done" and events[-1]["job_id"] == "next"
    assert (tmp_path / "next.mkv").is_file()
