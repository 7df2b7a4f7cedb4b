"""The recipe as data: every mode round-trips, and a project file from before the clip modes still reads."""

from __future__ import annotations

import json

import pytest

from studio.core.recipe import CLIP_INPUTS, Condition, Mode, Recipe, variations


def test_the_first_modes_keep_their_stored_values():
    assert Mode("text_to_video") is Mode.TEXT_TO_VIDEO
    assert Mode("image_to_video") is Mode.IMAGE_TO_VIDEO


@pytest.mark.parametrize("mode", list(Mode))
def test_every_mode_round_trips_through_json(mode):
    recipe = Recipe(
        mode=mode,
        model="tiny",
        prompt="waves",
        strength=0.4,
        conditions=[Condition("media/take.mkv", 0, media_id="m1", source_in=3, source_out=20)],
    )
    back = Recipe.from_dict(json.loads(json.dumps(recipe.to_dict())))
    assert back == recipe
    assert back.mode is mode


def test_a_recipe_written_before_clip_inputs_reads_with_defaults():
    old = {
        "mode": "image_to_video",
        "model": "ltx-video-0.9.5",
        "prompt": "a fox",
        "seed": 3,
        "conditions": [{"path": "first.png", "frame_index": 0, "media_id": None, "strength": 1.0}],
    }
    recipe = Recipe.from_dict(old)
    assert recipe.strength == 1.0
    assert recipe.conditions == [Condition("first.png", 0)]
    assert (recipe.conditions[0].source_in, recipe.conditions[0].source_out) == (0, None)


def test_keys_from_a_newer_studio_are_dropped():
    recipe = Recipe.from_dict(
        {"mode": "loop", "model": "m", "prompt": "p", "future": 1, "conditions": [{"path": "a.mkv", "x": 2}]}
    )
    assert recipe.mode is Mode.LOOP and recipe.conditions == [Condition("a.mkv")]


def test_clip_modes_say_how_many_clips_they_take():
    assert CLIP_INPUTS[Mode.CONNECT] == 2
    assert all(CLIP_INPUTS[m] == 1 for m in (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD, Mode.LOOP))
    assert Mode.KEYFRAMES not in CLIP_INPUTS and Mode.VIDEO_TO_VIDEO.label == "video to video"


def test_variations_are_the_same_shot_with_the_next_seeds():
    recipe = Recipe(mode=Mode.KEYFRAMES, model="m", prompt="p", seed=41, conditions=[Condition("a.png", 4)])
    takes = variations(recipe, 3)
    assert [t.seed for t in takes] == [41, 42, 43]
    assert all(t == Recipe.from_dict({**recipe.to_dict(), "seed": t.seed}) for t in takes)
    assert takes[0] is not recipe and takes[0].conditions == recipe.conditions
    with pytest.raises(ValueError, match="at least 1"):
        variations(recipe, 0)


def test_the_flow_shift_a_take_was_made_with_is_kept_and_checked():
    from studio.core.schema import InvalidProject, check_recipe

    recipe = Recipe(Mode.TEXT_TO_VIDEO, "wan-2.1-vace-14b", "a fox", width=1280, height=720, flow_shift=16.0)
    data = json.loads(json.dumps(recipe.to_dict()))
    assert data["flow_shift"] == 16.0 and Recipe.from_dict(data) == recipe
    check_recipe(data, "recipe")
    older = {k: v for k, v in data.items() if k != "flow_shift"}  # a take made before the field
    assert Recipe.from_dict(older).flow_shift is None
    check_recipe(older, "recipe")
    check_recipe({**data, "flow_shift": None}, "recipe")
    with pytest.raises(InvalidProject, match="flow_shift"):
        check_recipe({**data, "flow_shift": "high"}, "recipe")
