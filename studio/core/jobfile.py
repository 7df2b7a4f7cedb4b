"""The project's generation queue on disk: `jobs.json` in the project folder lists the jobs whose takes
have not landed yet, so queued and interrupted jobs survive a restart of the studio.

It is written whenever a job changes, independently of Save: a job is work in progress, not an edit.
The editor owns what `landing` holds (where the take goes when it is done); this module only keeps it.

Another version of the studio may share the folder, so what this one does not understand is kept:
unknown fields (of the file, of a job, of its recipe) and whole entries it cannot read are written
back as they were. A file that cannot be read at all is never deleted or written over: it is set
aside as jobs.unreadable-<time>.json and the person is told.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from .errors import StudioError
from .recipe import Recipe
from .schema import InvalidProject, check_recipe, parse
from .store import write_atomic

JOBS_FILE = "jobs.json"
WAITING = ("queued", "running")  # after a restart these are interrupted: they run again on Resume
_KNOWN = ("job_id", "name", "recipe", "output", "state", "landing", "placeholder", "error", "windows_made")


class UnreadableJobs(StudioError):
    """jobs.json exists but is not a job queue this studio can read as a whole."""


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
    windows_made: tuple[int, int] | None = None  # a long shot: (finished, of) windows its take so far holds
    extra: dict[str, Any] = field(default_factory=dict)  # fields of the entry another version wrote
    recipe_extra: dict[str, Any] = field(default_factory=dict)  # and of its recipe

    @property
    def interrupted(self) -> bool:
        return self.state in WAITING

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.extra,
            "job_id": self.job_id,
            "name": self.name,
            "recipe": {**self.recipe_extra, **self.recipe.to_dict()},
            "output": self.output,
            "state": self.state,
            "landing": self.landing,
            "placeholder": self.placeholder,
            "error": self.error,
            **({"windows_made": list(self.windows_made)} if self.windows_made else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SavedJob:
        """Raises ValueError (or KeyError, TypeError) for an entry this studio cannot read."""
        if not isinstance(data, dict):
            raise TypeError("a job is an object")
        check_recipe(data["recipe"], "recipe")  # InvalidProject is a ValueError
        if not isinstance(data["job_id"], str) or not isinstance(data["output"], str):
            raise TypeError("job_id and output are text")
        recipe_fields = {f.name for f in fields(Recipe)}
        return cls(
            job_id=data["job_id"],
            name=str(data.get("name", "")),
            recipe=Recipe.from_dict(data["recipe"]),
            output=data["output"],
            state=str(data.get("state", "queued")),
            landing=dict(data.get("landing") or {}),
            placeholder=data.get("placeholder"),
            error=data.get("error"),
            windows_made=_windows_made(data.get("windows_made")),
            extra={k: v for k, v in data.items() if k not in _KNOWN},
            recipe_extra={k: v for k, v in data["recipe"].items() if k not in recipe_fields},
        )


def _windows_made(value: Any) -> tuple[int, int] | None:
    """[finished, of] as written, or None for anything else: a count only shown, never acted on."""
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value) and 0 < value[0] < value[1]:
        return value[0], value[1]
    return None


def _read(path: Path) -> tuple[dict[str, Any], list[SavedJob], list[Any]]:
    """The file's other fields, its readable jobs and the entries it holds that this studio cannot read.
    Raises UnreadableJobs if it is not a job queue at all."""
    try:
        data = parse(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise UnreadableJobs(f"it is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("jobs"), list):
        raise UnreadableJobs("it holds no list of jobs")
    jobs, foreign = [], []
    for entry in data["jobs"]:
        try:
            jobs.append(SavedJob.from_dict(entry))
        except (KeyError, TypeError, ValueError, InvalidProject):
            foreign.append(entry)
    return {k: v for k, v in data.items() if k != "jobs"}, jobs, foreign


def set_aside(path: Path, now: datetime | None = None) -> Path:
    """Rename an unreadable jobs.json to jobs.unreadable-<time>.json (never over another file)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"jobs.unreadable-{stamp}.json")
    counter = 1
    while aside.exists():
        counter += 1
        aside = path.with_name(f"jobs.unreadable-{stamp}-{counter}.json")
    os.rename(path, aside)
    return aside


def save_jobs(folder: str | os.PathLike[str], jobs: list[SavedJob]) -> None:
    """Write the queue (atomically), keeping what the file holds that this studio cannot read; with no
    jobs and nothing kept, the file goes. An unreadable file is set aside first, never written over."""
    path = Path(folder) / JOBS_FILE
    others: dict[str, Any] = {}
    foreign: list[Any] = []
    if path.exists():
        try:
            others, _, foreign = _read(path)
        except UnreadableJobs:
            set_aside(path)
    if not jobs and not foreign:
        path.unlink(missing_ok=True)
        return
    data = {**others, "jobs": [job.to_dict() for job in jobs] + foreign}
    content = json.dumps(data, indent=1).encode()
    if path.exists() and path.read_bytes() == content:
        return  # unchanged: written on every job event, and not worth a failure on a full disk
    write_atomic(path, content)


def load_jobs(folder: str | os.PathLike[str]) -> tuple[list[SavedJob], str | None]:
    """The saved queue, and one sentence for the person if part or all of it could not be read. A file
    that cannot be read at all is set aside (renamed), so that nothing writes over it."""
    path = Path(folder) / JOBS_FILE
    if not path.exists():
        return [], None
    try:
        _, jobs, foreign = _read(path)
    except OSError as exc:  # not ours to move: saving will fail the same way, and say so
        return [], f"The saved job queue {path} cannot be read ({exc.strerror or exc}); its jobs are not restored."
    except UnreadableJobs as exc:
        try:
            aside = set_aside(path)
        except OSError as error:
            return [], (
                f"The saved job queue {path} cannot be read ({exc}) nor set aside ({error.strerror or error})"
                "; its jobs are not restored and the file is left as it is."
            )
        return [], (
            f"The saved job queue {path} cannot be read ({exc}); it is kept as {aside.name} and its "
            "jobs are not restored."
        )
    if foreign:
        many = len(foreign) > 1
        return jobs, (
            f"{len(foreign)} saved job{'s' if many else ''} in {path} {'are' if many else 'is'} from "
            "another version of the studio or damaged; kept in the file, not shown here."
        )
    return jobs, None


def queue_note(restored: list[SavedJob], kept: int, warning: str | None) -> str:
    """What the person is told when a project's queue is restored: the jobs to resume, the jobs of another
    version that are kept but not shown (`kept`), and any warning of load_jobs."""
    waiting = sum(job.interrupted for job in restored)
    notes = (
        [
            f"{len(restored)} unfinished job(s) from the last session"
            + (f": {waiting} to resume: Resume All in the Jobs panel, or Resume on each." if waiting else ".")
        ]
        if restored
        else []
    )
    if kept:
        notes.append(f"{kept} saved job(s) from another version of the studio are kept in {JOBS_FILE}, not shown.")
    return " ".join([*notes, *([warning] if warning else [])])
