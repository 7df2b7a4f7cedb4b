"""The clip modes longer than the model makes at once, made in windows as a long shot is. A clip
extended forward (a clip's edge dragged far past its media): the take starts as the clip's exact
frames and each window extends the take so far; extended backward, each extends it backward. A bridge
(a long gap filled) and a loop: windows extend from the first clip and the last connects the take so
far to the clip after it, so the bridge still meets it. With sound (LTX-2) they are refused past the
model's longest, with how far they can go. Through the tiny LTX model's real pipeline, in-process and
through the worker (the card of conftest.short_windows: 17 frames at most, overlap k = 5)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine import windows
from studio.engine.cards import folder_card, load_card
from studio.engine.families.ltx import adapter as ltx
from studio.engine.jobs import JobDone, JobPartial
from studio.engine.recipes import bridge_recipe, extend_frames, extend_recipe, loop_recipe, restyle_recipe
from studio.engine.requests import RequestError, prepare
from studio.engine.runtime.loader import load_pipeline, pick_device
from studio.engine.service import EngineService
from studio.media.provenance import verify
from studio.media.takes import read_frames, write_frames
from tests.engine.test_service import Recorder

REPO_MODELS = Path(__file__).resolve().parents[2] / "studio" / "models"


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A 12-frame clip of a white square moving right on grey."""
    frames = np.full((12, 32, 32, 3), 90, np.uint8)
    for i in range(12):
        frames[i, 12:20, i : i + 8] = 255
    path = tmp_path_factory.mktemp("clip") / "clip.mkv"
    write_frames(path, frames, 24)
    return path, read_frames(path)


def extension(model: Path, clip_path: Path, new_frames: int, **kw) -> Recipe:
    base = Recipe(Mode.TEXT_TO_VIDEO, str(model), "the square moves on", width=32, height=32, steps=2, seed=4)
    card = folder_card(model)
    return dataclasses.replace(extend_recipe(base, card, Condition(str(clip_path)), new_frames), **kw)


def test_a_long_extension_is_planned_as_windows_that_each_extend():
    card = load_card(REPO_MODELS / "demo.toml")  # 49 frames at most, overlap 9: 40 new frames a window
    recipe = Recipe(Mode.EXTEND_FORWARD, "demo", "a red circle moves left", frames=extend_frames(card, 100), seed=2)
    plan = windows.plan(recipe, card)
    assert [w.frames for w in plan] == [49, 49, 33]
    assert [w.new for w in plan] == [40, 40, 24]  # every window gives up its overlap, the first too
    assert sum(w.new for w in plan) == recipe.frames - 9 >= 100
    assert [w.seed for w in plan] == [2, 3, 4]


def test_long_extensions_are_checked_and_described_before_they_are_queued(short_windows, clip, tiny_ltx2):
    path, _ = clip
    prepared, notes = prepare(extension(short_windows, path, 30))
    assert prepared.frames == 37 and any(
        "an extension of 32 frames (1.3 s) in 3 windows of up to 17 frames" in n for n in notes
    )

    _, notes = prepare(extension(short_windows, path, 30, mode=Mode.EXTEND_BACKWARD))
    assert any("an extension backward of 32 frames (1.3 s) in 3 windows" in n for n in notes)
    for mode in (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD):
        with_sound = dataclasses.replace(
            extension(short_windows, path, 30, mode=mode), model=str(tiny_ltx2), frames=400
        )
        with pytest.raises(RequestError, match="extends a clip by at most .* frames at once \\(with its sound\\)"):
            prepare(with_sound)


def test_a_long_extension_through_the_real_pipeline_keeps_the_clip_and_adds_every_window(short_windows, clip):
    path, original = clip
    card = folder_card(short_windows)
    recipe, _ = prepare(extension(short_windows, path, 30))
    pipe = load_pipeline(short_windows, card, pick_device("cpu"))
    partials = []

    def write_partial(frames, done, count):
        partials.append((done, count, len(frames)))
        return str(write_frames(Path(str(path).replace("clip.mkv", f"so-far-{done}.mkv")), frames, recipe.fps))

    take = windows.generate_long(ltx, pipe, recipe, card, None, write_partial)
    assert take.shape == (12 + 32, 32, 32, 3)
    assert np.array_equal(take[:12], original)  # the clip's exact frames, then the new ones
    assert partials == [(1, 3, 24), (2, 3, 36), (3, 3, 44)]
    assert not np.array_equal(take[12:24], np.repeat(original[-1:], 12, axis=0))

    # Its take so far goes on from the window after (an interrupted extension is resumed, not started over).
    so_far = windows.read_partial(str(path).replace("clip.mkv", "so-far-1.mkv"), recipe, card)
    assert so_far is not None and so_far.windows == 1 and len(so_far.frames) == 24
    assert windows.read_partial(str(path), recipe, card) is None  # the clip alone is no window of it


def test_a_long_extension_backward_through_the_real_pipeline_ends_on_the_clip(short_windows, clip, tmp_path):
    path, original = clip
    card = folder_card(short_windows)
    recipe, _ = prepare(extension(short_windows, path, 30, mode=Mode.EXTEND_BACKWARD))
    pipe = load_pipeline(short_windows, card, pick_device("cpu"))
    partials = []

    def write_partial(frames, done, count):
        partials.append(frames.copy())
        return str(write_frames(tmp_path / f"before-{done}.mkv", frames, recipe.fps))

    take = windows.generate_long(ltx, pipe, recipe, card, None, write_partial)
    assert take.shape == (32 + 12, 32, 32, 3)
    assert np.array_equal(take[-12:], original)  # the new frames, then the clip's exact frames
    assert [len(p) for p in partials] == [24, 36, 44]
    for partial in partials:  # each window puts its frames before the take so far, which it leaves as it was
        assert np.array_equal(partial, take[len(take) - len(partial) :])
    assert windows.read_partial(str(tmp_path / "before-2.mkv"), recipe, card).windows == 2
    assert windows.kept_recipe(recipe, card, 36, None).frames == 24 + 5  # 24 new frames and the overlap


def test_the_worker_makes_a_long_extension_and_a_cancel_keeps_its_finished_windows(short_windows, clip, tmp_path):
    path, original = clip
    service = EngineService(log_dir=tmp_path / "logs")
    heard = Recorder()
    cancelled = [""]

    def cancel_after_the_first_window(event):
        if isinstance(event, JobPartial) and event.window == 1 and event.job_id == cancelled[0]:
            service.cancel(event.job_id)

    service.add_listener(heard)
    service.add_listener(cancel_after_the_first_window)
    try:
        whole = tmp_path / "extended.mkv"
        job = service.wait(service.submit(extension(short_windows, path, 30), whole), timeout=600)
        assert job.state == "done", job.error
        made = read_frames(whole)
        assert made.shape == (44, 32, 32, 3) and np.array_equal(made[:12], original)
        assert "partial" not in verify(whole).recipes[0]

        kept = tmp_path / "kept.mkv"
        cancelled[0] = service.submit(extension(short_windows, path, 30, seed=5, steps=20), kept)
        job = service.wait(cancelled[0], timeout=600)
        assert job.state == "done", job.error
        done = heard.wait_for(cancelled[0], JobDone)
        assert read_frames(kept).shape == (24, 32, 32, 3)  # the clip and the first window's 12 new frames
        assert done.recipe.frames == 17  # the recipe counts what it made: 12 new frames and the overlap of 5
        # Its mark and its job row say what it holds of the extension: the 12 frames it made of 32, not the clip's.
        assert verify(kept).recipes[0]["partial"] == {"frames": 12, "of_frames": 32, "windows": 1, "of_windows": 3}
        assert [e.frames for e in heard.of(cancelled[0]) if isinstance(e, JobPartial)] == [12]
    finally:
        service.shutdown()


def test_a_long_bridge_is_planned_as_extensions_closed_by_a_connect():
    card = load_card(REPO_MODELS / "demo.toml")  # 49 frames at most, overlap 9: a bridge of 31 in one shot
    ends = [Condition("a.mkv", source_in=3, source_out=20), Condition("b.mkv")]
    recipe = Recipe(Mode.CONNECT, "demo", "on", frames=100 + 18, seed=2, conditions=ends, bridge_frames=100)
    plan = windows.plan(recipe, card)
    assert [(w.frames, w.new, w.closes) for w in plan] == [(49, 40, False), (41, 29, False), (49, 31, True)]
    assert sum(w.new for w in plan) == 100  # exactly the gap: the extensions drop their surplus, not the connect
    first, second, closing = (
        windows.window_recipe(recipe, w, "so-far.mkv", made, card) for w, made in zip(plan, (0, 65, 94), strict=True)
    )
    assert first.mode is Mode.EXTEND_FORWARD and first.conditions == recipe.conditions[:1]
    assert second.conditions[0].source_in == 65 - 9 and second.conditions[0].source_out == 65
    assert closing.mode is Mode.CONNECT and closing.bridge_frames is None
    assert closing.conditions[0].source_out == 94 and closing.conditions[1:] == recipe.conditions[-1:]


def test_a_long_bridge_and_a_long_loop_through_the_real_pipeline(short_windows, clip, tmp_path):
    path, original = clip
    card = folder_card(short_windows)
    base = Recipe(Mode.TEXT_TO_VIDEO, str(short_windows), "the square moves on", width=32, height=32, steps=2, seed=4)
    after = write_frames(tmp_path / "after.mkv", original[::-1].copy(), 24)
    bridge = bridge_recipe(base, card, Condition(str(path)), Condition(str(after)), 30)
    prepared, notes = prepare(bridge)
    assert prepared.frames == 40 and any("a bridge of 30 frames (1.2 s) in 3 windows" in n for n in notes)
    pipe = load_pipeline(short_windows, card, pick_device("cpu"))
    written = []

    def write_partial(frames, done, count):
        written.append((done, len(frames)))
        return str(write_frames(tmp_path / f"bridge-{done}.mkv", frames, 24))

    made = windows.generate_long(ltx, pipe, prepared, card, None, write_partial)
    assert made.shape == (30, 32, 32, 3)  # the bridge alone, exactly as long as the gap
    assert written == [(1, 24), (2, 35), (3, 30)]  # clip A and the bridge so far, then the bridge
    so_far = windows.read_partial(str(tmp_path / "bridge-1.mkv"), prepared, card)
    assert so_far.windows == 1 and len(so_far.frames) == 24  # clip A and the first window's frames
    # Interrupted there, it goes on from the window after and makes the same bridge (no latent carry in either).
    whole = windows.generate_long(ltx, pipe, prepared, card, None, write_partial, carry_latents=False)
    resumed = windows.generate_long(ltx, pipe, prepared, card, None, write_partial, resume=so_far, carry_latents=False)
    assert np.array_equal(resumed, whole)

    loop, notes = prepare(loop_recipe(base, card, Condition(str(path)), 30))
    assert any("a loop of 31 new frames (1.3 s) in 3 windows" in n for n in notes)
    take = windows.generate_long(
        ltx, pipe, loop, card, None, lambda f, d, c: str(write_frames(tmp_path / "l.mkv", f, 24))
    )
    assert take.shape == (12 + 31, 32, 32, 3) and np.array_equal(take[:12], original)
    assert windows.kept_recipe(prepared, card, 24, None) is None  # a bridge cut short is not a take


def test_a_bridge_a_model_cannot_make_in_windows_is_refused_with_its_longest(tiny_ltx2, clip):
    path, _ = clip
    card = folder_card(tiny_ltx2)
    base = Recipe(Mode.TEXT_TO_VIDEO, str(tiny_ltx2), "on", width=32, height=32, steps=2)
    longest = card.max_frames - card.max_frames % card.frame_step + 1
    long_gap = bridge_recipe(base, card, Condition(str(path)), Condition(str(path)), 2 * longest)
    with pytest.raises(RequestError, match="a bridge of .* frames is longer than .* can make in one shot"):
        prepare(long_gap)


def test_a_long_restyle_is_planned_a_part_of_the_clip_at_a_time():
    card = load_card(REPO_MODELS / "demo.toml")  # remakes at most 49 frames at once, overlap 9
    clip = Condition("clip.mkv", source_in=10, source_out=155)
    recipe = Recipe(Mode.VIDEO_TO_VIDEO, "demo", "on", frames=145, seed=2, conditions=[clip], strength=0.3)
    plan = windows.plan(recipe, card)
    assert [(w.frames, w.new, w.at) for w in plan] == [(49, 49, 0), (49, 40, 40), (49, 40, 80), (25, 16, 120)]
    parts = [windows.window_recipe(recipe, w, None, 0, card).conditions[0] for w in plan]
    assert [(c.source_in, c.source_out) for c in parts] == [(10, 59), (50, 99), (90, 139), (130, 155)]


def test_a_long_restyle_through_the_real_pipeline_remakes_every_part_and_fades_them_together(short_windows, tmp_path):
    frames = np.full((40, 32, 32, 3), 90, np.uint8)
    for i in range(40):
        frames[i, 12:20, i // 2 : i // 2 + 8] = 255
    path = write_frames(tmp_path / "long.mkv", frames, 24)
    original = read_frames(path)
    card = folder_card(short_windows)
    base = Recipe(Mode.TEXT_TO_VIDEO, str(short_windows), "the square", width=32, height=32, steps=4, seed=4)
    restyle = restyle_recipe(base, card, Condition(str(path)), 40, strength=0.0)
    prepared, notes = prepare(restyle)
    assert prepared.frames == 40 and any("the clip's 40 frames (1.7 s) remade in 3 windows" in n for n in notes)
    pipe = load_pipeline(short_windows, card, pick_device("cpu"))

    def write_partial(frames, done, count):
        return str(write_frames(tmp_path / "so-far.mkv", frames, 24))

    kept = windows.generate_long(ltx, pipe, prepared, card, None, write_partial)
    assert np.array_equal(kept, original)  # strength 0 keeps each part as it is, and the fades join them seamlessly
    remade = windows.generate_long(ltx, pipe, dataclasses.replace(prepared, strength=1.0), card, None, write_partial)
    assert remade.shape == original.shape and not np.array_equal(remade, original)
