"""Our temporary files: their names, the list of those in flight, and the sweep of stale ones.

Whatever the studio writes goes first under a hidden temporary name beside its place and is renamed
there when whole (takes, exports, timelines, provenance records, project.json). A process killed in the
middle (kill -9, a crash, power loss) leaves the temporary behind; sweep() removes such leftovers.

A temporary is removed only if its name is unmistakably ours (NAMES) AND nobody can be writing it:
- A process that writes a temporary for long (a take, an export, a timeline) lists it with hold() and
  release() in a file of its own, in-flight/ in the user's state folder, which it keeps locked while it
  lives. The system drops the lock when the process ends, however it ends, so a list nobody holds names
  temporaries whose writer is gone: those are removed wherever they are (an export's folder too).
- In the folders sweep() is given (a project's), a temporary no living process lists is removed once it
  has not changed for STALE_AFTER (a minute or two for project.json's, an hour for the rest), so even a
  writer that lists nothing, or another machine's, is left alone while it works.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from .settings import private_folder, settings_dir, state_dir

NAMES = re.compile(
    r"^\..+\.(?:[0-9a-f]{8}\.)?part(?:\..+)?$"  # .NAME[.TOKEN].part[.EXT…]: takes, exports, timelines, records
    r"|^\..+\.[0-9a-f]{8}\.(?:tagged|signed)\.[^.]+$"  # .STEM.TOKEN.tagged.EXT: marking a finished file
    r"|^\..+\.[a-z0-9_]{8}\.tmp$"  # .NAME.XXXXXXXX.tmp: store.write_atomic (project.json, jobs, autosaves)
)
STALE_AFTER = {".tmp": 120.0, "": 3600.0}  # seconds unchanged before an unlisted temporary is stale
_LIST_SUFFIX = ".paths"
_LOCK_AT = 1 << 30  # Windows locks a byte range: one far past the text, so others can still read it

_lock = threading.Lock()
_list: tuple[int, Path] | None = None  # this process's list: its descriptor (held locked) and path
_held: dict[str, int] = {}


def is_ours(path: Path) -> bool:
    """A name the studio gives its temporaries (never a finished file's)."""
    return bool(NAMES.match(path.name))


def in_flight_dir() -> Path:
    return state_dir() / "in-flight"


def hold(*paths: Path | None) -> tuple[Path, ...]:
    """List temporaries this process is writing, so no sweep removes them; release() them when done.
    Never fails the write: a list that cannot be kept leaves them to the age rule."""
    held = tuple(Path(p).absolute() for p in paths if p is not None)
    with _lock:
        for path in held:
            _held[str(path)] = _held.get(str(path), 0) + 1
        _write("+", held)
    return held


def release(*paths: Path | None) -> None:
    with _lock:
        gone = []
        for path in (Path(p).absolute() for p in paths if p is not None):
            count = _held.get(str(path), 0) - 1
            if count > 0:
                _held[str(path)] = count
            elif count == 0:
                del _held[str(path)]
                gone.append(path)
        if _list is not None and not _held:
            try:
                os.ftruncate(_list[0], 0)  # nothing in flight: the list starts afresh
            except OSError:
                _write("-", gone)
        elif gone:
            _write("-", gone)


def sweep(*folders: str | os.PathLike[str] | None, now: float | None = None) -> list[Path]:
    """Remove our stale temporaries: every one listed by a process that has ended, and those in `folders`
    (walked whole) and in the settings folder that no living process lists and that are older than
    STALE_AFTER. Returns what was removed. Best effort: what cannot be removed waits for the next sweep."""
    now = time.time() if now is None else now
    removed: list[Path] = []
    with _lock:
        live: set[str] = set(_held)
    lists = in_flight_dir()
    for listed in sorted(lists.glob(f"*{_LIST_SUFFIX}")) if lists.is_dir() else []:
        if _list is not None and listed == _list[1]:
            continue
        fd = _open(listed)
        if fd is None:
            continue
        try:
            paths = _read(listed)
            if not _try_lock(fd):
                live |= paths
                continue
            # Nobody holds it: its process has ended. An empty list may be one just made and not yet locked.
            if not paths and now - os.fstat(fd).st_mtime < 60:
                continue
            for path in map(Path, sorted(paths)):
                if is_ours(path) and _remove(path):
                    removed.append(path)
            listed.unlink(missing_ok=True)
        finally:
            os.close(fd)
    for folder in folders:
        if folder is not None and Path(folder).is_dir():
            for root, dirs, files in os.walk(Path(folder).absolute()):
                gone = _sweep_names(Path(root), [*dirs, *files], live, now)
                dirs[:] = [d for d in dirs if Path(root) / d not in gone]
                removed += gone
    # The settings folder (a half-made provenance key folder), but not below it: it may be any folder.
    settings = settings_dir().absolute()
    if settings.is_dir():
        removed += _sweep_names(settings, [p.name for p in settings.iterdir()], live, now)
    return removed


# -- inside -----------------------------------------------------------------------------------------


def _sweep_names(folder: Path, names: list[str], live: set[str], now: float) -> list[Path]:
    removed = []
    for name in names:
        path = folder / name
        if is_ours(path) and str(path) not in live and _stale(path, now) and _remove(path):
            removed.append(path)
    return removed


def _stale(path: Path, now: float) -> bool:
    try:
        age = now - path.lstat().st_mtime
    except OSError:
        return False
    return age > STALE_AFTER.get(path.suffix, STALE_AFTER[""])


def _remove(path: Path) -> bool:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()
        return True
    except OSError:
        return False


def _write(sign: str, paths: Iterable[Path]) -> None:
    """Add lines to this process's list, making (and locking) it first. Called with _lock held."""
    global _list
    lines = "".join(json.dumps([sign, str(p)]) + "\n" for p in paths)
    if not lines:
        return
    try:
        if _list is None:
            folder = private_folder(in_flight_dir())
            path = folder / f"{os.getpid()}-{secrets.token_hex(4)}{_LIST_SUFFIX}"
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
            if not _try_lock(fd):
                os.close(fd)
                return
            _list = (fd, path)
        os.write(_list[0], lines.encode())
    except OSError:
        pass  # the temporaries stay protected by their age


def _read(path: Path) -> set[str]:
    held: set[str] = set()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return held
    for line in text.splitlines():
        try:
            sign, name = json.loads(line)
        except (ValueError, TypeError):
            continue  # a line cut short by the end of its process
        if sign == "+":
            held.add(name)
        else:
            held.discard(name)
    return held


def _open(path: Path) -> int | None:
    try:
        return os.open(path, os.O_RDWR)
    except OSError:
        return None


def _try_lock(fd: int) -> bool:
    """Take the list's lock without waiting; False if another process holds it."""
    try:
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, _LOCK_AT, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]  # Windows only
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False
