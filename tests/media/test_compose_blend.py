"""The compositor's fades and dissolves through lookup tables give, to the bit, what the float64
formula gives (compose.py's docstring: the 8-bit values blended, rounded once)."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from studio.media import compose


def formula(picture: np.ndarray, weight: float, other: np.ndarray | None = None, other_weight: float = 0.0):
    mixed = picture.astype(np.float64) * weight
    if other is not None:
        mixed = mixed + other.astype(np.float64) * other_weight
    return np.clip(np.rint(mixed), 0, 255).astype(np.uint8)


# Every pair of 8-bit values, as a 256x256 picture of three equal channels.
A = np.repeat(np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, 1)[..., None], 3, 2)
B = np.ascontiguousarray(A.transpose(1, 0, 2))


@pytest.mark.parametrize("p", [Fraction(k, 24) for k in range(25)] + [Fraction(1, 3), Fraction(999, 1000)])
def test_a_dissolve_is_the_formula_for_every_pair_of_values(p):
    weight_a, weight_b = float(1 - p), float(p)
    assert np.array_equal(compose._mixed(A, weight_a, B, weight_b), formula(A, weight_a, B, weight_b))


@pytest.mark.parametrize("level", [Fraction(k, 7) for k in range(7)] + [Fraction(1, 2), Fraction(23, 24)])
def test_a_fade_is_the_formula_for_every_value(level):
    rng = np.random.default_rng(7)
    picture = rng.integers(0, 256, (37, 53, 3), dtype=np.uint8)
    picture[0, :, 0] = np.arange(53)  # and some values in every channel's corner
    picture.setflags(write=False)  # as the frame cache hands them out
    assert np.array_equal(compose._scaled(picture, level), formula(picture, float(level)))
    assert np.array_equal(compose._scaled(A, level), formula(A, float(level)))


def test_a_picture_at_full_level_is_itself():
    picture = np.zeros((2, 2, 3), np.uint8)
    assert compose._scaled(picture, Fraction(1)) is picture
