"""A whole shot per family (text encode, every denoising step, VAE decode) two ways on the same pipeline:
the stock diffusers call, then the studio's path; and the studio's path under each memory tier.

Stock: the pipeline placed with .to(device), called with the card's arguments, eager, no hooks.
The studio's path: loader.prepare_pipeline (progress bar off, the memory plan the studio would choose
for this card on this device, the fast paths), the same call, the same seed.

Full size: the family's pipeline with every weighted component built from its published config
(component_configs.toml) with random weights, straight on the GPU in the card's dtypes; the scheduler,
tokenizers and guider come from the family's tiny test model (studio/testing/tiny), whose tokenizers
give ids the full-size text encoders accept. The frames are noise, and that costs the same time.
--tiny: the tiny test model itself, on the CPU.
"""

from __future__ import annotations

import gc
import inspect
import time
from dataclasses import dataclass

import torch

from ...core.recipe import Mode, Recipe
from ...engine.card import Card
from ...engine.cards import load_cards
from ...engine.memory import TIERS, MemoryPlan, choose_plan
from ...engine.runtime.base import shared_arguments
from ...engine.runtime.loader import Device, component_dtypes, plan_memory, prepare_pipeline
from ..tiny import TINY
from .configs import build_component, configs, resolve

PROMPT = "a red fox runs through the snow at dawn, the camera tracking beside it"


@dataclass(frozen=True)
class Shot:
    family: str
    card: str  # the card whose defaults and call arguments the shot uses
    architecture: str  # its entry in component_configs.toml
    tiny: str  # its tiny test model (studio.testing.tiny.TINY)
    spatial: int  # the VAE's compression and the transformer's patch: how many tokens a shot is
    temporal: int
    patch: int
    text_tokens: int  # the text's tokens in the transformer (an estimate where the prompt decides)

    def tokens(self, card: Card) -> int:
        """Video tokens at the card's default size and length."""
        side = self.spatial * self.patch
        frames = (card.default_frames - 1) // self.temporal + 1
        return frames * (card.default_height // side) * (card.default_width // side)


SHOTS = [
    Shot("ltx", "ltx-video-0.9.5", "ltx-0_9_5", "ltx", 32, 8, 1, 128),
    Shot("wan", "wan-2.1-t2v-1.3b", "wan-2_1-1_3b", "wan-t2v", 8, 4, 2, 512),
    Shot("cogvideox", "cogvideox-2b", "cogvideox-2b", "cogvideox", 8, 4, 2, 226),
    # Qwen2.5-VL's prompt (up to 1000 tokens) and the ByT5 glyph tokens (256)
    Shot("hunyuan15", "hunyuanvideo-1.5-480p-t2v", "hunyuanvideo-1_5-t2v", "hunyuan15", 16, 4, 1, 1256),
    Shot("ltx2", "ltx-2", "ltx-2", "ltx2", 32, 8, 1, 1024),
]
TIER_SHOT = SHOTS[0]  # the memory tiers are measured on LTX-Video 2B


def device_for(tiny: bool) -> Device:
    if tiny:
        return Device(torch.device("cpu"), torch.float32)
    return Device(torch.device("cuda"), torch.bfloat16)


def card_for(shot: Shot) -> Card:
    return load_cards()[shot.card]


def transformer_parameters(shot: Shot) -> int:
    """The full-size transformer's parameter count (built on the meta device), for the time estimate."""
    model = build_component(resolve(shot.architecture, "transformer"), "meta")
    return sum(p.numel() for p in model.parameters())


def build_pipeline(shot: Shot, tiny: bool, device: Device):
    """The shot's pipeline and card: the tiny model as it is, or with its weighted components replaced by
    full-size ones built on the device from the real configs."""
    pipe, tiny_card = TINY[shot.tiny](0)
    if tiny:
        return pipe, tiny_card
    card = card_for(shot)
    dtypes = component_dtypes(card, device)
    full = {}
    for name in configs()["architectures"][shot.architecture]:
        dtype = dtypes.get(name, dtypes["default"]) if isinstance(dtypes, dict) else dtypes
        full[name] = build_component(resolve(shot.architecture, name), device.torch_device, dtype)
    accepted = inspect.signature(type(pipe).__init__).parameters
    unknown = sorted(set(full) - set(accepted))
    if unknown:
        raise ValueError(f"{type(pipe).__name__} has no component {', '.join(unknown)} (component_configs.toml)")
    pipe = type(pipe)(**{**pipe.components, **full})
    return pipe, card


def shot_recipe(card: Card, steps: int) -> Recipe:
    return Recipe(
        mode=Mode.TEXT_TO_VIDEO,
        model=card.id,
        prompt=PROMPT,
        seed=0,
        steps=steps,
        guidance=card.default_guidance,
        width=card.default_width,
        height=card.default_height,
        frames=card.default_frames,
        fps=card.default_fps,
    )


def call_arguments(pipe, card: Card, steps: int) -> dict:
    """The card's call for a text-to-video shot, as every family's adapter builds it (shared_arguments),
    less what this pipeline does not take; a pipeline with a guider gets the guidance there."""
    recipe = shot_recipe(card, steps)
    arguments = shared_arguments(recipe, card)
    accepted = inspect.signature(pipe.__call__).parameters
    if "guidance_scale" not in accepted and getattr(pipe, "guider", None) is not None:
        pipe.guider = pipe.guider.new(guidance_scale=card.default_guidance)
    return {k: v for k, v in arguments.items() if k in accepted}


def _synchronize(device: Device) -> None:
    if device.name == "cuda":
        torch.cuda.synchronize()


WARM_UP_STEPS = 2


def timed_call(pipe, card: Card, steps: int, device: Device) -> dict:
    """One whole shot after a short warm-up call (kernels chosen, a compile done): seconds and peak GPU
    memory (GB; None on the CPU)."""
    with torch.inference_mode():
        pipe(**call_arguments(pipe, card, WARM_UP_STEPS))
    arguments = call_arguments(pipe, card, steps)
    if device.name == "cuda":
        torch.cuda.reset_peak_memory_stats()
    _synchronize(device)
    start = time.perf_counter()
    with torch.inference_mode():
        pipe(**arguments)
    _synchronize(device)
    seconds = time.perf_counter() - start
    peak = torch.cuda.max_memory_allocated() / 2**30 if device.name == "cuda" else None
    return {"seconds": seconds, "peak_gb": peak}


def release() -> None:
    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def stock_and_studio(shot: Shot, tiny: bool, steps: int | None) -> dict:
    """The shot by the stock call, then by the studio's path on the same pipeline object."""
    device = device_for(tiny)
    pipe, card = build_pipeline(shot, tiny, device)
    # The studio's plan as it would choose it for this card here: planned before anything is on the GPU.
    plan = plan_memory(card, device)
    steps = steps or card.default_steps
    pipe.set_progress_bar_config(disable=True)
    pipe.to(device.torch_device)
    stock = timed_call(pipe, card, steps, device)
    paths = prepare_pipeline(pipe, card, device, plan)
    studio = timed_call(pipe, card, steps, device)
    del pipe
    release()
    return {
        "family": shot.family,
        "card": card.id,
        "size": f"{card.default_width}×{card.default_height}×{card.default_frames}",
        "steps": steps,
        "stock": stock,
        "studio": studio,
        "plan": str(plan),
        "paths": paths,
    }


def tier_plan(tier: str, device: Device) -> MemoryPlan:
    """The plan a user asking for a tier gets (memory.choose_plan): on the CPU, resident whatever asked."""
    return choose_plan(device.name, None, 0.0, tier=tier)


def tier_run(shot: Shot, tier: str, tiny: bool, steps: int | None) -> dict:
    """The studio's path under one memory tier, on a fresh pipeline (offload hooks stay on a pipeline).
    Offloading needs the weights on the CPU first, as the loader leaves them."""
    device = device_for(tiny)
    pipe, card = build_pipeline(shot, tiny, device)
    pipe.to("cpu")
    release()
    plan = tier_plan(tier, device)
    steps = steps or card.default_steps
    paths = prepare_pipeline(pipe, card, device, plan)
    result = timed_call(pipe, card, steps, device)
    del pipe
    release()
    note = "" if plan.tier == tier else f"ran {plan.tier}: {plan.reason}"
    return {"tier": tier, "card": card.id, "steps": steps, **result, "plan": str(plan), "paths": paths, "note": note}


__all__ = ["SHOTS", "TIERS", "TIER_SHOT", "Shot", "stock_and_studio", "tier_run"]
