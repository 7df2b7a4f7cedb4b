"""A clip extended forward by more than the model makes at once (a clip's edge dragged far past its
media) is made in windows, as a long shot is: the take starts as the clip's exact frames and each
window extends the take so far. Extending backward, and extending with sound, are refused past the
model's longest with how far they can go. Through the tiny LTX model's real pipeline, in-process and
through the worker (the card of test_long_shots.short_windows: 17 frames at most, overlap k = 5)."""

from __future__ import annotations

import dataclasses
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine import windows
from studio.engine.cards import folder_card, load_card
from studio.engine.families.ltx import adapter as ltx
from studio.engine.jobs import JobDone, JobPartial
from studio.engine.recipes import extend_frames, extend_recipe
from studio.engine.requests import RequestError, prepare
from studio.engine.runtime.loader import load_pipeline, pick_device
from studio.engine.service import EngineService
from studio.engine.weights import CARD_FILE
from studio.media.provenance import verify
from studio.media.takes import read_frames, write_frames

REPO_MODELS = Path(__file__).resolve().parents[2] / "studio" / "models"


@pytest.fixture(scope="module")
def short_windows(tiny_ltx, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("long-extend") / "tiny-ltx-17"
    shutil.copytree(tiny_ltx, folder, ignore=shutil.ignore_patterns(CARD_FILE))
    card = dataclasses.replace(folder_card(tiny_ltx), id=folder.name, max_frames=17, default_frames=9)
    (folder / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    return folder


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

    backward = extension(short_windows, path, 30, mode=Mode.EXTEND_BACKWARD)
    with pytest.raises(RequestError, match="extends a clip backward by at most 12 frames at once, not 32: extend"):
        prepare(backward)
    with_sound = dataclasses.replace(extension(short_windows, path, 30), model=str(tiny_ltx2), frames=400)
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


def test_the_worker_makes_a_long_extension_and_a_cancel_keeps_its_finished_windows(short_windows, clip, tmp_path):
    path, original = clip
    service = EngineService(log_dir=tmp_path / "logs")
    events: list = []
    changed = threading.Condition()

    def listen(event):
        with changed:
            events.append(event)
            changed.notify_all()
        if isinstance(event, JobPartial) and event.window == 1 and event.job_id == cancelled[0]:
            service.cancel(event.job_id)

    def done_event(job_id):
        with changed:
            changed.wait_for(lambda: any(isinstance(e, JobDone) and e.job_id == job_id for e in events), 10)
        return next(e for e in events if isinstance(e, JobDone) and e.job_id == job_id)

    cancelled = [""]
    service.add_listener(listen)
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
        done = done_event(cancelled[0])
        assert read_frames(kept).shape == (24, 32, 32, 3)  # the clip and the first window's 12 new frames
        assert done.recipe.frames == 17  # the recipe counts what it made: 12 new frames and the overlap of 5
    finally:
        service.shutdown()
