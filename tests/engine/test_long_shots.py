"""Long shots in windows: the plan, the colour-drift correction, the checks before queueing, and
whole long shots through the tiny LTX model's real pipeline, in-process and through the worker.

The tiny model makes frames 4k+1, so its overlap k is 5 frames; for the pipeline runs its card
says 17 frames at most, so a 41-frame shot is three short windows (17, then 12 new, 12 new)."""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine import windows
from studio.engine.cards import folder_card, load_card
from studio.engine.families.ltx import adapter as ltx
from studio.engine.jobs import Cancelled, JobDone, JobPartial
from studio.engine.requests import RequestError, prepare
from studio.engine.runtime.base import shared_arguments
from studio.engine.runtime.loader import load_pipeline, pick_device
from studio.engine.service import EngineService
from studio.engine.weights import CARD_FILE
from studio.media.provenance import verify
from studio.media.takes import read_frames, write_frames

REPO_MODELS = Path(__file__).resolve().parents[2] / "studio" / "models"


def long_recipe(model, **kw) -> Recipe:
    base = dict(
        mode=Mode.TEXT_TO_VIDEO,
        model=str(model),
        prompt="a lighthouse on a cliff",
        width=32,
        height=32,
        frames=41,
        steps=2,
        seed=11,
    )
    base.update(kw)
    return Recipe(**base)


def test_a_minute_at_24_fps_is_six_windows_of_ltx_that_add_up_exactly():
    card = load_card(REPO_MODELS / "ltx-video-0.9.5.toml")
    recipe = Recipe(
        mode=Mode.TEXT_TO_VIDEO,
        model=card.id,
        prompt="dawn",
        frames=1440,
        seed=5,
        window_prompts=["dawn breaks", "the sun rises"],
    )
    plan = windows.plan(recipe, card)
    assert [w.frames for w in plan] == [257, 257, 257, 257, 257, 201]
    assert [w.new for w in plan] == [257, 248, 248, 248, 248, 191]  # each later window gives up its 9 overlap frames
    assert sum(w.new for w in plan) == 1440
    assert [w.seed for w in plan] == [5, 6, 7, 8, 9, 10]
    assert [w.prompt for w in plan] == ["dawn breaks"] + ["the sun rises"] * 5  # the last prompt goes on
    assert all(card.valid_frames(w.frames) for w in plan)


def test_later_windows_extend_at_the_shots_own_guidance():
    card = load_card(REPO_MODELS / "demo.toml")  # extends at 1.5 alone, makes text to video at 3
    recipe = Recipe(Mode.TEXT_TO_VIDEO, card.id, "a red circle moves left", frames=97, seed=1, guidance=3.0)
    first, second = windows.plan(recipe, card)[:2]
    run = windows.window_recipe(recipe, second, "take.mkv", 49, card)
    assert run.mode == Mode.EXTEND_FORWARD and run.guidance == 3.0 == card.guidance_for(Mode.TEXT_TO_VIDEO)
    assert windows.window_recipe(recipe, first, None, 0, card).guidance == 3.0


def test_every_window_is_asked_for_the_sequences_style_after_its_own_prompt():
    card = load_card(REPO_MODELS / "demo.toml")
    recipe = Recipe(
        Mode.TEXT_TO_VIDEO, card.id, "dawn", frames=97, window_prompts=["dawn", "noon"], style="On a blue background."
    )
    runs = [windows.window_recipe(recipe, w, "take.mkv", 49, card) for w in windows.plan(recipe, card)]
    told = [shared_arguments(run, card)["prompt"] for run in runs]
    assert len(told) > 2 and told == ["dawn. On a blue background."] + ["noon. On a blue background."] * (len(told) - 1)


def test_colour_drift_measured_on_the_overlap_is_taken_out_of_the_new_frames():
    rng = np.random.default_rng(0)
    given = rng.integers(40, 200, (5, 16, 16, 3)).astype(np.float64)
    later = rng.integers(40, 200, (7, 16, 16, 3)).astype(np.float64)
    gain, offset = np.array([0.9, 1.0, 1.1]), np.array([12.0, -8.0, 3.0])  # what the window drifted by

    def drift(frames):
        return (frames * gain + offset).round().clip(0, 255).astype(np.uint8)

    corrected = windows.match_colour(drift(later), drift(given), given.astype(np.uint8))
    assert np.abs(corrected.astype(int) - later).max() <= 2
    assert np.abs(drift(later).astype(int) - later).mean() > 8  # there was drift to take out


def test_a_correction_too_large_to_be_drift_is_limited():
    given = np.tile(np.linspace(0, 255, 16)[None, None, :, None], (2, 16, 1, 3)).astype(np.uint8)
    flat = np.full_like(given, 128)
    flat[..., 0, :] = 120  # a nearly flat overlap would ask for a huge gain
    corrected = windows.match_colour(flat, flat, given)
    assert corrected.std() <= flat.std() * windows.GAIN_LIMITS[1] + 1


def test_with_a_latent_carry_the_correction_is_eased_out_over_the_overlap():
    rng = np.random.default_rng(1)
    given = rng.integers(40, 200, (5, 8, 8, 3)).astype(np.uint8)
    window = rng.integers(40, 200, (12, 8, 8, 3)).astype(np.uint8)  # its first 5 frames: the overlap remade
    window[:5] = (given.astype(int) + 6).clip(0, 255)  # two decodes of the same latents differ a little
    eased = windows.ease_colour(window, window[:5], given)
    assert np.abs(eased[0].astype(int) - given[0]).max() <= 1  # the join: matched in full
    assert np.array_equal(eased[4:], window[4:])  # the overlap's last frame on: the window's own
    shift = [np.mean(eased[i].astype(int) - window[i]) for i in range(5)]
    assert shift == sorted(shift) and shift[0] < -5  # eased out frame by frame


class BiasedDecodes:
    """A family that carries latents and always makes one flat colour, but remakes a window's overlap 3 levels
    brighter than it was given (the demo model's LTX decoder did so by 0.1-2 levels at each join)."""

    CARRIES_LATENTS = True

    def make_take(self, pipe, recipe, card, *args, carry=None, **kwargs):
        from studio.engine.runtime.base import Take

        frames = np.full((recipe.frames, recipe.height, recipe.width, 3), 100, np.uint8)
        if recipe.mode is Mode.EXTEND_FORWARD:
            frames[: windows.overlap_frames(card)] = 103
        carry["latents"] = "the window's own"
        return Take(frames)


def test_a_long_shot_with_a_latent_carry_keeps_its_colour_however_many_windows(tmp_path):
    card = dataclasses.replace(load_card(REPO_MODELS / "ltx-video-0.9.5.toml"), max_frames=17)
    recipe = Recipe(Mode.TEXT_TO_VIDEO, card.id, "a red wall", width=32, height=32, frames=17 + 8 * 20, seed=3)
    assert len(windows.plan(recipe, card)) == 21

    def write_partial(frames, done, count):
        return str(tmp_path / f"partial-{done}.mkv")  # the scripted family reads nothing

    shot = windows.generate_long(BiasedDecodes(), None, recipe, card, None, write_partial)
    assert len(shot) == recipe.frames
    # Each join eased from the take's colour to the window's own; chained, it was 3 levels more each window.
    assert np.abs(shot.astype(int) - 100).max() <= 3
    assert np.array_equal(shot[-8:], np.full_like(shot[-8:], 100))


def test_a_long_shot_is_checked_and_described_before_it_is_queued(tiny_ltx, still_images, tmp_path):
    recipe, notes = prepare(long_recipe(tiny_ltx, frames=150, width=30, window_prompts=["a", "b", "c", "d"]))
    assert recipe.frames == 150 and recipe.width == 32  # any length; sizes still snap
    assert any("in 3 windows of up to 65 frames" in n for n in notes)
    assert any("the last 1 are not used" in n for n in notes)

    with pytest.raises(RequestError, match="first frame only"):
        first, last = still_images
        prepare(
            long_recipe(
                tiny_ltx,
                mode=Mode.IMAGE_TO_VIDEO,
                frames=150,
                conditions=[Condition(str(first), 0), Condition(str(last), 149)],
            )
        )
    with pytest.raises(RequestError, match="keyframes makes at most .* then extend it"):
        prepare(long_recipe(tiny_ltx, mode=Mode.KEYFRAMES, conditions=[Condition(str(still_images[0]), 0)], frames=200))
    clip = write_frames(tmp_path / "clip.mkv", np.zeros((9, 32, 32, 3), np.uint8), 24)
    with pytest.raises(RequestError, match="has 9 frames and the shot 200: video to video remakes frame for frame"):
        prepare(long_recipe(tiny_ltx, mode=Mode.VIDEO_TO_VIDEO, conditions=[Condition(str(clip))], frames=200))

    no_extend = tmp_path / "no-extend"
    shutil.copytree(tiny_ltx, no_extend, ignore=shutil.ignore_patterns(CARD_FILE))
    card = dataclasses.replace(folder_card(tiny_ltx), id="no-extend", modes=(Mode.TEXT_TO_VIDEO,))
    (no_extend / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    with pytest.raises(RequestError, match="cannot extend a shot"):
        prepare(long_recipe(no_extend, frames=150))


def test_one_prompt_per_window_on_a_shot_that_fits_in_one_uses_the_first(tiny_ltx):
    recipe, notes = prepare(long_recipe(tiny_ltx, frames=33, window_prompts=["first", "second"]))
    assert recipe.prompt == "first" and recipe.window_prompts == []
    assert any("only the first window prompt is used" in n for n in notes)


@pytest.fixture(scope="module")
def pipe(short_windows):
    return load_pipeline(short_windows, folder_card(short_windows), pick_device("cpu"))


def test_a_long_shot_through_the_real_pipeline(pipe, short_windows, tmp_path):
    card = folder_card(short_windows)
    recipe, _ = prepare(long_recipe(short_windows, window_prompts=["a lighthouse at dusk", "the lamp comes on"]))
    partials, steps = [], []

    def write_partial(frames, done, count):
        path = tmp_path / f"partial-{done}.mkv"
        write_frames(path, frames, recipe.fps)
        partials.append((done, count, frames.copy()))
        return str(path)

    frames = windows.generate_long(ltx, pipe, recipe, card, None, write_partial, lambda s, t: steps.append((s, t)))
    assert frames.shape == (41, 32, 32, 3)
    assert [(d, c, len(f)) for d, c, f in partials] == [(1, 3, 17), (2, 3, 29), (3, 3, 41)]
    for _, _, partial in partials:  # a window changes no frame before it but the k of its carried overlap
        assert np.array_equal(partial[:-5], frames[: len(partial) - 5])
    assert np.array_equal(partials[-1][2], frames)
    assert steps == [(s, 6) for s in range(1, 7)]  # progress across all three windows

    # The first window is the plain shot of 17 frames with the first window's prompt, frame for frame, up to
    # its last 5, which the second window was given as latents and decoded again.
    first = dataclasses.replace(recipe, frames=17, prompt="a lighthouse at dusk", window_prompts=[])
    assert np.array_equal(frames[:12], ltx.generate(pipe, first, card)[:12])
    # Determinism: the same long recipe gives the same frames.
    again = windows.generate_long(ltx, pipe, recipe, card, None, lambda f, d, c: write_partial(f, d + 10, c))
    assert np.array_equal(frames, again)


def test_a_cancel_keeps_the_finished_windows(pipe, short_windows, tmp_path):
    card = folder_card(short_windows)
    recipe, _ = prepare(long_recipe(short_windows))
    finished = []

    def write_partial(frames, done, count):
        finished.append(len(frames))
        path = tmp_path / "take.mkv"
        write_frames(path, frames, recipe.fps)
        return str(path)

    with pytest.raises(Cancelled):
        windows.generate_long(ltx, pipe, recipe, card, None, write_partial, should_stop=lambda: bool(finished))
    assert finished == [17]
    assert read_frames(tmp_path / "take.mkv").shape == (17, 32, 32, 3)


def test_the_worker_announces_each_window_and_keeps_them_on_cancel(short_windows, tmp_path):
    service = EngineService(log_dir=tmp_path / "logs")
    events: list = []
    changed = threading.Condition()

    def listen(event):
        with changed:
            events.append(event)
            changed.notify_all()

    def done_event(job_id):  # listeners hear of a job a moment after wait() returns
        with changed:
            changed.wait_for(lambda: any(isinstance(e, JobDone) and e.job_id == job_id for e in events), 10)
        return next(e for e in events if isinstance(e, JobDone) and e.job_id == job_id)

    service.add_listener(listen)
    try:
        output = tmp_path / "long.mkv"
        job_id = service.submit(long_recipe(short_windows), output, name="lighthouse")
        job = service.wait(job_id, timeout=600)
        assert job.state == "done", job.error
        assert done_event(job_id).frames == 41
        partial = [(e.window, e.windows, e.frames) for e in events if isinstance(e, JobPartial)]
        assert partial == [(1, 3, 17), (2, 3, 29), (3, 3, 41)]
        assert read_frames(output).shape == (41, 32, 32, 3)
        assert "partial" not in verify(output).recipes[0]  # marked as it was written: the whole shot

        def cancel_after_the_first_window(event):
            if isinstance(event, JobPartial) and event.window == 1:
                service.cancel(event.job_id)

        service.add_listener(cancel_after_the_first_window)
        kept = tmp_path / "kept.mkv"
        job_id = service.submit(long_recipe(short_windows, seed=12, steps=20), kept)
        job = service.wait(job_id, timeout=600)
        assert job.state == "done", job.error
        done = done_event(job_id)
        assert done.frames == 17 and done.recipe.frames == 17  # the recipe says what was kept
        assert read_frames(kept).shape == (17, 32, 32, 3)
        assert verify(kept).recipes[0]["partial"] == {"frames": 17, "of_frames": 41, "windows": 1, "of_windows": 3}
    finally:
        service.shutdown()


def test_a_long_shot_through_wan_vace(tiny_wan_vace, tmp_path):
    """The windows are family-independent: the same long shot through Wan VACE's real pipeline."""
    from studio.engine.families.wan import adapter as wan

    folder = tmp_path / "vace-9"
    shutil.copytree(tiny_wan_vace, folder, ignore=shutil.ignore_patterns(CARD_FILE))
    card = dataclasses.replace(folder_card(tiny_wan_vace), id=folder.name, max_frames=9, default_frames=9)
    (folder / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    recipe, notes = prepare(long_recipe(folder, frames=21))
    assert any("in 4 windows" in n for n in notes)
    pipe = load_pipeline(folder, card, pick_device("cpu"))
    partials = []

    def write_partial(frames, done, count):
        partials.append(frames.copy())
        path = tmp_path / "vace-long.mkv"
        write_frames(path, frames, recipe.fps)
        return str(path)

    frames = windows.generate_long(wan, pipe, recipe, card, None, write_partial)
    assert frames.shape == (21, 32, 32, 3)
    assert [len(p) for p in partials] == [9, 13, 17, 21]
    assert all(np.array_equal(p, frames[: len(p)]) for p in partials)


def test_a_long_shot_with_sound_joins_each_windows_sound_under_its_frames(tiny_ltx2, tmp_path):
    """LTX-2 makes sound with its picture: the long take's sound is as long as its frames, each
    window's under its own new frames, cross-faded at the joins; the worker writes it with the take."""
    from studio.engine.families.ltx2 import adapter as ltx2
    from studio.media.audio import read_audio
    from studio.media.probe import probe

    folder = tmp_path / "ltx2-17"
    shutil.copytree(tiny_ltx2, folder, ignore=shutil.ignore_patterns(CARD_FILE))
    card = dataclasses.replace(folder_card(tiny_ltx2), id=folder.name, max_frames=17, default_frames=9)
    (folder / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    recipe, notes = prepare(long_recipe(folder, frames=25))
    assert any("in 2 windows" in n for n in notes)
    pipe = load_pipeline(folder, card, pick_device("cpu"))
    written = []

    def write_partial(frames, done, count, sound=None, sample_rate=None):
        written.append((len(frames), None if sound is None else len(sound), sample_rate))
        return str(write_frames(tmp_path / "partial.mkv", frames, recipe.fps, audio=sound, sample_rate=sample_rate))

    frames, sound, rate = windows.generate_long_with_audio(ltx2, pipe, recipe, card, None, write_partial)
    samples = [round(n * rate / recipe.fps) for n in (17, 25)]
    assert frames.shape[0] == 25 and len(sound) == samples[1]
    assert written == [(17, samples[0], rate), (25, samples[1], rate)]
    first, _, _ = ltx2.generate_with_audio(pipe, dataclasses.replace(recipe, frames=17), card)
    assert np.array_equal(frames[:17], first)
    again = windows.generate_long_with_audio(ltx2, pipe, recipe, card, None, write_partial)
    assert np.array_equal(again[0], frames) and np.array_equal(again[1], sound)  # the same sound, too

    service = EngineService(log_dir=tmp_path / "logs")
    try:
        job = service.wait(service.submit(long_recipe(folder, frames=25), tmp_path / "long.mkv"), timeout=600)
    finally:
        service.shutdown()
    assert job.state == "done", job.error
    assert probe(tmp_path / "long.mkv").has_audio
    assert len(read_audio(tmp_path / "long.mkv", rate)) == samples[1]


class Recording:
    """The LTX family, keeping each window's frames as the pipeline made them."""

    CARRIES_LATENTS = True

    def __init__(self):
        self.takes = []

    def make_take(self, *args, **kwargs):
        take = ltx.make_take(*args, **kwargs)
        self.takes.append(take.frames)
        return take


def test_the_overlap_goes_into_the_next_window_as_latents_not_through_the_vae(pipe, short_windows, tmp_path):
    import torch

    card = folder_card(short_windows)
    recipe, _ = prepare(long_recipe(short_windows))

    def write_partial(frames, done, count):
        path = tmp_path / f"carry-{done}.mkv"
        write_frames(path, frames, recipe.fps)
        return str(path)

    carrying, encoding = Recording(), Recording()
    carried = windows.generate_long(carrying, pipe, recipe, card, None, write_partial)
    assert np.array_equal(carried, windows.generate_long(ltx, pipe, recipe, card, None, write_partial))
    encoded = windows.generate_long(encoding, pipe, recipe, card, None, write_partial, carry_latents=False)
    first = carrying.takes[0]
    assert np.array_equal(first, encoding.takes[0])  # the first window has nothing to carry
    assert not np.array_equal(carried[17:], encoded[17:])  # the later ones start from other latents

    # The overlap's frames (the first window's last k = 5): with a carry, the second window's decode of the
    # same latents, which it reads with the latents after them; encoded again, the first window's frames.
    assert np.array_equal(encoded[:17], first)
    assert np.array_equal(carried[:12], first[:12])
    second = carrying.takes[1]
    # (its last 5 frames are the third window's overlap, remade there)
    assert np.array_equal(carried[12:24], windows.ease_colour(second, second[:5], first[12:])[:12])
    assert np.array_equal(carried[16:24], second[4:12])  # after the join's easing, the window's own frames
    assert not np.array_equal(carried[12:17], first[12:])

    # What the carry hands the pipeline: the lone first overlap frame encoded, the packed group carried.
    side = 32 // pipe.vae_spatial_compression_ratio
    latents = torch.randn(pipe.vae.config.latent_channels, 5, side, side)
    video = torch.zeros(1, 3, 5, 32, 32)
    with ltx.carried_overlap(pipe, latents):
        raw = pipe.vae.encode(video).latents
    normalised = pipe._normalize_latents(raw, pipe.vae.latents_mean, pipe.vae.latents_std)
    assert torch.allclose(normalised[0, :, 1], latents[:, -1], atol=1e-5)
    assert "encode" not in pipe.vae.__dict__  # the VAE is as it was after the call


def test_an_interrupted_long_shot_goes_on_from_its_finished_windows(pipe, short_windows, tmp_path):
    card = folder_card(short_windows)
    recipe, _ = prepare(long_recipe(short_windows))
    partials = {}

    def write_partial(frames, done, count):
        partials[done] = write_frames(tmp_path / f"so-far-{done}.mkv", frames, recipe.fps)
        return str(partials[done])

    whole = windows.generate_long(ltx, pipe, recipe, card, None, write_partial, carry_latents=False)
    so_far = windows.read_partial(str(partials[2]), recipe, card)
    assert so_far.windows == 2 and len(so_far.frames) == 29 and so_far.sound is None
    resumed_windows = []

    def write_resumed(frames, done, count):
        resumed_windows.append(done)
        return str(write_frames(tmp_path / "resumed.mkv", frames, recipe.fps))

    resumed = windows.generate_long(ltx, pipe, recipe, card, None, write_resumed, resume=so_far, carry_latents=False)
    assert resumed_windows == [3]  # only the window that was missing is made
    assert np.array_equal(resumed, whole)

    # Not this recipe's windows: the run starts over.
    assert windows.read_partial(str(partials[3]), recipe, card) is None  # all of them: nothing to go on with
    odd = write_frames(tmp_path / "odd.mkv", whole[:20], recipe.fps)
    assert windows.read_partial(str(odd), recipe, card) is None
    other_size = write_frames(tmp_path / "other.mkv", np.zeros((29, 64, 64, 3), np.uint8), recipe.fps)
    assert windows.read_partial(str(other_size), recipe, card) is None
    assert windows.read_partial(str(tmp_path / "gone.mkv"), recipe, card) is None


def test_the_service_resumes_a_long_shot_from_a_take_so_far(short_windows, tmp_path):
    recipe = long_recipe(short_windows)
    prepared, _ = prepare(recipe)
    card = folder_card(short_windows)
    pipe = load_pipeline(short_windows, card, pick_device("cpu"))
    first = windows.generate_long(
        ltx,
        pipe,
        dataclasses.replace(prepared, frames=17),
        card,
        None,
        lambda f, d, c: str(write_frames(tmp_path / "so-far.mkv", f, prepared.fps)),
    )
    service = EngineService(log_dir=tmp_path / "logs")
    events = []
    service.add_listener(events.append)
    try:
        job = service.wait(
            service.submit(recipe, tmp_path / "go-on.mkv", resume_from=tmp_path / "so-far.mkv"), timeout=600
        )
        deadline = time.monotonic() + 10  # listeners hear of the job a moment after wait() returns
        while not any(isinstance(e, JobDone) for e in events) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        service.shutdown()
    assert job.state == "done", job.error
    assert [(e.window, e.windows) for e in events if isinstance(e, JobPartial)] == [(2, 3), (3, 3)]
    made = read_frames(tmp_path / "go-on.mkv")
    assert made.shape == (41, 32, 32, 3) and np.array_equal(made[:17], first)
