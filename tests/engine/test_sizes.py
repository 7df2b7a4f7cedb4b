"""Snapping a recipe to the sizes and frame counts a model can make."""

from __future__ import annotations

import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.cards import load_cards
from studio.engine.sizes import SizeError, snap


@pytest.fixture(scope="module")
def ltx():
    return load_cards()["ltx-video-0.9.5"]


def recipe(**kw) -> Recipe:
    base = dict(mode=Mode.TEXT_TO_VIDEO, model="ltx-video-0.9.5", prompt="a kite", width=768, height=512, frames=97)
    base.update(kw)
    return Recipe(**base)


def test_a_valid_recipe_is_unchanged(ltx):
    snapped, notes = snap(recipe(), ltx)
    assert (snapped.width, snapped.height, snapped.frames) == (768, 512, 97)
    assert notes == []


def test_sizes_round_to_the_nearest_multiple_with_a_note(ltx):
    snapped, notes = snap(recipe(width=500, height=270, frames=100), ltx)
    assert (snapped.width, snapped.height, snapped.frames) == (512, 256, 97)
    assert "width 500 → 512: LTX needs multiples of 32" in notes
    assert "height 270 → 256: LTX needs multiples of 32" in notes
    assert "frames 100 → 97: LTX needs 8k+1 frames" in notes


def test_small_sizes_round_up_to_the_smallest_valid_one(ltx):
    snapped, _ = snap(recipe(width=1, height=10, frames=2), ltx)
    assert (snapped.width, snapped.height, snapped.frames) == (32, 32, 1)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"width": 0}, "the width must be a positive number of pixels, not 0"),
        ({"height": -64}, "the height must be a positive number of pixels, not -64"),
        ({"width": 4096}, "a width of 4096 is larger than LTX-Video 0.9.5 (2B) can make (at most 1280)"),
        ({"frames": 0}, "the frame count must be positive, not 0"),
        ({"frames": 1000}, "1000 frames is more than LTX-Video 0.9.5 (2B) can make at once (at most 257)"),
        ({"fps": 0}, "the frame rate must be positive"),
    ],
)
def test_impossible_sizes_are_errors_with_clear_messages(ltx, change, message):
    with pytest.raises(SizeError) as error:
        snap(recipe(**change), ltx)
    assert message in str(error.value)


def test_a_last_frame_condition_follows_the_snapped_last_frame(ltx):
    r = recipe(mode=Mode.IMAGE_TO_VIDEO, frames=100, conditions=[Condition("a.png", 0), Condition("b.png", 99)])
    snapped, _ = snap(r, ltx)
    assert [c.frame_index for c in snapped.conditions] == [0, 96]
    assert [c.frame_index for c in r.conditions] == [0, 99]  # the caller's recipe is untouched


def test_a_condition_outside_the_shot_is_an_error(ltx):
    with pytest.raises(SizeError, match="outside the shot's 97 frames"):
        snap(recipe(mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition("a.png", 120)]), ltx)
