"""The fast paths of a loaded pipeline: what the card's [speed] table asks for (fast_paths.py) and the
device allows, turned on by loader.prepare_pipeline. $STUDIO_FAST=0 turns every one off, for a stock run.

    quantize   torchao weights (int8 weight-only; fp8 on Ada/Hopper) for the offload tiers only, before the
               components are placed: the lower tiers are the ones short of memory
    attention  the diffusers attention backend for the device ($STUDIO_ATTENTION overrides)
    cache      diffusers' First Block Cache on the transformer; per job, only in the card's cache_modes
    compile    torch.compile of the transformer's repeated blocks (diffusers' compile_repeated_blocks),
               once per loaded model; a new shot size recompiles once, later shots of it reuse the code.
               CUDA only unless $STUDIO_COMPILE=1: on the CPU the first shot's compile costs more than
               the steady state gains (benchmarks/results.md)

VAE tiling and slicing stay with the memory plan (memory.py): only the tiers short of memory tile.
"""

from __future__ import annotations

import logging
import os

import torch

from ...core.recipe import Mode
from ..card import Card
from ..fast_paths import ATTENTION_ENV, COMPILE_ENV, SpeedError, cache_runs_in, cache_threshold, fast_paths_enabled
from ..memory import MemoryPlan

log = logging.getLogger("studio.engine.runtime.speed")

# Backends whose code comes from the Hugging Face Hub at run time (the `kernels` package): the studio runs
# no code fetched from the network.
_HUB_SUFFIX = "_hub"
FP8_CAPABILITY = (8, 9)  # Ada and Hopper have fp8 tensor cores
CUDNN_ATTENTION_CAPABILITY = (9, 0)  # Hopper and later: cuDNN's fused attention, which takes masks (LTX's)


def transformers_of(pipe) -> list[torch.nn.Module]:
    """The denoisers of a pipeline: its transformer, and Wan 2.2's second one."""
    return [m for m in (getattr(pipe, "transformer", None), getattr(pipe, "transformer_2", None)) if m is not None]


def quantize_weights(pipe, card: Card, device, plan: MemoryPlan) -> list[str]:
    """The card's weight quantization on the offload tiers (before apply_plan places the weights); the
    names of what was quantized. A device or an install that cannot do it is said in the log and the
    weights stay as loaded: the tier runs either way, only with more memory."""
    kind = card.speed.get("quantize", "off")
    if kind == "off" or plan.tier == "resident" or not fast_paths_enabled():
        return []
    try:
        for transformer in transformers_of(pipe):
            quantize_transformer(transformer, kind, device.torch_device)
    except SpeedError as exc:
        log.warning("weights not quantized: %s", exc)
        return []
    return [f"quantize {kind}"]


def quantize_transformer(transformer: torch.nn.Module, kind: str, torch_device: torch.device) -> None:
    """A transformer's linear weights quantized in place with torchao: "int8" (weight-only) or "fp8"."""
    if kind == "fp8" and not (
        torch_device.type == "cuda" and torch.cuda.get_device_capability(torch_device) >= FP8_CAPABILITY
    ):
        raise SpeedError(
            f"fp8 weights need an NVIDIA GPU of compute capability {FP8_CAPABILITY[0]}.{FP8_CAPABILITY[1]} or "
            f'later (Ada, Hopper), not {_device_words(torch_device)}: choose quantize = "int8"'
        )
    try:
        from torchao.quantization import Float8WeightOnlyConfig, Int8WeightOnlyConfig, quantize_
    except ImportError:
        raise SpeedError(
            f"{kind} weights need torchao: install the studio's speed extra (pip install 'studio[speed]')"
        ) from None
    quantize_(transformer, Int8WeightOnlyConfig() if kind == "int8" else Float8WeightOnlyConfig())


def _device_words(torch_device: torch.device) -> str:
    if torch_device.type != "cuda":
        return f"the {torch_device.type.upper()}"
    major, minor = torch.cuda.get_device_capability(torch_device)
    return f"{torch.cuda.get_device_name(torch_device)} ({major}.{minor})"


def apply_fast_paths(pipe, card: Card, device) -> list[str]:
    """Turn on the attention backend, the step cache and the compile the card asks for and the device
    allows (the weights already placed); the names of those turned on, for the log."""
    if not fast_paths_enabled():
        return []
    turned_on = []
    for transformer in transformers_of(pipe):
        backend = attention_backend(device, _dtype_of(transformer))
        if backend != "native":  # native is diffusers' own default: nothing to set
            transformer.set_attention_backend(backend)
            turned_on.append(f"attention {backend}")
        if card.speed.get("cache", "off") != "off":
            enable_cache(transformer, card)
            turned_on.append(f"cache first_block {cache_threshold(card.speed):g}")
        if card.speed.get("compile", "off") == "regional" and compile_allowed(device.torch_device):
            # A cache's decision (a tensor's value read on the host) breaks the graph: whole graphs only without one.
            compile_blocks(transformer, fullgraph=card.speed.get("cache", "off") == "off")
            turned_on.append("compile regional")
    return list(dict.fromkeys(turned_on))  # Wan 2.2's two transformers say each path once


def _dtype_of(module: torch.nn.Module) -> torch.dtype:
    return next(module.parameters()).dtype


def attention_backend(device, dtype: torch.dtype) -> str:
    """The attention backend for a device: $STUDIO_ATTENTION if set (checked: a SpeedError says why it
    cannot run here), else cuDNN's fused attention on Hopper and later in half precision, where it
    passes a masked probe, else diffusers' native (PyTorch's scaled_dot_product_attention, which picks
    its own flash or memory-efficient kernel for the inputs)."""
    from diffusers.models.attention_dispatch import AttentionBackendName

    asked = os.environ.get(ATTENTION_ENV, "").strip().lower()
    if asked and asked != "auto":
        known = sorted(b.value for b in AttentionBackendName if not b.value.endswith(_HUB_SUFFIX))
        if asked.endswith(_HUB_SUFFIX):
            raise SpeedError(
                f"{ATTENTION_ENV}={asked} would download its kernel from the Hugging Face Hub, which the studio "
                f"does not do: install the package and choose one of {', '.join(known)}"
            )
        if asked not in known:
            raise SpeedError(f"{ATTENTION_ENV}={asked} is not an attention backend: choose one of {', '.join(known)}")
        problem = _probe(asked, device.torch_device, dtype, masked=False)
        if problem:
            raise SpeedError(f"{ATTENTION_ENV}={asked} cannot run on {_device_words(device.torch_device)}: {problem}")
        return asked
    torch_device = device.torch_device
    if (
        torch_device.type == "cuda"
        and dtype in (torch.float16, torch.bfloat16)
        and torch.cuda.get_device_capability(torch_device) >= CUDNN_ATTENTION_CAPABILITY
        and not _probe("_native_cudnn", torch_device, dtype, masked=True)
    ):
        return "_native_cudnn"
    return "native"


def _probe(backend: str, torch_device: torch.device, dtype: torch.dtype, masked: bool) -> str | None:
    """None where a backend runs a small attention on the device (with a padding mask, as LTX's text
    attention has, where masked); else why not, in a few words."""
    from diffusers.models.attention_dispatch import (
        AttentionBackendName,
        _check_attention_backend_requirements,
        dispatch_attention_fn,
    )

    name = AttentionBackendName(backend)
    try:
        _check_attention_backend_requirements(name)
        query = torch.randn(1, 16, 2, 64, device=torch_device, dtype=dtype)  # (batch, tokens, heads, head size)
        mask = torch.ones(1, 1, 16, 16, device=torch_device, dtype=torch.bool) if masked else None
        dispatch_attention_fn(query, query, query, attn_mask=mask, backend=name)
    except (RuntimeError, ValueError, TypeError) as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def enable_cache(transformer: torch.nn.Module, card: Card) -> None:
    """The card's First Block Cache on a transformer whose blocks diffusers knows (its hooks' registry)."""
    from diffusers.hooks import FirstBlockCacheConfig

    if getattr(transformer, "is_cache_enabled", False):
        return
    try:
        transformer.enable_cache(FirstBlockCacheConfig(threshold=cache_threshold(card.speed)))
    except IndexError:  # diffusers' cache hooks a head and a tail block: one block is not enough
        raise SpeedError(
            f'the card {card.id} asks for cache = "first_block", which needs a transformer of two blocks or more: '
            "remove it from the card's [speed]"
        ) from None
    except ValueError as exc:  # diffusers' registry does not know the transformer's block class
        raise SpeedError(
            f'the card {card.id} asks for cache = "first_block", which diffusers cannot put on '
            f"{type(transformer).__name__} ({exc}): remove it from the card's [speed]"
        ) from None


def cache_for_mode(pipe, card: Card, mode: Mode | str) -> bool:
    """Turn the card's step cache on or off for a job's mode (off in the modes it hurts: the card's
    cache_modes say where it runs); whether it runs."""
    runs = cache_runs_in(card.speed, mode)
    for transformer in transformers_of(pipe):
        if runs:
            enable_cache(transformer, card)
        elif getattr(transformer, "is_cache_enabled", False):
            transformer.disable_cache()
    return runs


def compile_allowed(torch_device: torch.device) -> bool:
    """Whether regional compilation runs on a device: CUDA, or the CPU when $STUDIO_COMPILE=1 asks."""
    return torch_device.type == "cuda" or os.environ.get(COMPILE_ENV, "").strip() == "1"


def compile_blocks(transformer: torch.nn.Module, fullgraph: bool = True) -> None:
    """torch.compile each of the transformer's repeated blocks (regional compilation: one block's code
    serves all of them), once: shapes are static, so a new size compiles once and is kept."""
    if getattr(transformer, "_studio_compiled", False):
        return
    if not getattr(transformer, "_repeated_blocks", None):
        raise SpeedError(f'{type(transformer).__name__} names no repeated blocks to compile: set compile = "off"')
    transformer.compile_repeated_blocks(fullgraph=fullgraph, dynamic=False)
    transformer._studio_compiled = True
