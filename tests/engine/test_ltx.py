"""Every LTX mode through the tiny model's real pipeline, loaded back from disk by the loader."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.families.ltx.adapter import generate
from studio.engine.jobs import Cancelled
from studio.engine.requests import prepare


def run(pipe, card, recipe: Recipe, **kw) -> np.ndarray:
    return generate(pipe, recipe, card, **kw)


@pytest.fixture(scope="module")
def text_recipe(tiny_ltx) -> Recipe:
    recipe, _ = prepare(
        Recipe(
            mode=Mode.TEXT_TO_VIDEO,
            model=str(tiny_ltx),
            prompt="a red fox runs through the snow",
            width=64,
            height=64,
            frames=9,
            seed=7,
        )
    )
    return recipe


@pytest.fixture(scope="module")
def text_frames(tiny_pipe, tiny_card, text_recipe) -> np.ndarray:
    return run(tiny_pipe, tiny_card, text_recipe)


def first_frame_recipe(text_recipe: Recipe, first) -> Recipe:
    return dataclasses.replace(text_recipe, mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(str(first), 0)])


def test_text_to_video_makes_the_requested_frames(text_frames):
    assert text_frames.shape == (9, 64, 64, 3) and text_frames.dtype == np.uint8
    assert text_frames.std() > 5  # a picture, not a flat field


def test_the_same_recipe_gives_identical_frames(tiny_pipe, tiny_card, text_recipe, text_frames):
    assert np.array_equal(run(tiny_pipe, tiny_card, text_recipe), text_frames)


def test_another_seed_gives_other_frames(tiny_pipe, tiny_card, text_recipe, text_frames):
    other = run(tiny_pipe, tiny_card, dataclasses.replace(text_recipe, seed=8))
    assert not np.array_equal(other, text_frames)


def test_size_and_frame_count_follow_the_recipe(tiny_pipe, tiny_card, text_recipe):
    frames = run(tiny_pipe, tiny_card, dataclasses.replace(text_recipe, width=96, height=32, frames=13))
    assert frames.shape == (13, 32, 96, 3)


def test_image_to_video_is_conditioned_on_the_first_frame(tiny_pipe, tiny_card, text_recipe, text_frames, still_images):
    first, _ = still_images
    recipe = first_frame_recipe(text_recipe, first)
    frames = run(tiny_pipe, tiny_card, recipe)
    assert frames.shape == (9, 64, 64, 3)
    assert np.abs(frames.astype(int) - text_frames).mean() > 2  # the image changed the shot
    assert np.array_equal(run(tiny_pipe, tiny_card, recipe), frames)  # and deterministically


def test_first_and_last_frame_is_conditioned_on_both(tiny_pipe, tiny_card, text_recipe, still_images):
    first, last = still_images
    first_only = run(tiny_pipe, tiny_card, first_frame_recipe(text_recipe, first))
    both = dataclasses.replace(
        text_recipe, mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(str(first), 0), Condition(str(last), 8)]
    )
    frames = run(tiny_pipe, tiny_card, both)
    assert frames.shape == (9, 64, 64, 3)
    assert np.abs(frames.astype(int) - first_only).mean() > 1  # the last image changed the shot too


def test_progress_is_reported_every_step(tiny_pipe, tiny_card, text_recipe):
    steps = []
    run(
        tiny_pipe,
        tiny_card,
        dataclasses.replace(text_recipe, steps=3),
        on_step=lambda s, n: steps.append((s, n)),
    )
    assert steps == [(1, 3), (2, 3), (3, 3)]


def test_cancel_stops_between_steps_and_skips_the_decode(tiny_pipe, tiny_card, text_recipe, monkeypatch):
    decoded = []
    original = tiny_pipe.vae.decode
    monkeypatch.setattr(tiny_pipe.vae, "decode", lambda *a, **kw: decoded.append(1) or original(*a, **kw))
    steps = []
    with pytest.raises(Cancelled):
        run(
            tiny_pipe,
            tiny_card,
            dataclasses.replace(text_recipe, steps=10),
            on_step=lambda s, n: steps.append(s),
            should_stop=lambda: len(steps) >= 2,
        )
    assert steps == [1, 2]
    assert decoded == []


def test_cancel_before_the_start_runs_nothing(tiny_pipe, tiny_card, text_recipe):
    steps = []
    with pytest.raises(Cancelled):
        run(tiny_pipe, tiny_card, text_recipe, on_step=lambda s, n: steps.append(s), should_stop=lambda: True)
    assert steps == []


@pytest.mark.parametrize("mode", ["text", "extend"])
def test_previews_come_from_the_latents_every_other_step(
    tiny_pipe, tiny_card, text_recipe, text_frames, tmp_path, mode
):
    from studio.engine.runtime.steps import PREVIEW_SIZE
    from studio.media.takes import write_frames

    recipe = dataclasses.replace(text_recipe, steps=5)
    if mode == "extend":  # conditioning tokens come first in the latents: the preview must skip them
        write_frames(tmp_path / "clip.mkv", text_frames, 24)
        clip = Condition(str(tmp_path / "clip.mkv"))
        recipe = dataclasses.replace(recipe, mode=Mode.EXTEND_FORWARD, conditions=[clip])
    previews = []
    run(tiny_pipe, tiny_card, recipe, on_preview=previews.append)
    assert len(previews) == 3  # after steps 2, 4 and the last, 5
    for preview in previews:
        assert preview.dtype == np.uint8 and preview.shape[2] == 3
        assert max(preview.shape[:2]) <= PREVIEW_SIZE and preview.shape[0] == preview.shape[1]  # a square shot
        assert preview.std() > 5  # a picture, not a flat field
    assert not np.array_equal(previews[0], previews[-1])  # the denoise moves on between them
