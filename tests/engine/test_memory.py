"""Memory tiers: the choice from free memory, loading with each tier that runs on the CPU, a VAE decode
that runs out of memory retried tiled from the same latents, and out-of-memory jobs failing with advice."""

from __future__ import annotations

import io
import json
import tomllib
from pathlib import Path

import numpy as np
import pytest
import torch

from studio.core.recipe import Mode, Recipe
from studio.engine.cards import load_cards
from studio.engine.families.ltx.adapter import generate
from studio.engine.footprint import CONTEXT_GB, Footprint, footprint
from studio.engine.memory import (
    MemoryPlan,
    MemoryTierError,
    advice,
    check_tier,
    choose_plan,
    lower_tier,
    plan_for_footprint,
    requested_tier,
)
from studio.engine.runtime import loader


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
    from studio.engine.runtime.loader import load_pipeline, pick_device

    pipe = load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"), plan=plan)
    assert pipe.vae.use_tiling is plan.vae_tiling
    frames = generate(pipe, recipe, tiny_card)
    assert frames.shape == (9, 64, 64, 3)


def test_a_decode_out_of_memory_is_retried_tiled_from_the_same_latents(tiny_ltx, tiny_card, recipe):
    from studio.engine.runtime.loader import load_pipeline, pick_device

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
    from studio.engine.runtime.loader import load_pipeline, pick_device

    pipe = load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"), plan=MemoryPlan("resident", True, "test"))
    pipe.vae.enable_slicing()

    def always_out_of_memory(*args, **kwargs):
        raise torch.OutOfMemoryError("CUDA out of memory (injected)")

    pipe.vae._decode = always_out_of_memory
    with pytest.raises(torch.OutOfMemoryError):
        generate(pipe, recipe, tiny_card)


def test_an_out_of_memory_job_fails_with_advice_and_the_worker_runs_the_next(tiny_ltx, tmp_path, monkeypatch):
    from diffusers import LTXVideoTransformer3DModel

    from studio.engine.runtime.worker import Worker

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


# -- the tier from each component's size ------------------------------------------------------------

GPU_SIZES = (8.0, 12.0, 16.0, 24.0, 32.0, 48.0, 80.0)
# Every model card (the upsampler is loaded beside the model that names it, on that model's plan).
_CARDS = sorted((c for c in load_cards().values() if c.kind != "upsampler"), key=lambda c: c.id)


@pytest.mark.parametrize("gpu_gb", GPU_SIZES)
@pytest.mark.parametrize("card", _CARDS, ids=[c.id for c in _CARDS])
def test_no_component_is_put_on_a_gpu_it_cannot_fit(card, gpu_gb, monkeypatch):
    """The planner the loader uses, for every card on GPUs from 8 to 80 GB: under model offload the
    biggest component (the transformer with its activations) is on the GPU at once, and resident puts
    all of them there; neither may be chosen when that does not fit. The sizes are the card's recorded
    ones, read from its file, so the check does not take the planner's word for them."""
    sizes = tomllib.loads(Path(card.source).read_text())["components"]
    sizes = {k.removesuffix("_gb"): v for k, v in sizes.items()}
    monkeypatch.setattr(loader, "free_memory_gb", lambda _device: gpu_gb)
    monkeypatch.delenv("STUDIO_MEMORY", raising=False)
    plan = loader.plan_memory(card, loader.Device(torch.device("cuda"), torch.bfloat16))
    if plan.tier == "resident":
        assert sum(sizes.values()) + CONTEXT_GB <= gpu_gb, plan.reason
    if plan.tier == "model_offload":
        name, biggest = max(sizes.items(), key=lambda item: item[1])
        assert biggest + CONTEXT_GB <= gpu_gb, f"the {name} ({biggest} GB) cannot fit in {gpu_gb} GB: {plan.reason}"


@pytest.mark.parametrize(
    ("card_id", "gpu_gb", "component"),
    [
        ("ltx-video-0.9.7-dev", 24.0, "transformer"),  # ~24.3 GB in bf16: an RTX 3090/4090
        ("wan-2.1-vace-14b", 32.0, "transformer"),  # ~32.3 GB
        ("ltx-2", 40.0, "transformer"),  # ~35.2 GB before the activations
        ("wan-2.1-t2v-1.3b", 10.0, "text_encoder"),  # UMT5-XXL ~10.6 GB
        ("ltx-video-0.9.5", 10.0, "text_encoder"),  # T5-XXL ~8.9 GB with the context and slack
        ("cogvideox-2b", 10.0, "text_encoder"),
    ],
)
def test_the_real_models_that_ran_out_of_memory_get_group_offload_and_say_why(card_id, gpu_gb, component):
    card = load_cards()[card_id]
    plan = choose_plan("cuda", gpu_gb, card.memory_gb, footprint=footprint(card))
    assert plan.tier == "group_offload"
    assert plan.reason.startswith(f"model offload: the {component} (")
    assert f"does not fit in {gpu_gb:.1f} GB, so group offload" in plan.reason


def test_the_plan_from_components_names_the_component_and_says_when_nothing_fits():
    fp = Footprint({"transformer": 24.0, "text_encoder": 9.0, "vae": 0.5}, activations_gb=1.0)
    assert plan_for_footprint(80.0, fp).tier == "resident"
    assert plan_for_footprint(40.0, fp) == MemoryPlan("resident", True, plan_for_footprint(40.0, fp).reason)
    offload = plan_for_footprint(32.0, fp)
    assert offload.tier == "model_offload"
    assert "the largest, the transformer (24.0 GB + 1.0 GB activations" in offload.reason
    group = plan_for_footprint(24.0, fp)
    assert (group.tier, group.fits) == ("group_offload", True)
    assert group.reason.startswith("model offload: the transformer (24.0 GB + 1.0 GB activations, ~28.5 GB on the GPU)")
    # A text encoder bigger than the transformer decides it the same way.
    encoder = plan_for_footprint(10.0, Footprint({"transformer": 2.6, "text_encoder": 10.6}, 0.5))
    assert encoder.reason.startswith("model offload: the text_encoder (10.6 GB")
    # Activations too big for the GPU: group offload cannot help, and the plan says what to do.
    huge = plan_for_footprint(8.0, Footprint({"transformer": 30.0}, activations_gb=12.0))
    assert (huge.tier, huge.fits) == ("group_offload", False)
    assert "try a smaller size or fewer frames" in huge.reason
    # Without a footprint, the card's single figure still decides, as before.
    assert choose_plan("cuda", 16.0, 24.0, footprint=None).tier == "model_offload"
