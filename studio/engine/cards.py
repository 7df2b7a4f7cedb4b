"""Model cards: one TOML file per model saying what it can make and how to call it.

A card names the model's family, its Hugging Face repo, the modes it supports, the sizes and
frame counts it can make, and its defaults. The cards live in models/*.toml; a model folder may
carry its own card (studio-card.toml), and a folder without one gets its family's defaults.
No torch here: the editor reads cards to fill its menus.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..core.errors import StudioError
from ..core.recipe import Mode
from ..core.shape import is_valid_frames, multiple_at_most, valid_frames_at_most
from .weights import (
    CARD_FILE,
    ModelFolderError,
    find_in_hf_cache,
    models_root,
    read_model_index,
    same_repo,
    search_dirs,
)

DEMO_MODEL = "demo"  # the card id of the model that ships with the studio (models/demo/, trained by studio/demo/)


class CardError(StudioError, ValueError):
    """A card file that cannot be read, naming the file and the field."""


class ModelNotFound(StudioError, LookupError):
    """A model argument that is neither a known card nor a model folder."""


@dataclass(frozen=True)
class Family:
    """What every model of a family shares: the pipeline classes and what they demand."""

    id: str
    label: str  # for messages: "LTX needs multiples of 32"
    pipelines: tuple[str, ...]  # classes the studio will run a model of this family as
    folder_classes: tuple[str, ...]  # model_index.json _class_name values that mean this family
    size_multiple: int  # what the pipeline's check_inputs demands of width and height
    call_keys: frozenset[str]  # extra pipeline arguments a card may set


FAMILIES: dict[str, Family] = {
    "ltx": Family(
        id="ltx",
        label="LTX",
        pipelines=("LTXConditionPipeline",),
        folder_classes=("LTXConditionPipeline", "LTXPipeline", "LTXImageToVideoPipeline"),
        size_multiple=32,
        call_keys=frozenset(
            {
                "decode_timestep",
                "decode_noise_scale",
                "image_cond_noise_scale",
                "guidance_rescale",
                "timesteps",
                "max_sequence_length",
            }
        ),
    ),
    # Wan 2.1 / 2.2: no condition pipeline; text, images, a clip to remake and VACE's video + mask go to
    # different pipeline classes.
    "wan": Family(
        id="wan",
        label="Wan",
        pipelines=("WanPipeline", "WanImageToVideoPipeline", "WanVACEPipeline", "WanVideoToVideoPipeline"),
        folder_classes=("WanPipeline", "WanImageToVideoPipeline", "WanVACEPipeline"),
        size_multiple=16,  # check_inputs demands 16; a bigger VAE or patch needs more (the card says)
        call_keys=frozenset({"max_sequence_length", "guidance_scale_2"}),
    ),
    # LTX-2: video with its sound, from one LTX2ConditionPipeline (images and clips at frame indices).
    "ltx2": Family(
        id="ltx2",
        label="LTX-2",
        pipelines=("LTX2ConditionPipeline",),
        folder_classes=("LTX2Pipeline", "LTX2ImageToVideoPipeline", "LTX2ConditionPipeline"),
        size_multiple=32,
        call_keys=frozenset(
            {
                "decode_timestep",
                "decode_noise_scale",
                "guidance_rescale",
                "stg_scale",
                "modality_scale",
                "audio_guidance_scale",
                "audio_stg_scale",
                "audio_modality_scale",
                "audio_guidance_rescale",
                "spatio_temporal_guidance_blocks",
                "use_cross_timestep",
                "timesteps",
                "max_sequence_length",
            }
        ),
    ),
    # CogVideoX 1.0 / 1.5: one pipeline class per mode, over the same modules for text and clips.
    "cogvideox": Family(
        id="cogvideox",
        label="CogVideoX",
        pipelines=("CogVideoXPipeline", "CogVideoXImageToVideoPipeline", "CogVideoXVideoToVideoPipeline"),
        folder_classes=("CogVideoXPipeline", "CogVideoXImageToVideoPipeline"),
        size_multiple=16,  # check_inputs demands 8, but the VAE's 8x times the 2x2 patches need 16
        call_keys=frozenset({"max_sequence_length", "use_dynamic_cfg"}),
    ),
    # HunyuanVideo 1.5: separate text and image checkpoints, each a folder of its own pipeline class.
    "hunyuan15": Family(
        id="hunyuan15",
        label="HunyuanVideo 1.5",
        pipelines=("HunyuanVideo15Pipeline", "HunyuanVideo15ImageToVideoPipeline"),
        folder_classes=("HunyuanVideo15Pipeline", "HunyuanVideo15ImageToVideoPipeline"),
        size_multiple=16,  # the VAE compresses 16x in space; the pipeline checks nothing and rounds down
        call_keys=frozenset(),  # guidance goes to the folder's guider, not to the call
    ),
}


# What Wan VACE does: every mode is frames kept (black in its mask) and frames made (white); video to
# video is not, as VACE has no strength to remake a clip by.
VACE_MODES = tuple(m for m in Mode if m is not Mode.VIDEO_TO_VIDEO)


@dataclass(frozen=True)
class Card:
    id: str
    name: str
    family: str
    pipeline: str
    modes: tuple[Mode, ...]
    frame_step: int  # valid frame counts are frame_step * k + 1
    max_frames: int
    default_frames: int
    size_multiple: int
    max_width: int
    max_height: int
    default_width: int
    default_height: int
    default_fps: float
    default_steps: int
    default_guidance: float
    memory_gb: float  # roughly what a run needs on the GPU, weights included
    repo: str | None = None
    revision: str | None = None  # a pinned Hugging Face revision; None for the repo's main
    description: str = ""
    # A prompt the model makes well, shown greyed in an empty prompt box: a model of a small world
    # (the demo model) says here what it knows.
    example_prompt: str = ""
    call: dict[str, Any] = field(default_factory=dict)  # extra pipeline arguments, e.g. decode_timestep
    # The class a mode runs as, where it is not `pipeline` (the class the folder is loaded as); the
    # mode's pipeline is made from the loaded one with from_pipe, sharing its weights.
    pipelines: dict[str, str] = field(default_factory=dict)
    # Whether image to video takes an image at the last frame: "optional" (LTX: any frame), "no"
    # (Wan 2.1 I2V and 2.2 TI2V: the first frame only), "required" (Wan 2.1 FLF2V: first and last).
    last_frame: str = "optional"
    # Whether the model takes reference images (Recipe.references) beside any mode's inputs: Wan VACE.
    references: bool = False
    # GB on the GPU per component (transformer, text_encoder, vae, ...), as loaded: the card's
    # [components] table (<name>_gb), from benchmarks/component_sizes.py; the memory planner's sizes
    # when the weights are not on disk to read.
    components: dict[str, float] = field(default_factory=dict)
    # "video", a model the Shot panel offers; "upsampler", a latent upsampler that a two-pass card's
    # [multiscale] names (downloaded and listed like a model, never run as one).
    kind: str = "video"
    # A two-pass recipe (LTX-Video 0.9.7): the shot made at first_pass_scale of its size, its latents
    # upsampled by the `upsampler` card's model, then refined at full size (MULTISCALE_KEYS). Empty: one pass.
    multiscale: dict[str, Any] = field(default_factory=dict)
    # Wan's flow shift by output size: the shorter side (pixels) -> the scheduler's flow_shift, the entry
    # nearest the shot's shorter side chosen (flow_shift_for). Empty: the folder's scheduler as shipped.
    flow_shift: dict[int, float] = field(default_factory=dict)
    # Per-component precision (component name, or "default" for the rest -> "float32", "float16",
    # "bfloat16"), where the device runs in half precision; on a float32 device (the CPU) all is float32.
    dtypes: dict[str, str] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)  # the file the card was read from

    @property
    def label(self) -> str:
        return FAMILIES[self.family].label

    def pipeline_for(self, mode: Mode | str) -> str:
        """The pipeline class that runs a mode."""
        return self.pipelines.get(str(mode), self.pipeline)

    def flow_shift_for(self, width: int, height: int) -> float | None:
        """The flow shift for a shot's size: the [flow_shift] entry whose size is nearest the shot's
        shorter side (the larger one on a tie); None where the card has no table."""
        if not self.flow_shift:
            return None
        side = min(width, height)
        return self.flow_shift[min(self.flow_shift, key=lambda size: (abs(size - side), -size))]

    def valid_frames(self, frames: int) -> bool:
        return is_valid_frames(frames, self.frame_step) and frames <= self.max_frames

    def to_dict(self) -> dict[str, Any]:
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["modes"] = [str(m) for m in self.modes]
        data["call"] = dict(self.call)
        data["pipelines"] = dict(self.pipelines)
        data["components"] = dict(self.components)
        data["multiscale"] = dict(self.multiscale)
        data["flow_shift"] = dict(self.flow_shift)
        data["dtypes"] = dict(self.dtypes)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Card:
        data = dict(data)
        data["modes"] = tuple(Mode(m) for m in data["modes"])
        # JSON (the worker's pipe) turns the sizes into strings
        data["flow_shift"] = {int(k): float(v) for k, v in data.get("flow_shift", {}).items()}
        return cls(**data)

    def to_toml(self) -> str:
        """The card as a TOML file that card_from_toml reads back."""
        top = {
            "id": self.id,
            "name": self.name,
            "family": self.family,
            "repo": self.repo,
            "revision": self.revision,
            "pipeline": self.pipeline,
            "modes": [str(m) for m in self.modes],
            "memory_gb": self.memory_gb,
            "last_frame": None if self.last_frame == "optional" else self.last_frame,
            "references": self.references or None,
            "kind": None if self.kind == "video" else self.kind,
            "description": self.description,
            "example_prompt": self.example_prompt or None,
        }
        tables = {
            "frames": {"step": self.frame_step, "max": self.max_frames, "default": self.default_frames},
            "size": {
                "multiple": self.size_multiple,
                "max_width": self.max_width,
                "max_height": self.max_height,
                "default_width": self.default_width,
                "default_height": self.default_height,
            },
            "defaults": {
                "fps": self.default_fps,
                "steps": self.default_steps,
                "guidance": self.default_guidance,
            },
            "call": self.call,
            "pipelines": self.pipelines,
            "components": {f"{k}_gb": v for k, v in self.components.items()},
            "multiscale": self.multiscale,
            "flow_shift": {str(k): v for k, v in self.flow_shift.items()},
            "dtypes": self.dtypes,
        }
        if self.kind == "upsampler":
            tables = {}  # it makes no shots: no frames, sizes or defaults of its own
        lines = [f"{k} = {_toml_value(v)}" for k, v in top.items() if v is not None]
        for name, table in tables.items():
            if not table and name in ("call", "pipelines", "components", "multiscale", "flow_shift", "dtypes"):
                continue  # optional tables are left out when empty
            lines += ["", f"[{name}]"] + [f"{k} = {_toml_value(v)}" for k, v in table.items()]
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to a card")


LAST_FRAME = ("optional", "no", "required")
KINDS = ("video", "upsampler")
# The latent upsampler pipelines a kind = "upsampler" card may name, by the family it upsamples for.
UPSAMPLER_PIPELINES = {"ltx": "LTXLatentUpsamplePipeline", "ltx2": "LTX2LatentUpsamplePipeline"}
# A [multiscale] table: what diffusers' LTX-Video 0.9.7 recipe sets (docs/source/en/api/pipelines/ltx_video.md),
# or LTX-2's two-stage recipe (docs/source/en/api/pipelines/ltx2.md, "Two-stages Generation").
MULTISCALE_KEYS = {
    "upsampler": str,  # the upsampler card's id (LTX-Video 0.9.7: a repo of its own)
    "upsampler_subfolder": str,  # or the model's own folder of it (LTX-2: latent_upsampler/ in Lightricks/LTX-2)
    "first_pass_scale": float,  # the first pass's size, as a fraction of the shot's (2/3), rounded down
    "refine_steps": int,  # the refine pass's schedule: num_inference_steps …
    "refine_strength": float,  # … of which the last refine_steps x refine_strength run (denoise_strength)
    "refine_timesteps": list,  # or a schedule of its own (the distilled model's)
    "adain_factor": float,  # the upsampler's AdaIN match to the first pass's latents (0: none)
    "lora": str,  # LTX-2: the LoRA file at the top of the model's repo that the refine runs with (safetensors)
    "refine_sigmas": list,  # LTX-2: the refine's sigmas, the first its renoise level (STAGE_2_DISTILLED_SIGMA_VALUES)
    "refine_guidance": float,  # LTX-2: the refine's guidance scale (the docs' 1.0)
}
# Which keys each family's two-pass recipe needs, and which it may have.
_MULTISCALE_NEEDS = {
    "ltx": ({"upsampler", "first_pass_scale", "refine_strength"},
            {"refine_steps", "refine_timesteps", "adain_factor"}),
    "ltx2": ({"upsampler_subfolder", "first_pass_scale", "lora", "refine_sigmas"}, {"refine_guidance"}),
}
DTYPES = ("float32", "float16", "bfloat16")
_MISSING = object()
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


def _field(
    table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = _MISSING
) -> Any:
    if key not in table:
        if default is _MISSING:
            raise CardError(f"{where}: '{key}' is missing")
        return default
    value = table[key]
    # TOML ints are fine where a float is wanted; bools are not numbers here.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise CardError(f"{where}: '{key}' should be {name}, not {value!r}")
    return value


def card_from_toml(data: dict[str, Any], source: str = "<card>") -> Card:
    """Check a parsed card and build it; every problem is a CardError naming the file and field."""
    card_id = _field(data, "id", str, source)
    if not _ID.fullmatch(card_id):
        raise CardError(f"{source}: id {card_id!r} should be lower-case letters, digits, '.', '_' or '-'")
    family_id = _field(data, "family", str, source)
    family = FAMILIES.get(family_id)
    if family is None:
        raise CardError(f"{source}: unknown family {family_id!r} (known: {', '.join(FAMILIES)})")
    kind = _field(data, "kind", str, source, "video")
    if kind not in KINDS:
        raise CardError(f"{source}: kind {kind!r} should be one of {', '.join(KINDS)}")
    if kind == "upsampler":
        return _upsampler_card(data, card_id, family, source)
    pipeline = _field(data, "pipeline", str, source, family.pipelines[0])
    if pipeline not in family.pipelines:
        raise CardError(
            f"{source}: pipeline {pipeline!r} is not one the studio runs for {family.label} "
            f"({', '.join(family.pipelines)})"
        )
    try:
        modes = tuple(Mode(m) for m in _field(data, "modes", list, source))
    except ValueError as exc:
        raise CardError(f"{source}: {exc} (known modes: {', '.join(Mode)})") from exc
    if not modes:
        raise CardError(f"{source}: 'modes' is empty")

    frames = _field(data, "frames", dict, source)
    size = _field(data, "size", dict, source)
    defaults = _field(data, "defaults", dict, source)
    call = _field(data, "call", dict, source, {})
    pipelines = _field(data, "pipelines", dict, source, {})
    for mode_name, class_name in pipelines.items():
        if mode_name not in modes:
            raise CardError(f"{source}: [pipelines] names {mode_name!r}, which is not one of the card's modes")
        if class_name not in family.pipelines:
            raise CardError(
                f"{source}: [pipelines] {mode_name} = {class_name!r} is not one the studio runs for "
                f"{family.label} ({', '.join(family.pipelines)})"
            )
    unknown = sorted(set(call) - family.call_keys)
    if unknown:
        raise CardError(
            f"{source}: [call] has {', '.join(unknown)}, which the {family.label} pipeline call does not "
            f"take (allowed: {', '.join(sorted(family.call_keys))})"
        )

    multiscale = _multiscale(_field(data, "multiscale", dict, source, {}), family, source)
    last_frame = _field(data, "last_frame", str, source, "optional")
    if last_frame not in LAST_FRAME:
        raise CardError(f"{source}: last_frame {last_frame!r} should be one of {', '.join(LAST_FRAME)}")
    flow_shift = _flow_shift(_field(data, "flow_shift", dict, source, {}), family, source)
    dtypes = _field(data, "dtypes", dict, source, {})
    for component in dtypes:
        if _field(dtypes, component, str, f"{source} [dtypes]") not in DTYPES:
            raise CardError(
                f"{source}: [dtypes] {component} = {dtypes[component]!r} should be one of {', '.join(DTYPES)}"
            )

    card = Card(
        id=card_id,
        name=_field(data, "name", str, source),
        family=family_id,
        pipeline=pipeline,
        modes=modes,
        frame_step=_field(frames, "step", int, f"{source} [frames]"),
        max_frames=_field(frames, "max", int, f"{source} [frames]"),
        default_frames=_field(frames, "default", int, f"{source} [frames]"),
        size_multiple=_field(size, "multiple", int, f"{source} [size]"),
        max_width=_field(size, "max_width", int, f"{source} [size]"),
        max_height=_field(size, "max_height", int, f"{source} [size]"),
        default_width=_field(size, "default_width", int, f"{source} [size]"),
        default_height=_field(size, "default_height", int, f"{source} [size]"),
        default_fps=_field(defaults, "fps", float, f"{source} [defaults]"),
        default_steps=_field(defaults, "steps", int, f"{source} [defaults]"),
        default_guidance=_field(defaults, "guidance", float, f"{source} [defaults]"),
        memory_gb=_field(data, "memory_gb", float, source),
        repo=_field(data, "repo", str, source, None),
        revision=_field(data, "revision", str, source, None),
        description=_field(data, "description", str, source, ""),
        example_prompt=_field(data, "example_prompt", str, source, ""),
        call=dict(call),
        pipelines={str(k): str(v) for k, v in pipelines.items()},
        last_frame=last_frame,
        references=_field(data, "references", bool, source, False),
        components=_components(_field(data, "components", dict, source, {}), source),
        multiscale=multiscale,
        flow_shift=flow_shift,
        dtypes=dict(dtypes),
        source=source,
    )
    _check_numbers(card, family, source)
    return card


def _components(table: dict[str, Any], source: str) -> dict[str, float]:
    """The [components] table: <component>_gb = positive GB each."""
    sizes = {}
    for key in table:
        if not key.endswith("_gb"):
            raise CardError(f"{source}: [components] {key} should be a component's size, <name>_gb")
        sizes[key.removesuffix("_gb")] = _field(table, key, float, f"{source} [components]")
        if sizes[key.removesuffix("_gb")] <= 0:
            raise CardError(f"{source}: [components] {key} should be positive")
    return sizes


def _multiscale(table: dict[str, Any], family: Family, source: str) -> dict[str, Any]:
    """A checked [multiscale] table: an upsampler and a first-pass scale, and a refine schedule."""
    if not table:
        return {}
    where = f"{source} [multiscale]"
    if family.id not in _MULTISCALE_NEEDS:
        raise CardError(f"{where}: the studio makes {family.label} shots in one pass only")
    needed, optional = _MULTISCALE_NEEDS[family.id]
    unknown = sorted(set(table) - needed - optional)
    if unknown:
        raise CardError(f"{where}: unknown {', '.join(unknown)} for {family.label} "
                        f"(known: {', '.join(sorted(needed | optional))})")
    checked = {key: _field(table, key, kind, where) for key, kind in MULTISCALE_KEYS.items()
               if key in table or key in needed}
    if not 0 < checked["first_pass_scale"] < 1:
        raise CardError(f"{where}: first_pass_scale should be between 0 and 1, not {checked['first_pass_scale']}")
    if family.id == "ltx2":
        lora = checked["lora"]
        if "/" in lora or not lora.endswith(".safetensors"):
            raise CardError(f"{where}: lora should be a .safetensors file at the top of the repo, not {lora!r}")
        sigmas = checked["refine_sigmas"]
        if not sigmas or not all(isinstance(s, int | float) and 0 < s <= 1 for s in sigmas):
            raise CardError(f"{where}: refine_sigmas should be sigmas between 0 and 1, at least one")
        checked["refine_sigmas"] = [float(s) for s in sigmas]
        return checked
    if not 0 < checked["refine_strength"] < 1:  # 1 would start the refine from noise, not from the upsampled latents
        raise CardError(f"{where}: refine_strength should be between 0 and 1, not {checked['refine_strength']}")
    if ("refine_steps" in checked) == ("refine_timesteps" in checked):
        raise CardError(f"{where}: give refine_steps or refine_timesteps (one of them)")
    if checked.get("refine_steps", 1) < 1 or not checked.get("refine_timesteps", [0]):
        raise CardError(f"{where}: the refine pass needs at least one step")
    return checked


def _upsampler_card(data: dict[str, Any], card_id: str, family: Family, source: str) -> Card:
    """A kind = "upsampler" card: a model to download and find, that makes no shots of its own (no modes)."""
    pipeline = _field(data, "pipeline", str, source, UPSAMPLER_PIPELINES.get(family.id, ""))
    if pipeline != UPSAMPLER_PIPELINES.get(family.id):
        raise CardError(f"{source}: an upsampler for {family.label} should be a "
                        f"{UPSAMPLER_PIPELINES.get(family.id, 'pipeline the studio knows')}, not {pipeline!r}")
    memory_gb = _field(data, "memory_gb", float, source)
    return Card(
        id=card_id,
        name=_field(data, "name", str, source),
        family=family.id,
        pipeline=pipeline,
        modes=(),
        frame_step=1,
        max_frames=1,
        default_frames=1,
        size_multiple=family.size_multiple,
        max_width=family.size_multiple,
        max_height=family.size_multiple,
        default_width=family.size_multiple,
        default_height=family.size_multiple,
        default_fps=1.0,
        default_steps=1,
        default_guidance=0.0,
        memory_gb=memory_gb,
        repo=_field(data, "repo", str, source, None),
        revision=_field(data, "revision", str, source, None),
        description=_field(data, "description", str, source, ""),
        kind="upsampler",
        source=source,
    )


def _flow_shift(table: dict[str, Any], family: Family, source: str) -> dict[int, float]:
    """[flow_shift]: sizes (the shorter side, pixels) -> positive shifts; Wan's scheduler only."""
    if table and family.id != "wan":
        raise CardError(f"{source}: [flow_shift] is for Wan's scheduler, not {family.label}'s")
    shifts: dict[int, float] = {}
    for size in table:
        if not size.isdigit() or int(size) <= 0:
            raise CardError(f"{source}: [flow_shift] key {size!r} should be a size in pixels (the shorter side)")
        shift = _field(table, size, float, f"{source} [flow_shift]")
        if not 0 < shift < 1000:
            raise CardError(f"{source}: [flow_shift] {size} should be a positive shift, not {shift}")
        shifts[int(size)] = shift
    return shifts


def _check_numbers(card: Card, family: Family, source: str) -> None:
    positive = {
        "[frames] step": card.frame_step,
        "[frames] max": card.max_frames,
        "[size] multiple": card.size_multiple,
        "[size] max_width": card.max_width,
        "[size] max_height": card.max_height,
        "[defaults] fps": card.default_fps,
        "[defaults] steps": card.default_steps,
        "memory_gb": card.memory_gb,
    }
    for name, value in positive.items():
        if value <= 0:
            raise CardError(f"{source}: {name} should be positive, not {value}")
    if card.default_guidance < 0:
        raise CardError(f"{source}: [defaults] guidance should not be negative")
    if card.size_multiple % family.size_multiple:
        raise CardError(
            f"{source}: [size] multiple {card.size_multiple} should be a multiple of "
            f"{family.size_multiple}, which the {family.label} pipeline demands"
        )
    for name in ("max_width", "max_height", "default_width", "default_height"):
        value = getattr(card, name)
        if value <= 0 or value % card.size_multiple:
            raise CardError(
                f"{source}: [size] {name} {value} should be a positive multiple of {card.size_multiple}"
            )
    if card.default_width > card.max_width or card.default_height > card.max_height:
        raise CardError(f"{source}: the default size is larger than the maximum")
    if not is_valid_frames(card.max_frames, card.frame_step):
        raise CardError(f"{source}: [frames] max {card.max_frames} should be {card.frame_step}k+1")
    if not card.valid_frames(card.default_frames):
        raise CardError(
            f"{source}: [frames] default {card.default_frames} should be {card.frame_step}k+1 "
            f"and at most {card.max_frames}"
        )


def load_card(path: str | os.PathLike[str]) -> Card:
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CardError(f"cannot read the card {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CardError(f"{path}: not a valid TOML file ({exc})") from exc
    return card_from_toml(data, str(path))


def load_cards(folder: str | os.PathLike[str] | None = None) -> dict[str, Card]:
    """Every card in a folder (models/ by default), by id."""
    folder = Path(folder) if folder is not None else models_root()
    cards: dict[str, Card] = {}
    for path in sorted(folder.glob("*.toml")):
        card = load_card(path)
        if card.id in cards:
            raise CardError(f"{path}: id {card.id!r} is also used by {cards[card.id].source}")
        cards[card.id] = card
    return cards


def folder_card(folder: str | os.PathLike[str]) -> Card:
    """The card for a diffusers folder: its own studio-card.toml, else its family's defaults."""
    folder = Path(folder)
    if (folder / CARD_FILE).is_file():
        return load_card(folder / CARD_FILE)
    index = read_model_index(folder)
    class_name = index["_class_name"]
    for family in FAMILIES.values():
        if class_name in family.folder_classes:
            if family.id == "wan":
                return _wan_defaults(family, folder, index)
            if family.id == "ltx2":
                return _ltx2_defaults(family, folder)
            if family.id == "hunyuan15":
                return _hunyuan15_defaults(family, folder, index)
            if family.id == "cogvideox":
                return _cogvideox_defaults(family, folder, index)
            return _family_defaults(family, folder)
    known = ", ".join(c for f in FAMILIES.values() for c in f.folder_classes)
    raise ModelFolderError(
        f"{folder} holds a {class_name}, which the studio cannot run yet (it runs {known})"
    )


def _family_defaults(family: Family, folder: Path) -> Card:
    """LTX-Video 0.9.x defaults, with the frame rule and size multiple read from the VAE's config."""
    vae = _read_json(folder / "vae" / "config.json")
    scaling = vae.get("spatio_temporal_scaling", (True, True, True, False))
    spatial = vae.get("spatial_compression_ratio") or vae.get("patch_size", 4) * 2 ** sum(scaling)
    temporal = vae.get("temporal_compression_ratio") or vae.get("patch_size_t", 1) * 2 ** sum(scaling)
    multiple = math.lcm(family.size_multiple, int(spatial))
    call = {}
    if vae.get("timestep_conditioning"):  # 0.9.1 and later: the diffusers docs' recommended values
        call = {"decode_timestep": 0.05, "decode_noise_scale": 0.025, "image_cond_noise_scale": 0.025}
    step = int(temporal)
    max_frames = valid_frames_at_most(257, step)
    return _uncarded(
        family,
        folder,
        pipeline=family.pipelines[0],
        modes=tuple(Mode),  # LTXConditionPipeline does every mode
        frame_step=step,
        max_frames=max_frames,
        default_frames=min(valid_frames_at_most(97, step), max_frames),
        size_multiple=multiple,
        max_width=multiple_at_most(1280, multiple),
        max_height=multiple_at_most(1280, multiple),
        default_width=multiple_at_most(768, multiple),
        default_height=multiple_at_most(512, multiple),
        default_fps=24.0,
        default_steps=40,
        default_guidance=3.0,
        memory_gb=16.0,
        call=call,
    )


def _wan_defaults(family: Family, folder: Path, index: dict[str, Any]) -> Card:
    """Wan 2.1 / 2.2 defaults, with what the folder can do read from its configs: a WanPipeline makes
    text shots, and first-frame shots too when its transformer takes the image in the latents
    (Wan 2.2 TI2V, expand_timesteps), or else remakes clips (video to video); a
    WanImageToVideoPipeline makes image shots only, from a first frame (I2V), or from a first and a
    last frame when its image embedding has positions for two images (FLF2V); a WanVACEPipeline
    (VACE) makes every mode but video to video, and takes reference images."""
    vae = _read_json(folder / "vae" / "config.json")
    transformer = _read_json(folder / "transformer" / "config.json")
    spatial = int(vae.get("scale_factor_spatial") or 8)
    step = int(vae.get("scale_factor_temporal") or 4)
    patch = transformer.get("patch_size", (1, 2, 2))
    multiple = math.lcm(family.size_multiple, spatial * int(patch[1]), spatial * int(patch[2]))
    pipelines: dict[str, str] = {}
    last_frame = "no"
    if index["_class_name"] == "WanImageToVideoPipeline":
        modes: tuple[Mode, ...] = (Mode.IMAGE_TO_VIDEO,)
        last_frame = "required" if transformer.get("pos_embed_seq_len") else "no"
    elif index["_class_name"] == "WanVACEPipeline":
        modes = VACE_MODES
        last_frame = "optional"
    elif index.get("expand_timesteps"):
        modes = (Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO)
        pipelines = {str(Mode.IMAGE_TO_VIDEO): "WanImageToVideoPipeline"}
    elif (index.get("transformer_2") or [None])[0] is None and vae.get("z_dim", 16) == 16:
        # One transformer (2.2's two-transformer A14B would lose its second) and Wan 2.1's VAE (the only
        # one WanVideoToVideoPipeline sizes right): a clip is remade SDEdit-style, by that pipeline made
        # from the loaded modules.
        modes = (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
        pipelines = {str(Mode.VIDEO_TO_VIDEO): "WanVideoToVideoPipeline"}
    else:
        modes = (Mode.TEXT_TO_VIDEO,)
    max_frames = valid_frames_at_most(161, step)
    return _uncarded(
        family,
        folder,
        pipeline=index["_class_name"],
        pipelines=pipelines,
        last_frame=last_frame,
        references=index["_class_name"] == "WanVACEPipeline",
        # diffusers' Wan docs: the VAE (and a CLIP image encoder) in float32 for decoding quality
        dtypes={name: "float32" for name in ("vae", "image_encoder") if (index.get(name) or [None])[0]},
        modes=modes,
        frame_step=step,
        max_frames=max_frames,
        default_frames=min(valid_frames_at_most(81, step), max_frames),
        size_multiple=multiple,
        max_width=multiple_at_most(1280, multiple),
        max_height=multiple_at_most(1280, multiple),
        default_width=multiple_at_most(832, multiple),
        default_height=multiple_at_most(480, multiple),
        default_fps=16.0,
        default_steps=50,
        default_guidance=5.0,
        memory_gb=24.0,
    )


def _ltx2_defaults(family: Family, folder: Path) -> Card:
    """LTX-2 defaults (Lightricks/LTX-2's), with the frame rule and size multiple read from the VAE's config:
    each down block scales space, time or both by 2, after the patch."""
    vae = _read_json(folder / "vae" / "config.json")
    kinds = [k for k, on in zip(vae.get("downsample_type", ()), vae.get("spatio_temporal_scaling", ()), strict=False)
             if on]
    spatial = vae.get("spatial_compression_ratio") or vae.get("patch_size", 4) * 2 ** sum(
        k in ("spatial", "spatiotemporal") for k in kinds)
    step = int(vae.get("temporal_compression_ratio") or vae.get("patch_size_t", 1) * 2 ** sum(
        k in ("temporal", "spatiotemporal") for k in kinds))
    multiple = math.lcm(family.size_multiple, int(spatial))
    max_frames = valid_frames_at_most(257, step)
    return _uncarded(
        family,
        folder,
        pipeline=family.pipelines[0],
        modes=LTX2_MODES,
        frame_step=step,
        max_frames=max_frames,
        default_frames=min(valid_frames_at_most(121, step), max_frames),
        size_multiple=multiple,
        max_width=multiple_at_most(1280, multiple),
        max_height=multiple_at_most(1280, multiple),
        default_width=multiple_at_most(768, multiple),
        default_height=multiple_at_most(512, multiple),
        default_fps=24.0,
        default_steps=40,
        default_guidance=4.0,
        memory_gb=72.0,
    )


# What LTX2ConditionPipeline does: images and clips at frame indices. Not video to video (its `latents`
# would start the picture from the clip, but the sound from pure noise at the same noise level).
LTX2_MODES = (
    Mode.TEXT_TO_VIDEO,
    Mode.IMAGE_TO_VIDEO,
    Mode.KEYFRAMES,
    Mode.EXTEND_FORWARD,
    Mode.EXTEND_BACKWARD,
    Mode.CONNECT,
    Mode.LOOP,
)


def _cogvideox_defaults(family: Family, folder: Path, index: dict[str, Any]) -> Card:
    """CogVideoX defaults, read from the folder's configs: a CogVideoXPipeline makes text shots, and
    remakes clips too where it has no temporal patches (1.0; 1.5's pipeline refuses most clip lengths);
    a CogVideoXImageToVideoPipeline makes first-frame shots. Frames are 8k+1 (1.0) or 16k+1 (1.5):
    the VAE decodes only an odd number of latent frames to 4(n-1)+1 frames, and 1.5 was trained on
    16k+1. Learned position embeddings (CogVideoX-5b-I2V) hold one size and length only."""
    vae = _read_json(folder / "vae" / "config.json")
    transformer = _read_json(folder / "transformer" / "config.json")
    spatial = 2 ** (len(vae.get("block_out_channels", (0, 0, 0, 0))) - 1)
    temporal = int(vae.get("temporal_compression_ratio") or 4)
    patch = int(transformer.get("patch_size") or 2)
    version_15 = transformer.get("patch_size_t") is not None
    step = temporal * (4 if version_15 else 2)
    multiple = math.lcm(family.size_multiple, spatial * patch)
    sample_width = int(transformer.get("sample_width", 90)) * spatial
    sample_height = int(transformer.get("sample_height", 60)) * spatial
    sample_frames = int(transformer.get("sample_frames", 49))
    pipelines: dict[str, str] = {}
    if index["_class_name"] == "CogVideoXImageToVideoPipeline":
        modes: tuple[Mode, ...] = (Mode.IMAGE_TO_VIDEO,)
    elif version_15:
        modes = (Mode.TEXT_TO_VIDEO,)
    else:
        modes = (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
        pipelines = {str(Mode.VIDEO_TO_VIDEO): "CogVideoXVideoToVideoPipeline"}
    if version_15:  # trained at 1360x768 and up to 161 frames; rotary positions reach sample_* x 8
        max_width = multiple_at_most(min(1360, sample_width), multiple)
        max_height = multiple_at_most(min(1360, sample_height), multiple)
        default_width, default_height = min(1360, max_width), min(768, max_height)
        max_frames, fps = valid_frames_at_most(max(161, sample_frames), step), 16.0
    else:  # trained at 720x480, 49 frames
        max_width = multiple_at_most(sample_width, multiple)
        max_height = multiple_at_most(sample_height, multiple)
        default_width, default_height = max_width, max_height
        max_frames, fps = max(valid_frames_at_most(sample_frames, step), 1), 8.0
    return _uncarded(
        family,
        folder,
        pipeline=index["_class_name"],
        pipelines=pipelines,
        last_frame="no",
        modes=modes,
        frame_step=step,
        max_frames=max_frames,
        default_frames=min(valid_frames_at_most(sample_frames, step), max_frames),
        size_multiple=multiple,
        max_width=max_width,
        max_height=max_height,
        default_width=default_width,
        default_height=default_height,
        default_fps=fps,
        default_steps=50,
        default_guidance=6.0,
        memory_gb=24.0,
    )


def _hunyuan15_defaults(family: Family, folder: Path, index: dict[str, Any]) -> Card:
    """HunyuanVideo 1.5 defaults, read from the folder's configs: a HunyuanVideo15Pipeline makes text
    shots, a HunyuanVideo15ImageToVideoPipeline first-frame shots; the transformer's target_size (640
    for the 480p checkpoints, 960 for the 720p ones) gives the default 16:9 size, and the guider's
    scale the default guidance (1.0 for the CFG-distilled checkpoints)."""
    vae = _read_json(folder / "vae" / "config.json")
    transformer = _read_json(folder / "transformer" / "config.json")
    guider_file = folder / "guider" / "guider_config.json"
    guider = _read_json(guider_file) if guider_file.is_file() else {}
    spatial = int(vae.get("spatial_compression_ratio") or 16)
    step = int(vae.get("temporal_compression_ratio") or 4)
    multiple = math.lcm(family.size_multiple, spatial * int(transformer.get("patch_size") or 1))
    target = int(transformer.get("target_size") or 640)
    image = index["_class_name"] == "HunyuanVideo15ImageToVideoPipeline"
    max_frames = valid_frames_at_most(121, step)
    return _uncarded(
        family,
        folder,
        pipeline=index["_class_name"],
        last_frame="no",
        modes=(Mode.IMAGE_TO_VIDEO,) if image else (Mode.TEXT_TO_VIDEO,),
        frame_step=step,
        max_frames=max_frames,
        default_frames=max_frames,
        size_multiple=multiple,
        max_width=multiple_at_most(2 * target, multiple),
        max_height=multiple_at_most(2 * target, multiple),
        default_width=max(round(target * 4 / 3 / multiple) * multiple, multiple),  # 848 at 640, 1280 at 960
        default_height=max(round(target * 3 / 4 / multiple) * multiple, multiple),  # 480 at 640, 720 at 960
        default_fps=24.0,
        default_steps=50,
        default_guidance=float(guider.get("guidance_scale", 6.0)),
        memory_gb=48.0 if target > 640 else 40.0,
    )


def _uncarded(family: Family, folder: Path, **facts: Any) -> Card:
    """The card of a model folder that has none, named after the folder, with its family's facts."""
    return Card(id=folder.name, name=f"{folder.name} ({family.label}, no card)", family=family.id,
                description="A model folder without a studio card: the family's defaults.", source=str(folder),
                **facts)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelFolderError(
            f"the model in {path.parent.parent} is incomplete: {path.parent.name}/{path.name} is missing"
        ) from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFolderError(f"{path} is damaged ({exc}); download the model again") from exc


@dataclass(frozen=True)
class Resolved:
    """A model argument made concrete: its card, and its weights folder if they are on this machine."""

    card: Card
    folder: Path | None

    @property
    def installed(self) -> bool:
        return self.folder is not None


def find_weights(card: Card, models_dir: str | os.PathLike[str] | None = None) -> Path | None:
    """Where a card's weights are: <dir>/<id>/ in the models folders, else the Hugging Face cache."""
    for folder in search_dirs(models_dir):
        if (folder / card.id / "model_index.json").is_file():
            return folder / card.id
    if card.repo:
        return find_in_hf_cache(card.repo, card.revision)
    return None


def catalogue(
    models_dir: str | os.PathLike[str] | None = None, cards_dir: str | os.PathLike[str] | None = None
) -> list[Resolved]:
    """Every model the studio knows: the cards, and folders with their own card in the models folders."""
    found = {
        card.id: Resolved(card, find_weights(card, models_dir)) for card in load_cards(cards_dir).values()
    }
    for folder in search_dirs(models_dir):
        for card_file in sorted(folder.glob(f"*/{CARD_FILE}")) if folder.is_dir() else []:
            try:
                card = load_card(card_file)
            except CardError:
                continue  # a broken folder card must not hide the other models
            if card.id not in found:
                found[card.id] = Resolved(card, card_file.parent)
    return list(found.values())


def resolve(
    model: str,
    models_dir: str | os.PathLike[str] | None = None,
    cards_dir: str | os.PathLike[str] | None = None,
) -> Resolved:
    """A model argument is a card id, a card's Hugging Face repo id, or a path to a diffusers folder."""
    if not model or not model.strip():
        raise ModelNotFound("no model chosen")
    path = Path(model).expanduser()
    is_path = os.sep in model or bool(os.altsep and os.altsep in model) or model.startswith((".", "~"))
    if path.is_dir() and is_path:
        return Resolved(folder_card(path), path.resolve())
    known = catalogue(models_dir, cards_dir)
    match = next((entry for entry in known
                  if model == entry.card.id or (entry.card.repo and same_repo(entry.card.repo, model))), None)
    # A bare name is an installed card's id before it is a folder in the working folder (`-m demo` beside a
    # folder called demo); ./demo is the folder.
    if path.is_dir() and not (match and match.installed):
        return Resolved(folder_card(path), path.resolve())
    if match:
        return match
    if is_path:
        if path.exists():
            raise ModelFolderError(f"{model} is not a model folder")
        if model.count("/") != 1:  # "owner/name" could be an unknown repo id; anything else is a path
            raise ModelNotFound(f"there is no model folder at {model}")
    installed = [e.card.id for e in known if e.installed]
    others = [e.card.id for e in known if not e.installed]
    message = f"unknown model '{model}'; "
    message += f"installed models: {', '.join(installed)}" if installed else "no models are installed"
    if others:
        message += f" (known but not downloaded: {', '.join(others)})"
    raise ModelNotFound(message)


def upsampler_folder(
    card: Card,
    model_folder: str | os.PathLike[str] | None = None,
    models_dir: str | os.PathLike[str] | None = None,
) -> Path:
    """The weights of a two-pass card's upsampler: beside the model's own folder (<dir>/<upsampler id>/),
    else wherever resolve() finds that card. Missing, it is one line saying what to download: the job
    fails rather than quietly making one pass, which would not be the take the card's recipe makes (the
    distilled model's schedule is a first pass's, meant to be refined).

    A card whose upsampler is a folder of its own repo (LTX-2's latent_upsampler/) has it inside the
    model's folder, and its refine's LoRA file beside it (refine_lora): both are checked here."""
    if "upsampler_subfolder" in card.multiscale:
        return _own_upsampler(card, model_folder)
    name = card.multiscale["upsampler"]
    if model_folder is not None:
        beside = Path(model_folder).parent / name
        if (beside / "model_index.json").is_file():
            return beside
    try:
        found = resolve(name, models_dir).folder
    except (ModelNotFound, ModelFolderError):
        found = None
    if found is None:
        raise ModelNotFound(
            f"download {name}: studio models download {name} ({card.name} makes its shots in two passes, "
            "the second through that upsampler)"
        )
    return found


def _own_upsampler(card: Card, model_folder: str | os.PathLike[str] | None) -> Path:
    """The upsampler folder inside the model's own folder, after checking it and the refine's LoRA are there."""
    subfolder, lora = card.multiscale["upsampler_subfolder"], card.multiscale["lora"]
    folder = Path(model_folder) if model_folder is not None else None
    for part, there in ((f"{subfolder}/", folder and (folder / subfolder / "config.json").is_file()),
                        (lora, folder and (folder / lora).is_file())):
        if not there:
            raise ModelNotFound(
                f"download {card.id} again: studio models download {card.id} (its two passes need {part} "
                "from its repo, which this download lacks)"
            )
    return folder / subfolder


def two_pass_parts(card: Card) -> str:
    """What a two-pass card's second pass runs through, for people and for a take's recipe: the upsampler
    card's id, or the model's own upsampler folder and LoRA file ("<card id>/latent_upsampler + <lora>")."""
    multiscale = card.multiscale
    if "upsampler_subfolder" in multiscale:
        return f"{card.id}/{multiscale['upsampler_subfolder']} + {multiscale['lora']}"
    return multiscale["upsampler"]


def refine_lora(card: Card, model_folder: str | os.PathLike[str]) -> Path | None:
    """The LoRA file a two-pass card's refine runs with (LTX-2's distilled LoRA), or None."""
    lora = card.multiscale.get("lora")
    return None if lora is None else Path(model_folder) / lora
