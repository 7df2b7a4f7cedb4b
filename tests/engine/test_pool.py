"""The local worker pool: several workers on this machine (engine/workers.py), one job each at a time."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from studio.engine.jobs import JobDone, JobFailed, JobProgress, JobStarted, JobState
from studio.engine.service import EngineService
from studio.engine.workers import WorkersError, WorkerSlot, local_slots
from tests.engine.test_service import Recorder, recipe

# -- which workers ----------------------------------------------------------------------------


def test_chosen_gpus_get_one_worker_each_pinned_to_its_gpu():
    slots = local_slots(gpus="0,2,2")
    assert [s.name for s in slots] == ["GPU 0", "GPU 2"]
    assert [s.env["CUDA_VISIBLE_DEVICES"] for s in slots] == ["0", "2"]


def test_cpu_workers_see_no_gpu_and_share_the_cores():
    slots = local_slots(workers=2)
    assert [s.name for s in slots] == ["CPU 1", "CPU 2"]
    assert all(s.env["CUDA_VISIBLE_DEVICES"] == "" for s in slots)
    assert all(int(s.env["OMP_NUM_THREADS"]) == max(1, (os.cpu_count() or 1) // 2) for s in slots)


def test_no_choice_is_one_worker_on_whatever_it_finds():
    assert local_slots() == [WorkerSlot("worker")]


@pytest.mark.parametrize(
    ("gpus", "workers", "message"),
    [
        ("0,x", None, "GPU numbers such as 0,2"),
        ("", None, "GPU numbers"),
        (None, 0, "between 1 and"),
        ("0", 2, "either --gpus or --workers"),
    ],
)
def test_a_bad_choice_says_what_to_write(gpus, workers, message):
    with pytest.raises(WorkersError, match=message):
        local_slots(gpus=gpus, workers=workers)


# -- two CPU workers at once ------------------------------------------------------------------


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    # One pool for the module: its workers' start (torch, diffusers) is most of each test's time.
    recorder = Recorder()
    service = EngineService(log_dir=tmp_path_factory.mktemp("logs"), slots=local_slots(workers=2))
    service.add_listener(recorder)
    yield service, recorder
    service.shutdown()


def test_two_jobs_run_at_once_on_two_workers_and_both_land(pool, tiny_ltx, tmp_path):
    service, events = pool
    first = service.submit(recipe(tiny_ltx, steps=12, seed=1), tmp_path / "a.mkv")
    second = service.submit(recipe(tiny_ltx, steps=12, seed=2), tmp_path / "b.mkv")
    for job_id in (first, second):
        events.wait_for(job_id, JobDone)
    with events._changed:
        order = [(type(e).__name__, e.job_id) for e in events.events if isinstance(e, JobStarted | JobDone)]
    # Both had started before either finished: they ran side by side, not one after the other.
    assert {kind for kind, _ in order[:2]} == {"JobStarted"}
    assert {service.job(first).worker, service.job(second).worker} == {"CPU 1", "CPU 2"}
    assert (tmp_path / "a.mkv").is_file() and (tmp_path / "b.mkv").is_file()


def test_a_job_goes_to_the_worker_that_already_holds_its_model(pool, tiny_ltx, tmp_path):
    service, events = pool
    other = shutil.copytree(tiny_ltx, tmp_path / "other-model")
    a = service.submit(recipe(tiny_ltx), tmp_path / "a.mkv")
    b = service.submit(recipe(other), tmp_path / "b.mkv")
    for job_id in (a, b):
        events.wait_for(job_id, JobDone)
    holder = {service.job(a).worker: str(tiny_ltx), service.job(b).worker: str(other)}
    assert set(holder) == {"CPU 1", "CPU 2"}
    # Both idle now: each model's next job goes where it is loaded, whatever the order of the slots.
    c = service.submit(recipe(other, seed=5), tmp_path / "c.mkv")
    events.wait_for(c, JobDone)
    d = service.submit(recipe(tiny_ltx, seed=5), tmp_path / "d.mkv")
    events.wait_for(d, JobDone)
    assert service.job(c).worker == service.job(b).worker
    assert service.job(d).worker == service.job(a).worker


def _kill_worker_of(service, job_id) -> None:
    pid = next(w.pid for w in service.workers() if w.job_id == job_id)
    os.kill(pid, signal.SIGKILL)


def test_a_killed_worker_costs_only_its_job_which_runs_again_on_the_other(pool, tiny_ltx, tmp_path):
    service, events = pool
    killed: list[str] = []

    def kill_once(event):
        if isinstance(event, JobProgress) and event.job_id == victim and not killed:
            killed.append(service.job(victim).worker)
            _kill_worker_of(service, victim)

    service.add_listener(kill_once)
    try:
        victim = service.submit(recipe(tiny_ltx, steps=30, seed=1), tmp_path / "victim.mkv")
        events.wait_for(victim, JobStarted)
        bystander = service.submit(recipe(tiny_ltx, steps=30, seed=2), tmp_path / "bystander.mkv")
        events.wait_for(bystander, JobDone)
        events.wait_for(victim, JobDone)
    finally:
        service.remove_listener(kill_once)
    job = service.job(victim)
    assert job.state is JobState.DONE and job.worker != killed[0]
    assert any("ran again on another worker" in note for note in job.notes)
    assert service.job(bystander).state is JobState.DONE


def test_a_job_whose_worker_dies_twice_fails_with_the_reason(pool, tiny_ltx, tmp_path):
    service, events = pool

    def kill_always(event):
        if isinstance(event, JobProgress) and event.job_id == victim and event.step == 1:
            _kill_worker_of(service, victim)

    service.add_listener(kill_always)
    try:
        victim = service.submit(recipe(tiny_ltx, steps=30), tmp_path / "victim.mkv")
        failed = events.wait_for(victim, JobFailed)
    finally:
        service.remove_listener(kill_always)
    assert failed.reason.startswith("the engine worker stopped unexpectedly (signal 9, SIGKILL")
    assert sum(isinstance(e, JobStarted) for e in events.of(victim)) == 2
    # The pool carries on: the next job lands.
    after = service.submit(recipe(tiny_ltx), tmp_path / "after.mkv")
    events.wait_for(after, JobDone)


def test_the_workers_change_only_while_no_job_runs(pool, tiny_ltx, tmp_path):
    service, events = pool
    running = service.submit(recipe(tiny_ltx, steps=300), tmp_path / "long.mkv")
    events.wait_for(running, JobStarted)
    assert not service.use_workers(local_slots(workers=3))  # a job runs: nothing changes
    assert [w.name for w in service.workers()] == ["CPU 1", "CPU 2"]
    service.cancel(running)
    service.wait(running, timeout=60)
    idle = EngineService(log_dir=tmp_path / "logs")
    try:
        assert idle.use_workers(local_slots(gpus="0,1"))
        assert [(w.name, w.pid) for w in idle.workers()] == [("GPU 0", None), ("GPU 1", None)]
    finally:
        idle.shutdown()
