"""Model cards: one TOML file per model saying what it can make and how to call it.

A card names the model's family, its Hugging Face repo, the modes it supports, the sizes and
frame counts it can make, and its defaults. The cards live in studio/models/*.toml; a model folder may
carry its own card (studio-card.toml), and a folder without one gets its family's defaults.
No torch here: the editor reads cards to fill its menus.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import StudioError
from ..core.recipe import Mode
from ..core.shape import is_valid_frames
from .card import Card
from .drafts import DraftError, check_draft
from .families import FAMILIES, LTX2_MODES, VACE_MODES, Family  # noqa: F401 (the cards' public names)
from .fast_paths import check_speed
from .weights import (
    CARD_FILE,
    ModelFolderError,
    bundled_models,
    find_in_hf_cache,
    read_model_index,
    same_repo,
    search_dirs,
)

DEMO_MODEL = "demo"  # the card id of the model that ships with the studio (studio/models/demo/; studio/demo/)


class CardError(StudioError, ValueError):
    """A card file that cannot be read, naming the file and the field."""


class ModelNotFound(StudioError, LookupError):
    """A model argument that is neither a known card nor a model folder."""


LAST_FRAME = ("optional", "no", "required")
KINDS = ("video", "upsampler")
# The latent upsampler pipelines a kind = "upsampler" card may name, by the family it upsamples for.
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
# A card's [first_frame]: text to video's first frame drawn by a transformer of its own, then animated.
FIRST_FRAME_KEYS = {"transformer": str}  # its folder inside the model's (the demo model's first_frame/)
DTYPES = ("float32", "float16", "bfloat16")
_MISSING = object()
_ID = re.compile(r"[a-z0-9][a-z0-9._-]*")


# What each Python type is called in TOML, for a card author's error message.
_TOML_KIND = {
    bool: "true or false",
    str: "text in quotes",
    int: "a whole number",
    float: "a number",
    list: "a list",
    dict: "a table",
}


def _field(table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = _MISSING) -> Any:
    if key not in table:
        if default is _MISSING:
            raise CardError(f"{where}: '{key}' is missing")
        return default
    value = table[key]
    # TOML ints are fine where a float is wanted; bools are not numbers here.
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        kinds = (kind,) if isinstance(kind, type) else kind
        name = " or ".join(_TOML_KIND.get(k, k.__name__) for k in kinds)
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
    mode_guidance = _mode_guidance(_field(data, "mode_guidance", dict, source, {}), modes, source)
    unknown = sorted(set(call) - family.call_keys)
    if unknown:
        raise CardError(
            f"{source}: [call] has {', '.join(unknown)}, which the {family.label} pipeline call does not "
            f"take (allowed: {', '.join(sorted(family.call_keys))})"
        )

    multiscale = _multiscale(_field(data, "multiscale", dict, source, {}), family, source)
    try:
        draft = check_draft(_field(data, "draft", dict, source, {}), family_id, multiscale, f"{source} [draft]")
    except DraftError as exc:
        raise CardError(str(exc)) from None
    first_frame = _first_frame(_field(data, "first_frame", dict, source, {}), family, modes, source)
    if first_frame and multiscale:
        raise CardError(
            f"{source}: [first_frame] and [multiscale] do not go together (text to video is one or the other)"
        )
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
        mode_guidance=mode_guidance,
        pipelines={str(k): str(v) for k, v in pipelines.items()},
        last_frame=last_frame,
        references=_field(data, "references", bool, source, False),
        runs_on_cpu=_field(data, "runs_on_cpu", bool, source, False),
        components=_components(_field(data, "components", dict, source, {}), source),
        multiscale=multiscale,
        draft=draft,
        first_frame=first_frame,
        flow_shift=flow_shift,
        dtypes=dict(dtypes),
        speed=_speed(_field(data, "speed", dict, source, {}), source),
        source=source,
    )
    _check_numbers(card, family, source)
    return card


def _mode_guidance(table: dict[str, Any], modes: tuple[Mode, ...], source: str) -> dict[str, float]:
    """The [mode_guidance] table: one of the card's modes = its default guidance, a number not below 0."""
    guidance = {}
    for mode in table:
        if mode not in modes:
            raise CardError(f"{source}: [mode_guidance] names {mode!r}, which is not one of the card's modes")
        guidance[mode] = _field(table, mode, float, f"{source} [mode_guidance]")
        if guidance[mode] < 0:
            raise CardError(f"{source}: [mode_guidance] {mode} should not be negative")
    return guidance


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


def _speed(table: dict[str, Any], source: str) -> dict[str, Any]:
    """A checked [speed] table (fast_paths.py)."""
    try:
        return check_speed(table)
    except ValueError as exc:
        raise CardError(f"{source} [speed]: {exc}") from None


def _multiscale(table: dict[str, Any], family: Family, source: str) -> dict[str, Any]:
    """A checked [multiscale] table: an upsampler and a first-pass scale, and a refine schedule."""
    if not table:
        return {}
    where = f"{source} [multiscale]"
    if family.multiscale_keys is None or family.check_multiscale is None:
        raise CardError(f"{where}: the studio makes {family.label} shots in one pass only")
    needed, optional = family.multiscale_keys
    unknown = sorted(set(table) - needed - optional)
    if unknown:
        raise CardError(
            f"{where}: unknown {', '.join(unknown)} for {family.label} (known: {', '.join(sorted(needed | optional))})"
        )
    checked = {
        key: _field(table, key, kind, where) for key, kind in MULTISCALE_KEYS.items() if key in table or key in needed
    }
    if not 0 < checked["first_pass_scale"] < 1:
        raise CardError(f"{where}: first_pass_scale should be between 0 and 1, not {checked['first_pass_scale']}")
    try:
        return family.check_multiscale(checked)
    except ValueError as exc:
        raise CardError(f"{where}: {exc}") from None


def _first_frame(table: dict[str, Any], family: Family, modes: tuple[Mode, ...], source: str) -> dict[str, Any]:
    """A checked [first_frame] table: the folder, inside the model's, of the transformer that draws text to
    video's first frame (a plain folder name: nothing outside the model's folder is ever loaded)."""
    if not table:
        return {}
    where = f"{source} [first_frame]"
    if not family.first_frame:
        raise CardError(f"{where}: the studio makes {family.label} text to video in one step only")
    unknown = sorted(set(table) - set(FIRST_FRAME_KEYS))
    if unknown:
        raise CardError(f"{where}: unknown {', '.join(unknown)} (known: {', '.join(FIRST_FRAME_KEYS)})")
    checked = {key: _field(table, key, kind, where) for key, kind in FIRST_FRAME_KEYS.items()}
    if not _ID.fullmatch(checked["transformer"]):
        raise CardError(f"{where}: transformer should name a folder inside the model's, not {checked['transformer']!r}")
    if Mode.TEXT_TO_VIDEO not in modes or Mode.IMAGE_TO_VIDEO not in modes:
        raise CardError(f"{where}: it needs text_to_video and image_to_video among the card's modes")
    return checked


def _upsampler_card(data: dict[str, Any], card_id: str, family: Family, source: str) -> Card:
    """A kind = "upsampler" card: a model to download and find, that makes no shots of its own (no modes)."""
    pipeline = _field(data, "pipeline", str, source, family.upsampler_pipeline)
    if not family.upsampler_pipeline or pipeline != family.upsampler_pipeline:
        raise CardError(
            f"{source}: an upsampler for {family.label} should be a "
            f"{family.upsampler_pipeline or 'pipeline the studio knows'}, not {pipeline!r}"
        )
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


SHIFTABLE = ("wan", "ltx")  # the families whose schedule a flow shift sets


def _flow_shift(table: dict[str, Any], family: Family, source: str) -> dict[int, float]:
    """[flow_shift]: sizes (the shorter side, pixels) -> positive shifts; Wan's scheduler, or an LTX card's
    schedule in place of the pipeline's own (families/ltx/adapter.py, shifted_timesteps)."""
    if table and family.id not in SHIFTABLE:
        raise CardError(f"{source}: [flow_shift] is for Wan's scheduler and LTX's schedule, not {family.label}'s")
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
            raise CardError(f"{source}: [size] {name} {value} should be a positive multiple of {card.size_multiple}")
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
    """Every card in a folder (the studio's own, studio/models/, by default), by id."""
    folder = Path(folder) if folder is not None else bundled_models()
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
            return _uncarded(family, folder, **family.card_defaults(folder, index))
    known = ", ".join(c for f in FAMILIES.values() for c in f.folder_classes)
    raise ModelFolderError(f"{folder} holds a {class_name}, which the studio cannot run yet (it runs {known})")


def _uncarded(family: Family, folder: Path, **facts: Any) -> Card:
    """The card of a model folder that has none, named after the folder, with its family's facts."""
    return Card(
        id=folder.name,
        name=f"{folder.name} ({family.label}, no card)",
        family=family.id,
        description="A model folder without a studio card: the family's defaults.",
        source=str(folder),
        **facts,
    )


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
    found = {card.id: Resolved(card, find_weights(card, models_dir)) for card in load_cards(cards_dir).values()}
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
    match = next(
        (entry for entry in known if model == entry.card.id or (entry.card.repo and same_repo(entry.card.repo, model))),
        None,
    )
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
    for part, there in (
        (f"{subfolder}/", folder and (folder / subfolder / "config.json").is_file()),
        (lora, folder and (folder / lora).is_file()),
    ):
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
