"""Load a pipeline from a diffusers folder on this machine: the user's downloaded models and the
tiny test models go through the same code.

Only safetensors, only local files, never remote code.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import torch

from .cards import Card, folder_card
from .weights import ModelFolderError, check_folder


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


def load_pipeline(folder: str | os.PathLike[str], card: Card | None = None, device: Device | None = None):
    """The card's pipeline class loaded from a folder and moved to the device.

    An incomplete folder is a ModelFolderError naming what is missing, found before any weights load.
    """
    folder = Path(folder)
    check_folder(folder)
    card = card or folder_card(folder)
    device = device or pick_device()
    import diffusers  # here, not at the top: `studio doctor` asks for the device without loading diffusers

    pipeline_class = getattr(diffusers, card.pipeline)  # a card can only name classes its family allows
    try:
        pipe = pipeline_class.from_pretrained(
            folder,
            use_safetensors=True,
            local_files_only=True,
            dtype=device.dtype,
        )
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelFolderError(f"could not load the model in {folder}: {exc}") from exc
    pipe.set_progress_bar_config(disable=True)
    if device.name == "cuda" and device.memory_gb is not None and device.memory_gb < card.memory_gb:
        # Keep only the running component on the GPU: slower, but it fits.
        pipe.enable_model_cpu_offload(device=device.torch_device)
    else:
        pipe.to(device.torch_device)
    if hasattr(pipe, "vae") and hasattr(pipe.vae, "enable_tiling"):
        pipe.vae.enable_tiling()  # decodes big frames in tiles; no effect below the tile size
    return pipe
