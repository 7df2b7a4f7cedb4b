"""Where things are: the payload the launcher installs from, its own per-user folder, and the studio's
folders (settings, models), which the launcher never writes and removes only when asked.

The payload is read-only to us (it may sit in Program Files or a mounted .dmg): it is the folder `payload`
beside the frozen launcher, or $STUDIO_LAUNCHER_PAYLOAD (tests, developers). It holds
studio-<version>-py3-none-any.whl, requirements.lock (every pinned dependency but torch), torch.txt (the
torch pin), version.txt and the uv binary.

The launcher's own folder ($STUDIO_LAUNCHER_HOME, else the platform's per-user data folder) holds
envs/<key>/ (the environment), cache/uv (uv's cache: what makes a dropped download resume and a repair
fast), python/ (the Python uv downloads for us), state.json and logs/ (private).
"""

from __future__ import annotations

import os
import shutil
import stat
import sys
from dataclasses import dataclass
from pathlib import Path

from . import LauncherError

PAYLOAD_FILES = ("requirements.lock", "torch.txt", "version.txt")


def launcher_home() -> Path:
    """The launcher's per-user data folder: $STUDIO_LAUNCHER_HOME, else the platform's."""
    if os.environ.get("STUDIO_LAUNCHER_HOME"):
        return Path(os.environ["STUDIO_LAUNCHER_HOME"]).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "Studio Launcher"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "Studio Launcher"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "studio-launcher"


def logs_folder(home: Path) -> Path:
    """The launcher's logs (they name the user's files): a folder only its owner can open."""
    folder = home / "logs"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if os.name != "nt":
        folder.chmod(0o700)
    return folder


@dataclass(frozen=True)
class Payload:
    """What this launcher installs."""

    folder: Path
    wheel: Path
    lock: Path
    torch_pin: str  # e.g. torch==2.13.0
    version: str
    uv: Path | None  # the payload's own uv, if it has one


def payload_folder() -> Path:
    if os.environ.get("STUDIO_LAUNCHER_PAYLOAD"):
        return Path(os.environ["STUDIO_LAUNCHER_PAYLOAD"]).expanduser()
    if getattr(sys, "frozen", False):
        return Path(sys.executable).resolve().parent / "payload"
    raise LauncherError(
        "this launcher is not a packaged one and STUDIO_LAUNCHER_PAYLOAD is not set: point it at a payload "
        "folder (the studio wheel, requirements.lock, torch.txt, version.txt)"
    )


def read_payload(folder: Path | None = None) -> Payload:
    """The payload, checked: every file there, one wheel, a torch pin."""
    folder = folder or payload_folder()
    if not folder.is_dir():
        raise LauncherError(f"the launcher's payload folder {folder} is missing: reinstall Studio")
    missing = [name for name in PAYLOAD_FILES if not (folder / name).is_file()]
    wheels = sorted(folder.glob("studio-*-py3-none-any.whl"))
    if not wheels:
        missing.append("studio-<version>-py3-none-any.whl")
    if missing:
        raise LauncherError(f"the payload in {folder} lacks {', '.join(missing)}: reinstall Studio")
    if len(wheels) > 1:
        raise LauncherError(f"the payload in {folder} holds {len(wheels)} studio wheels; it must hold one")
    torch_pin = (folder / "torch.txt").read_text(encoding="utf-8").strip()
    if not torch_pin.startswith("torch=="):
        raise LauncherError(f"{folder / 'torch.txt'} must hold one line such as torch==2.13.0, not {torch_pin!r}")
    uv = next((folder / name for name in ("uv", "uv.exe") if (folder / name).is_file()), None)
    version = (folder / "version.txt").read_text(encoding="utf-8").strip()
    return Payload(folder, wheels[0], folder / "requirements.lock", torch_pin, version, uv)


def find_uv(payload: Payload) -> str:
    """The payload's uv, else uv on PATH, else the `uv` Python package's binary."""
    if payload.uv is not None:
        return str(payload.uv)
    on_path = shutil.which("uv")
    if on_path:
        return on_path
    try:
        import uv  # type: ignore[import-not-found]

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        raise LauncherError("uv was not found (not in the payload, on PATH or installed): reinstall Studio") from None


# -- the studio's own folders: kept in step with studio/core/settings.py (a test compares them) ---------


@dataclass(frozen=True)
class StudioFolders:
    settings: Path  # settings, prompt rules, the signing keys, studio.ini
    state: Path  # logs, temporaries in flight
    data: Path  # downloaded models (data/models)
    cache: Path  # unpacked .otioz bundles

    @property
    def models(self) -> Path:
        return self.data / "models"


def studio_folders() -> StudioFolders:
    """Where an installed studio keeps the user's files, by the studio's own rule."""
    home = Path.home()
    if os.environ.get("STUDIO_CONFIG"):
        settings = Path(os.environ["STUDIO_CONFIG"]).expanduser()
        cache = Path(os.environ["STUDIO_CACHE"]).expanduser() if os.environ.get("STUDIO_CACHE") else settings / "cache"
        return StudioFolders(settings, settings, settings, cache)
    if sys.platform == "win32":
        local = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local") / "studio"
        settings = Path(os.environ.get("APPDATA") or home / "AppData" / "Roaming") / "studio"
        cache = local / "Cache"
        folders = StudioFolders(settings, local, local, cache)
    elif sys.platform == "darwin":
        support = home / "Library" / "Application Support" / "studio"
        folders = StudioFolders(support, support, support, home / "Library" / "Caches" / "studio")
    else:
        folders = StudioFolders(
            Path(os.environ.get("XDG_CONFIG_HOME") or home / ".config") / "studio",
            Path(os.environ.get("XDG_STATE_HOME") or home / ".local" / "state") / "studio",
            Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share") / "studio",
            Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "studio",
        )
    if os.environ.get("STUDIO_CACHE"):
        folders = StudioFolders(folders.settings, folders.state, folders.data, Path(os.environ["STUDIO_CACHE"]))
    return folders


def remove_tree(path: Path) -> None:
    """Remove a folder, read-only files too (uv's cache and Windows leave some); a missing one is fine."""

    def writable_then_retry(function, name, _info):  # type: ignore[no-untyped-def]
        os.chmod(name, stat.S_IWRITE | stat.S_IREAD | stat.S_IEXEC)
        function(name)

    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, onerror=writable_then_retry)
