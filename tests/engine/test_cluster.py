"""The Ray backend through the same service API: a local Ray cluster of 2 CPUs, tiny models (skipped
without Ray, but for where a local cluster's folder goes)."""

from __future__ import annotations

import os
import shutil
import sys
import threading

import pytest

from studio.engine import cluster as cluster_module
from studio.engine.cluster import RAY_TEMP_BASE_MAX, NodeWorker, RayWorker, build, connect, differs, ray_temp_base
from studio.engine.jobs import JobCancelled, JobDone, JobFailed, JobProgress, JobStarted, JobState
from studio.engine.service import EngineService
from tests.engine.test_service import Recorder, recipe

try:
    import ray
except ImportError:  # the cluster's own tests are skipped; where its folder goes is tested all the same
    ray = None


def test_a_local_clusters_folder_is_short_enough_for_rays_sockets(tmp_path, monkeypatch):
    """Ray's socket paths must stay under 107 bytes: under a long temporary folder (macOS's /var/folders/…/T/,
    pytest's own) the cluster's folder goes in /tmp instead."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    assert ray_temp_base() == "/tmp"
    deep = tmp_path / ("t" * 40)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    assert ray_temp_base() == "/tmp"
    session = "/studio-ray-abcdefgh/r/session_2026-12-05_00-48-22_549028_22879/sockets/plasma_store"
    assert len(ray_temp_base() + session) <= 107
    short = "/tmp/s"
    assert len(short) <= RAY_TEMP_BASE_MAX
    monkeypatch.setattr(tempfile, "tempdir", short)
    assert ray_temp_base() == short


def ours() -> str:
    """The local cluster's private folder, studio-ray-*: <ours>/<Ray's temp dir>/session_<date>."""
    session = ray._private.worker._global_node.get_session_dir_path()  # Ray has no public call for it
    return os.path.dirname(os.path.dirname(session))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    if ray is None:
        pytest.skip("could not import 'ray'")
    slots, launch = connect("local", num_cpus=2)
    recorder = Recorder()
    service = EngineService(log_dir=tmp_path_factory.mktemp("logs"), slots=slots, launcher=launch)
    service.add_listener(recorder)
    yield service, recorder
    folder = ours()
    service.shutdown()
    ray.shutdown()
    shutil.rmtree(folder, ignore_errors=True)


def test_a_cluster_of_two_cpus_gives_two_workers(cluster):
    service, _ = cluster
    assert [w.name for w in service.workers()] == ["cluster CPU 1", "cluster CPU 2"]


def test_a_local_cluster_keeps_its_session_logs_private(cluster):
    import stat

    private = ours()
    assert os.path.dirname(private) == ray_temp_base()
    assert os.path.basename(private).startswith("studio-ray-")
    # Ray opens its own folder to every user (0777); the one around it is ours and closed
    assert stat.S_IMODE(os.stat(private).st_mode) == 0o700


def test_a_local_clusters_workers_run_at_the_users_priority(cluster):
    """Ray's own default puts its workers at nice 15, where any other busy process starves them."""

    @ray.remote(num_cpus=0)
    def niceness() -> int:
        return os.nice(0)

    assert ray.get(niceness.remote()) == os.nice(0)


def test_jobs_land_from_cluster_workers(cluster, tiny_ltx, tmp_path):
    service, events = cluster
    jobs = [service.submit(recipe(tiny_ltx, seed=i), tmp_path / f"{i}.mkv") for i in range(2)]
    for job_id in jobs:
        done = events.wait_for(job_id, JobDone)
        assert done.frames == 9
    assert {service.job(j).worker for j in jobs} <= {"cluster CPU 1", "cluster CPU 2"}
    assert all((tmp_path / f"{i}.mkv").is_file() for i in range(2))


def test_a_cluster_job_can_be_cancelled(cluster, tiny_ltx, tmp_path):
    service, events = cluster
    job_id = service.submit(recipe(tiny_ltx, steps=300), tmp_path / "long.mkv")
    events.wait_for(job_id, JobProgress)
    service.cancel(job_id)
    events.wait_for(job_id, JobCancelled)
    assert not (tmp_path / "long.mkv").exists()


def test_an_actor_killed_mid_job_costs_only_that_job_and_its_rerun_lands(cluster, tiny_ltx, tmp_path):
    service, events = cluster
    killed: list[str] = []

    def kill_its_actor(event):
        if isinstance(event, JobProgress) and event.job_id == victim and not killed:
            place = next(p for p in service._places if p.job_id == victim)  # the test reaches in for the actor
            killed.append(place.slot.name)
            ray.kill(place.worker._actor)

    service.add_listener(kill_its_actor)
    try:
        victim = service.submit(recipe(tiny_ltx, steps=40, seed=7), tmp_path / "victim.mkv")
        events.wait_for(victim, JobStarted)
        bystander = service.submit(recipe(tiny_ltx, steps=20, seed=8), tmp_path / "bystander.mkv")
        events.wait_for(victim, JobDone, timeout=240)
        events.wait_for(bystander, JobDone, timeout=240)
    finally:
        service.remove_listener(kill_its_actor)
    job = service.job(victim)
    assert job.state is JobState.DONE and killed and job.worker != killed[0]
    assert any("was lost" in note for note in job.notes)


def test_a_nodes_studio_is_ours_only_when_its_version_and_recipes_are():
    ours = build()
    assert differs(ours, ours) == ""
    assert "older studio" in differs(None, ours)
    older = {"version": "0.0.9", "fields": [f for f in ours["fields"] if f != "Recipe.style"]}
    assert differs(older, ours) == f"studio 0.0.9 (this one: {ours['version']}), whose recipes have no Recipe.style"
    assert "another build" in differs({**ours, "fields": [*ours["fields"], "Recipe.tomorrow"]}, ours)


def test_a_node_running_another_studio_is_sent_no_job(cluster, tiny_ltx, tmp_path, monkeypatch):
    """The nodes run this checkout's studio; the studio sending the jobs is made to say it has a field more, as a
    newer one would: every actor is refused before the job reaches it, and the job fails saying why."""
    ours = build()
    monkeypatch.setattr(cluster_module, "build", lambda: {**ours, "fields": [*ours["fields"], "Recipe.tomorrow"]})
    slots, launch = connect("local")
    recorder = Recorder()
    service = EngineService(log_dir=tmp_path / "logs", slots=slots, launcher=launch)
    service.add_listener(recorder)
    try:
        job_id = service.submit(recipe(tiny_ltx), tmp_path / "shot.mkv")
        failed = recorder.wait_for(job_id, JobFailed)
    finally:
        service.shutdown()
    assert "whose recipes have no Recipe.tomorrow" in failed.reason
    assert "install this studio's version on every node" in failed.reason
    assert not [e for e in recorder.of(job_id) if isinstance(e, (JobStarted, JobProgress))]
    assert not (tmp_path / "shot.mkv").exists()


class OlderNode(NodeWorker):
    """A node of a studio from before nodes said what they run: it has no build to ask."""

    def build(self):
        raise AttributeError("'NodeWorker' object has no attribute 'build'")


def test_a_node_too_old_to_say_its_studio_is_refused(cluster):
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the nodes cannot import the tests
    try:
        actor = ray.remote(concurrency_groups={"events": 1})(OlderNode).remote()
    finally:
        ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    worker = RayWorker(actor)
    worker.send({"type": "cancel", "job_id": "none"})
    got: list = []
    reader = threading.Thread(target=lambda: got.extend(worker.messages()), daemon=True)
    reader.start()
    reader.join(60)  # an actor that was let through would be read from until it ends: never
    assert not reader.is_alive() and got == []
    assert "runs an older studio, one that cannot say its version" in worker.end_reason()
