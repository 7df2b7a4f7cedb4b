"""The engine as the editor and the CLI see it: a job queue in front of a worker process.

The worker (studio.engine.runtime.worker) imports torch; this module must not, even indirectly, so the
GUI starts fast and never freezes while a model runs. Jobs run one at a time. Events go to
listeners on one background thread, in order; a GUI marshals them onto its own thread.

A worker that dies (killed, crashed, out of memory) fails its running job with a reason a
person can read; the next job starts a fresh worker. The service itself carries on.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import queue
import signal
import subprocess
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from ..core.logs import prune_logs
from ..core.recipe import Recipe
from ..core.settings import logs_dir, private_folder
from .child import engine_child
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

Listener = Callable[[JobEvent], None]
WORKER_LOGS_KEPT = 20  # a worker's log is its own file; the older ones beyond these go

log = logging.getLogger(__name__)


def default_log_dir() -> Path:
    """The user's own log folder (settings.logs_dir): the logs hold prompts."""
    return logs_dir()


class _WorkerProcess:
    """One running worker: the process, its log, and the job it is running."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        private_folder(log_dir)  # the log holds the prompts: only its user may read it
        prune_logs(log_dir, "worker-*.log", WORKER_LOGS_KEPT)
        self.log_path = log_dir / f"worker-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.log"
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        self._log: IO[bytes] = os.fdopen(fd, "ab")
        # Its working directory is the log folder: ours, private, and never where the user started us.
        child = engine_child("studio.engine.runtime.worker", cwd=log_dir, env=env)
        self.process = subprocess.Popen(
            child.argv,
            cwd=child.cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=child.env,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        self.job_id: str | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, message: dict[str, Any]) -> bool:
        """Write one request; False if the worker has gone (its reader thread reports why)."""
        try:
            stdin = self.process.stdin
            assert stdin is not None  # opened with stdin=PIPE
            stdin.write(json.dumps(message) + "\n")
            stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def close_log(self) -> None:
        self._log.close()


class EngineService:
    """Queues generation jobs and runs them, one at a time, in a worker process."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        models_dir: str | os.PathLike[str] | None = None,
        cards_dir: str | os.PathLike[str] | None = None,
        env: dict[str, str] | None = None,
        memory: str | None = None,
    ) -> None:
        self.log_dir = Path(log_dir) if log_dir is not None else default_log_dir()
        self.models_dir = models_dir  # a user-chosen models folder; may be changed at any time
        self.cards_dir = cards_dir
        self.memory = memory  # a memory tier (engine.memory.TIERS) for the worker; None: it chooses
        self._env = dict(env or {})
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._jobs: dict[str, Job] = {}
        self._queue: deque[str] = deque()
        self._worker: _WorkerProcess | None = None
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
            name=name or recipe.prompt.strip()[:60],
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
            elif self._worker is not None and self._worker.job_id == job_id:
                self._worker.send({"type": "cancel", "job_id": job_id})

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

    @property
    def worker_pid(self) -> int | None:
        """The running worker's process id, if one is running."""
        with self._lock:
            return self._worker.pid if self._worker is not None else None

    @property
    def worker_log(self) -> Path | None:
        with self._lock:
            return self._worker.log_path if self._worker is not None else None

    def shutdown(self, timeout: float = 10.0) -> None:
        """Cancel every job, stop the worker (killing it if it does not stop in time), stop events."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for job_id in list(self._queue):
                self._finish(self._jobs[job_id], JobState.CANCELLED, JobCancelled(job_id))
            self._queue.clear()
            worker = self._worker
            if worker is not None:
                if worker.job_id is not None:
                    worker.send({"type": "cancel", "job_id": worker.job_id})
                worker.send({"type": "quit"})
        if worker is not None:
            try:
                worker.process.wait(timeout)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            # The reader thread sees the worker's end and settles its job.
        with self._changed:
            self._changed.wait_for(lambda: self._worker is None or self._worker is not worker, timeout=5)
        self._events.put(None)
        if threading.current_thread() is not self._dispatcher:
            self._dispatcher.join(timeout=5)

    def __enter__(self) -> EngineService:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.shutdown()

    # -- inside -----------------------------------------------------------------------------

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
        self._emit(event)
        self._changed.notify_all()

    def _pump(self) -> None:
        """Start the next queued job if nothing is running. Called with the lock held."""
        if self._closed or not self._queue:
            return
        if self._worker is not None and self._worker.job_id is not None:
            return
        job = self._jobs[self._queue.popleft()]
        if self._worker is None or self._worker.process.poll() is not None:
            try:
                self._worker = self._start_worker()
            except OSError as exc:
                self._worker = None
                reason = f"could not start the engine worker: {exc}"
                self._finish(job, JobState.FAILED, JobFailed(job.id, reason), reason)
                self._pump()
                return
        self._worker.job_id = job.id
        try:
            resolved = resolve_model(job.recipe.model, self.models_dir, self.cards_dir)
        except RequestError as exc:  # the weights went away since the job was queued
            self._worker.job_id = None
            self._finish(job, JobState.FAILED, JobFailed(job.id, str(exc)), str(exc))
            self._pump()
            return
        assert resolved.folder is not None  # resolve_model requires the weights by default
        self._worker.send(
            {
                "type": "run",
                "job_id": job.id,
                "recipe": job.recipe.to_dict(),
                "output": job.output,
                "project_folder": job.project_folder,
                "model_folder": str(Path(resolved.folder).absolute()),
                "card": resolved.card.to_dict(),
                "memory": self.memory,
                "resume_from": job.resume_from,
            }
        )

    def _start_worker(self) -> _WorkerProcess:
        worker = _WorkerProcess(self.log_dir, self._env)
        threading.Thread(
            target=self._read_events, args=(worker,), name=f"engine-worker-{worker.pid}", daemon=True
        ).start()
        return worker

    def _read_events(self, worker: _WorkerProcess) -> None:
        """Follow one worker's events until it ends, then settle whatever it was running."""
        stdout = worker.process.stdout
        assert stdout is not None  # opened with stdout=PIPE
        for line in stdout:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                continue  # cannot happen by design (fd 1 is the log in the worker); never fatal
            with self._lock:
                self._handle(worker, message)
        code = worker.process.wait()
        worker.close_log()
        with self._lock:
            if worker.job_id is not None:
                job = self._jobs[worker.job_id]
                worker.job_id = None
                reason = _death_reason(code, worker.log_path)
                self._finish(job, JobState.FAILED, JobFailed(job.id, reason), reason)
            if self._worker is worker:
                self._worker = None
            self._changed.notify_all()
            self._pump()

    def _handle(self, worker: _WorkerProcess, message: dict[str, Any]) -> None:
        job = self._jobs.get(message.get("job_id", ""))
        if job is None or job.state.finished:
            return
        kind = message.get("type")
        if kind == "started":
            job.state = JobState.RUNNING
            self._emit(JobStarted(job.id))
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
            worker.job_id = None
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


def _death_reason(code: int, log_path: Path) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = "unknown signal"
        how = f"signal {-code}, {name}"
        if -code == getattr(signal, "SIGKILL", None):
            how += ": it was killed, often because the computer ran out of memory"
    else:
        how = f"exit code {code}"
    return f"the engine worker stopped unexpectedly ({how}); the next job starts a new one. Details: {log_path}"
