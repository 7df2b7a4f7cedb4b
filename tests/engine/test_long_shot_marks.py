"""A long shot's take so far is marked as AI-generated before the worker announces it: what a kill, a
cancel or a failed signature leaves behind, with a scripted family whose windows are made instantly."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Mode, Recipe
from studio.engine import windows
from studio.engine.cards import load_card
from studio.engine.jobs import Cancelled
from studio.media.provenance import verify
from studio.media.takes import read_frames

REPO_MODELS = Path(__file__).resolve().parents[2] / "studio" / "models"


class Killed(BaseException):
    """The worker process dying (SIGKILL, a crash): nothing after it runs."""


class ScriptedFamily:
    """A family (runtime.base.Adapter) whose windows are made instantly; `second` runs when the second
    window starts."""

    CARRIES_LATENTS = False

    def __init__(self, second):
        self.second = second
        self.calls = 0

    def make_take(
        self,
        pipe,
        recipe,
        card,
        project_folder,
        on_step,
        should_stop,
        on_preview,
        *,
        assemble=True,
        carry=None,
        upsampler=None,
    ):
        from studio.engine.runtime.base import Take

        self.calls += 1
        if self.calls == 2:
            self.second()
        shade = 40 * self.calls
        return Take(np.full((recipe.frames, recipe.height, recipe.width, 3), shade, np.uint8))


def run_long(tmp_path, output, second):
    """A 25-frame shot in two windows of a 17-frame card (17 frames, then 8 new), run by the worker's
    own long-shot code with a scripted family; returns the worker, its result and its events."""
    import io
    import json

    from studio.engine.runtime.worker import Worker

    card = dataclasses.replace(load_card(REPO_MODELS / "ltx-video-0.9.5.toml"), max_frames=17)
    recipe = Recipe(
        Mode.TEXT_TO_VIDEO, card.id, "a lighthouse at night", width=32, height=32, frames=25, seed=3, steps=2
    )
    assert [w.new for w in windows.plan(recipe, card)] == [17, 8]
    protocol = io.StringIO()
    worker = Worker(protocol, io.StringIO())
    stop = []
    message = {"output": str(output), "project_folder": str(tmp_path)}

    def events():
        return [json.loads(line) for line in protocol.getvalue().splitlines()]

    result = worker._generate_long(
        ScriptedFamily(lambda: second(stop, events)),
        None,
        recipe,
        card,
        message,
        "job",
        lambda s, t: None,
        lambda: bool(stop),
        None,
    )
    return recipe, result, events()


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_a_long_shot_killed_after_its_first_window_leaves_a_marked_partial_take(tmp_path, suffix):
    from studio.media.provenance import read_tags

    output = tmp_path / f"long{suffix}"
    seen = {}

    def die(stop, events):
        assert [e["type"] for e in events()] == ["partial"]  # window 1 announced: what a kill now leaves
        seen["verdict"], seen["frames"] = verify(output), len(read_frames(output))
        seen["comment"] = read_tags(output)["comment"]
        raise Killed()

    with pytest.raises(Killed):
        run_long(tmp_path, output, die)
    verdict = seen["verdict"]
    assert verdict.ai_generated and seen["frames"] == 17
    assert verdict.state == ("trusted" if suffix == ".mp4" else "missing")  # Matroska: tags, no manifest
    assert verdict.recipes[0]["prompt"] == "a lighthouse at night" and verdict.recipes[0]["frames"] == 25
    assert verdict.recipes[0]["partial"] == {"frames": 17, "of_frames": 25, "windows": 1, "of_windows": 2}
    assert "(partial: 17 of 25 frames, window 1 of 2)" in seen["comment"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [output.name]  # no temporary or unmarked file beside it


def test_a_cancelled_long_shot_keeps_its_windows_marked_partial_and_a_whole_one_is_marked_whole(tmp_path):
    def cancel(stop, events):
        stop.append(True)
        raise Cancelled()

    kept = tmp_path / "kept.mkv"
    recipe, (frames, done_recipe, _), events = run_long(tmp_path, kept, cancel)
    assert len(frames) == 17 and done_recipe.frames == 17
    assert [e["type"] for e in events] == ["partial"]
    assert verify(kept).recipes[0]["partial"] == {"frames": 17, "of_frames": 25, "windows": 1, "of_windows": 2}

    whole = tmp_path / "whole.mkv"
    recipe, (frames, _, _), events = run_long(tmp_path, whole, lambda stop, events: None)
    assert len(frames) == 25 and [e["window"] for e in events] == [1, 2]
    assert verify(whole).recipes == [recipe.to_dict()]  # all its windows: no longer partial


def test_a_take_that_cannot_be_marked_fails_the_job_and_is_not_kept(tmp_path, monkeypatch):
    from studio.engine.runtime.worker import describe_error
    from studio.media import provenance

    def broken(*args, **kwargs):
        raise provenance.ProvenanceError("the signing key cannot be read")

    monkeypatch.setattr(provenance, "sign", broken)
    output = tmp_path / "long.mp4"
    with pytest.raises(provenance.ProvenanceError) as failure:
        run_long(tmp_path, output, lambda stop, events: None)
    assert describe_error(failure.value) == (
        f"{output} could not be marked as AI-generated, so it was not kept: the signing key cannot be read"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_full_disk_says_so_and_what_to_do_not_ffmpegs_lines():
    from studio.engine.runtime.worker import describe_error
    from studio.media.ffmpeg import FFmpegError

    said = (
        "[out#0/matroska] Task finished with error code: -28 (No space left on device)\n"
        "[out#0/matroska] Error closing file: No space left on device"
    )
    full = "the disk is full, so the take could not be written: free some space on it, then Retry"
    assert describe_error(FFmpegError(said)) == full  # as the editor's job row read it on a full disk
    assert describe_error(OSError(28, "No space left on device", "media/take.mkv")) == full
    assert describe_error(FFmpegError("Invalid argument")) == "could not write the video: Invalid argument"
