"""The project's generation queue on disk: `jobs.json` in the project folder lists the jobs whose takes
have not landed yet, so queued and interrupted jobs survive a restart of the studio.

It is written whenever a job changes, independently of Save: a job is work in progress, not an edit.
The editor owns what `landing` holds (where the take goes when it is done); this module only keeps it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .recipe import Recipe
from .store import write_atomic

JOBS_FILE = "jobs.json"
WAITING = ("queued", "running")  # after a restart these are interrupted: they run again on Resume


@dataclass
class SavedJob:
    job_id: str
    name: str
    recipe: Recipe
    output: str  # the take's file, relative to the project folder
    state: str  # queued, running, failed or cancelled
    landing: dict[str, Any] = field(default_factory=dict)
    placeholder: dict[str, Any] | None = None  # track_id, start, frames, label
    error: str | None = None

    @property
    def interrupted(self) -> bool:
        return self.state in WAITING

    def to_dict(self) -> dict[str, Any]:
        return {"job_id": self.job_id, "name": self.name, "recipe": self.recipe.to_dict(), "output": self.output,
                "state": self.state, "landing": self.landing, "placeholder": self.placeholder, "error": self.error}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SavedJob:
        return cls(job_id=data["job_id"], name=data.get("name", ""), recipe=Recipe.from_dict(data["recipe"]),
                   output=data["output"], state=data.get("state", "queued"), landing=data.get("landing") or {},
                   placeholder=data.get("placeholder"), error=data.get("error"))


def save_jobs(folder: str | os.PathLike[str], jobs: list[SavedJob]) -> None:
    """Write the queue (atomically); no jobs removes the file."""
    path = Path(folder) / JOBS_FILE
    if not jobs:
        path.unlink(missing_ok=True)
        return
    write_atomic(path, json.dumps({"jobs": [job.to_dict() for job in jobs]}, indent=1).encode())


def load_jobs(folder: str | os.PathLike[str]) -> tuple[list[SavedJob], str | None]:
    """The saved queue, and a warning if the file could not be read whole (the readable jobs are kept)."""
    path = Path(folder) / JOBS_FILE
    if not path.exists():
        return [], None
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["jobs"]
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError) as exc:
        return [], f"the saved job queue {path} cannot be read ({exc}); its jobs are not restored"
    jobs, bad = [], 0
    for entry in entries:
        try:
            jobs.append(SavedJob.from_dict(entry))
        except (KeyError, TypeError, ValueError):
            bad += 1
    return jobs, (f"{bad} saved job{'s' if bad > 1 else ''} in {path} could not be read" if bad else None)
