"""The project on disk: a folder `Name.studio/` with project.json, media/, cache/ and autosave/.

project.json is versioned and written atomically (temporary file, flush, fsync, rename), so a
crash mid-write leaves the previous file whole. Loading a bad or newer file changes nothing; every
value is checked (schema.py) before a Project is built. The studio writes only inside the project
folder: a media path may point anywhere for reading, but one that leads out of the folder (by `..`
or a symlink) is never copied to, moved or deleted.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import stat
import tempfile
from collections.abc import Set as AbstractSet
from pathlib import Path
from typing import Any

from .errors import StudioError
from .project import MediaItem, Project, Sequence
from .schema import InvalidProject, check_project, parse

SCHEMA_VERSION = 2  # 2: clips' fit, retime and fades; tracks' transitions
PROJECT_FILE = "project.json"
SUFFIX = ".studio"


class ProjectError(StudioError):
    """A project that cannot be opened or saved, with what to do about it."""


def project_folder(path: str | os.PathLike[str]) -> Path:
    """The project folder for a path: adds the .studio suffix to a bare name."""
    path = Path(path)
    if path.name == PROJECT_FILE:
        path = path.parent
    return path if path.suffix == SUFFIX else path.with_name(path.name + SUFFIX)


def inside(folder: str | os.PathLike[str], path: str | os.PathLike[str]) -> bool:
    """Whether a path lies in a folder once `..` and symlinks are resolved (in both)."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(folder))


def write_target(folder: str | os.PathLike[str], path: Path) -> Path:
    """A path the project layer may write, move or delete: one inside the project folder."""
    if not inside(folder, path):
        raise ProjectError(
            f"{path} leads outside the project folder {folder} (through '..' or a symlink); "
            "the studio writes only inside the project, so move that file or folder into it"
        )
    return path


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it, so put it straight back
    os.umask(mask)
    return mask


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see either the old content or the new, never a part. The file
    keeps its mode (a new one gets the umask's), not the 600 of a temporary file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):  # make the rename itself durable where the OS allows
        dir_fd = os.open(path.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def to_json(project: Project) -> dict[str, Any]:
    return {
        "schema": SCHEMA_VERSION,
        "name": project.name,
        "media": [m.to_dict() for m in project.media.values()],
        "sequences": [s.to_dict() for s in project.sequences],
    }


def from_json(data: dict[str, Any], folder: Path | None, source: str = PROJECT_FILE) -> Project:
    """A Project from a project file's data; `source` names the file in the errors."""
    if not isinstance(data, dict) or "schema" not in data:
        raise ProjectError("this is not a studio project file (it has no schema version)")
    version = data["schema"]
    if not isinstance(version, int) or version < 1:
        raise ProjectError(f"the project file has an invalid schema version {version!r}")
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"the project was saved by a newer studio (schema {version}, this one reads up to "
            f"{SCHEMA_VERSION}); update the studio to open it"
        )
    data = migrate(data)
    try:
        check_project(data)
    except InvalidProject as exc:
        raise ProjectError(
            f"{source}: {exc} (the file is damaged: correct that value, or restore the project "
            "from its autosave/ folder)"
        ) from exc
    try:
        media = [MediaItem.from_dict(m) for m in data.get("media", [])]
        sequences = [Sequence.from_dict(s) for s in data.get("sequences", [])]
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:  # what the checks do not foresee
        raise ProjectError(f"{source}: the project file is damaged ({type(exc).__name__}: {exc})") from exc
    project = Project(name=data.get("name", "Untitled"), folder=folder, media={m.id: m for m in media})
    project.sequences = sequences or [Sequence.new()]
    return project


def migrate(data: dict[str, Any]) -> dict[str, Any]:
    """Bring an older project file up to SCHEMA_VERSION, one version at a time."""
    migrations: dict[int, Any] = {  # version -> function(data) -> data of version + 1
        # 1 -> 2 adds fields whose absence means what version 1 did (fit, 1:1 frames at equal
        # rates, no fades or transitions); the new number keeps an older studio from opening,
        # and dropping, them.
        1: lambda d: {**d, "schema": 2},
    }
    while data["schema"] < SCHEMA_VERSION:
        data = migrations[data["schema"]](data)
    return data


def save(project: Project, folder: str | os.PathLike[str] | None = None) -> Path:
    """Save the project into its folder (or a new one, for Save As). Returns the folder.

    The project changes (its folder, name and media paths) only once everything is written: a save
    that fails raises ProjectError and leaves it pointing where it did, its file there as it was."""
    target = project_folder(folder) if folder is not None else project.folder
    if target is None:
        raise ProjectError("the project has no folder yet: choose where to save it")
    target = target.absolute()
    moving = project.folder is not None and target != project.folder.absolute()
    if project.folder is not None and not moving and not target.is_dir():
        # Saving would make a skeleton there, its media left wherever the folder went.
        raise ProjectError(
            f"the project folder {target} is gone (moved or deleted while open?): save the project elsewhere "
            "with Save As, or put the folder back and save again"
        )
    new_folder = _first_missing(target)  # a failed Save As takes away what it made, not a half project
    written: list[Path] = [target / sub for sub in ("media", "cache", "autosave") if not (target / sub).exists()]
    try:
        for sub in ("media", "cache", "autosave"):  # one that exists may be a link elsewhere: only read here
            (target / sub).mkdir(parents=True, exist_ok=True)
        paths = _rebase_files(project, target, written) if moving else {}
        data = to_json(project)
        if folder is not None:
            data["name"] = target.stem
        for entry in data["media"]:
            entry["path"] = paths.get(entry["path"], entry["path"])
        references = [[paths.get(path, path) for path in seq.references] for seq in project.sequences]
        for entry, moved in zip(data["sequences"], references, strict=True):
            entry["references"] = moved
        write_atomic(write_target(target, target / PROJECT_FILE), json.dumps(data, indent=1).encode())
    except (OSError, ProjectError) as exc:
        _take_back(new_folder, written)
        reason = exc if isinstance(exc, ProjectError) else (exc.strerror or exc)
        kept = f"; the project is still saved at {project.folder}" if moving else "; the saved file is as it was"
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            kept += ". Free some space there, or save elsewhere"
        raise ProjectError(f"could not save to {target}: {reason}{kept}") from exc
    project.folder = target
    project.name = data["name"]
    for item in project.media.values():
        item.path = paths.get(item.path, item.path)
    for seq, moved in zip(project.sequences, references, strict=True):
        seq.references = moved
    return target


def _first_missing(folder: Path) -> Path | None:
    """The outermost of folder and its parents that does not exist yet: what a save there creates."""
    missing = None
    for path in (folder, *folder.parents):
        if path.exists() or path.is_symlink():
            break
        missing = path
    return missing


def _take_back(new_folder: Path | None, written: list[Path]) -> None:
    """Undo a failed save's writes: the folders it created, with all in them, else the files it copied
    and the empty folders it made (a full disk is left as it was found, and no folder looks like a
    project that is not one)."""
    if new_folder is not None and new_folder.is_dir() and not new_folder.is_symlink():
        shutil.rmtree(new_folder, ignore_errors=True)
        return
    for path in reversed(written):  # the files copied, then the folders made for them
        if path.is_dir() and not path.is_symlink():
            with contextlib.suppress(OSError):  # not empty: something else is in it now, and stays
                path.rmdir()
        else:
            path.unlink(missing_ok=True)


def _copy_media(source: Path, destination: Path) -> None:
    """Copy under a hidden name, then rename: a copy cut short never stands as a media file."""
    part = destination.with_name(f".{destination.name}.{secrets.token_hex(4)}.part")
    try:
        shutil.copy2(source, part)
        os.replace(part, destination)
    finally:
        part.unlink(missing_ok=True)


def _rebase_files(project: Project, target: Path, copied: list[Path]) -> dict[str, str]:
    """Save As elsewhere: files inside the old project folder are copied along, so the new project
    is whole on its own; files outside it (after `..` and symlinks) stay where they are, by absolute
    path, and are never written. Returns the new path of each path the project stores (its media's and its
    sequences' references), by the old one, and adds each file it copied to `copied`; changes nothing in
    `project`."""
    assert project.folder is not None  # a saved project is moved
    old = os.path.realpath(project.folder)
    stored = [item.path for item in project.media.values()] + [p for seq in project.sequences for p in seq.references]
    paths = {}
    for key in stored:
        source = Path(os.path.realpath(project.resolve(key)))
        if not source.is_relative_to(old):
            paths[key] = str(source)
            continue
        relative = source.relative_to(old)
        destination = write_target(target, target / relative)
        if source.exists() and not destination.exists():
            destination.parent.mkdir(parents=True, exist_ok=True)
            _copy_media(source, destination)
            copied.append(destination)
        paths[key] = relative.as_posix()
    return paths


def unused_media_files(project: Project, keep: AbstractSet[Path] = frozenset()) -> list[Path]:
    """Files in the project's media/ folder that no media item of the project uses, nor a sequence's references
    (nor `keep`). Hidden files are skipped: they are writes still in progress. So is anything that leads out of
    the project folder (a symlinked media/ or file): it is not the project's to remove."""
    if project.folder is None or not (project.folder / "media").is_dir():
        return []
    used = {os.path.realpath(project.media_path(item)) for item in project.media.values()}
    used |= {os.path.realpath(project.resolve(path)) for seq in project.sequences for path in seq.references}
    used |= {os.path.realpath(path) for path in keep}
    return sorted(
        path
        for path in (project.folder / "media").absolute().rglob("*")
        if path.is_file()
        and not path.name.startswith(".")
        and inside(project.folder, path)
        and os.path.realpath(path) not in used
    )


def load(path: str | os.PathLike[str]) -> Project:
    folder = project_folder(path).absolute()
    file = folder / PROJECT_FILE
    if not file.exists():
        raise ProjectError(f"no project at {folder} (it has no {PROJECT_FILE})")
    try:
        data = parse(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # bad JSON, or nested beyond reason
        raise ProjectError(f"{file} is not valid JSON ({exc}); restore it from autosave/ or a backup") from exc
    except OSError as exc:
        raise ProjectError(f"{file} cannot be read ({exc.strerror or exc}); check its permissions") from exc
    return from_json(data, folder, str(file))


def create(path: str | os.PathLike[str], name: str | None = None) -> Project:
    """A new, empty project saved to a new folder."""
    folder = project_folder(path)
    if (folder / PROJECT_FILE).exists():
        raise ProjectError(f"a project already exists at {folder}")
    project = Project.new(name or folder.stem)
    save(project, folder)
    return project
