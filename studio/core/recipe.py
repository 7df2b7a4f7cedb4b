"""The recipe: everything a generation job needs, and everything a take records about how it was made.

One serialisable dataclass is the whole contract between the editor and the engine.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from typing import Any


class Mode(StrEnum):
    TEXT_TO_VIDEO = "text_to_video"
    IMAGE_TO_VIDEO = "image_to_video"  # an image at frame 0 (and optionally one at the last frame)
    EXTEND_FORWARD = "extend_forward"  # the take is the clip followed by new frames
    EXTEND_BACKWARD = "extend_backward"  # the take is new frames followed by the clip
    CONNECT = "connect"  # the take is a bridge from the end of one clip to the start of another
    KEYFRAMES = "keyframes"  # stills at chosen frame indices
    VIDEO_TO_VIDEO = "video_to_video"  # the clip remade; Recipe.strength says how much
    LOOP = "loop"  # the clip followed by new frames that lead back into its first frame

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


# Modes whose inputs are clips (video files with a frame range), and how many each takes.
CLIP_INPUTS: dict[Mode, int] = {
    Mode.EXTEND_FORWARD: 1,
    Mode.EXTEND_BACKWARD: 1,
    Mode.CONNECT: 2,
    Mode.VIDEO_TO_VIDEO: 1,
    Mode.LOOP: 1,
}

# What the CLI and the editor ask for where the person leaves it open: how much of a clip a restyle
# (video to video) remakes, and what a connect's bridge shows.
RESTYLE_STRENGTH = 0.6
BRIDGE_PROMPT = "a smooth, continuous transition between the two shots"

# A take's quality: "full", the card's own recipe; "draft", the card's [draft] (fewer steps, a smaller
# size, a distilled model), quick to look at and refined later into the full take of the same recipe.
FULL = "full"
DRAFT = "draft"
QUALITIES = (FULL, DRAFT)


@dataclass
class Condition:
    """An input the model is conditioned on: an image at an output frame index, or a clip.

    For a clip (the clip modes), source_in and source_out pick its frames from the file, and the
    mode decides where they go: extending puts the clip's last frames at frame 0, and so on.
    """

    path: str  # image or video file; absolute, or relative to the project folder
    frame_index: int = 0
    media_id: str | None = None  # the project media item it came from, if any
    strength: float = 1.0
    source_in: int = 0  # a clip's first frame in the file
    source_out: int | None = None  # one past a clip's last frame in the file; None: the file's end

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Condition:
        return cls(**_known(cls, data))


@dataclass
class Recipe:
    mode: Mode
    model: str  # model card id, or a path to a diffusers model folder
    prompt: str
    negative_prompt: str = ""
    expanded_prompt: str | None = None
    # The sequence's look ("35 mm film, warm light"), said to the model after the prompt (and after each
    # window's): every shot of a sequence gets the same words, so its shots share a style (Sequence.style).
    style: str = ""
    seed: int = 0
    steps: int | None = None  # None: the card's default
    guidance: float | None = None  # None: the card's default
    width: int = 768
    height: int = 512
    frames: int = 97
    fps: float = 24.0
    conditions: list[Condition] = field(default_factory=list)
    # video to video: how much of the clip is remade, 0 (kept as it is) to 1 (made anew from the prompt)
    strength: float = 1.0
    model_revision: str | None = None  # filled in by the engine: which weights made the take
    # filled in by the engine for a take made in two passes (a small first pass, its latents upsampled,
    # a short refine at full size): the upsampler, "<card id>@<revision>"; None: made in one pass
    upsampler: str | None = None
    # connect: the bridge's exact length, where that is not a length the model makes (a gap on the
    # timeline); the next longer bridge is made and evenly thinned to it. None: as made.
    bridge_frames: int | None = None
    # a long shot (longer than the model makes at once, made in windows): each window's prompt, in
    # order; the last one goes on for any windows after it. Empty: the prompt throughout.
    window_prompts: list[str] = field(default_factory=list)
    # Images of what the shot should show (a character, an object, a place), for models whose card
    # says `references = true` (Wan VACE); paths like Condition.path. They go with any mode.
    references: list[str] = field(default_factory=list)
    # Wan's scheduler flow shift. None: the card's for the shot's size ([flow_shift]), which the engine
    # fills in, so a take records the shift it was made with and can be made again.
    flow_shift: float | None = None
    # FULL or DRAFT. A draft is resolved by the engine to the card's [draft] (engine/drafts.py): its
    # model, steps, guidance and size are what really ran, and `full` keeps what its Refine asks for
    # instead (model, steps, guidance, width, height, flow_shift). Older takes have neither: full.
    quality: str = FULL
    full: dict[str, Any] | None = None
    # A Refine of a draft: the draft it was made from (its take's path, model, steps, guidance, width,
    # height). A two-pass card's refine starts from that draft's first-pass latents. None: not a refine.
    draft: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.mode = Mode(self.mode)

    @property
    def title(self) -> str:
        """The prompt on one line, for names: a prompt typed over several lines is one line in the media bin,
        on the clip and in the Jobs panel."""
        return " ".join(self.prompt.split())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mode"] = str(self.mode)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Recipe:
        data = _known(cls, data)
        data["conditions"] = [Condition.from_dict(c) for c in data.get("conditions", [])]
        return cls(**data)


def with_style(prompt: str, style: str) -> str:
    """What the model is told: the prompt, then the sequence's style as a sentence of its own."""
    prompt, style = prompt.strip(), style.strip()
    if not style:
        return prompt
    if not prompt:
        return style
    return f"{prompt}{'' if prompt[-1] in '.!?' else '.'} {style}"


def variations(recipe: Recipe, takes: int) -> list[Recipe]:
    """Several takes of one shot: the same recipe with the seeds seed, seed + 1, … seed + takes - 1."""
    if takes < 1:
        raise ValueError(f"the number of takes must be at least 1, not {takes}")
    return [replace(recipe, seed=recipe.seed + i) for i in range(takes)]


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """Drop keys a newer studio may have written, so an older one can still read the rest."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}
