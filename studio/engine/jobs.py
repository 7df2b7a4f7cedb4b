"""Generation jobs as the editor sees them: one Job record each, and a small set of typed events.

Plain data, no torch: the GUI imports this through the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from ..core.errors import StudioError
from ..core.recipe import Recipe


class Cancelled(StudioError):
    """Raised inside the worker to stop a job between denoising steps."""


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        return self in (JobState.DONE, JobState.FAILED, JobState.CANCELLED)


@dataclass
class Job:
    """One request to the engine and where it has got to. The service hands out copies."""

    id: str
    name: str
    recipe: Recipe
    output: str
    project_folder: str | None = None
    state: JobState = JobState.QUEUED
    step: int = 0
    total: int = 0
    elapsed: float = 0.0
    error: str | None = None
    notes: list[str] = field(default_factory=list)  # what prepare() changed, e.g. a rounded size
    preview: bytes | None = None  # the latest preview from the latents, a small PNG
    window: int = 0  # a long shot: the windows finished, of `windows`
    windows: int = 0
    resume_from: str | None = None  # a long shot: the take so far of an interrupted run, to go on from
    worker: str | None = None  # the worker slot running it (engine/workers.py), e.g. "GPU 1"

    @property
    def progress(self) -> float:
        """0.0 to 1.0 over the denoising steps; 1.0 once done."""
        if self.state is JobState.DONE:
            return 1.0
        return self.step / self.total if self.total else 0.0


@dataclass(frozen=True)
class JobQueued:
    job_id: str
    name: str
    recipe: Recipe
    output: str


@dataclass(frozen=True)
class JobStarted:
    job_id: str
    worker: str = ""  # the worker slot it runs on, e.g. "GPU 1"


@dataclass(frozen=True)
class JobProgress:
    job_id: str
    step: int  # 1-based: the number of denoising steps finished
    total: int
    elapsed: float  # seconds since the job started


@dataclass(frozen=True)
class JobPreview:
    job_id: str
    png: bytes  # a small picture of the shot as it denoises, made from the latents


@dataclass(frozen=True)
class JobPartial:
    """A long shot finished a window: its take so far, playable, is in output."""

    job_id: str
    output: str
    frames: int
    window: int  # windows finished
    windows: int


@dataclass(frozen=True)
class JobDone:
    job_id: str
    output: str
    recipe: Recipe  # as run: defaults filled in, sizes snapped, model_revision set
    frames: int
    width: int
    height: int
    fps: float
    elapsed: float
    audio: bool = False  # the take has sound (LTX-2 makes it with the picture)
    sample_rate: int | None = None  # the sound's rate, when it has sound


@dataclass(frozen=True)
class JobFailed:
    job_id: str
    reason: str  # for a person to read; the details are in the worker log


@dataclass(frozen=True)
class JobCancelled:
    job_id: str


JobEvent = JobQueued | JobStarted | JobProgress | JobPreview | JobPartial | JobDone | JobFailed | JobCancelled
