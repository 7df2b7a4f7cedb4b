"""The clip modes, the same for every family: which frames of a clip condition the shot, where they
go, and how the generated frames and the clip's own frames make the take. No torch here.

The overlap k is the number of a clip's frames the model continues from: two latent frames' worth
(the first frame on its own, then one packed group of card.frame_step frames), 9 frames for LTX's
8k+1 rule. One frame would give the model a picture but no motion; two latent frames give it
motion, and k is the smallest length a conditioning video can have beyond a single frame.

    extend forward   the clip's last k frames at frame 0; take = the clip + the frames after them
    extend backward  the clip's first k frames at the end; take = the frames before them + the clip
    connect A → B    A's last k frames at 0, B's first k at the end; take = only the frames between
    loop             the clip's last k at 0 and its own first k at the end;
                     take = the clip + the frames between, so its last frame leads into its first
    video to video   the clip's first `frames` frames, remade with Recipe.strength

The clip's frames in an extended or looped take are its exact frames, read from the lossless take;
only a clip of another size than the shot is scaled and cropped to fit first.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from ..core.recipe import Condition, Mode
from ..core.shape import valid_frames_at_least
from ..media.takes import read_frames
from .cards import Card


def condition_path(path: str, project_folder: str | os.PathLike[str] | None) -> Path:
    """An input's file: relative paths are relative to the project folder."""
    p = Path(path).expanduser()
    if not p.is_absolute() and project_folder is not None:
        p = Path(project_folder) / p
    return p


def overlap_frames(card: Card) -> int:
    """k: how many of a clip's frames the new frames continue from (see the module docstring)."""
    return card.frame_step + 1


def min_frames(mode: Mode, card: Card) -> int:
    """The fewest frames a shot of this mode can have and still make at least one new frame."""
    k = overlap_frames(card)
    if mode in (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD):
        least = k + 1
    elif mode in (Mode.CONNECT, Mode.LOOP):
        least = 2 * k + 1
    else:
        return 1
    return valid_frames_at_least(least, card.frame_step)


def new_frame_count(mode: Mode, frames: int, card: Card) -> int:
    """How many frames of a generated shot of `frames` frames end up in the take as new frames."""
    k = overlap_frames(card)
    if mode in (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD):
        return frames - k
    if mode in (Mode.CONNECT, Mode.LOOP):
        return frames - 2 * k
    return frames


def fit_frames(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Frames cropped to the shot's aspect and scaled to its size (never stretched); unchanged if they fit."""
    if frames.shape[1:3] == (height, width):
        return frames
    return np.stack(
        [np.asarray(ImageOps.fit(Image.fromarray(f), (width, height), Image.Resampling.LANCZOS)) for f in frames]
    )


def read_clip(
    condition: Condition, project_folder: str | os.PathLike[str] | None, width: int, height: int
) -> np.ndarray:
    """A clip condition's frames (source_in to source_out) as uint8 (N, height, width, 3)."""
    frames = read_frames(condition_path(condition.path, project_folder))
    end = len(frames) if condition.source_out is None else condition.source_out
    return fit_frames(frames[condition.source_in : end], width, height)


def placements(mode: Mode, clips: list[np.ndarray], frames: int, card: Card) -> list[tuple[np.ndarray, int, int]]:
    """The conditioning videos of a clip mode: (frames, output frame index of their first frame, which
    clip they come from, so that its Condition.strength applies)."""
    k = overlap_frames(card)
    end = frames - k
    if mode is Mode.EXTEND_FORWARD:
        return [(clips[0][-k:], 0, 0)]
    if mode is Mode.EXTEND_BACKWARD:
        return [(clips[0][:k], end, 0)]
    if mode is Mode.CONNECT:
        return [(clips[0][-k:], 0, 0), (clips[1][:k], end, 1)]
    if mode is Mode.LOOP:
        return [(clips[0][-k:], 0, 0), (clips[0][:k], end, 0)]
    raise ValueError(f"{mode.label} places no clip frames")


def assemble(
    mode: Mode, generated: np.ndarray, clips: list[np.ndarray], card: Card, bridge_frames: int | None = None
) -> np.ndarray:
    """The take: the generated frames without the overlaps, joined to the clip's exact frames.
    A connect bridge longer than bridge_frames is thinned to it (thin_frames)."""
    k = overlap_frames(card)
    if mode is Mode.EXTEND_FORWARD:
        return np.concatenate([clips[0], generated[k:]])
    if mode is Mode.EXTEND_BACKWARD:
        return np.concatenate([generated[:-k], clips[0]])
    if mode is Mode.CONNECT:
        bridge = generated[k:-k]
        return bridge if bridge_frames is None else thin_frames(bridge, bridge_frames)
    if mode is Mode.LOOP:
        return np.concatenate([clips[0], generated[k:-k]])
    return generated


def output_frames(output, recipe) -> np.ndarray:
    """A pipeline's video (output.frames[0], floats in [0, 1]) as uint8 frames (N, height, width, 3),
    refused unless it has the recipe's frame count and size: pipelines round a size or a frame count
    they cannot make without an error, and a take of another length would land wrong."""
    video = np.asarray(output.frames[0])
    expected = (recipe.frames, recipe.height, recipe.width, 3)
    if video.shape != expected:
        raise RuntimeError(f"the pipeline made video shaped {video.shape}, not {expected}")
    return (video * 255.0).round().clip(0, 255).astype(np.uint8)


def thin_frames(frames: np.ndarray, count: int) -> np.ndarray:
    """`count` of the frames, spread evenly and keeping the first and the last, so a bridge still
    leaves A's motion and meets B's exactly where it would have; a model's frame rule (8k+1) then
    never leaves a gap on the timeline unfilled or overfilled by up to 7 frames."""
    if count >= len(frames):
        return frames
    if count == 1:
        return frames[len(frames) // 2 : len(frames) // 2 + 1]
    return frames[np.round(np.linspace(0, len(frames) - 1, count)).astype(int)]
