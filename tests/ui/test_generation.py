"""The GenerationController's job life with a stand-in service (no worker): one submit for every kind
of shot, the placeholders it owns, retry at the same spot, jobs.json and landing (ui/generation.py)."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np

from studio.core import store
from studio.core.landing import Extension, NewShot, Spot
from studio.core.project import Clip, MediaItem, Project
from studio.core.recipe import Mode, Recipe
from studio.engine.jobs import Job, JobCancelled, JobDone, JobFailed, JobState
from studio.engine.requests import RequestError
from studio.media.takes import write_frames
from studio.ui.document import Document
from studio.ui.generation import GenerationController
from studio.ui.jobs_panel import JobsPanel
from studio.ui.timeline import TimelineWidget


class FakeService:
    """What the controller asks of EngineService; the recipe comes back snapped to 9 frames."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.refuse: str | None = None
        self.cancelled: list[str] = []

    def submit(self, recipe, output, name="", project_folder=None, resume_from=None) -> str:
        if self.refuse:
            raise RequestError(self.refuse)
        job_id = f"job{len(self.jobs) + 1}"
        self.jobs[job_id] = Job(
            job_id,
            name,
            replace(recipe, frames=9),
            str(output),
            notes=["snapped"],
            resume_from=str(resume_from) if resume_from else None,
        )
        return job_id

    def job(self, job_id: str) -> Job:
        return self.jobs[job_id]

    def cancel(self, job_id: str) -> None:
        self.cancelled.append(job_id)


def controller(qtbot, tmp_path):
    project = Project.new("Film")
    store.save(project, tmp_path / "Film.studio")
    document = Document(project)
    timeline, panel = TimelineWidget(document), JobsPanel()
    qtbot.addWidget(timeline)
    qtbot.addWidget(panel)
    jobs = GenerationController(FakeService(), document, timeline, panel)
    jobs.restore_jobs()
    said: list[str] = []
    jobs.message.connect(said.append)
    return jobs, said


RECIPE = Recipe(Mode.TEXT_TO_VIDEO, "tiny", "rain", width=32, height=32, frames=97)


def test_a_submitted_shot_gets_a_row_a_placeholder_from_the_prepared_length_and_a_line_in_jobs_json(qtbot, tmp_path):
    jobs, _ = controller(qtbot, tmp_path)
    track = jobs.video_track()
    job_id = jobs.submit(
        RECIPE, "rain", NewShot, refused="Cannot generate", spot=lambda frames: Spot(track.id, 5, frames, "rain")
    )
    assert job_id in jobs.jobs_panel.rows and isinstance(jobs.pending[job_id], NewShot)
    assert jobs.spots[job_id] == Spot(track.id, 5, 9, "rain")  # the service's snapped length
    assert jobs.timeline.placeholders[job_id].frames == 9  # drawn by the timeline
    assert jobs.free_start(track, 8, 4) == 14  # the shot on its way is in the way
    jobs.save_jobs()
    saved = json.loads((jobs.document.folder / "jobs.json").read_text())["jobs"][0]
    assert saved["landing"]["take_id"] == jobs.pending[job_id].take_id
    assert saved["placeholder"] == {"track_id": track.id, "start": 5, "frames": 9, "label": "rain"}


def test_a_refused_request_says_why_and_queues_nothing(qtbot, tmp_path):
    jobs, said = controller(qtbot, tmp_path)
    jobs.service.refuse = "no such model"
    warned = []
    jobs.warning.connect(lambda title, text: warned.append((title, text)))
    assert jobs.submit(RECIPE, "rain", NewShot, refused="Cannot generate", warn=True) is None
    assert said == ["Cannot generate: no such model"] and warned == [("Cannot generate", "no such model")]
    assert not jobs.pending and not jobs.jobs_panel.rows


def test_a_failed_job_is_retried_landing_where_it_was_to_land(qtbot, tmp_path):
    jobs, said = controller(qtbot, tmp_path)
    track = jobs.video_track()
    first = jobs.submit(RECIPE, "rain", NewShot, refused="x", spot=lambda frames: Spot(track.id, 30, frames, "rain"))
    jobs.on_job_event(JobFailed(first, "out of memory"))
    assert not jobs.pending and not jobs.spots and first not in jobs.timeline.placeholders
    assert said[-1] == "Generation failed: out of memory"
    jobs.retry_job(first)
    (second,) = jobs.pending
    assert second != first and jobs.spots[second] == Spot(track.id, 30, 9, "rain")
    assert list(jobs.jobs_panel.rows) == [second] and said[-1] == "Retrying: rain"


def test_a_cancelled_extension_keeps_its_landing_for_a_retry(qtbot, tmp_path):
    jobs, _ = controller(qtbot, tmp_path)
    job_id = jobs.submit(RECIPE, "extend", lambda take: Extension(take, "c", "right", 4, 9), refused="x")
    jobs.on_job_event(JobCancelled(job_id))
    jobs.retry_job(job_id)
    (again,) = jobs.pending.values()
    assert isinstance(again, Extension) and (again.clip_id, again.frames) == ("c", 4)


def test_a_finished_shot_lands_as_a_clip_where_its_placeholder_stood(qtbot, tmp_path):
    jobs, said = controller(qtbot, tmp_path)
    track = jobs.video_track()
    job_id = jobs.submit(RECIPE, "rain", NewShot, refused="x", spot=lambda frames: Spot(track.id, 12, frames, "r"))
    take_id = jobs.pending[job_id].take_id
    take = write_frames(jobs.document.media_dir / f"{take_id}.mkv", _frames(), 24)
    jobs.service.jobs[job_id].state = JobState.DONE
    jobs.on_job_event(JobDone(job_id, str(take), RECIPE, 9, 32, 32, 24.0, 1.0))
    (clip,) = track.clips
    assert (clip.media_id, clip.start, clip.duration) == (take_id, 12, 9)
    assert jobs.timeline.selected == clip.id and said[-1] == "Shot ready: 9 frames at 32×32"
    assert not jobs.pending and not jobs.spots


def test_an_extension_whose_take_no_longer_fits_stays_in_the_bin_and_says_so(qtbot, tmp_path):
    jobs, said = controller(qtbot, tmp_path)
    project = jobs.document.project
    track = jobs.video_track()
    project.media["m"] = MediaItem("m", "media/m.mkv", frames=9, width=32, height=32)
    track.clips[:] = [Clip("c", "m", 0, 0, 9), Clip("d", "m", 9, 0, 9)]  # d is where the new frames would go
    job_id = jobs.submit(RECIPE, "extend", lambda take: Extension(take, "c", "right", 8, 9), refused="x")
    take_id = jobs.pending[job_id].take_id
    take = write_frames(jobs.document.media_dir / f"{take_id}.mkv", _frames(17), 24)
    jobs.on_job_event(JobDone(job_id, str(take), RECIPE, 17, 32, 32, 24.0, 1.0))
    assert take_id in project.media and track.clips[0].media_id == "m"
    assert said[-1].startswith("The extended take is in the bin; it no longer fits on the timeline: ")


def _frames(count: int = 9) -> np.ndarray:
    return np.zeros((count, 32, 32, 3), np.uint8)


def test_a_shots_later_take_finishing_first_lands_where_the_shot_stands(qtbot, tmp_path):
    # A pool of workers runs a shot's takes side by side: they finish in any order.
    jobs, _ = controller(qtbot, tmp_path)
    track = jobs.video_track()
    first = jobs.submit(
        RECIPE, "rain 1", lambda t: NewShot(t, group="g"), refused="x", spot=lambda n: Spot(track.id, 12, n, "r")
    )
    second = jobs.submit(RECIPE, "rain 2", lambda t: NewShot(t, group="g"), refused="x")
    for job_id in (second, first):
        take = write_frames(jobs.document.media_dir / f"{jobs.pending[job_id].take_id}.mkv", _frames(), 24)
        jobs.service.jobs[job_id].state = JobState.DONE
        jobs.on_job_event(JobDone(job_id, str(take), RECIPE, 9, 32, 32, 24.0, 1.0))
    (clip,) = track.clips
    assert (clip.start, clip.duration, len(clip.takes)) == (12, 9, 2)
