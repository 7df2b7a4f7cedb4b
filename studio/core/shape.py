"""A shot's shape as a model allows it: frame counts on its frame rule, sides in whole multiples.

A model makes step*k + 1 frames (step is the card's frame_step: its VAE packs the first frame on
its own, then step frames into each latent frame) and sides in multiples of the card's
size_multiple. The card defaults, the engine's checks, the CLI and the editor all ask these
functions, so the arithmetic is written once.
"""

from __future__ import annotations


def is_valid_frames(frames: int, step: int) -> bool:
    """Whether the frame rule allows `frames`: step*k + 1, at least one."""
    return frames >= 1 and (frames - 1) % step == 0


def valid_frames_at_least(frames: int, step: int) -> int:
    """The fewest frames the rule allows that are not fewer than `frames` (a shot never comes up short)."""
    return (frames - 1 + step - 1) // step * step + 1


def valid_frames_at_most(frames: int, step: int) -> int:
    """The most frames the rule allows that are not more than `frames` (a limit never overrun)."""
    return (frames - 1) // step * step + 1


def nearest_valid_frames(frames: int, step: int) -> int:
    """The count the rule allows nearest to `frames` (ties go up: a little more rather than less)."""
    return (frames - 1 + step // 2) // step * step + 1


def latent_frames(frames: int, step: int) -> int:
    """How many latent frames the VAE makes of `frames` frames: the first alone, then one per step."""
    return (frames - 1) // step + 1


def multiple_at_most(value: int, multiple: int) -> int:
    """The largest multiple of `multiple` not above `value`, never below one multiple."""
    return max(multiple, value // multiple * multiple)


def nearest_multiple(value: int, multiple: int) -> int:
    """The multiple of `multiple` nearest to `value` (ties go up), never below one multiple."""
    return max(multiple, (value + multiple // 2) // multiple * multiple)
