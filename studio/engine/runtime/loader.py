"""Load a pipeline from a diffusers folder on this machine: the user's downloaded models and the
tiny test models go through the same code.

Only safetensors, only local files, never remote code.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...core.recipe import Mode
from ..cards import Card, folder_card
from ..footprint import footprint
from ..memory import MemoryPlan, choose_plan, requested_tier
from ..weights import ModelFolderError, check_folder, read_model_index
from .placement import apply_plan, free_memory_gb
from .speed import apply_fast_paths, quantize_weights

log = logging.getLogger(__name__)

PREVIEW_COLOURS = "preview_colours.json"  # beside model_index.json: what colour each latent channel stands for


@dataclass(frozen=True)
class Device:
    torch_device: torch.device
    dtype: torch.dtype

    @property
    def name(self) -> str:
        return self.torch_device.type

    @property
    def memory_gb(self) -> float | None:
        """Total memory of a CUDA device; None where it cannot be known."""
        if self.name == "cuda":
            return torch.cuda.get_device_properties(self.torch_device).total_memory / 2**30
        return None


def pick_device(preferred: str | None = None) -> Device:
    """CUDA, then Apple's MPS, then the CPU; $STUDIO_DEVICE or `preferred` overrides.

    Half precision where the device is fast at it (bf16, as LTX is trained); fp32 on the CPU,
    where bf16 is slow and fp16 is not supported for every op.
    """
    name = (
        preferred
        or os.environ.get("STUDIO_DEVICE")
        or ("cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu")
    )
    device = torch.device(name)
    if device.type == "cuda":
        dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    elif device.type == "mps":
        dtype = torch.bfloat16
    else:
        dtype = torch.float32
    return Device(device, dtype)


def load_pipeline(
    folder: str | os.PathLike[str],
    card: Card | None = None,
    device: Device | None = None,
    mode: Mode | str | None = None,
    plan: MemoryPlan | None = None,
):
    """The card's pipeline class loaded from a folder and placed on the device as the memory plan says
    (memory.choose_plan's for this device if not given); with a mode, the pipeline that runs that mode
    (see pipeline_for_mode).

    An incomplete folder is a ModelFolderError naming what is missing, found before any weights load.
    """
    folder = Path(folder)
    check_folder(folder, card.own_parts if card else ())  # a card read from the folder itself has no parts of its own
    card = card or folder_card(folder)
    device = device or pick_device()
    import diffusers  # here, not at the top: `studio doctor` asks for the device without loading diffusers

    pipeline_class = getattr(diffusers, card.pipeline)  # a card can only name classes its family allows
    try:
        pipe = pipeline_class.from_pretrained(
            folder,
            use_safetensors=True,
            local_files_only=True,
            dtype=component_dtypes(card, device, read_model_index(folder)),
        )
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelFolderError(f"could not load the model in {folder}: {exc}") from exc
    prepare_pipeline(pipe, card, device, plan or plan_memory(card, device, folder=folder))
    if card.first_frame:
        pipe.studio_first_frame = load_first_frame(folder / card.first_frame["transformer"], pipe)
    colours = read_preview_colours(folder)
    if colours is not None and getattr(pipe, "vae", None) is not None:
        pipe.vae.studio_preview_colours = colours  # on the VAE: a mode's pipeline made from this one shares it
    return pipe if mode is None else pipeline_for_mode(pipe, card, mode)


def load_first_frame(folder: Path, pipe):
    """A [first_frame] card's transformer for text to video's first frame: the class of the pipeline's own,
    from safetensors, on the device and in the precision the pipeline's transformer runs in (a small model:
    it is placed whole, whatever the memory plan does with the rest)."""
    transformer_class = type(pipe.transformer)
    try:
        transformer = transformer_class.from_pretrained(
            folder, use_safetensors=True, local_files_only=True, torch_dtype=pipe.transformer.dtype
        )
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelFolderError(f"could not load the first frame's transformer in {folder}: {exc}") from exc
    return transformer.to(pipe._execution_device).eval()


def read_preview_colours(folder: Path):
    """The folder's preview colours (steps.latent_preview) as a float32 array (channels + 1, 3), or None where
    it has none. A file that is not what it should be is logged and left out: previews fall back to
    channels shown as colours, and the model still runs."""
    path = folder / PREVIEW_COLOURS
    if not path.is_file():
        return None
    try:
        if path.stat().st_size > 1 << 20:
            raise ValueError("over 1 MB")
        data = json.loads(path.read_text(encoding="utf-8"))
        rows = [*data["colours"], data["constant"]]
        if len(rows) < 2 or not all(_three_numbers(row) for row in rows):
            raise ValueError("colours must be rows of three numbers")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("%s left out (previews show latent channels instead): %s", path, exc)
        return None
    return np.array(rows, dtype=np.float32)


def _three_numbers(row) -> bool:
    return (
        isinstance(row, list)
        and len(row) == 3
        and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in row)
    )


def prepare_pipeline(pipe, card: Card, device: Device, plan: MemoryPlan) -> list[str]:
    """Make a freshly built pipeline (on the CPU, as from_pretrained leaves it) ready to run: no progress
    bar, its components placed as the memory plan says, and the fast paths the card and the device allow
    (runtime/speed.py). The names of the fast paths it turned on, for the log.

    What load_pipeline does after from_pretrained, so a pipeline built another way (random weights in a
    benchmark) runs the studio's path too.
    """
    pipe.set_progress_bar_config(disable=True)
    quantized = quantize_weights(pipe, card, device, plan)  # before placing: offloading moves what it holds
    apply_plan(pipe, plan, device.torch_device)
    turned_on = quantized + apply_fast_paths(pipe, card, device)
    pipe.studio_fast_paths = turned_on  # for the worker's log line of each take
    return turned_on


def component_dtypes(card: Card, device: Device, index: dict | None = None) -> torch.dtype | dict[str, torch.dtype]:
    """The precision each component loads in: the card's [dtypes] (a component by name, "default" for
    the rest; e.g. Wan's VAE and CLIP image encoder in float32, as diffusers' Wan docs load them), the
    device's dtype for what it does not name. On a float32 device (the CPU, where half precision is slow
    and not every op has it) everything is float32. A card naming a component the folder lacks is an
    error, not a setting silently ignored."""
    if device.dtype == torch.float32 or not card.dtypes:
        return device.dtype
    if index is not None:
        unknown = sorted(set(card.dtypes) - set(index) - {"default"})
        if unknown:
            raise ModelFolderError(
                f"the card {card.id} sets [dtypes] for {', '.join(unknown)}, which the model has no component "
                f"called (it has {', '.join(k for k, v in index.items() if isinstance(v, list))})"
            )
    dtypes = {name: getattr(torch, value) for name, value in card.dtypes.items()}
    return {"default": device.dtype, **dtypes}


def plan_memory(
    card: Card, device: Device, tier: str | None = None, folder: str | os.PathLike[str] | None = None
) -> MemoryPlan:
    """The memory tier for a card on a device: `tier` or $STUDIO_MEMORY if set, else chosen from the
    device's free memory now and the model's components (read from the folder's safetensors headers,
    at the device's dtype, else the card's recorded sizes) at the card's default size."""
    dtype_bytes = torch.tensor([], dtype=device.dtype).element_size()
    fp = footprint(card, folder, dtype_bytes=dtype_bytes)
    return choose_plan(
        device.name, free_memory_gb(device.torch_device), card.memory_gb, requested_tier(tier), footprint=fp
    )


def pipeline_for_mode(pipe, card: Card, mode: Mode | str):
    """The pipeline that runs a mode, made from the loaded one where the card names another class for
    it (Wan's image pipeline from its text pipeline): the same modules, not a second copy. A mode
    without its own class runs on the loaded pipeline itself."""
    name = card.pipeline_for(mode)
    if type(pipe).__name__ == name:
        return pipe
    import diffusers

    pipeline_class = getattr(diffusers, name)  # a card can only name classes its family allows
    # What DiffusionPipeline.from_pipe does, without its closing cast of every shared module to one
    # dtype, which would undo the float32 parts (norms, time embedding) Wan's transformer keeps.
    # CPU-offload hooks (a GPU short of memory) sit on the shared modules, so they carry over.
    accepted = inspect.signature(pipeline_class.__init__).parameters
    modules = {k: v for k, v in pipe.components.items() if k in accepted}
    settings = {k: v for k, v in pipe.config.items() if k in accepted and k not in modules}
    derived = pipeline_class(**modules, **settings)
    derived.set_progress_bar_config(disable=True)
    return derived
