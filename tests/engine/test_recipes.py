"""The recipes made from a clip, as the editor and the CLI build them (engine/recipes.py)."""

from __future__ import annotations

import dataclasses

import pytest

from studio.core.recipe import RESTYLE_STRENGTH, Condition, Mode, Recipe
from studio.engine.cards import load_card
from studio.engine.modes import new_frame_count, overlap_frames
from studio.engine.recipes import (
    bridge_recipe,
    continue_recipe,
    extend_recipe,
    loop_recipe,
    restyle_recipe,
)
from tests.conftest import REPO


@pytest.fixture(scope="module")
def ltx():
    return load_card(REPO / "studio" / "models" / "ltx-video-0.9.5.toml")  # frame step 8, k = 9


@pytest.fixture(scope="module")
def wan():
    return load_card(REPO / "studio" / "models" / "wan-2.1-t2v-1.3b.toml")  # frame step 4, k = 5, at most 81 frames


BASE = Recipe(
    Mode.TEXT_TO_VIDEO,
    "ltx-video-0.9.5",
    "rain on glass",
    seed=7,
    frames=97,
    strength=0.3,
    model_revision="abc",
    window_prompts=["first"],
    references=["face.png"],
)
CLIP = Condition("media/a.mkv", media_id="a", source_in=2, source_out=40)


@pytest.mark.parametrize("backward", [False, True])
@pytest.mark.parametrize("new", [1, 12, 24])
def test_an_extension_makes_at_least_the_new_frames_asked_for_plus_the_overlap(ltx, wan, backward, new):
    for card in (ltx, wan):
        recipe = extend_recipe(BASE, card, CLIP, new, backward=backward)
        assert recipe.mode is (Mode.EXTEND_BACKWARD if backward else Mode.EXTEND_FORWARD)
        made = new_frame_count(recipe.mode, recipe.frames, card)
        assert new <= made < new + card.frame_step  # the next length the frame rule allows
        assert (recipe.frames - 1) % card.frame_step == 0
        assert recipe.conditions == [CLIP] and recipe.strength == 1.0


def test_an_extension_keeps_the_base_and_takes_the_shots_own_size_and_rate(ltx):
    recipe = extend_recipe(BASE, ltx, CLIP, 16, width=320, height=192, fps=12.0, model_revision=None)
    assert (recipe.width, recipe.height, recipe.fps, recipe.model_revision) == (320, 192, 12.0, None)
    assert (recipe.prompt, recipe.seed, recipe.model) == (BASE.prompt, 7, BASE.model)
    assert recipe.frames == 25  # 16 new + 9 overlap = 25, a length LTX makes (8k + 1)
    assert BASE.mode is Mode.TEXT_TO_VIDEO  # the base is copied, never changed


def test_a_loop_overlaps_the_clip_at_both_ends(ltx, wan):
    recipe = loop_recipe(BASE, ltx, CLIP, 24)
    assert recipe.mode is Mode.LOOP and recipe.conditions == [CLIP]
    assert recipe.frames == 49 and new_frame_count(Mode.LOOP, 49, ltx) == 31  # 24 asked, 2k = 18 overlap
    assert loop_recipe(BASE, wan, CLIP, 10).frames == 21  # 10 + 2 * 5 is a Wan length already
    cleared = loop_recipe(BASE, ltx, CLIP, 24, window_prompts=[], references=[])  # as the editor asks
    assert cleared.window_prompts == [] and cleared.references == []
    assert recipe.window_prompts == ["first"]  # as the CLI keeps them


def test_a_restyle_is_as_long_as_the_clip_down_to_a_length_the_model_makes(ltx, wan):
    recipe = restyle_recipe(BASE, ltx, CLIP, 38)
    assert (recipe.mode, recipe.frames, recipe.strength) == (Mode.VIDEO_TO_VIDEO, 33, RESTYLE_STRENGTH)
    assert restyle_recipe(BASE, wan, CLIP, 500).frames == 500  # longer than the model makes at once: in windows
    chosen = restyle_recipe(BASE, ltx, CLIP, 38, frames=17, strength=0.9)  # the CLI's --frames and --strength
    assert (chosen.frames, chosen.strength) == (17, 0.9)


def test_a_bridge_is_exactly_as_long_as_a_gap_or_at_least_as_long_as_asked(ltx):
    after = Condition("media/b.mkv", media_id="b")
    gap = bridge_recipe(BASE, ltx, CLIP, after, 20)
    k = overlap_frames(ltx)
    assert (gap.mode, gap.conditions, gap.bridge_frames) == (Mode.CONNECT, [CLIP, after], 20)
    assert gap.frames == 41 and gap.frames - 2 * k >= 20
    loose = bridge_recipe(BASE, ltx, CLIP, after, 20, exact=False)
    assert loose.bridge_frames is None and loose.frames == 41


def test_a_continuation_starts_from_the_clips_last_frame(ltx):
    recipe = continue_recipe(BASE, "media/x-last-frame.png", width=320, height=192)
    assert recipe.mode is Mode.IMAGE_TO_VIDEO
    assert recipe.conditions == [Condition("media/x-last-frame.png", 0)]
    assert (recipe.width, recipe.height, recipe.frames) == (320, 192, 97)


def test_a_recipe_made_in_another_mode_takes_that_modes_guidance_unless_set_by_hand():
    demo = load_card(REPO / "studio" / "models" / "demo.toml")  # text to video 3, the clip modes 1.5
    made = dataclasses.replace(BASE, model="demo", guidance=demo.guidance_for(Mode.TEXT_TO_VIDEO))
    assert demo.guidance_for(Mode.EXTEND_FORWARD) != made.guidance
    derived = [
        extend_recipe(made, demo, CLIP, 16),
        extend_recipe(made, demo, CLIP, 16, backward=True),
        loop_recipe(made, demo, CLIP, 8),
        restyle_recipe(made, demo, CLIP, 25),
        bridge_recipe(made, demo, CLIP, CLIP, 8),
    ]
    assert [r.guidance for r in derived] == [None] * 5  # prepare() fills in the card's default for the mode
    by_hand = dataclasses.replace(made, guidance=5.0)
    assert extend_recipe(by_hand, demo, CLIP, 16).guidance == 5.0
    assert loop_recipe(dataclasses.replace(made, guidance=None), demo, CLIP, 8).guidance is None
