"""Check a generation request before it is queued, the same way for the CLI and the editor.

prepare() turns a recipe as a person wrote it into the one the engine will run (defaults from
the card filled in, sizes snapped) or raises RequestError with one line saying what to fix.
No torch here.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..core.recipe import Mode, Recipe
from .cards import CardError, ModelNotFound, Resolved, catalogue, resolve
from .sizes import SizeError, snap
from .weights import ModelFolderError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}


class RequestError(ValueError):
    """A request the engine cannot run, with what to do about it."""


PathLike = str | os.PathLike[str]


def resolve_model(
    model: str,
    models_dir: PathLike | None = None,
    cards_dir: PathLike | None = None,
    require_weights: bool = True,
) -> Resolved:
    """resolve() with its errors as RequestError; by default the weights must be on this machine."""
    try:
        resolved = resolve(model, models_dir, cards_dir)
    except (ModelNotFound, ModelFolderError, CardError) as exc:
        raise RequestError(str(exc)) from exc
    if require_weights and resolved.folder is None:
        card = resolved.card
        where = f" from {card.repo}" if card.repo else ""
        raise RequestError(
            f"the model '{card.id}' is not downloaded: get it{where} into models/{card.id}/ "
            "or the Hugging Face cache"
        )
    return resolved


def condition_path(path: str, project_folder: str | os.PathLike[str] | None) -> Path:
    """An input's file: relative paths are relative to the project folder."""
    p = Path(path).expanduser()
    if not p.is_absolute() and project_folder is not None:
        p = Path(project_folder) / p
    return p


def available_models(
    models_dir: PathLike | None = None, cards_dir: PathLike | None = None
) -> list[tuple[str, str]]:
    """(label, value) for every model whose weights are on this machine; value goes in Recipe.model."""
    try:
        known = catalogue(models_dir, cards_dir)
    except CardError:
        return []
    return [(entry.card.name, entry.card.id) for entry in known if entry.installed]


def prepare(
    recipe: Recipe,
    *,
    project_folder: PathLike | None = None,
    models_dir: PathLike | None = None,
    cards_dir: PathLike | None = None,
) -> tuple[Recipe, list[str]]:
    """The recipe the engine will run, and notes on what was changed to make it runnable.

    models_dir is a user-chosen folder of models (<dir>/<card id>/) searched before models/;
    relative input paths are relative to project_folder.
    """
    if not recipe.prompt or not recipe.prompt.strip():
        raise RequestError("the prompt is empty: describe the shot")
    card = resolve_model(recipe.model, models_dir, cards_dir).card
    if recipe.mode not in card.modes:
        raise RequestError(f"{card.name} cannot do {recipe.mode.replace('_', ' ')}")
    if recipe.mode is Mode.TEXT_TO_VIDEO and recipe.conditions:
        raise RequestError("text to video takes no input images; use image to video")
    if recipe.mode is Mode.IMAGE_TO_VIDEO and not recipe.conditions:
        raise RequestError("image to video needs an input image")
    for condition in recipe.conditions:
        path = condition_path(condition.path, project_folder)
        if not path.is_file():
            raise RequestError(f"the input image {path} does not exist")
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            raise RequestError(
                f"the input {path} is not an image the studio reads ({', '.join(sorted(IMAGE_SUFFIXES))})"
            )
        if not 0.0 <= condition.strength <= 1.0:
            raise RequestError(
                f"the strength of {path.name} must be between 0 and 1, not {condition.strength}"
            )

    steps = card.default_steps if recipe.steps is None else recipe.steps
    guidance = card.default_guidance if recipe.guidance is None else recipe.guidance
    if steps < 1:
        raise RequestError(f"the number of steps must be at least 1, not {steps}")
    if guidance < 0:
        raise RequestError(f"the guidance must not be negative, not {guidance}")
    try:
        snapped, notes = snap(dataclasses.replace(recipe, steps=steps, guidance=guidance), card)
    except SizeError as exc:
        raise RequestError(str(exc)) from exc
    return snapped, notes
