"""Autosaves and the session marker: the pure parts of "never lose work".

Autosaves are rotating copies of the project file in the project's autosave/ folder, named
project-YYYYmmdd-HHMMSS.json; they are never written over project.json. While a studio has a
project open, autosave/session.lock names its process; a clean close removes it, so a lock left
by a process that no longer runs means the studio stopped without closing, and an autosave newer
than project.json may hold work the person never saved.
"""

from __future__ import annotations

import json
import os
import re
import socket
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from . import schema, store
from .project import Project

AUTOSAVE_DIR = "autosave"
LOCK_FILE = "session.lock"
KEEP = 5
_NAME = re.compile(r"^project-(\d{8}-\d{6})(?:-(\d+))?\.json$")


def autosave_dir(folder: Path) -> Path:
    return Path(folder) / AUTOSAVE_DIR


def autosaves(folder: Path) -> list[Path]:
    """The project's autosave files, newest first (by the time in their names)."""
    found = []
    directory = autosave_dir(folder)
    if not directory.is_dir():
        return []
    for path in directory.iterdir():
        match = _NAME.match(path.name)
        if match and path.is_file():
            found.append(((match[1], int(match[2] or 1)), path))
    return [path for _, path in sorted(found, reverse=True)]


def write_autosave(project: Project, now: datetime | None = None, keep: int = KEEP) -> Path:
    """Write the project into autosave/ as a new file, then drop all but the newest `keep`."""
    if project.folder is None:
        raise store.ProjectError("the project has no folder to autosave into")
    directory = autosave_dir(project.folder)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    # Two autosaves within a second keep both, in order: the later one counts on from the highest
    # number of that second (not the first free one, which pruning may have just freed).
    same_second = [int(m[2] or 1) for p in autosaves(project.folder) if (m := _NAME.match(p.name)) and m[1] == stamp]
    counter = max(same_second, default=0) + 1
    path = directory / (f"project-{stamp}.json" if counter == 1 else f"project-{stamp}-{counter}.json")
    store.write_atomic(store.write_target(project.folder, path), json.dumps(store.to_json(project), indent=1).encode())
    prune(project.folder, keep)
    return path


def prune(folder: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest `keep` autosaves. Returns what was deleted."""
    old = [path for path in autosaves(folder)[max(keep, 1) :] if store.inside(folder, path)]
    for path in old:
        path.unlink(missing_ok=True)
    return old


def newer_than_saved(folder: Path) -> list[Path]:
    """Autosaves written after project.json was last saved, newest first."""
    project_file = Path(folder) / store.PROJECT_FILE
    saved = project_file.stat().st_mtime_ns if project_file.exists() else -1
    return [path for path in autosaves(folder) if path.stat().st_mtime_ns > saved]


@dataclass
class Recovery:
    """The newest autosave that loads, and why any newer ones were skipped."""

    project: Project | None
    path: Path | None
    skipped: list[str]


def load_autosave(path: Path, folder: Path) -> Project:
    """Load one autosave as a project of `folder`. Raises ProjectError if it is damaged."""
    try:
        data = schema.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise store.ProjectError(f"the autosave {Path(path).name} is damaged ({exc})") from exc
    return store.from_json(data, Path(folder), Path(path).name)


def newest_recoverable(folder: Path) -> Recovery:
    """The newest autosave newer than project.json that loads; damaged ones are skipped."""
    skipped: list[str] = []
    for path in newer_than_saved(folder):
        try:
            return Recovery(load_autosave(path, folder), path, skipped)
        except store.ProjectError as exc:
            skipped.append(f"skipped {path.name}: {exc}")
    return Recovery(None, None, skipped)


# The session marker


def lock_path(folder: Path) -> Path:
    return autosave_dir(folder) / LOCK_FILE


def marker(token: str) -> dict[str, Any]:
    """What a session lock records: which process on which machine holds the project."""
    return {"pid": os.getpid(), "host": socket.gethostname(), "token": token}


def write_lock(folder: Path, token: str) -> None:
    store.write_atomic(store.write_target(folder, lock_path(folder)), json.dumps(marker(token)).encode())


def read_lock(folder: Path) -> dict[str, Any] | None:
    """The lock in a project folder, or None if there is none. A lock that cannot be read
    still says a session did not end cleanly, so it reads as one of an unknown process."""
    path = lock_path(folder)
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return {"pid": None, "host": None, "token": None}
    return data if isinstance(data, dict) else {"pid": None, "host": None, "token": None}


def release_lock(folder: Path, token: str) -> None:
    """Remove the lock if it is still ours (another studio may have taken the project over)."""
    lock = read_lock(folder)
    if lock is not None and lock.get("token") == token and store.inside(folder, lock_path(folder)):
        lock_path(folder).unlink(missing_ok=True)


def ended_uncleanly(lock: dict[str, Any] | None) -> bool:
    """True when a lock was left by a session that is no longer running."""
    if lock is None:
        return False
    pid, host = lock.get("pid"), lock.get("host")
    if not isinstance(pid, int) or host != socket.gethostname():
        return True  # unreadable, or another machine's: offering recovery is the safe side
    return not pid_alive(pid)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill would terminate the process on Windows
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        try:
            code = ctypes.c_ulong()
            kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
            return code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    return True


# Session records: which project each running studio has open, kept in the user's app-data
# folder, so a crash is found at the next start even for an untitled (scratch) project.


def write_session(directory: Path, token: str, folder: Path, untitled: bool) -> Path:
    record = {**marker(token), "folder": str(folder), "untitled": untitled}
    path = Path(directory) / f"{token}.json"
    store.write_atomic(path, json.dumps(record).encode())
    return path


def remove_session(directory: Path, token: str) -> None:
    (Path(directory) / f"{token}.json").unlink(missing_ok=True)


def crashed_sessions(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Session records left by studios that stopped without closing, newest first."""
    found = []
    directory = Path(directory)
    if not directory.is_dir():
        return []
    for path in directory.glob("*.json"):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            path.unlink(missing_ok=True)  # a record we cannot read cannot lead anywhere
            continue
        if isinstance(record, dict) and isinstance(record.get("folder"), str) and ended_uncleanly(record):
            found.append((path.stat().st_mtime_ns, path, record))
    return [(path, record) for _, path, record in sorted(found, key=lambda f: f[0], reverse=True)]
