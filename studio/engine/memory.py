"""Memory tiers: how much of a model stays on the GPU, chosen from its free memory and the card's need.

    resident        every component on the device: fastest
    model_offload   one whole component (text encoder, transformer, VAE) on the GPU at a time
    group_offload   groups of a component's blocks on the GPU at a time: least memory, slowest

VAE tiling (decoding big frames in tiles) goes with the offload tiers, and with "resident" when the
weights fit but little is left for the decode. Whatever the tier, a decode that runs out of memory is
retried tiled from the same latents (runtime/placement.py's guard_decode), so the denoise never runs twice.

Given a model's footprint (footprint.py: each component's weights, read from the folder's safetensors
headers or the card, and the activations at a size), the choice is made per component: model offload
still puts the biggest component, with the activations if it is the transformer, on the GPU at once,
so when that does not fit the plan is group offload, and the reason names the component that decided.
Without one it falls back to the card's single memory_gb.

This module only chooses, and imports no torch (the model manager asks it how a model fits a GPU);
runtime/placement.py puts a pipeline where the plan says and guards its decode.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..core.errors import StudioError
from .footprint import CONTEXT_GB, DIT_BLOCKS, Footprint
from .footprint import footprint as card_footprint

TIERS = ("resident", "model_offload", "group_offload")  # most memory (fastest) first
MEMORY_ENV = "STUDIO_MEMORY"

# Margins over card.memory_gb (a rough figure, weights included): the CUDA context, the allocator's
# fragmentation and the decode's peak need room the card does not count.
RESIDENT_MARGIN = 1.25  # all resident, untiled decode
TILED_MARGIN = 1.0  # all resident, tiled decode
OFFLOAD_SHARE = 0.5  # without per-component sizes: model offload's need, a guess at the biggest's share
# With per-component sizes: what is on the GPU at once, times this for the allocator's fragmentation
# and a step's temporaries (a 24.3 GB transformer with 0.8 GB of activations needs ~28.6 GB with the context).
FRAGMENTATION = 1.1


class MemoryTierError(StudioError, ValueError):
    """A memory tier the studio does not know."""


@dataclass(frozen=True)
class MemoryPlan:
    tier: str
    vae_tiling: bool
    reason: str  # one line for the log and for `studio doctor`
    fits: bool = True  # False: even this tier is expected to run out of memory (the reason says what to do)

    def __str__(self) -> str:
        return self.tier + (" + VAE tiling" if self.vae_tiling and self.tier == "resident" else "")


def check_tier(tier: str) -> str:
    tier = tier.strip().lower().replace("-", "_")
    if tier not in TIERS:
        raise MemoryTierError(f"unknown memory tier '{tier}': choose one of {', '.join(TIERS)}")
    return tier


def requested_tier(tier: str | None = None) -> str | None:
    """The tier the user asked for: an explicit one, else $STUDIO_MEMORY, else None (choose)."""
    tier = tier or os.environ.get(MEMORY_ENV) or None
    return None if tier in (None, "auto") else check_tier(tier)


def choose_plan(
    device: str,
    free_gb: float | None,
    need_gb: float,
    tier: str | None = None,
    footprint: Footprint | None = None,
) -> MemoryPlan:
    """The tier for a model needing need_gb on a device with free_gb free (None: unknown); with its
    footprint, chosen per component (plan_for_footprint) instead.

    Offloading moves weights between the CPU and an accelerator's own memory, so on the CPU it does
    not apply; on Apple's MPS the memory is shared with the CPU, and offloading saves nothing either.
    """
    if device != "cuda":
        if tier not in (None, "resident"):
            return MemoryPlan("resident", device == "mps", f"{tier} does not apply on {device}: memory is shared")
        if device == "mps":
            return MemoryPlan("resident", True, "mps shares memory with the CPU: all resident, VAE tiled")
        return MemoryPlan("resident", False, "on the CPU everything stays in memory")
    if tier is not None:
        return MemoryPlan(tier, tier != "resident", f"{tier}, as asked")
    if free_gb is None:
        return MemoryPlan("model_offload", True, "free GPU memory unknown: model offload to be safe")
    if footprint is not None and footprint.components:
        return plan_for_footprint(free_gb, footprint)
    have = f"{free_gb:.1f} GB free for a model needing ~{need_gb:g} GB"
    if free_gb >= need_gb * RESIDENT_MARGIN:
        return MemoryPlan("resident", False, f"{have}: all resident")
    if free_gb >= need_gb * TILED_MARGIN:
        return MemoryPlan("resident", True, f"{have}: all resident, VAE tiled")
    if free_gb >= need_gb * OFFLOAD_SHARE:
        return MemoryPlan("model_offload", True, f"{have}: model offload")
    return MemoryPlan("group_offload", True, f"{have}: group offload")


def _gb(value: float) -> str:
    return f"{value:.1f} GB"


def plan_for_footprint(free_gb: float, footprint: Footprint) -> MemoryPlan:
    """The tier for a model's components on a CUDA device with free_gb free.

    resident: every component, the activations and the CUDA context fit (untiled decode with room for
    it, RESIDENT_MARGIN on the weights). model offload: the component that needs most by itself fits
    with the context. group offload: otherwise; it keeps only a few blocks' weights on the GPU, but the
    activations at the asked size still have to fit, and when they do not the plan says so.
    """
    weights, act = footprint.total_gb, footprint.activations_gb
    have = f"{_gb(free_gb)} free"
    resident = (weights + act) * FRAGMENTATION + CONTEXT_GB
    if free_gb >= weights * RESIDENT_MARGIN + act * FRAGMENTATION + CONTEXT_GB:
        return MemoryPlan("resident", False, f"{have}; all resident needs ~{_gb(resident)}: all resident")
    if free_gb >= resident:
        return MemoryPlan("resident", True, f"{have}; all resident needs ~{_gb(resident)}: all resident, VAE tiled")
    name, size = footprint.largest()
    with_act = f" + {_gb(act)} activations" if name == "transformer" and act else ""
    offload_need = footprint.need_gb(name) * FRAGMENTATION + CONTEXT_GB
    if free_gb >= offload_need:
        return MemoryPlan(
            "model_offload",
            True,
            f"{have}; all resident needs ~{_gb(resident)}; model offload: the largest, the {name} "
            f"({_gb(size)}{with_act}, ~{_gb(offload_need)} on the GPU), fits",
        )
    decided = (
        f"model offload: the {name} ({_gb(size)}{with_act}, ~{_gb(offload_need)} on the GPU) does not fit in "
        f"{_gb(free_gb)}, so group offload"
    )
    # Leaf-level group offload holds a layer or two of a block at a time, plus the next one on the stream.
    group_need = (act + 2 * size / DIT_BLOCKS) * FRAGMENTATION + CONTEXT_GB
    if free_gb >= group_need:
        return MemoryPlan("group_offload", True, decided)
    return MemoryPlan(
        "group_offload",
        True,
        f"{decided}; even that needs ~{_gb(group_need)} (the activations at this size): "
        "try a smaller size or fewer frames",
        fits=False,
    )


def plan_on_gpu(card, folder, gpu_gb: float, width=None, height=None, frames=None) -> MemoryPlan | None:
    """The tier a card's model gets on a GPU of gpu_gb at a size (the card's default if not given), from
    the folder's component sizes when its weights are there, else the card's; None when neither says
    them. Raises FootprintError for a folder or card whose sizes cannot be read."""
    fp = card_footprint(card, folder, width, height, frames)
    return None if fp is None else plan_for_footprint(gpu_gb, fp)


def lower_tier(tier: str) -> str | None:
    """The next tier that needs less memory; None below the last."""
    index = TIERS.index(tier)
    return TIERS[index + 1] if index + 1 < len(TIERS) else None


def advice(tier: str | None, frames: int | None = None, width: int | None = None, height: int | None = None) -> str:
    """What to try after running out of GPU memory with a tier."""
    tips = []
    lower = lower_tier(tier) if tier in TIERS else None
    if lower:
        tips.append(f"a lower memory tier (--memory {lower}, or {MEMORY_ENV}={lower})")
    if width and height:
        tips.append(f"a smaller size than {width}x{height}")
    tips.append(f"fewer frames than {frames}" if frames else "fewer frames")
    tips.append("closing other programs that use the GPU")
    used = f" with the {tier} tier" if tier else ""
    return f"out of GPU memory{used}: try " + ", ".join(tips[:-1]) + " or " + tips[-1]
