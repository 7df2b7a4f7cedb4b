"""The frame rule (step*k + 1 frames) and the size multiples, each written once in core.shape."""

from __future__ import annotations

import pytest

from studio.core.shape import (
    is_valid_frames,
    latent_frames,
    multiple_at_most,
    nearest_multiple,
    nearest_valid_frames,
    valid_frames_at_least,
    valid_frames_at_most,
)


@pytest.mark.parametrize(
    ("frames", "step", "valid"),
    [
        (1, 8, True),
        (9, 8, True),
        (97, 8, True),
        (8, 8, False),
        (10, 8, False),
        (0, 8, False),
        (-7, 8, False),
        (5, 4, True),
        (6, 1, True),
        (0, 1, False),
    ],
)
def test_is_valid_frames(frames, step, valid):
    assert is_valid_frames(frames, step) is valid


@pytest.mark.parametrize(
    ("frames", "step", "expected"),
    [
        (1, 8, 1),
        (2, 8, 9),
        (9, 8, 9),
        (10, 8, 17),
        (6, 4, 9),
        (7, 1, 7),
    ],
)
def test_valid_frames_at_least_never_comes_up_short(frames, step, expected):
    assert valid_frames_at_least(frames, step) == expected


@pytest.mark.parametrize(
    ("frames", "step", "expected"),
    [
        (1, 8, 1),
        (8, 8, 1),
        (9, 8, 9),
        (16, 8, 9),
        (257, 8, 257),
        (161, 4, 161),
        (49, 16, 49),
        (7, 1, 7),
    ],
)
def test_valid_frames_at_most_never_overruns(frames, step, expected):
    assert valid_frames_at_most(frames, step) == expected


@pytest.mark.parametrize(("frames", "step", "expected"), [(1, 8, 1), (4, 8, 1), (5, 8, 9), (96, 8, 97), (7, 4, 9)])
def test_nearest_valid_frames_goes_up_on_a_tie(frames, step, expected):
    assert nearest_valid_frames(frames, step) == expected


@pytest.mark.parametrize("step", [1, 4, 8, 16])
def test_every_rounding_lands_on_a_valid_count(step):
    for frames in range(1, 200):
        below, above = valid_frames_at_most(frames, step), valid_frames_at_least(frames, step)
        near = nearest_valid_frames(frames, step)
        assert all(is_valid_frames(n, step) for n in (below, above, near))
        assert below <= frames <= above and near in (below, above)
        assert above - below in (0, step)


@pytest.mark.parametrize(("frames", "step", "expected"), [(1, 8, 1), (9, 8, 2), (97, 8, 13), (121, 4, 31), (8, 8, 1)])
def test_latent_frames_keep_the_first_frame_alone(frames, step, expected):
    assert latent_frames(frames, step) == expected


@pytest.mark.parametrize(
    ("value", "multiple", "expected"),
    [
        (1280, 32, 1280),
        (1279, 32, 1248),
        (500, 32, 480),
        (10, 32, 32),
        (0, 16, 16),
    ],
)
def test_multiple_at_most_never_goes_below_one_multiple(value, multiple, expected):
    assert multiple_at_most(value, multiple) == expected


@pytest.mark.parametrize(
    ("value", "multiple", "expected"),
    [
        (500, 32, 512),
        (270, 32, 256),
        (48, 32, 64),
        (47, 32, 32),
        (1, 32, 32),
        (768, 32, 768),
    ],
)
def test_nearest_multiple_goes_up_on_a_tie_and_never_below_one_multiple(value, multiple, expected):
    assert nearest_multiple(value, multiple) == expected
