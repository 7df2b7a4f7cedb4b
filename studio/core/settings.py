"""Where a user's own files live (prompt rules, the provenance signing keys): one folder per user."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def settings_dir() -> Path:
    """Where a user's own settings live: $STUDIO_CONFIG, else the platform's settings folder."""
    if os.environ.get("STUDIO_CONFIG"):
        return Path(os.environ["STUDIO_CONFIG"]).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "studio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "studio"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "studio"


def state_dir() -> Path:
    """Where the studio keeps what it writes for itself (logs, the temporaries in flight):
    $STUDIO_CONFIG, else the platform's per-user state folder."""
    if os.environ.get("STUDIO_CONFIG"):
        return settings_dir()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "studio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "studio"
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "studio"


def data_dir() -> Path:
    """The user's own data (an installed studio's downloaded models): $STUDIO_CONFIG, else the
    platform's per-user data folder (~/.local/share/studio on Linux)."""
    if os.environ.get("STUDIO_CONFIG"):
        return settings_dir()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "studio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "studio"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "studio"


def cache_dir() -> Path:
    """The studio's own cache (unpacked .otioz bundles), safe to delete: $STUDIO_CACHE, else
    $STUDIO_CONFIG/cache, else the platform's cache folder (~/.cache/studio on Linux,
    ~/Library/Caches/studio on macOS, %LOCALAPPDATA%\\studio\\Cache on Windows)."""
    if os.environ.get("STUDIO_CACHE"):
        return Path(os.environ["STUDIO_CACHE"]).expanduser()
    if os.environ.get("STUDIO_CONFIG"):
        return settings_dir() / "cache"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local")) / "studio" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "studio"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "studio"


def logs_dir() -> Path:
    """The engine's logs (they hold prompts): the user's own, in the state folder."""
    return state_dir() / "logs"


def private_folder(path: Path) -> Path:
    """Make a folder only its owner can open (0700), or tighten one of ours that others could read.
    PermissionError, with what to do, for a folder that belongs to another user."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name == "nt":  # per-user folders there are private already; modes mean little
        return path
    info = path.stat()
    if info.st_uid != os.getuid():
        raise PermissionError(
            f"the folder {path} belongs to another user, so the studio will not keep its files there: "
            "remove it, or set STUDIO_CONFIG to a folder of your own"
        )
    if info.st_mode & 0o077:
        path.chmod(0o700)
    return path
