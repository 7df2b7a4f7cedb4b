"""Card: one model, what it can make and how to call it; and the card as TOML (studio/models/*.toml).

No torch here: the editor reads cards to fill its menus. Reading and checking card files, and
finding a card's weights on disk, is cards.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from typing import Any

from ..core.recipe import Mode
from ..core.shape import is_valid_frames
from .families import FAMILIES


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
    # A mode's own default guidance, where it is not default_guidance (the card's [mode_guidance] table):
    # a model that follows its given frames may want less of the prompt's push than text to video does.
    mode_guidance: dict[str, float] = field(default_factory=dict)
    # The class a mode runs as, where it is not `pipeline` (the class the folder is loaded as); the
    # mode's pipeline is made from the loaded one with from_pipe, sharing its weights.
    pipelines: dict[str, str] = field(default_factory=dict)
    # Whether image to video takes an image at the last frame: "optional" (LTX: any frame), "no"
    # (Wan 2.1 I2V and 2.2 TI2V: the first frame only), "required" (Wan 2.1 FLF2V: first and last).
    last_frame: str = "optional"
    # Whether the model takes reference images (Recipe.references) beside any mode's inputs: Wan VACE.
    references: bool = False
    # A model small enough to make its shots in seconds on any CPU (the demo model): no GPU needed,
    # which the model lists say beside its GPU memory.
    runs_on_cpu: bool = False
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
    # The card's draft quality (engine/drafts.py, DRAFT_KEYS): steps, scale of the size, a distilled model,
    # first_pass_only for a two-pass card. Empty: the engine's rule (drafts.DEFAULT_RULE).
    draft: dict[str, Any] = field(default_factory=dict)
    # Text to video in two steps (the card's [first_frame] table, FIRST_FRAME_KEYS): the first frame drawn from the
    # prompt by a transformer of its own (`transformer`, a folder inside the model's), then animated as image to
    # video is. Empty: text to video in one step.
    first_frame: dict[str, Any] = field(default_factory=dict)
    # Wan's flow shift by output size: the shorter side (pixels) -> the scheduler's flow_shift, the entry
    # nearest the shot's shorter side chosen (flow_shift_for). Empty: the folder's scheduler as shipped.
    flow_shift: dict[int, float] = field(default_factory=dict)
    # Per-component precision (component name, or "default" for the rest -> "float32", "float16",
    # "bfloat16"), where the device runs in half precision; on a float32 device (the CPU) all is float32.
    dtypes: dict[str, str] = field(default_factory=dict)
    # The fast paths the card asks for (fast_paths.py: compile, cache, cache_threshold, cache_modes,
    # quantize), each where the device allows it; empty: the stock diffusers path.
    speed: dict[str, Any] = field(default_factory=dict)
    source: str | None = field(default=None, compare=False)  # the file the card was read from

    @property
    def label(self) -> str:
        return FAMILIES[self.family].label

    def pipeline_for(self, mode: Mode | str) -> str:
        """The pipeline class that runs a mode."""
        return self.pipelines.get(str(mode), self.pipeline)

    @property
    def own_parts(self) -> tuple[str, ...]:
        """The folders inside the model's that its runs load beside model_index.json's components."""
        return (self.first_frame["transformer"],) if self.first_frame else ()

    def guidance_for(self, mode: Mode | str) -> float:
        """The guidance a mode runs at unless a recipe says otherwise."""
        return self.mode_guidance.get(str(mode), self.default_guidance)

    @property
    def memory_said(self) -> str:
        """Its memory as the model lists say it: '~16 GB GPU memory', or that no GPU is needed."""
        gpu = f"~{self.memory_gb:g} GB GPU memory"
        return f"no GPU needed (any CPU; {gpu} on a GPU)" if self.runs_on_cpu else gpu

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
        data["mode_guidance"] = dict(self.mode_guidance)
        data["pipelines"] = dict(self.pipelines)
        data["components"] = dict(self.components)
        data["multiscale"] = dict(self.multiscale)
        data["draft"] = dict(self.draft)
        data["first_frame"] = dict(self.first_frame)
        data["flow_shift"] = dict(self.flow_shift)
        data["dtypes"] = dict(self.dtypes)
        data["speed"] = dict(self.speed)
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
            "runs_on_cpu": self.runs_on_cpu or None,
            "kind": None if self.kind == "video" else self.kind,
            "description": self.description,
            "example_prompt": self.example_prompt or None,
        }
        tables: dict[str, dict[str, Any]] = {
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
            "mode_guidance": self.mode_guidance,
            "call": self.call,
            "pipelines": self.pipelines,
            "components": {f"{k}_gb": v for k, v in self.components.items()},
            "multiscale": self.multiscale,
            "draft": self.draft,
            "first_frame": self.first_frame,
            "flow_shift": {str(k): v for k, v in self.flow_shift.items()},
            "dtypes": self.dtypes,
            "speed": self.speed,
        }
        if self.kind == "upsampler":
            tables = {}  # it makes no shots: no frames, sizes or defaults of its own
        lines = [f"{k} = {_toml_value(v)}" for k, v in top.items() if v is not None]
        for name, table in tables.items():
            if not table and name in (
                "mode_guidance",
                "call",
                "pipelines",
                "components",
                "multiscale",
                "draft",
                "first_frame",
                "flow_shift",
                "dtypes",
                "speed",
            ):
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
