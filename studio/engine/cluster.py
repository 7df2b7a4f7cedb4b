"""Jobs on a Ray cluster: the service's workers become Ray actors, one per GPU of the cluster (or one per
CPU on a cluster without GPUs), each holding a worker process of its node that keeps its model
loaded between jobs, as a local worker does.

Ray is optional (`pip install 'studio[cluster]'`); nothing here imports it until a cluster is asked for.
Files travel by a shared path, not the object store: every node mounts the project folders and the
models folder at the same paths (README, "More GPUs and render farms"). A take is written by the
worker as everywhere (a temporary file, marked, then renamed), so a project never holds half a take.

An actor that dies (its node lost, or killed) ends its worker's messages: the service reruns the job
once on another actor and starts a new actor for the next job, exactly as for a local worker.

Every node must run the studio that sends the jobs (README, "A Ray cluster"): an older one reads a job
without the recipe's fields it does not know (Recipe.from_dict drops them), and would make a shot without
its style or its reference images and say nothing. So an actor is sent nothing until its node's studio is
known to be this one (`build`); one that differs ends at once, saying which and what to do.
"""

from __future__ import annotations

import contextlib
import os
import queue
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import fields
from pathlib import Path
from typing import Any

from ..core import studio_version
from ..core.errors import StudioError
from ..core.recipe import Condition, Recipe
from ..core.settings import logs_dir, private_folder
from .workers import LocalWorker, Worker, WorkerSlot

READ_WAIT = 1.0  # seconds an actor waits for its worker's next event before answering "none yet"
STOP_WAIT = 5.0  # seconds an actor of another studio is given to stop its worker before it is killed


class ClusterError(StudioError):
    """The cluster cannot be reached or used: what to do about it."""


def build() -> dict[str, Any]:
    """What this studio is, as far as a job is concerned: its version and the fields its recipes hold."""
    names = sorted(f"{kind.__name__}.{field.name}" for kind in (Recipe, Condition) for field in fields(kind))
    return {"version": studio_version(), "fields": names}


def differs(theirs: dict[str, Any] | None, ours: dict[str, Any]) -> str:
    """'' where a node's studio (its `build`; None: one too old to say) runs our jobs as ours would, else
    what it is, in words."""
    if theirs == ours:
        return ""
    if theirs is None:
        return "an older studio, one that cannot say its version"
    missing = [name for name in ours["fields"] if name not in theirs["fields"]]
    if missing:
        return f"studio {theirs['version']} (this one: {ours['version']}), whose recipes have no " + ", ".join(missing)
    if theirs["version"] == ours["version"]:
        return f"another build of studio {ours['version']}, whose recipes differ from this one's"
    return f"studio {theirs['version']} (this one: {ours['version']})"


class NodeWorker:
    """The actor's body, on a node of the cluster: a local worker process and its events, queued."""

    def __init__(self) -> None:
        self._worker = LocalWorker(private_folder(logs_dir()), {})
        self._events: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._reason = ""
        self._ended = False  # the worker's end (None) has been read off the queue
        threading.Thread(target=self._follow, daemon=True).start()

    def _follow(self) -> None:
        for message in self._worker.messages():
            self._events.put(message)
        self._reason = self._worker.end_reason()
        self._events.put(None)

    def where(self) -> str:
        return f"{os.uname().nodename}, process {self._worker.pid}"

    def build(self) -> dict[str, Any]:
        return build()

    def send(self, message: dict[str, Any]) -> bool:
        return self._worker.send(message)

    def read(self, wait: float) -> list[dict[str, Any]] | None:
        """The events so far (waiting up to `wait` seconds for one); None once the worker has ended
        and every event has been read."""
        if self._ended and self._events.empty():
            return None
        try:
            first = self._events.get(timeout=wait)
        except queue.Empty:
            return []
        batch = [first]
        while not self._events.empty():
            batch.append(self._events.get_nowait())
        messages = [m for m in batch if m is not None]
        self._ended = self._ended or len(messages) < len(batch)
        return messages or (None if self._ended else [])

    def end_reason(self) -> str:
        return self._reason

    def stop(self, timeout: float) -> None:
        self._worker.stop(timeout)


class RayWorker:
    """The service's side of one actor: the Worker protocol over Ray calls."""

    def __init__(self, actor: Any) -> None:
        import ray

        self._ray = ray
        self._actor = actor
        self._reason = ""
        self._where = "starting"  # asked on the reader thread: an actor may wait for a free GPU
        # Nothing goes to the actor before its node's studio is known to be ours (the module's docstring):
        # what the service sends until then waits here, in order.
        self._lock = threading.Lock()
        self._pending: list[dict[str, Any]] | None = []  # None once checked

    @property
    def pid(self) -> int | None:
        return None  # a process of another machine

    @property
    def log_path(self) -> Path | None:
        return None  # on its node: the node's own logs folder

    def send(self, message: dict[str, Any]) -> bool:
        with self._lock:
            if self._pending is not None:
                self._pending.append(message)
            else:
                self._actor.send.remote(message)  # a lost actor shows up in messages(), which then ends
        return True

    def _same_studio(self) -> bool:
        """Whether the actor's node runs this studio; if so, what waited for the answer is sent."""
        try:
            theirs = self._ray.get(self._actor.build.remote())
        except self._ray.exceptions.RayTaskError:  # a studio from before nodes said what they run
            theirs = None
        if problem := differs(theirs, build()):
            self._reason = (
                f"the cluster worker ({self._where}) runs {problem}: install this studio's version on every node of"
                " the cluster (README, A Ray cluster)"
            )
            return False
        with self._lock:
            for message in self._pending or ():
                self._actor.send.remote(message)
            self._pending = None
        return True

    def messages(self) -> Iterator[dict[str, Any]]:
        while True:
            try:
                if self._where == "starting":
                    self._where = self._ray.get(self._actor.where.remote())
                    if not self._same_studio():
                        self.stop(STOP_WAIT)
                        return
                # Reads run beside sends (a cancel must not wait behind a read); sends keep their order.
                batch = self._ray.get(self._actor.read.options(concurrency_group="events").remote(READ_WAIT))
            except self._ray.exceptions.RayError as exc:
                self._reason = (
                    f"the cluster worker ({self._where}) was lost: {type(exc).__name__}; the next job starts a new one"
                )
                return
            if batch is None:
                with contextlib.suppress(self._ray.exceptions.RayError):
                    self._reason = f"on the cluster ({self._where}): " + self._ray.get(self._actor.end_reason.remote())
                return
            yield from batch

    def end_reason(self) -> str:
        return self._reason or f"the cluster worker ({self._where}) ended"

    def stop(self, timeout: float) -> None:
        with contextlib.suppress(self._ray.exceptions.RayError):
            self._ray.get(self._actor.stop.remote(timeout), timeout=timeout + 5)
        self.kill()

    def kill(self) -> None:
        with contextlib.suppress(self._ray.exceptions.RayError):
            self._ray.kill(self._actor)


# Ray's socket paths (at most 107 bytes) are its temp folder plus about 86 of its own:
# <base>/studio-ray-XXXXXXXX/r/session_<date>_<time>_<pid>/sockets/plasma_store
RAY_TEMP_BASE_MAX = 20


def ray_temp_base() -> str:
    """Where a local cluster's private folder goes: the system's temporary folder, else /tmp where that one is
    too long for Ray's sockets (macOS's /var/folders/…/T/, a TMPDIR set deep), as Ray itself does on macOS."""
    base = tempfile.gettempdir()
    if len(base) > RAY_TEMP_BASE_MAX and os.name == "posix" and os.path.isdir("/tmp"):
        return "/tmp"
    return base


def connect(address: str, **init: Any) -> tuple[list[WorkerSlot], Callable[[WorkerSlot], Worker]]:
    """Join the Ray cluster at `address` ("auto": the one this node belongs to; "ray://HEAD:10001": a
    remote head; "local": start one on this machine, init's keywords such as num_cpus applying) and
    give the service its worker slots (one per GPU of the cluster, else one per CPU) and their launcher."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterError("running on a cluster needs Ray: pip install 'studio[cluster]'") from exc
    if not ray.is_initialized():
        # Ray puts the driver's current folder on its workers' import path: make that a folder of
        # ours, so no module of the folder the studio was started in is ever imported by a worker.
        here = os.getcwd()
        os.chdir(private_folder(logs_dir()))
        if address == "local":
            # A cluster started here keeps its session logs (our workers' output among them) inside a folder
            # only this user can open: Ray's default, /tmp/ray, is shared by every user of the machine, and
            # Ray opens its own folder to all (0777), so it goes one level down.
            if "_temp_dir" not in init:
                init["_temp_dir"] = os.path.join(tempfile.mkdtemp(prefix="studio-ray-", dir=ray_temp_base()), "r")
            # Ray starts its workers at nice 15 (its worker_niceness), under everything else on the machine:
            # beside one busy process a CPU job ran 30x slower. A cluster started here runs the jobs at the
            # user's priority, as the studio's own workers run them.
            init.setdefault("_system_config", {"worker_niceness": 0})
        try:
            ray.init(
                address=None if address == "local" else address,
                include_dashboard=False,
                log_to_driver=False,
                **init,
            )
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise ClusterError(f"cannot reach the Ray cluster at {address}: {exc}") from exc
        finally:
            os.chdir(here)
    resources = ray.cluster_resources()
    gpus, cpus = int(resources.get("GPU", 0)), int(resources.get("CPU", 0))
    if gpus:
        slots = [WorkerSlot(f"cluster GPU {i + 1}") for i in range(gpus)]
        options: dict[str, Any] = {"num_gpus": 1, "num_cpus": 0}
    elif cpus:
        slots = [WorkerSlot(f"cluster CPU {i + 1}") for i in range(cpus)]
        options = {"num_cpus": 1}
    else:
        raise ClusterError(f"the Ray cluster at {address} offers no GPU and no CPU to run jobs on")
    actor_class = ray.remote(concurrency_groups={"events": 1})(NodeWorker)

    def launch(slot: WorkerSlot) -> Worker:
        return RayWorker(actor_class.options(**options).remote())

    return slots, launch
