"""The engine service with a real worker process: progress, cancel, failures and a killed worker."""

from __future__ import annotations

import io
import os
import shutil
import signal
import stat
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.jobs import (
    JobCancelled,
    JobDone,
    JobFailed,
    JobPreview,
    JobProgress,
    JobQueued,
    JobStarted,
    JobState,
)
from studio.engine.requests import RequestError
from studio.engine.service import EngineService, default_log_dir
from studio.engine.workers import WORKER_LOGS_KEPT
from studio.media.takes import read_frames

TIMEOUT = 120  # generous: a worker's first start imports torch and diffusers


class Recorder:
    """Collects a service's events and lets a test wait for one."""

    def __init__(self) -> None:
        self.events: list = []
        self.threads: set[str] = set()
        self._changed = threading.Condition()

    def __call__(self, event) -> None:
        with self._changed:
            self.events.append(event)
            self.threads.add(threading.current_thread().name)
            self._changed.notify_all()

    def of(self, job_id: str) -> list:
        with self._changed:
            return [e for e in self.events if e.job_id == job_id]

    def wait_for(self, job_id: str, kind: type, timeout: float = TIMEOUT):
        with self._changed:
            ok = self._changed.wait_for(lambda: any(isinstance(e, kind) for e in self.of(job_id)), timeout)
        assert ok, f"no {kind.__name__} for {job_id}; got {self.of(job_id)}"
        return next(e for e in self.of(job_id) if isinstance(e, kind))


@pytest.fixture(scope="module")
def service(tmp_path_factory):
    svc = EngineService(log_dir=tmp_path_factory.mktemp("logs"))
    yield svc
    svc.shutdown()


@pytest.fixture
def events(service):
    recorder = Recorder()
    service.add_listener(recorder)
    yield recorder
    service.remove_listener(recorder)


def recipe(model, **kw) -> Recipe:
    base = dict(
        mode=Mode.TEXT_TO_VIDEO,
        model=str(model),
        prompt="waves crash on the rocks",
        width=64,
        height=64,
        frames=9,
        steps=2,
        seed=3,
    )
    base.update(kw)
    return Recipe(**base)


def test_a_job_reports_every_step_and_writes_its_take(service, events, tiny_ltx, tmp_path):
    output = tmp_path / "take.mkv"
    job_id = service.submit(recipe(tiny_ltx, steps=3), output, name="waves")
    done = events.wait_for(job_id, JobDone)
    kinds = [type(e) for e in events.of(job_id)]
    # a preview from the latents after step 2 and after the last step
    assert kinds == [JobQueued, JobStarted, JobProgress, JobProgress, JobPreview, JobProgress, JobPreview, JobDone]
    previews = [e.png for e in events.of(job_id) if isinstance(e, JobPreview)]
    assert all(png.startswith(b"\x89PNG") for png in previews) and previews[0] != previews[1]
    for png in previews:  # a preview is a generated picture: it says so
        with Image.open(io.BytesIO(png)) as image:
            assert image.info["Comment"].startswith("AI-generated (studio): text_to_video by ")
    assert [(e.step, e.total) for e in events.of(job_id) if isinstance(e, JobProgress)] == [
        (1, 3),
        (2, 3),
        (3, 3),
    ]
    assert (done.frames, done.width, done.height, done.fps) == (9, 64, 64, 24.0)
    assert done.output == str(output)
    assert done.recipe.model_revision.startswith("local-")
    assert read_frames(output).shape == (9, 64, 64, 3)
    job = service.job(job_id)
    assert (job.state, job.name, job.progress) == (JobState.DONE, "waves", 1.0)
    assert job.preview == previews[-1]  # the job keeps its latest preview, for its thumbnail
    assert events.threads == {"engine-events"}  # listeners are called on the service's event thread


def test_a_bad_request_is_refused_before_queueing(service, tiny_ltx, tmp_path):
    before = len(service.jobs())
    with pytest.raises(RequestError, match="the prompt is empty"):
        service.submit(recipe(tiny_ltx, prompt=""), tmp_path / "x.mkv")
    with pytest.raises(RequestError, match="should be a .mkv"):
        service.submit(recipe(tiny_ltx), tmp_path / "x.gif")
    assert len(service.jobs()) == before


def test_cancel_stops_a_running_job_within_a_step(service, events, tiny_ltx, tmp_path):
    output = tmp_path / "cancelled.mkv"

    def cancel_at_step_two(event):
        if isinstance(event, JobProgress) and event.step == 2:
            service.cancel(event.job_id)

    service.add_listener(cancel_at_step_two)
    try:
        job_id = service.submit(recipe(tiny_ltx, steps=300), output)
        events.wait_for(job_id, JobCancelled)
    finally:
        service.remove_listener(cancel_at_step_two)
    steps = [e.step for e in events.of(job_id) if isinstance(e, JobProgress)]
    assert steps[-1] <= 3  # the step running when the cancel came may finish; no more
    assert not output.exists()
    assert service.job(job_id).state is JobState.CANCELLED


def test_a_queued_job_is_cancelled_at_once(service, events, tiny_ltx, tmp_path):
    running = service.submit(recipe(tiny_ltx, steps=300), tmp_path / "a.mkv")
    queued = service.submit(recipe(tiny_ltx), tmp_path / "b.mkv")
    service.cancel(queued)
    assert service.job(queued).state is JobState.CANCELLED
    events.wait_for(queued, JobCancelled, timeout=5)
    service.cancel(running)
    events.wait_for(running, JobCancelled)
    assert not any(isinstance(e, JobStarted) for e in events.of(queued))


def test_a_cancel_while_the_model_loads_stops_before_denoising(service, events, tiny_ltx, tmp_path):
    other = tmp_path / "another-model"
    shutil.copytree(tiny_ltx, other)  # a different folder, so the worker has to load it
    job_id = service.submit(recipe(other), tmp_path / "c.mkv")
    service.cancel(job_id)
    events.wait_for(job_id, JobCancelled)
    assert not any(isinstance(e, JobProgress) for e in events.of(job_id))


def test_a_failing_job_gives_a_reason_a_person_can_read(service, events, tiny_ltx, tmp_path, still_images):
    image = tmp_path / "first.png"
    shutil.copy(still_images[0], image)
    job_id = service.submit(
        recipe(tiny_ltx, mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(str(image), 0)], steps=300),
        tmp_path / "d.mkv",
    )
    image.unlink()  # gone after the check: the worker finds out
    failed = events.wait_for(job_id, JobFailed)
    assert "first.png" in failed.reason
    assert "Traceback" not in failed.reason and "\n" not in failed.reason
    # The worker carries on: the next job runs in the same process.
    pid = service.worker_pid
    next_id = service.submit(recipe(tiny_ltx), tmp_path / "e.mkv")
    events.wait_for(next_id, JobDone)
    assert service.worker_pid == pid


def test_a_killed_worker_fails_its_job_and_the_next_job_gets_a_new_one(service, events, tiny_ltx, tmp_path):
    def kill_at_first_step(event):
        if isinstance(event, JobProgress) and event.step == 1:
            os.kill(service.worker_pid, signal.SIGKILL)

    service.add_listener(kill_at_first_step)
    try:
        old_pid = service.worker_pid
        job_id = service.submit(recipe(tiny_ltx, steps=300), tmp_path / "killed.mkv")
        failed = events.wait_for(job_id, JobFailed)
    finally:
        service.remove_listener(kill_at_first_step)
    assert failed.reason.startswith("the engine worker stopped unexpectedly (signal 9, SIGKILL")
    assert "Traceback" not in failed.reason
    assert service.job(job_id).state is JobState.FAILED

    next_id = service.submit(recipe(tiny_ltx), tmp_path / "after.mkv")
    events.wait_for(next_id, JobDone)
    assert service.worker_pid not in (None, old_pid)
    assert read_frames(tmp_path / "after.mkv").shape == (9, 64, 64, 3)


def test_shutdown_cancels_what_is_left_and_stops_the_worker(tiny_ltx, tmp_path):
    recorder = Recorder()
    svc = EngineService(log_dir=tmp_path / "logs")
    svc.add_listener(recorder)
    running = svc.submit(recipe(tiny_ltx, steps=300), tmp_path / "a.mkv")
    queued = svc.submit(recipe(tiny_ltx), tmp_path / "b.mkv")
    recorder.wait_for(running, JobProgress)
    pid = svc.worker_pid
    svc.shutdown()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # the worker is gone (reaped: the service waited for it)
    assert svc.job(queued).state is JobState.CANCELLED
    assert svc.job(running).state in (JobState.CANCELLED, JobState.FAILED)


def test_queued_jobs_can_be_reordered_and_run_in_the_new_order(service, events, tiny_ltx, tmp_path):
    blocker = service.submit(recipe(tiny_ltx, steps=300), tmp_path / "blocker.mkv")
    events.wait_for(blocker, JobStarted)
    waiting = [service.submit(recipe(tiny_ltx, seed=i), tmp_path / f"{i}.mkv", name=f"job {i}") for i in range(3)]
    assert service.queued() == waiting
    assert service.move(waiting[2], 0) and service.move(waiting[0], -1)
    assert service.queued() == [waiting[2], waiting[1], waiting[0]]
    assert not service.move(blocker, 0)  # running: not in the queue any more
    service.cancel(blocker)
    for job_id in waiting:
        events.wait_for(job_id, JobDone)
    with events._changed:
        started = [e.job_id for e in events.events if isinstance(e, JobStarted) and e.job_id in waiting]
    assert started == [waiting[2], waiting[1], waiting[0]]


@pytest.mark.skipif(sys.platform == "win32", reason="file modes")
def test_logs_go_in_the_users_own_folder_readable_by_nobody_else(tiny_ltx, tmp_path, monkeypatch):
    config = tmp_path / "config"
    monkeypatch.setenv("STUDIO_CONFIG", str(config))
    (config / "logs").mkdir(parents=True)
    (config / "logs").chmod(0o755)  # left readable by everyone, as a shared /tmp folder was
    with EngineService() as svc:
        job = svc.wait(svc.submit(recipe(tiny_ltx), tmp_path / "take.mkv"), TIMEOUT)
        log = svc.worker_log
    assert job.state is JobState.DONE, job.error
    assert log.parent == config / "logs"
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert "ready" in log.read_text()


def test_without_studio_config_the_logs_are_in_the_users_home(monkeypatch, tmp_path):
    monkeypatch.delenv("STUDIO_CONFIG")
    monkeypatch.delenv("XDG_STATE_HOME", raising=False)
    assert default_log_dir().is_relative_to(Path.home())
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    if sys.platform.startswith("linux"):
        assert default_log_dir() == tmp_path / "studio" / "logs"


@pytest.mark.skipif(sys.platform == "win32", reason="file owners")
def test_a_log_folder_of_another_user_is_refused_with_a_sentence(tiny_ltx, tmp_path, monkeypatch):
    logs = tmp_path / "logs"
    logs.mkdir()
    monkeypatch.setattr(os, "getuid", lambda: os.stat(logs).st_uid + 1)  # as if another user made it
    with EngineService(log_dir=logs) as svc:
        job = svc.wait(svc.submit(recipe(tiny_ltx), tmp_path / "take.mkv"), TIMEOUT)
    assert job.state is JobState.FAILED
    assert job.error == (
        f"could not start the engine worker: the folder {logs} belongs to another user, so the "
        "studio will not keep its files there: remove it, or set STUDIO_CONFIG to a folder of "
        "your own"
    )


def test_a_broken_listener_is_logged_and_the_others_still_hear(tiny_ltx, tmp_path, caplog):
    (tmp_path / "logs").write_text("")  # no log folder can be made: the job fails without a worker
    heard = []

    def broken(event):
        raise RuntimeError("a listener's own bug")

    with EngineService(log_dir=tmp_path / "logs") as svc:
        svc.add_listener(broken)
        svc.add_listener(heard.append)
        job = svc.wait(svc.submit(recipe(tiny_ltx), tmp_path / "take.mkv"), TIMEOUT)
    assert job.state is JobState.FAILED and [type(e) for e in heard] == [JobQueued, JobFailed]
    failures = [r for r in caplog.records if r.name == "studio.engine.service"]
    assert [r.getMessage().split(" on ")[0] for r in failures] == ["a job event listener failed"] * 2
    assert all(r.exc_info[0] is RuntimeError for r in failures)


def test_old_worker_logs_are_pruned_when_a_worker_starts(tiny_ltx, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    for n in range(WORKER_LOGS_KEPT + 3):
        (logs / f"worker-old-{n:02}.log").write_text("an old worker's log")
        os.utime(logs / f"worker-old-{n:02}.log", (1e9 + n,) * 2)  # 2001: idle for long
    with EngineService(log_dir=logs) as svc:
        job = svc.wait(svc.submit(recipe(tiny_ltx), tmp_path / "take.mkv"), TIMEOUT)
        log = svc.worker_log
    assert job.state is JobState.DONE, job.error
    kept = sorted(p.name for p in logs.glob("worker-*.log"))
    assert len(kept) == WORKER_LOGS_KEPT + 1 and log.name in kept and "worker-old-02.log" not in kept
    assert "INFO studio.engine.runtime.worker: worker" in log.read_text() and "ready (python" in log.read_text()
