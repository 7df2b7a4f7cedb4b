"""The shipped demo model (studio/models/demo/), mode by mode, through the engine's real LTX path and judged by
the checker: the same calls as benchmarks/demo_quality.py's table, on the first few scenes of each of its
pools (not chosen by how they come out), so CI sees in a minute what the benchmark measures in many.

Each test asserts what the shipped model does on every one of those scenes (keyframes, loops' wrap, video to
video's path and extend backward's direction and pace: two of three). What it does not yet do reliably (text
to video's shape, the long shot's motion across passes) is not asserted here; issue 11 stays open for it.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch

from studio.demo import bank, checker, quality, train, world
from studio.engine import windows
from studio.engine.cards import find_weights, load_cards
from studio.engine.families.ltx import adapter as ltx
from studio.engine.runtime.loader import load_pipeline, pick_device

SHOTS = 3


@pytest.fixture(scope="module")
def demo():
    card = load_cards()["demo"]
    pipe = load_pipeline(find_weights(card), card, pick_device("cpu"))
    pipe.set_progress_bar_config(disable=True)
    return pipe, card


def shots(demo, measure, mode: str) -> list[dict]:
    """The measure on the first SHOTS scenes of the benchmark's pool for the mode (quality.scenes)."""
    pipe, card = demo
    return [measure(ltx.generate, pipe, card, scene, i) for i, scene in enumerate(quality.scenes(mode, SHOTS))]


def failed(rows: list[dict], *keys: str) -> list[dict]:
    return [r for r in rows if not all(r[k] for k in keys)]


def test_text_to_video_gets_the_background_colour_and_motion_of_prompts_it_never_saw(demo):
    rows = shots(demo, quality.text_to_video, "text_to_video")
    assert not failed(rows, "background", "colour", "motion"), rows


def test_the_sequences_style_reaches_the_model_after_the_prompt(demo):
    """A prompt that names no background and a style that does: the shot is on the style's background (the
    engine says the style after the prompt, Recipe.style), and another style gives another."""
    pipe, card = demo
    for style, background in (("On a blue background.", "blue"), ("On a green background.", "green")):
        recipe = quality.recipe(card, quality.Mode.TEXT_TO_VIDEO, "a red circle moves left", 0, style=style)
        got = checker.read(ltx.generate(pipe, recipe, card))
        assert (got.background, got.colour) == (background, "red"), style


def test_image_to_video_starts_on_the_still_and_moves_as_the_prompt_says(demo):
    rows = shots(demo, quality.image_to_video, "image_to_video")
    assert not failed(rows, "first_frame", "motion"), rows


def test_extend_forward_and_backward_keep_the_clip_frame_for_frame(demo):
    rows = shots(demo, quality.extend, "extend_forward") + shots(demo, quality.extend_backward, "extend_backward")
    assert not failed(rows, "kept_exactly"), rows


def test_extend_forward_carries_the_motion_on_at_its_pace_without_a_jump_or_a_ghost(demo):
    rows = shots(demo, quality.extend, "extend_forward")
    assert not failed(rows, "direction", "speed", "no_jump", "one_object"), rows


def test_extend_backward_leads_into_the_clip_the_way_it_moves_without_a_jump(demo):
    rows = shots(demo, quality.extend_backward, "extend_backward")
    assert not failed(rows, "no_jump"), rows
    # 88-90 % of the benchmark's shots; a slow leftward scene here stands nearly still before the clip
    assert sum(r["direction"] and r["speed"] for r in rows) >= SHOTS - 1, rows


def test_keyframes_put_the_shape_where_each_still_has_it(demo):
    rows = shots(demo, quality.keyframes, "keyframes")
    assert sum(r["placed"] for r in rows) >= SHOTS - 1, rows


def test_a_bridge_leaves_clip_a_where_it_ends_and_reaches_clip_b_where_it_starts(demo):
    rows = shots(demo, quality.connect, "connect")
    assert not failed(rows, "from_a", "to_b", "one_object"), rows


def test_a_loop_keeps_the_clip_frame_for_frame_and_leads_its_end_back_into_its_start(demo):
    """On the pool's first moving scenes (a still one wraps by standing still) the bridge carries the shape
    from where the clip ends back to where it starts, the way back the loop batches taught: in two of these
    three at least (the model before them wrapped no moving scene; 90 % of the benchmark's loops wrap)."""
    pipe, card = demo
    pool = list(enumerate(quality.scenes("loop", 4 * SHOTS)))
    moving = [(seed, scene) for seed, scene in pool if scene.motion != "still"][:SHOTS]
    rows = [quality.loop(ltx.generate, pipe, card, scene, seed) for seed, scene in moving]
    assert len(rows) == SHOTS and not failed(rows, "kept_exactly"), rows
    assert sum(r["wraps"] for r in rows) >= SHOTS - 1, rows


def test_video_to_video_keeps_the_clips_path_and_changes_the_colour_the_prompt_asks_for(demo):
    rows = shots(demo, quality.video_to_video, "video_to_video")
    assert not failed(rows, "colour_changed"), rows
    assert sum(r["motion_kept"] for r in rows) >= SHOTS - 1, rows  # at strength 0.3: 80 % of the benchmark's shots


def test_a_long_shots_windows_join_without_a_jump_and_bring_the_shape_in_at_the_edge(demo):
    """The benchmark's long shot (10 s: five windows after the first) on the pool's first scenes: at all but one
    of their joins where the shape is seen, its step into the join's first new frame is within the shot's own
    pace (quality.JUMP). Before each window's carried overlap was taken from its own decode (engine/windows.py),
    about one join in four jumped. And the shape appears only at the frame's edges, almost always: the seventh
    model, never trained on an empty overlap with the shape still to come (train.py's late entries), drew it
    anew mid-frame 7 times in these shots."""
    pipe, card = demo
    frames = 10 * world.FPS + 1

    def generate_long(pipe, recipe, card, write_partial):
        return windows.generate_long(ltx, pipe, recipe, card, None, write_partial)

    rows = [
        quality.long_shot(generate_long, pipe, card, scene, seed, frames)
        for seed, scene in enumerate(quality.scenes("long_shot", SHOTS))
    ]
    jumps = [jump for row in rows for jump in row["join_jumps"]]
    assert len(jumps) >= 2 * SHOTS, rows  # seen at enough joins to tell
    assert sum(jump > quality.JUMP for jump in jumps) <= 1, jumps
    assert sum(row["begun_mid_frame"] for row in rows) <= 2, rows


def test_the_vae_keeps_a_moving_shapes_pace_in_every_latent_frame(demo):
    """Encoded and decoded alone, a 25-frame clip's object moves at its own pace within each latent
    frame (frames 0-8, 8-16, 16-24). The VAE trained on 9-frame clips only ran it 1.2-1.9x ahead
    within a latent frame and put it back at the next (benchmarks/demo_training.md)."""
    pipe, _ = demo
    rng = random.Random(2)
    scenes = []
    for motion in ("left", "right", "up", "down"):
        for _ in range(3):
            background, colour = rng.sample(list(world.COLOURS), 2)
            speed = rng.choice(list(world.SPEEDS.values()))
            centred = world.Scene(background, colour, rng.choice(world.SHAPES), motion, speed)
            scenes.append(centred.later(-12))  # in the middle at frame 12, so wholly inside all along
    clips = np.stack([world.render(scene, 25) for scene in scenes])
    with torch.no_grad():
        x = bank.to_tensor(clips).to(pipe.vae.dtype)
        y = pipe.vae.decode(pipe.vae.encode(x).latent_dist.mode()).sample.float()
    frames = ((y.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 4, 1).numpy()
    paces = []
    for scene, clip in zip(scenes, frames, strict=True):
        centres = checker.read(clip).centres
        pace = [
            float(np.hypot(*checker.motion_of(centres[a:b])[0])) / scene.speed for a, b in ((0, 9), (8, 17), (16, 25))
        ]
        paces.append((scene.motion, scene.speed, [round(p, 2) for p in pace]))
    assert all(0.7 <= p <= 1.4 for _, _, pace in paces for p in pace), paces


def test_a_jobs_preview_shows_the_shots_colours_where_its_shape_is(demo):
    """The shipped preview colours are what training fits on the shipped VAE (not numbers set by hand), and a
    text-to-video job's last preview reads as its take: the background's colour in the cell farthest from the
    shape, and the cell that differs most from the background at (or beside) the shape, nearer its colour."""
    pipe, card = demo
    assert np.allclose(pipe.vae.studio_preview_colours, train.fit_preview_colours(pipe.vae), atol=1e-3)
    for seed, scene in enumerate(quality.scenes("text_to_video", SHOTS)):
        previews: list[np.ndarray] = []
        recipe = quality.recipe(card, "text_to_video", quality.prompt_for(scene, seed), seed)
        got = checker.read(ltx.generate(pipe, recipe, card, on_preview=previews.append))
        cells = previews[-1][:: previews[-1].shape[0] // 4, :: previews[-1].shape[1] // 4].astype(float)  # 4 x 4
        centres = [c for c in got.centres[9:17] if c is not None]  # the frames the middle latent frame holds
        assert centres, got.centres
        at = np.array([int(np.mean([c[1] for c in centres]) * 4), int(np.mean([c[0] for c in centres]) * 4)])
        background = checker.PALETTE[checker.NAMES.index(got.background)]
        distance = ((cells - background) ** 2).sum(-1)  # (4, 4)
        grid = np.stack(np.meshgrid(range(4), range(4), indexing="ij"), -1)
        far = np.unravel_index(np.abs(grid - at).max(-1).argmax(), (4, 4))
        assert checker.nearest_colour(cells[far]) == got.background, (scene, cells[far])
        most = np.array(np.unravel_index(distance.argmax(), (4, 4)))
        assert np.abs(most - at).max() <= 1, (scene, most, at)
        colour = checker.PALETTE[checker.NAMES.index(got.colour)]
        assert ((cells[tuple(most)] - colour) ** 2).sum() < ((background - colour) ** 2).sum(), scene
