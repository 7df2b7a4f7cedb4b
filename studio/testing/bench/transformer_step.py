"""One denoising step of a family's full-size transformer, alone: built from its published config with
random weights, fed random inputs of the card's default size, timed, and its FLOPs counted (flops.py).

The kinds of input: "ltx" (LTX-Video), "wan" (Wan text to video), "wan-i2v" (Wan 2.1 image to video:
36 input channels and the CLIP image's tokens), "wan-vace" (Wan VACE: the control video's 96 channels),
"cogvideox" (CogVideoX: frames first, 226 text tokens). LTX-2 and HunyuanVideo 1.5 are timed inside
their whole shot instead (whole_shot.py): their inputs are the pipeline's own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import torch

from . import flops
from .configs import build_component, resolve


@dataclass(frozen=True)
class Architecture:
    name: str  # its entry in component_configs.toml
    kind: str  # how its inputs are built and its FLOPs counted (the module's docstring)
    width: int  # the card's default size and length
    height: int
    frames: int
    text_tokens: int  # the pipeline's max_sequence_length
    spatial: int  # the VAE's compression
    temporal: int
    patch: int  # the transformer's spatial patch: tokens are the latent's pixels in patch×patch squares


# Sizes from the cards (studio/models/*.toml), compressions from the VAEs' configs.
ARCHITECTURES = [
    Architecture("ltx-0_9_5", "ltx", 768, 512, 97, 128, 32, 8, 1),
    Architecture("ltx-0_9_7-13b", "ltx", 768, 512, 97, 128, 32, 8, 1),
    Architecture("wan-2_1-1_3b", "wan", 832, 480, 81, 512, 8, 4, 2),
    Architecture("wan-2_1-vace-1_3b", "wan-vace", 832, 480, 81, 512, 8, 4, 2),
    Architecture("wan-2_1-i2v-14b", "wan-i2v", 832, 480, 81, 512, 8, 4, 2),
    Architecture("cogvideox-2b", "cogvideox", 720, 480, 49, 226, 8, 4, 2),
    Architecture("cogvideox-5b", "cogvideox", 720, 480, 49, 226, 8, 4, 2),
]
# The tiny stand-ins for --tiny: the same classes, widths small enough for a CPU.
_WAN_TINY = {
    "patch_size": [1, 2, 2],
    "num_attention_heads": 4,
    "attention_head_dim": 16,
    "in_channels": 4,
    "out_channels": 4,
    "text_dim": 32,
    "freq_dim": 32,
    "ffn_dim": 96,
    "num_layers": 2,
}
TINY = {
    "ltx": {"in_channels": 8, "out_channels": 8, "num_attention_heads": 4, "attention_head_dim": 16,
            "cross_attention_dim": 64, "num_layers": 2, "caption_channels": 32},
    "wan": _WAN_TINY,
    "wan-i2v": {**_WAN_TINY, "in_channels": 12, "image_dim": 32, "added_kv_proj_dim": 64},
    "wan-vace": {**_WAN_TINY, "vace_layers": [0], "vace_in_channels": 8},
    "cogvideox": {"num_attention_heads": 4, "attention_head_dim": 16, "in_channels": 4, "out_channels": 4,
                  "time_embed_dim": 32, "text_embed_dim": 32, "num_layers": 2, "sample_width": 12,
                  "sample_height": 8, "sample_frames": 9, "max_text_seq_length": 8},
}  # fmt: skip
TINY_TEXT_TOKENS = 8
TINY_IMAGE_TOKENS = 5


def build(arch: Architecture, tiny: bool, device: str, dtype: torch.dtype) -> torch.nn.Module:
    spec = resolve(arch.name, "transformer")
    if tiny:
        spec = {"class": spec["class"], "config": TINY[arch.kind]}
    return build_component(spec, device, dtype)


def shapes(arch: Architecture, tiny: bool) -> tuple[int, int, int]:
    """The video's tokens, frames × height × width, at the card's default size (tiny: a few a side)."""
    if tiny:
        return 3, 4, 6
    side = arch.spatial * arch.patch
    return (arch.frames - 1) // arch.temporal + 1, arch.height // side, arch.width // side


def _tokens(arch: Architecture, tiny: bool) -> tuple[int, int]:
    """Text tokens, image tokens."""
    if tiny:
        return TINY_TEXT_TOKENS, TINY_IMAGE_TOKENS
    return arch.text_tokens, flops.WAN_IMAGE_TOKENS


def inputs(arch: Architecture, model: torch.nn.Module, tiny: bool, device: str, dtype: torch.dtype) -> dict:
    """Random inputs of one pass, batch 1, shaped as the family's pipeline makes them."""
    frames, height, width = shapes(arch, tiny)
    config = model.config
    text, image = _tokens(arch, tiny)

    def noise(*shape: int) -> torch.Tensor:
        return torch.randn(*shape, device=device, dtype=dtype)

    timestep = torch.tensor([500], device=device)
    if arch.kind == "ltx":
        return {
            "hidden_states": noise(1, frames * height * width, config.in_channels),
            "encoder_hidden_states": noise(1, text, config.caption_channels),
            "timestep": timestep,
            "encoder_attention_mask": torch.ones(1, text, device=device, dtype=dtype),
            "num_frames": frames,
            "height": height,
            "width": width,
            "return_dict": False,
        }
    if arch.kind == "cogvideox":
        p = config.patch_size
        return {
            "hidden_states": noise(1, frames, config.in_channels, height * p, width * p),
            "encoder_hidden_states": noise(1, text, config.text_embed_dim),
            "timestep": timestep,
            "return_dict": False,
        }
    ph, pw = config.patch_size[1], config.patch_size[2]
    kwargs = {
        "hidden_states": noise(1, config.in_channels, frames, height * ph, width * pw),
        "timestep": timestep,
        "encoder_hidden_states": noise(1, text, config.text_dim),
        "return_dict": False,
    }
    if arch.kind == "wan-i2v":
        kwargs["encoder_hidden_states_image"] = noise(1, image, config.image_dim)
    if arch.kind == "wan-vace":
        kwargs["control_hidden_states"] = noise(1, config.vace_in_channels, frames, height * ph, width * pw)
        kwargs["control_hidden_states_scale"] = torch.ones(len(config.vace_layers), device=device, dtype=dtype)
    return kwargs


def flop_count(arch: Architecture, model: torch.nn.Module, tiny: bool) -> float:
    """One pass, batch 1, by the formulas in flops.py."""
    frames, height, width = shapes(arch, tiny)
    config = model.config
    n, layers = frames * height * width, config.num_layers
    d = config.num_attention_heads * config.attention_head_dim
    text, image = _tokens(arch, tiny)
    if arch.kind == "ltx":
        return flops.ltx(n, text, d, layers)
    if arch.kind == "cogvideox":
        return flops.cogvideox(n, text, d, layers)
    return flops.wan(
        n,
        text,
        d,
        config.ffn_dim,
        layers,
        image_tokens=image if arch.kind == "wan-i2v" else 0,
        vace_layers=len(config.vace_layers) if arch.kind == "wan-vace" else 0,
    )


def counted_flops(model: torch.nn.Module, kwargs: dict) -> float:
    """torch's own count of the same pass (matmuls and attention), to check a formula against."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.inference_mode():
        model(**kwargs)
    return float(counter.get_total_flops())


def synchronize(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def pass_time(model: torch.nn.Module, kwargs: dict, device: str, repeats: int) -> float:
    """Median seconds of one pass, after a warm-up pass (and a compile, if compiled)."""
    times = []
    with torch.inference_mode():
        for i in range(repeats + 1):
            synchronize(device)
            start = time.perf_counter()
            model(**kwargs)
            synchronize(device)
            if i:
                times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]
