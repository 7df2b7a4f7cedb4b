"""The real models' architectures (component_configs.toml, beside this file): each component's class and
the fields of its published config, read by the GPU benchmark and by benchmarks/component_sizes.py."""

from __future__ import annotations

import importlib
import tomllib
import warnings
from functools import cache
from importlib import resources

import torch


@cache
def configs() -> dict:
    """The whole TOML file, read once (package data: an installed studio has it too)."""
    text = resources.files(__package__).joinpath("component_configs.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def class_named(dotted: str) -> type:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def resolve(arch: str, name: str, data: dict | None = None) -> dict:
    """One component's entry, following `same_as` (another architecture's) and `use` (a shared encoder)."""
    data = data or configs()
    spec = data["architectures"][arch][name]
    if "same_as" in spec:
        other, _, part = spec["same_as"].partition(".")
        return resolve(other, part, data)
    if "use" in spec:
        return data["encoders"][spec["use"]]
    return spec


def build_component(spec: dict, device: str | torch.device, dtype: torch.dtype | None = None) -> torch.nn.Module:
    """The component built on a device with its class's own initialisation (random weights), in the
    entry's dtype unless one is given. On the meta device nothing is allocated or computed."""
    cls = class_named(spec["class"])
    config = dict(spec.get("config", {}))
    dtype = dtype or getattr(torch, spec.get("dtype", "bfloat16"))
    previous = torch.get_default_dtype()
    # Built in its dtype from the start: a 19B transformer made in float32 first would need twice the memory.
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if "config_class" in spec:
                model = cls(class_named(spec["config_class"])(**config))
            else:
                model = cls(**{k: v for k, v in config.items() if v != []})
    finally:
        torch.set_default_dtype(previous)
    keep = getattr(model, "_keep_in_fp32_modules", None) or ()
    if dtype != torch.float32 and keep:
        # What from_pretrained does for these classes (Wan keeps its norms and time embedding in float32).
        for name, param in model.named_parameters():
            if any(part in name.split(".") for part in keep):
                param.data = param.data.float()
    return model.eval().requires_grad_(False)
