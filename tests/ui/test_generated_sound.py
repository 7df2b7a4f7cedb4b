"""A generated take with sound (LTX-2's) lands as a clip with its sound beside it, as one edit."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from studio.core import store
from studio.core.landing import NewShot
from studio.core.project import Project, TrackKind
from studio.core.recipe import Mode, Recipe
from studio.engine.jobs import JobDone
from studio.media.takes import write_frames


def land(window, project: Project, name: str, sound: bool) -> Path:
    """A finished job's take, as the worker leaves it, handed to the window as the service would."""
    frames = np.zeros((9, 32, 32, 3), np.uint8)
    audio = np.zeros((6000, 2), np.float32) if sound else None
    take = write_frames(
        project.folder / "media" / f"{name}.mkv", frames, 24, audio=audio, sample_rate=16000 if sound else None
    )
    window.generation.pending[name] = NewShot(name)
    recipe = Recipe(mode=Mode.TEXT_TO_VIDEO, model="tiny", prompt=name, width=32, height=32, frames=9)
    done = JobDone(name, str(take), recipe, 9, 32, 32, 24.0, 1.0, sound, 16000 if sound else None)
    window.generation.on_job_event(done)
    return take


def test_a_take_with_sound_brings_it_to_an_audio_track_in_one_step(open_window, tmp_path):
    project = Project.new("Film")
    store.save(project, tmp_path / "Film.studio")
    window = open_window(project)
    land(window, project, "talking", sound=True)
    seq = window.document.project.sequence
    picture = [c for t in seq.tracks if t.kind is TrackKind.VIDEO for c in t.clips]
    sound = [c for t in seq.tracks if t.kind is TrackKind.AUDIO for c in t.clips]
    assert len(picture) == len(sound) == 1
    assert (sound[0].media_id, sound[0].start, sound[0].duration) == ("talking", picture[0].start, 9)
    assert window.document.project.media["talking"].has_audio
    window.document.undo_stack.undo()  # the clip and its sound went in together
    assert not any(t.clips for t in seq.tracks)


def test_a_silent_take_lands_alone(open_window, tmp_path):
    project = Project.new("Film")
    store.save(project, tmp_path / "Film.studio")
    window = open_window(project)
    land(window, project, "quiet", sound=False)
    seq = window.document.project.sequence
    assert sum(len(t.clips) for t in seq.tracks if t.kind is TrackKind.VIDEO) == 1
    assert all(not t.clips for t in seq.tracks if t.kind is TrackKind.AUDIO)
    assert not window.document.project.media["quiet"].has_audio
