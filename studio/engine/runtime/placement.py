"""Where a pipeline's components go on the device, as a memory plan (engine/memory.py) says, and the
guard that retries an out-of-memory VAE decode in tiles from the same latents: the worker side of the
memory tiers, where torch is."""

from __future__ import annotations

import sys

from ..memory import MemoryPlan


def free_memory_gb(torch_device) -> float | None:
    """Free memory on a CUDA device now; None elsewhere."""
    import torch

    if torch_device.type != "cuda":
        return None
    free, _total = torch.cuda.mem_get_info(torch_device)
    return free / 2**30


def apply_plan(pipe, plan: MemoryPlan, torch_device) -> None:
    """Put the pipeline's components where the plan says (the pipeline is on the CPU, as loaded)."""
    import torch

    if plan.tier == "model_offload":
        pipe.enable_model_cpu_offload(device=torch_device)
    elif plan.tier == "group_offload":
        # Leaf level works for every component, whatever its block structure (block level needs
        # each model's block lists); on CUDA a side stream loads the next group while one runs.
        pipe.enable_group_offload(
            onload_device=torch_device,
            offload_device=torch.device("cpu"),
            offload_type="leaf_level",
            use_stream=torch_device.type == "cuda",
        )
    else:
        pipe.to(torch_device)
    vae = getattr(pipe, "vae", None)
    if vae is not None:
        if plan.vae_tiling and hasattr(vae, "enable_tiling"):
            vae.enable_tiling()
        guard_decode(vae)


def guard_decode(vae) -> None:
    """Make an out-of-memory VAE decode free memory, turn on tiling and slicing, and decode the same
    latents again: the denoised latents are the caller's, so nothing is generated twice.

    Wraps this one VAE's decode, so it works for every family's pipeline without touching its code.
    """
    if getattr(vae, "_studio_guarded", False):
        return
    import torch

    original = vae.decode

    def decode(z, *args, **kwargs):
        try:
            return original(z, *args, **kwargs)
        except torch.OutOfMemoryError:
            retry = not (getattr(vae, "use_tiling", True) and getattr(vae, "use_slicing", True))
            if not retry:
                raise  # already tiled and sliced: nothing smaller to try
        # Out of the except block, so the traceback's references to the failed decode's tensors are gone.
        _release()
        print("studio: the VAE decode ran out of memory; decoding again in tiles", file=sys.stderr, flush=True)
        if hasattr(vae, "enable_tiling"):
            vae.enable_tiling()
        if hasattr(vae, "enable_slicing"):
            vae.enable_slicing()
        return original(z, *args, **kwargs)

    vae.decode = decode
    vae._studio_guarded = True


def _release() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()
