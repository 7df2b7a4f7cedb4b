"""Family: what every model of a family shares, as the cards and the editor need it (no torch)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..weights import ModelFolderError, incomplete


@dataclass(frozen=True)
class Family:
    """What every model of a family shares: the pipeline classes and what they demand."""

    id: str  # the cards' `family`, and the name of its folder, engine/families/<id>/
    label: str  # for messages: "LTX needs multiples of 32"
    pipelines: tuple[str, ...]  # classes the studio will run a model of this family as
    folder_classes: tuple[str, ...]  # model_index.json _class_name values that mean this family
    size_multiple: int  # what the pipeline's check_inputs demands of width and height
    call_keys: frozenset[str]  # extra pipeline arguments a card may set
    # The card fields of a model folder without a card, read from its configs: (folder, model_index.json).
    card_defaults: Callable[[Path, dict[str, Any]], dict[str, Any]]
    upsampler_pipeline: str = ""  # the latent upsampler's class, for a family whose cards may have two passes
    # A two-pass card's [multiscale] keys, (needed, optional), and the family's own check of their values
    # (returns them checked, raises ValueError); None for a family that makes its shots in one pass.
    multiscale_keys: tuple[frozenset[str], frozenset[str]] | None = None
    check_multiscale: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # Whether its pipeline runs the negative prompt's pass at a guidance, given a card's [call] table: diffusers'
    # pipelines do above guidance 1 (`guidance_scale > 1`).
    negative_pass: Callable[[float, dict[str, Any]], bool] = lambda guidance, call: guidance > 1
    # Whether its cards may draw text to video's first frame with a transformer of their own ([first_frame]).
    first_frame: bool = False
    makes_sound: bool = False  # its takes have sound, made with the picture (LTX-2)


def read_json(path: Path) -> dict[str, Any]:
    """A model folder's config file; a missing or damaged one is the folder's fault, said as such."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise incomplete(path.parent.parent, f"{path.parent.name}/{path.name} is missing") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFolderError(f"{path} is damaged ({exc}); download the model again") from exc
