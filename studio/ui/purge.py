"""File → Purge Unused Media…: take files no media item uses out of the project's media/ folder.

Undo never deletes a generated take (the file stays when its media item goes), so media/ only
grows; this is where a person decides to reclaim the space. Files go to the OS trash where there
is one, so even this can be undone outside the studio.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from PySide6.QtCore import QFile
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core import store
from ..core.project import Project
from ..engine.drafts import latents_path
from ..media import scrub_copy


def describe(files: list[Path], shown: int = 10) -> str:
    size = sum(f.stat().st_size for f in files)
    names = "\n".join(f.name for f in files[:shown])
    more = f"\n… and {len(files) - shown} more" if len(files) > shown else ""
    return f"{len(files)} file(s), {size / 1e6:.1f} MB, that no media item of the project uses:\n\n{names}{more}"


def remove(path: Path) -> bool:
    """Move a file to the trash if the OS has one, else delete it. True if it went to the trash."""
    result = QFile.moveToTrash(str(path))
    trashed = result[0] if isinstance(result, tuple) else bool(result)  # bindings differ in what they return
    if not trashed:
        path.unlink(missing_ok=True)
    return trashed


def purge_unused_media(parent: QWidget, project: Project, keep: Iterable[Path] = ()) -> list[Path]:
    """Ask, then remove the unused files of the project's media/ folder. Returns what was removed.
    `keep` are files still being written (takes of running jobs)."""
    files = store.unused_media_files(project, set(keep))
    if not files:
        QMessageBox.information(parent, "Purge unused media", "Every file in media/ is in use.")
        return []
    answer = QMessageBox.question(
        parent,
        "Purge unused media",
        f"Move {describe(files)}\n\nto the trash? Undo steps that bring these takes back will show them offline.",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
        QMessageBox.StandardButton.Cancel,
    )
    if answer != QMessageBox.StandardButton.Yes:
        return []
    removed = []
    for path in files:
        if not store.inside(project.folder, path):  # it changed into a link out since the listing
            continue
        try:
            remove(path)
        except OSError:
            continue  # reported below by the count
        removed.append(path)
    purge_cache(project, removed)
    return removed


def purge_cache(project: Project, removed: list[Path]) -> None:
    """Delete what the cache holds only for files that are gone: a purged draft's first-pass latents,
    and the scrub copies of files no media item uses. Both are the studio's own, made again if needed."""
    stale = [latents_path(path) for path in removed]
    used = [project.media_path(item) for item in project.media.values()]
    stale += scrub_copy.unused_copies(project.folder / "cache" / "scrub", used)
    for path in stale:
        if path.is_file() and store.inside(project.folder, path):
            path.unlink(missing_ok=True)
