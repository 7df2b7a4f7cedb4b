"""The engine as the editor and the CLI see it: a job queue in front of a pool of workers.

A worker (studio.engine.runtime.worker) imports torch; this module must not, even indirectly, so the
GUI starts fast and never freezes while a model runs. Each worker runs one job at a time; a service
has one worker by default, or one per GPU, or N on the CPU (engine/workers.py), or workers on a Ray
cluster (engine/cluster.py). A job goes to a free worker, preferring the one that already holds its
model. Events go to listeners on one background thread, in order; a GUI marshals them onto its own.

A worker that dies (killed, crashed, out of memory) fails its running job with a reason a person can
read, or, when the pool has another worker, runs the job once more there first; the next job starts a
fresh worker. The service itself carries on.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import queue
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from ..core.recipe import Recipe
from ..core.settings import logs_dir
from .jobs import (
    Job,
    JobCancelled,
    JobDone,
    JobEvent,
    JobFailed,
    JobPartial,
    JobPreview,
    JobProgress,
    JobQueued,
    JobStarted,
    JobState,
)
from .requests import RequestError, prepare, resolve_model
from .workers import LocalWorker, Worker, WorkerSlot

Listener = Callable[[JobEvent], None]
Launcher = Callable[[WorkerSlot], Worker]
ATTEMPTS = 2  # a job whose worker died runs once more on another worker, when the pool has one

log = logging.getLogger(__name__)


def default_log_dir() -> Path:
    """The user's own log folder (settings.logs_dir): the logs hold prompts."""
    return logs_dir()


@dataclass
class _Place:
    """A worker slot and what runs there now: the worker, its job, the model it holds."""

    slot: WorkerSlot
    worker: Worker | None = None
    job_id: str | None = None
    model: str | None = None  # the model folder its worker loaded last: a job of it needs no reload
    used: float = 0.0  # when it last took a job: the longest idle is the one to give a new model


@dataclass(frozen=True)
class WorkerInfo:
    """What one worker slot is doing, for a jobs panel or `studio batch`."""

    name: str
    pid: int | None
    job_id: str | None
    model: str | None


class EngineService:
    """Queues generation jobs and runs each in a free worker of its pool."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        models_dir: str | os.PathLike[str] | None = None,
        cards_dir: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        memory: str | None = None,
        slots: Sequence[WorkerSlot] | None = None,
        launcher: Launcher | None = None,
    ) -> None:
        """slots: the workers to run (workers.local_slots; default one); launcher: starts a worker
        for a slot (default: a process of this machine; a cluster backend gives its own)."""
        self.log_dir = Path(log_dir) if log_dir is not None else default_log_dir()
        self.models_dir = models_dir  # a user-chosen models folder; may be changed at any time
        self.cards_dir = cards_dir
        self.memory = memory  # a memory tier (engine.memory.TIERS) for the worker; None: it chooses
        self._env = dict(env or {})
        self._launch: Launcher = launcher or self._launch_local
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._jobs: dict[str, Job] = {}
        self._queue: deque[str] = deque()
        self._places = [_Place(slot) for slot in (slots or [WorkerSlot("worker")])]
        self._attempts: dict[str, int] = {}  # job id → workers it has been given
        self._avoid: dict[str, str] = {}  # job id → the slot whose worker died under it
        self._listeners: list[Listener] = []
        self._events: queue.Queue[JobEvent | None] = queue.Queue()
        self._closed = False
        self._dispatcher = threading.Thread(target=self._dispatch, name="engine-events", daemon=True)
        self._dispatcher.start()

    # -- the public API -------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call listener(event) for every job event, on the service's event thread."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def submit(
        self,
        recipe: Recipe,
        output: str | os.PathLike[str],
        name: str | None = None,
        project_folder: str | os.PathLike[str] | None = None,
        resume_from: str | os.PathLike[str] | None = None,
        allow_long: bool = False,
    ) -> str:
        """Check the request (RequestError if it cannot run), queue it, and return its job id.

        resume_from: for a long shot, the take so far of an interrupted run of the same recipe; the
        windows it holds are kept and the job goes on from the next (windows.py). allow_long: a shot
        longer than requests.MAX_SECONDS was asked for explicitly."""
        recipe, notes = prepare(
            recipe,
            project_folder=project_folder,
            models_dir=self.models_dir,
            cards_dir=self.cards_dir,
            allow_long=allow_long,
        )
        output = Path(output).absolute()
        if output.suffix.lower() not in (".mkv", ".mp4"):
            raise RequestError(f"the output {output.name} should be a .mkv (lossless) or .mp4 file")
        job = Job(
            id=uuid.uuid4().hex[:12],
            name=name or recipe.title[:60],
            recipe=recipe,
            output=str(output),
            # The worker runs in a folder of its own: relative inputs resolve against ours, as given.
            project_folder=str(Path(project_folder if project_folder is not None else Path.cwd()).absolute()),
            notes=notes,
            resume_from=str(Path(resume_from).absolute()) if resume_from is not None else None,
        )
        with self._lock:
            if self._closed:
                raise RuntimeError("the engine service has been shut down")
            self._jobs[job.id] = job
            self._queue.append(job.id)
            self._emit(JobQueued(job.id, job.name, recipe, job.output))
            self._pump()
        return job.id

    def cancel(self, job_id: str) -> None:
        """A queued job is cancelled at once; a running one stops at its next denoising step."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.state.finished:
                return
            if job_id in self._queue:
                self._queue.remove(job_id)
                self._finish(job, JobState.CANCELLED, JobCancelled(job_id))
                return
            for place in self._places:
                if place.job_id == job_id and place.worker is not None:
                    place.worker.send({"type": "cancel", "job_id": job_id})

    def move(self, job_id: str, position: int) -> bool:
        """Put a queued job at a place in the queue (0: it runs next; -1 or past the end: last).
        False if it is not waiting in the queue (running or finished)."""
        with self._lock:
            if job_id not in self._queue:
                return False
            self._queue.remove(job_id)
            if position < 0 or position > len(self._queue):
                position = len(self._queue)
            self._queue.insert(position, job_id)
            return True

    def queued(self) -> list[str]:
        """The ids of the jobs waiting, in the order they will run."""
        with self._lock:
            return list(self._queue)

    def jobs(self) -> list[Job]:
        """Copies of every job this service has seen, oldest first."""
        with self._lock:
            return [replace(job, notes=list(job.notes)) for job in self._jobs.values()]

    def job(self, job_id: str) -> Job:
        with self._lock:
            job = self._jobs[job_id]
            return replace(job, notes=list(job.notes))

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """Block until the job has finished (or the timeout passes); return a copy of it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not self._jobs[job_id].state.finished:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    break
                self._changed.wait(left)
            return self.job(job_id)

    def workers(self) -> list[WorkerInfo]:
        """Each worker slot: its name, its process (if started), the job it runs, the model it holds."""
        with self._lock:
            return [
                WorkerInfo(p.slot.name, p.worker.pid if p.worker else None, p.job_id, p.model) for p in self._places
            ]

    def use_workers(self, slots: Sequence[WorkerSlot], launcher: Launcher | None = None) -> bool:
        """Run the next jobs on these workers instead (the editor's Workers setting). Only while no job
        runs: False, changing nothing, if one does. The old idle workers are stopped."""
        with self._lock:
            if self._closed or any(p.job_id is not None for p in self._places):
                return False
            old = [p.worker for p in self._places if p.worker is not None]
            for place in self._places:
                place.worker = None  # their reader threads find them replaced and settle nothing
            self._places = [_Place(slot) for slot in slots] or [_Place(WorkerSlot("worker"))]
            self._launch = launcher or self._launch_local
            self._attempts.clear()
            self._avoid.clear()
        for worker in old:
            threading.Thread(target=worker.stop, args=(10.0,), name="engine-stop", daemon=True).start()
        with self._lock:
            self._pump()
        return True

    @property
    def worker_pid(self) -> int | None:
        """A running worker's process id (the busy one first), if one is running."""
        worker = self._some_worker()
        return worker.pid if worker is not None else None

    @property
    def worker_log(self) -> Path | None:
        worker = self._some_worker()
        return worker.log_path if worker is not None else None

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every job, stop the workers (killing one that does not stop in time), stop events."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for job_id in list(self._queue):
                self._finish(self._jobs[job_id], JobState.CANCELLED, JobCancelled(job_id))
            self._queue.clear()
            running = [(p.worker, p.job_id) for p in self._places if p.worker is not None]
            for worker, running_id in running:
                if running_id is not None:
                    worker.send({"type": "cancel", "job_id": running_id})
        stoppers = [threading.Thread(target=worker.stop, args=(timeout,), daemon=True) for worker, _ in running]
        for stopper in stoppers:  # side by side: a pool of eight stops in one timeout, not eight
            stopper.start()
        for stopper in stoppers:
            stopper.join()
        # The reader threads see the workers' ends and settle their jobs.
        with self._changed:
            self._changed.wait_for(lambda: all(p.worker is None for p in self._places), timeout=5)
        self._events.put(None)
        if threading.current_thread() is not self._dispatcher:
            self._dispatcher.join(timeout=5)

    def __enter__(self) -> EngineService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- inside -----------------------------------------------------------------------------

    def _some_worker(self) -> Worker | None:
        with self._lock:
            started = [p for p in self._places if p.worker is not None]
            busy = [p for p in started if p.job_id is not None]
            chosen = busy or started
            return chosen[0].worker if chosen else None

    def _launch_local(self, slot: WorkerSlot) -> Worker:
        return LocalWorker(self.log_dir, {**self._env, **slot.env})

    def _emit(self, event: JobEvent) -> None:
        self._events.put(event)

    def _dispatch(self) -> None:
        while (event := self._events.get()) is not None:
            with self._lock:
                listeners = list(self._listeners)
            for listener in listeners:
                try:
                    listener(event)
                except Exception:  # a broken listener must not stop the others or the engine
                    log.exception("a job event listener failed on %s", event)

    def _finish(self, job: Job, state: JobState, event: JobEvent, error: str | None = None) -> None:
        job.state = state
        job.error = error
        self._attempts.pop(job.id, None)  # a rerun's bookkeeping ends with the job
        self._avoid.pop(job.id, None)
        self._emit(event)
        self._changed.notify_all()

    def _pump(self) -> None:
        """Give queued jobs to free workers, in queue order. Called with the lock held."""
        while not self._closed and self._queue:
            free = [p for p in self._places if p.job_id is None]
            if not free:
                return
            job = self._jobs[self._queue[0]]
            try:
                resolved = resolve_model(job.recipe.model, self.models_dir, self.cards_dir)
            except RequestError as exc:  # the weights went away since the job was queued
                self._queue.popleft()
                self._finish(job, JobState.FAILED, JobFailed(job.id, str(exc)), str(exc))
                continue
            assert resolved.folder is not None  # resolve_model requires the weights by default
            model = str(Path(resolved.folder).absolute())
            place = _choose(free, model, self._avoid.get(job.id), len(self._places))
            if place is None:
                return  # only the worker that failed it is free: it waits for another
            self._queue.popleft()
            if place.worker is None:
                try:
                    self._start(place)
                except OSError as exc:
                    reason = f"could not start the engine worker: {exc}"
                    self._finish(job, JobState.FAILED, JobFailed(job.id, reason), reason)
                    continue
            assert place.worker is not None
            place.job_id, place.model, place.used = job.id, model, time.monotonic()
            self._attempts[job.id] = self._attempts.get(job.id, 0) + 1
            place.worker.send(
                {
                    "type": "run",
                    "job_id": job.id,
                    "recipe": job.recipe.to_dict(),
                    "output": job.output,
                    "project_folder": job.project_folder,
                    "model_folder": model,
                    "card": resolved.card.to_dict(),
                    "memory": self.memory,
                    "resume_from": job.resume_from,
                }
            )

    def _start(self, place: _Place) -> None:
        worker = self._launch(place.slot)
        place.worker, place.model = worker, None
        threading.Thread(
            target=self._read_events, args=(place, worker), name=f"engine-{place.slot.name}", daemon=True
        ).start()

    def _read_events(self, place: _Place, worker: Worker) -> None:
        """Follow one worker's events until it ends, then settle whatever it was running."""
        for message in worker.messages():
            with self._lock:
                self._handle(place, message)
        reason = worker.end_reason()
        with self._lock:
            if place.worker is worker:
                job_id, place.worker, place.job_id, place.model = place.job_id, None, None, None
                if job_id is not None:
                    self._worker_died(self._jobs[job_id], place, reason)
            self._changed.notify_all()
            self._pump()

    def _worker_died(self, job: Job, place: _Place, reason: str) -> None:
        """Run the job once more on another worker if the pool has one and it is its first try."""
        others = len(self._places) > 1
        if others and not self._closed and self._attempts.get(job.id, 0) < ATTEMPTS and not job.state.finished:
            log.warning("%s died running job %s (%s); it runs again on another worker", place.slot.name, job.id, reason)
            job.notes.append(f"{place.slot.name} stopped during this job ({reason}); it ran again on another worker")
            job.state, job.step, job.worker = JobState.QUEUED, 0, None
            self._avoid[job.id] = place.slot.name
            self._queue.appendleft(job.id)
            return
        self._finish(job, JobState.FAILED, JobFailed(job.id, reason), reason)

    def _handle(self, place: _Place, message: dict) -> None:
        job = self._jobs.get(message.get("job_id", ""))
        if job is None or job.state.finished or place.job_id != job.id:
            return
        kind = message.get("type")
        if kind == "started":
            job.state, job.worker = JobState.RUNNING, place.slot.name
            self._emit(JobStarted(job.id, place.slot.name))
        elif kind == "progress":
            job.step, job.total, job.elapsed = message["step"], message["total"], message["elapsed"]
            self._emit(JobProgress(job.id, job.step, job.total, job.elapsed))
        elif kind == "preview":
            try:
                job.preview = base64.b64decode(message["png"], validate=True)
            except (KeyError, ValueError, binascii.Error):
                return  # a preview is a nicety: a bad one is skipped
            self._emit(JobPreview(job.id, job.preview))
        elif kind == "partial":
            job.window, job.windows = message["window"], message["windows"]
            self._emit(JobPartial(job.id, message["output"], message["frames"], job.window, job.windows))
        elif kind in ("done", "failed", "cancelled"):
            place.job_id = None
            if kind == "done":
                job.recipe = Recipe.from_dict(message["recipe"])
                job.elapsed = message.get("elapsed", job.elapsed)
                self._finish(
                    job,
                    JobState.DONE,
                    JobDone(
                        job.id,
                        message["output"],
                        job.recipe,
                        message["frames"],
                        message["width"],
                        message["height"],
                        message["fps"],
                        job.elapsed,
                        bool(message.get("audio", False)),
                        message.get("sample_rate"),
                    ),
                )
            elif kind == "failed":
                self._finish(job, JobState.FAILED, JobFailed(job.id, message["reason"]), message["reason"])
            else:
                self._finish(job, JobState.CANCELLED, JobCancelled(job.id))
            self._pump()


def _choose(free: list[_Place], model: str, avoid: str | None, pool: int) -> _Place | None:
    """The free worker for a job of `model`: one that holds it (no reload), else one with no model yet,
    else the one idle longest. Never the worker that died under this job, while the pool has others."""
    if avoid is not None and pool > 1:
        free = [p for p in free if p.slot.name != avoid]
    if not free:
        return None
    holding = [p for p in free if p.model == model and p.worker is not None]
    empty = [p for p in free if p.model is None]
    return (holding or empty or sorted(free, key=lambda p: p.used))[0]
