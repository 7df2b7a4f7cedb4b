"""The demo model's measures (studio/demo/quality.py) pass a perfect model of the world and fail a
broken one, mode by mode: a measure that cannot fail would prove nothing about the model.

The "model" here is an oracle that draws each mode's right answer with the world itself, through the
same recipe and condition files the engine gets; each broken oracle makes one mistake a real model
could make (ignores the first frame, turns back at a join, never reaches clip B, ...).
"""

from __future__ import annotations

import dataclasses
import re
from types import SimpleNamespace

import numpy as np
import pytest

from studio.core.recipe import Mode
from studio.demo import quality, world
from studio.media.takes import read_frames

CARD = SimpleNamespace(
    id="demo",
    default_width=128,
    default_height=128,
    default_frames=25,
    default_steps=2,
    default_guidance=3.0,
    guidance_for=lambda mode: 3.0,
    frame_step=8,
    max_frames=25,
)
K = CARD.frame_step + 1
SCENE = world.Scene("blue", "yellow", "circle", "right", world.SPEEDS[""], (0.3, 0.45))


def oracle(scene: world.Scene, mistake: str | None = None):
    """generate(pipe, recipe, card) for a perfect model of `scene`, or one that makes `mistake`."""

    def generate(pipe, recipe, card):
        n, mode = recipe.frames, recipe.mode
        if mode in (Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO, Mode.KEYFRAMES):
            if mistake == "wrong shape":
                return world.render(
                    world.Scene(scene.background, scene.colour, "square", scene.motion, scene.speed, scene.start), n
                )
            if mistake == "ignores the stills":
                return world.render(scene.later(8), n)
            return world.render(scene, n)
        if mode is Mode.EXTEND_FORWARD:
            clip = read_frames(recipe.conditions[0].path)
            after = scene.later(25)
            if mistake == "turns back":
                after = world.Scene(scene.background, scene.colour, scene.shape, "left", scene.speed, after.start)
            return np.concatenate([clip, world.render(after, n - K)])
        if mode is Mode.EXTEND_BACKWARD:
            clip = read_frames(recipe.conditions[0].path)  # frames 16.. of the scene
            return np.concatenate([world.render(scene, n - K, first=16 - (n - K)), clip])
        if mode is Mode.CONNECT:
            if mistake == "never reaches b":
                return world.render(
                    world.Scene(scene.background, scene.colour, scene.shape, "still", 0.0, scene.centre(25)), n - 2 * K
                )
            return world.render(scene, n - 2 * K, first=25)
        if mode is Mode.LOOP:
            clip = read_frames(recipe.conditions[0].path)
            if mistake == "runs on":
                return np.concatenate([clip, world.render(scene, n - 2 * K, first=25)])
            bridge = world.render_path(scene, world.loop_path(scene, len(clip), n, K)[K:-K])
            return np.concatenate([clip, bridge])
        if mode is Mode.VIDEO_TO_VIDEO:
            colour = re.search(r"(\w+) " + scene.shape, recipe.prompt).group(1)
            if mistake == "keeps the colour":
                colour = scene.colour
            return world.render(
                world.Scene(scene.background, colour, scene.shape, scene.motion, scene.speed, scene.start), n
            )
        raise AssertionError(mode)

    return generate


def oracle_long(scene: world.Scene, mistake: str | None = None):
    def generate_long(pipe, recipe, card, write_partial):
        frames = world.render(scene, recipe.frames)
        if mistake == "jumps at joins":
            frames[41:] = world.render(scene.later(8), recipe.frames - 41, first=41)  # 41: the second join
        if mistake == "forgets it at a join":  # gone for a window's new frames, back where it would be
            frames[41:57] = world.render(dataclasses.replace(scene, start=(9.0, 9.0)), 16)
        if mistake == "enters again":  # the slow scene's shape has left by frame 124; a second one comes in
            frames[134:] = world.render(dataclasses.replace(scene, start=(-0.14, scene.start[1])), recipe.frames - 134)
        return frames

    return generate_long


@pytest.mark.parametrize(
    "measure, mistake, keys",
    [
        (quality.text_to_video, "wrong shape", ("background", "colour", "shape", "motion")),
        (quality.image_to_video, "ignores the stills", ("first_frame", "motion")),
        (quality.keyframes, "ignores the stills", ("placed",)),
        (quality.extend, "turns back", ("kept_exactly", "direction", "speed", "no_jump")),
        (quality.connect, "never reaches b", ("from_a", "to_b")),
        (quality.loop, "runs on", ("kept_exactly", "wraps")),
        (quality.video_to_video, "keeps the colour", ("motion_kept", "colour_changed")),
    ],
)
def test_a_measure_passes_the_right_shot_and_fails_the_mistake(measure, mistake, keys):
    right = measure(oracle(SCENE), None, CARD, SCENE, seed=1)
    assert all(right[k] for k in keys), right
    wrong = measure(oracle(SCENE, mistake), None, CARD, SCENE, seed=1)
    assert not all(wrong[k] for k in keys), wrong


def test_extend_backward_is_measured_on_the_frames_before_the_clip():
    result = quality.extend_backward(oracle(SCENE), None, CARD, SCENE, seed=2)
    assert result["kept_exactly"] and result["direction"] and result["no_jump"], result
    assert 0.8 < result["speed_ratio"] < 1.2


def test_a_long_shot_with_a_jump_at_a_join_is_caught():
    slow = world.Scene("black", "white", "square", "right", world.SPEEDS["slowly"], (0.15, 0.5))
    smooth = quality.long_shot(oracle_long(slow), None, CARD, slow, seed=3, frames=73)
    assert smooth["joins"] == 3 and smooth["smooth"] and smooth["steady_look"], smooth
    jumpy = quality.long_shot(oracle_long(slow, "jumps at joins"), None, CARD, slow, seed=3, frames=73)
    assert not jumpy["smooth"]


def test_a_long_shot_whose_shape_vanishes_inside_the_frame_is_caught_and_a_second_pass_is_not():
    slow = world.Scene("black", "white", "square", "right", world.SPEEDS["slowly"], (0.15, 0.5))
    forgot = quality.long_shot(oracle_long(slow, "forgets it at a join"), None, CARD, slow, seed=3, frames=73)
    assert forgot["passes"] == 2 and not forgot["at_edges"] and forgot["begun_mid_frame"] == 1, forgot
    again = quality.long_shot(oracle_long(slow, "enters again"), None, CARD, slow, seed=3, frames=241)
    assert again["passes"] == 2 and again["at_edges"] and again["motion"] and again["begun_mid_frame"] == 0, again


@pytest.mark.parametrize("mode", quality.MEASURES)
def test_the_worlds_own_frames_pass_every_check_on_every_benchmark_scene(mode):
    """The benchmark's 40 scenes a mode (quality.scenes) can all be passed: a perfect model scores 100 %.
    Drawn without keeping the shape in the frame, the world itself passed extend forward's direction on
    80 % of them, connect's arrival on 72 % and keyframes on 82 %: a ceiling under the 90 % asked."""
    _, measure, checks, _ = quality.MEASURES[mode]
    for seed, scene in enumerate(quality.scenes(mode, 40)):
        result = measure(oracle(scene), None, CARD, scene, seed)
        assert all(result[k] for k in checks), (seed, scene, result)


def test_the_worlds_own_frames_pass_the_long_shots_checks_on_its_benchmark_scenes():
    for seed, scene in enumerate(quality.scenes("long_shot", 10)):
        result = quality.long_shot(oracle_long(scene), None, CARD, scene, seed, frames=241)
        checks = ("smooth", "steady_look", "colour", "motion", "at_edges")
        assert all(result[k] for k in checks) and result["passes"] == 1, (scene, result)
