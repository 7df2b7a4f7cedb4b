"""The workers a service runs its jobs in: which ones (one per GPU, a chosen few, or N on the CPU) and
a running worker process of this machine. A cluster backend (engine/cluster.py) gives the service
workers of the same shape on other machines.

A worker is anything with the `Worker` protocol: the service sends it JSON-able requests (the
protocol of runtime/worker.py), reads its events until it ends, then asks why it ended. No torch here.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from ..core.errors import StudioError
from ..core.logs import prune_logs
from ..core.settings import private_folder
from .child import engine_child
from .gpu import nvidia_gpu_count

WORKER_LOGS_KEPT = 20  # a worker's log is its own file; the older ones beyond these go
MAX_LOCAL_WORKERS = 16


class WorkersError(StudioError):
    """A --gpus or --workers choice that cannot be honoured."""


@dataclass(frozen=True)
class WorkerSlot:
    """A place a job can run: its name as a person reads it, and what pins a worker to it."""

    name: str
    env: dict[str, str] = field(default_factory=dict)


class Worker(Protocol):
    """A running worker, local or on a cluster."""

    @property
    def pid(self) -> int | None: ...

    @property
    def log_path(self) -> Path | None: ...

    def send(self, message: dict[str, Any]) -> bool:
        """Write one request; False if the worker has gone (messages() then ends)."""
        ...

    def messages(self) -> Iterator[dict[str, Any]]:
        """Its events, as they come, until it ends."""
        ...

    def end_reason(self) -> str:
        """Once messages() has ended: why it ended, for a person (waits for the end)."""
        ...

    def stop(self, timeout: float) -> None:
        """Ask it to quit; kill it if it has not within timeout seconds."""
        ...

    def kill(self) -> None: ...


def local_slots(gpus: str | None = None, workers: int | None = None) -> list[WorkerSlot]:
    """The workers of this machine: `gpus` "0,2" (those GPUs, one worker each), "all" (every GPU
    nvidia-smi lists; none listed: one worker as usual) or None; `workers` N: N workers on the CPU.
    Neither: one worker on whatever device it finds, as the studio has always run."""
    if gpus is not None and workers is not None:
        raise WorkersError("choose either --gpus or --workers, not both")
    if workers is not None:
        if not 1 <= workers <= MAX_LOCAL_WORKERS:
            raise WorkersError(f"--workers must be between 1 and {MAX_LOCAL_WORKERS}, not {workers}")
        # Each CPU worker gets its share of the cores, so N of them do not fight over threads.
        threads = str(max(1, (os.cpu_count() or 1) // workers))
        return [
            WorkerSlot(f"CPU {i + 1}", {"CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": threads}) for i in range(workers)
        ]
    if gpus is None:
        return [WorkerSlot("worker")]
    if gpus.strip().lower() == "all":
        count = nvidia_gpu_count()
        return [WorkerSlot(f"GPU {i}", {"CUDA_VISIBLE_DEVICES": str(i)}) for i in range(count)] or [
            WorkerSlot("worker")
        ]
    chosen: list[int] = []
    for part in gpus.split(","):
        if not part.strip().isdigit():
            raise WorkersError(f"--gpus takes GPU numbers such as 0,2 (or all), not {gpus!r}")
        if int(part) not in chosen:
            chosen.append(int(part))
    return [WorkerSlot(f"GPU {i}", {"CUDA_VISIBLE_DEVICES": str(i)}) for i in chosen]


def choose_workers(
    gpus: str | None = None, workers: int | None = None, cluster: str | None = None
) -> tuple[list[WorkerSlot], Callable[[WorkerSlot], Worker] | None]:
    """The workers the CLI's --gpus/--workers/--cluster or the editor's Workers setting ask for: slots,
    and the launcher for them (None: processes of this machine). WorkersError/ClusterError if not."""
    if cluster:
        if gpus is not None or workers is not None:
            raise WorkersError("a cluster chooses its own GPUs: give --cluster alone, without --gpus or --workers")
        from .cluster import connect  # Ray only when a cluster is asked for

        return connect(cluster)
    return local_slots(gpus, workers), None


class LocalWorker:
    """One worker process of this machine, with its private log."""

    def __init__(self, log_dir: Path, env: dict[str, str]) -> None:
        private_folder(log_dir)  # the log holds the prompts: only its user may read it
        prune_logs(log_dir, "worker-*.log", WORKER_LOGS_KEPT)
        self._log_path = log_dir / f"worker-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}.log"
        fd = os.open(self._log_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        self._log: IO[bytes] = os.fdopen(fd, "ab")
        # Its working directory is the log folder: ours, private, and never where the user started us.
        child = engine_child("studio.engine.runtime.worker", cwd=log_dir, env=env)
        try:
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
        except OSError:
            self._log.close()
            raise

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def log_path(self) -> Path:
        return self._log_path

    def send(self, message: dict[str, Any]) -> bool:
        try:
            stdin = self.process.stdin
            assert stdin is not None  # opened with stdin=PIPE
            stdin.write(json.dumps(message) + "\n")
            stdin.flush()
            return True
        except (BrokenPipeError, OSError, ValueError):
            return False

    def messages(self) -> Iterator[dict[str, Any]]:
        stdout = self.process.stdout
        assert stdout is not None  # opened with stdout=PIPE
        for line in stdout:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue  # cannot happen by design (fd 1 is the log in the worker); never fatal

    def end_reason(self) -> str:
        code = self.process.wait()
        self._log.close()
        return death_reason(code, self._log_path)

    def stop(self, timeout: float) -> None:
        self.send({"type": "quit"})
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()


def death_reason(code: int, log_path: Path | None) -> str:
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
    details = f" Details: {log_path}" if log_path is not None else ""
    return f"the engine worker stopped unexpectedly ({how}); the next job starts a new one.{details}"
