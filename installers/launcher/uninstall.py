"""Uninstall: remove what the launcher made, and say what was kept.

Removed always: the environments (envs/), uv's cache and the Python it downloaded for us (cache/, python/),
state.json, the launcher's logs and lock, and the desktop entry, MIME types and icon. Kept always: the user's
projects, which the launcher never knows or touches. Kept unless asked: the models folder
(--remove-models) and the studio's settings, signing keys, logs and cache (--remove-settings). A models
folder the user chose elsewhere in the editor is theirs and never removed.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .desktop import uninstall_desktop
from .places import launcher_home, remove_tree, studio_folders

LAUNCHER_ITEMS = ("envs", "cache", "python", "logs", "state.json", "lock")


def uninstall(remove_models: bool = False, remove_settings: bool = False, home: Path | None = None) -> list[str]:
    """Remove the installation; the lines that say what was removed and what was kept."""
    home = home or launcher_home()
    said = []
    for name in LAUNCHER_ITEMS:
        remove_tree(home / name)
    for stray in home.glob(".state.json.*"):
        stray.unlink(missing_ok=True)
    if home.is_dir() and not any(home.iterdir()):
        home.rmdir()
    said.append(f"Removed Studio's environment and downloads ({home}).")
    if sys.platform.startswith("linux") and uninstall_desktop():
        said.append("Removed Studio from the applications menu.")

    folders = studio_folders()
    models = folders.models
    if remove_models:
        remove_tree(models)
        said.append(f"Removed the models in {models}.")
    if remove_settings:
        for folder in {folders.settings, folders.state, folders.cache}:
            _remove_keeping(folder, keep=None if remove_models else models)
        said.append(f"Removed your settings and signing keys ({folders.settings}).")
    kept = ["Your projects are kept where you saved them"]
    if not remove_models:
        kept.append(f"your models in {models}")
    if not remove_settings:
        kept.append(f"your settings and signing keys in {folders.settings}")
    said.append(", ".join(kept[:-1]) + (" and " if len(kept) > 1 else "") + kept[-1] + ".")
    return said


def _remove_keeping(folder: Path, keep: Path | None) -> None:
    """Remove folder, except keep when it lies inside it (with $STUDIO_CONFIG the models live in the
    settings folder)."""
    if keep is None or not keep.resolve().is_relative_to(folder.resolve()):
        remove_tree(folder)
        return
    if not folder.is_dir():
        return
    for child in folder.iterdir():
        if child.resolve() == keep.resolve():
            continue
        if keep.resolve().is_relative_to(child.resolve()):
            _remove_keeping(child, keep)
        else:
            remove_tree(child)
