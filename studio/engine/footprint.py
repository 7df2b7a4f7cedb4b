"""What a model needs on the GPU, per component: its weights and the activations at a size.

The weights come from the model folder when it is on disk (each component's safetensors headers give
every tensor's dtype and shape, so nothing is loaded), else from the sizes recorded on the card
(`[components] transformer_gb = …`, computed from the real configs by benchmarks/component_sizes.py).
The activations are an estimate (activation_gb). No torch here: the planner runs in torch-free places
(`studio models fit`, the editor).

Sizes are in GB of 2**30 bytes, as the GPU's memory is counted.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import StudioError
from ..core.shape import latent_frames

GB = 2**30

# Bytes per element of the safetensors dtypes.
DTYPE_BYTES = {
    "F64": 8, "I64": 8, "U64": 8,
    "F32": 4, "I32": 4, "U32": 4,
    "F16": 2, "BF16": 2, "I16": 2, "U16": 2,
    "F8_E4M3": 1, "F8_E5M2": 1, "I8": 1, "U8": 1, "BOOL": 1,
}  # fmt: skip
FLOATS = {"F64", "F32", "F16", "BF16", "F8_E4M3", "F8_E5M2"}

# How many frames one latent token of a family's transformer covers: the VAE's temporal compression
# (times a temporal patch: CogVideoX 1.5 takes 2, counted as 1 here, erring large). In space a token
# covers the card's size multiple: the VAE's compression times the patch (LTX 32, Wan 2.1 16, Wan 2.2
# 32, CogVideoX 16, HunyuanVideo 1.5 16).
TOKEN_FRAMES = {"ltx": 8, "ltx2": 8, "wan": 4, "cogvideox": 4, "hunyuan15": 4}

# The activations' estimate: per latent token, ACTIVATION_COPIES values of the transformer's width
# live at once in the largest block (the input, q, k, v, the attention output and the feed-forward's
# 4x hidden, with the guidance batch of two), in 2-byte floats. The width is estimated from the
# transformer's size as a DiT's: about 12 x width² parameters per block, over ~40 blocks.
ACTIVATION_COPIES = 16
DIT_BLOCKS = 40
CONTEXT_GB = 1.0  # the CUDA context and the allocator's slack, which no component counts


class FootprintError(StudioError, ValueError):
    """A safetensors file whose header cannot be read, naming the file."""


@dataclass(frozen=True)
class Footprint:
    """A model's weights per component (GB on the GPU) and its activations at one size."""

    components: dict[str, float]
    activations_gb: float = 0.0
    source: str = "card"  # "card" or the folder the sizes were read from

    @property
    def total_gb(self) -> float:
        return sum(self.components.values())

    def largest(self) -> tuple[str, float]:
        """The component that needs most on the GPU at once, the transformer with its activations."""
        name = max(self.components, key=self.need_gb)
        return name, self.components[name]

    def need_gb(self, name: str) -> float:
        """What one component needs on the GPU by itself (model offload): the denoiser runs with the
        activations; the encoders' and the VAE's own working memory is small beside their weights
        (the VAE decode's is what tiling bounds)."""
        return self.components[name] + (self.activations_gb if name == "transformer" else 0.0)


def read_header(path: str | os.PathLike[str]) -> dict[str, dict]:
    """The tensors of one safetensors file: name -> {"dtype", "shape", "data_offsets"}. Reads only the
    header (its length is the file's first 8 bytes, little-endian)."""
    path = Path(path)
    try:
        with path.open("rb") as f:
            (length,) = struct.unpack("<Q", f.read(8))
            if length > 100 * 2**20:
                raise FootprintError(f"{path}: a safetensors header of {length} bytes; the file is damaged")
            header = json.loads(f.read(length))
    except (OSError, struct.error, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise FootprintError(f"{path}: not a readable safetensors file ({exc})") from exc
    header.pop("__metadata__", None)
    return header


def tensor_bytes(info: dict, dtype_bytes: int | None = None) -> int:
    """Bytes of one tensor from its header entry: as stored, or with its floats in dtype_bytes each
    (the pipeline casts floating weights to one dtype when it loads)."""
    count = math.prod(info["shape"])
    if dtype_bytes is not None and info["dtype"] in FLOATS:
        return count * dtype_bytes
    return count * DTYPE_BYTES[info["dtype"]]


def component_bytes(folder: str | os.PathLike[str], dtype_bytes: int | None = None) -> int | None:
    """Bytes of one component folder's weights (all its safetensors, sharded or not); None when it
    has none. When shards are missing the index's recorded total stands in."""
    folder = Path(folder)
    files = sorted(folder.glob("*.safetensors"))
    indexes = sorted(folder.glob("*.safetensors.index.json"))
    if indexes:
        try:
            index = json.loads(indexes[0].read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise FootprintError(f"{indexes[0]}: not a readable index ({exc})") from exc
        shards = set(index.get("weight_map", {}).values())
        if shards - {f.name for f in files}:
            total = index.get("metadata", {}).get("total_size")
            return int(total) if total else None
    if not files:
        return None
    return sum(tensor_bytes(info, dtype_bytes) for f in files for info in read_header(f).values())


def folder_components(folder: str | os.PathLike[str], dtype_bytes: int | None = None) -> dict[str, float]:
    """GB per component of a diffusers folder, from its safetensors headers (no weights loaded)."""
    folder = Path(folder)
    sizes = {}
    for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
        size = component_bytes(sub, dtype_bytes)
        if size is not None:
            sizes[sub.name] = size / GB
    return sizes


def latent_tokens(family: str, pixels: int, width: int, height: int, frames: int) -> int:
    """The transformer's sequence length for a video of this size; a token covers pixels x pixels."""
    step = TOKEN_FRAMES.get(family, 4)
    return math.ceil(width / pixels) * math.ceil(height / pixels) * latent_frames(max(frames, 1), step)


def activation_gb(tokens: int, transformer_gb: float) -> float:
    """An estimate of the transformer's activations for a sequence of tokens (see ACTIVATION_COPIES):
    a documented rough figure, erring large, not a measurement."""
    params = transformer_gb * GB / 2
    width = math.sqrt(params / (12 * DIT_BLOCKS))
    return tokens * width * 2 * ACTIVATION_COPIES / GB


def footprint(
    card,
    folder: str | os.PathLike[str] | None = None,
    width: int | None = None,
    height: int | None = None,
    frames: int | None = None,
    dtype_bytes: int | None = 2,
) -> Footprint | None:
    """A card's footprint at a size (the card's default size if not given): the folder's component
    sizes when its weights are on disk (floats at dtype_bytes each, as loaded), else the card's
    recorded ones; None when neither is known."""
    components: dict[str, float] = {}
    source = "card"
    if folder is not None and Path(folder).is_dir():
        try:
            components = folder_components(folder, dtype_bytes)
            source = str(folder)
        except FootprintError:
            components = {}
    if not components:
        components = dict(getattr(card, "components", {}) or {})
        source = "card"
    if not components:
        return None
    tokens = latent_tokens(
        card.family,
        card.size_multiple,
        width or card.default_width,
        height or card.default_height,
        frames or card.default_frames,
    )
    act = activation_gb(tokens, components.get("transformer", max(components.values())))
    return Footprint(components, act, source)
