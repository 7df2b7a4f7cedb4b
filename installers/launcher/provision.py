"""The studio's private environment: which one this launcher needs, and building it.

The environment's key is a short hash of requirements.lock, torch.txt and the torch build asked for
(STUDIO_TORCH), so it changes exactly when the pinned dependencies do. At each start:

    no environment of this key        build one (envs/.building-<key>, renamed to envs/<key> when complete)
    the key's environment is there    reuse it; if the studio wheel changed (a newer launcher with the same
                                      pins), reinstall the studio wheel alone

A new environment is switched to in state.json, then the old one is deleted. A build that fails, is
cancelled or loses its connection leaves only the .building folder, which the next start removes and
builds again: uv's cache (cache/uv) keeps every finished download, so it resumes where it stopped (a file
half downloaded starts again; uv retries a dropped request itself first). The user's projects, settings,
models and keys are never touched here.

The build, all through uv:
    uv venv --relocatable --python 3.11 TMP        uv finds a Python 3.11 or downloads its own into python/
    uv pip install torch==X --torch-backend B       B from STUDIO_TORCH (below)
    uv pip install --no-deps -r requirements.lock  exactly the locked versions, nothing resolved anew...
    uv pip install --no-deps studio-*.whl
    uv pip check                                    ...and proof that they fit together (a lock that misses a
                                                    dependency fails here instead of running half-installed)

STUDIO_TORCH: `auto` (the default) passes `--torch-backend auto`: uv asks the machine for its NVIDIA
driver's CUDA version and takes torch (and its CUDA libraries) from PyTorch's index for the newest CUDA
build that driver runs, or from its CPU-only index when no NVIDIA driver is found (the CPU index's macOS
wheels are PyPI's, with MPS on Apple Silicon); every other package comes from the configured indexes.
`cpu`, `cu126`, `cu130`... name the build (`--torch-backend cu126`); `default` takes the pin from the
configured indexes only (a mirror that holds torch, or this machine's local registry).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import IO

from . import LauncherError
from .places import Payload, find_uv, logs_folder, remove_tree
from .uv_output import UvProgress
from .uv_runner import UvRun

BACKEND = re.compile(r"^(auto|default|cpu|cu\d{2,3}|rocm\d+(\.\d+)*|xpu)$")
STATE_FILE = "state.json"
READY_FILE = "studio-env.json"  # written inside an environment just before it is renamed into place
PYTHON_VERSION = "3.11"


def torch_backend() -> str:
    backend = os.environ.get("STUDIO_TORCH", "auto").strip() or "auto"
    if not BACKEND.match(backend):
        raise LauncherError(
            f"STUDIO_TORCH={backend!r} is not a torch build: use auto, default, cpu or a CUDA build such as cu126"
        )
    return backend


def env_key(payload: Payload, backend: str) -> str:
    digest = hashlib.sha256()
    for part in (payload.lock.read_bytes(), payload.torch_pin.encode(), backend.encode()):
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:12]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def env_python(env: Path, windowed: bool = False) -> Path:
    if os.name == "nt":
        return env / "Scripts" / ("pythonw.exe" if windowed else "python.exe")
    return env / "bin" / "python"


# -- state.json ------------------------------------------------------------------------------------


@dataclass
class State:
    version: str  # the studio's version installed
    env: str  # the key of the environment in use (envs/<env>)
    wheel_sha256: str  # the studio wheel installed in it
    torch: str = ""  # the torch uv installed, e.g. 2.13.0+cu126
    desktop: bool = False  # the Linux desktop entry was installed at a first start


def load_state(home: Path) -> State | None:
    try:
        data = json.loads((home / STATE_FILE).read_text(encoding="utf-8"))
        return State(**{key: data[key] for key in State.__dataclass_fields__ if key in data})
    except (OSError, ValueError, TypeError, KeyError):
        return None  # none yet, or damaged: the environment is checked and rebuilt if need be


def save_state(home: Path, state: State) -> None:
    home.mkdir(parents=True, exist_ok=True)
    temporary = home / f".{STATE_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(asdict(state), indent=2), encoding="utf-8")
    os.replace(temporary, home / STATE_FILE)


# -- what to do ------------------------------------------------------------------------------------


class Decision(Enum):
    REUSE = "reuse"
    UPDATE_STUDIO = "update the studio"
    BUILD = "build"


def ready_env(home: Path, key: str) -> Path | None:
    env = home / "envs" / key
    return env if (env / READY_FILE).is_file() and env_python(env).exists() else None


def decide(home: Path, payload: Payload, backend: str) -> Decision:
    key = env_key(payload, backend)
    if ready_env(home, key) is None:
        return Decision.BUILD
    state = load_state(home)
    if state is None or state.env != key or state.wheel_sha256 != file_digest(payload.wheel):
        return Decision.UPDATE_STUDIO
    return Decision.REUSE


# -- doing it --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Report:
    """What the progress window shows."""

    title: str  # the step: "Installing PyTorch"
    detail: str  # uv's line: "Downloading torch (180 MB)… 1.2 GB left · 64 packages in all"
    step: int  # 1-based
    steps: int
    fraction: float  # of the whole, 0 to 1


class Provisioner:
    """Builds, updates or repairs the environment, reporting progress; cancel() from any thread."""

    def __init__(self, home: Path, payload: Payload, backend: str, on_report: Callable[[Report], None]):
        self.home, self.payload, self.backend = home, payload, backend
        self.on_report = on_report
        self.key = env_key(payload, backend)
        self.log_path = logs_folder(home) / f"setup-{time.strftime('%Y%m%d-%H%M%S')}.log"
        self._log: IO[str] | None = None
        self._uv: UvRun | None = None
        self._cancel_asked = False

    def cancel(self) -> None:
        self._cancel_asked = True
        if self._uv is not None:
            self._uv.cancel()

    def ensure(self) -> Path:
        """The ready environment: reused, updated or built. LauncherError with the reason on failure."""
        with self._session():
            decision = decide(self.home, self.payload, self.backend)
            self._log_line(f"decision: {decision.value} (environment {self.key})")
            if decision is Decision.REUSE:
                return self.home / "envs" / self.key
            if decision is Decision.UPDATE_STUDIO:
                env = self.home / "envs" / self.key
                self._install_studio(env, steps=2)
                self._finish(env)
                return env
            return self._build()

    def _build(self) -> Path:
        envs = self.home / "envs"
        envs.mkdir(parents=True, exist_ok=True)
        for stale in envs.glob(".building-*"):  # what a failed or cancelled build left: never looks ready
            remove_tree(stale)
        building = envs / f".building-{self.key}"
        steps = 5
        self._uv_step(
            1,
            steps,
            f"Preparing Python {PYTHON_VERSION}",
            ["venv", "--relocatable", "--python", PYTHON_VERSION, str(building)],
        )
        torch_args = [] if self.backend == "default" else ["--torch-backend", self.backend]
        progress = self._uv_step(
            2, steps, "Installing PyTorch", self.pip("install", building, self.payload.torch_pin, *torch_args)
        )
        torch_version = progress.installed_versions.get("torch", "")
        self._uv_step(
            3,
            steps,
            "Installing the studio's libraries",
            self.pip("install", building, "--no-deps", "-r", str(self.payload.lock)),
        )
        self._install_studio(building, first_step=4, steps=steps)
        (building / READY_FILE).write_text(
            json.dumps({"key": self.key, "version": self.payload.version, "torch": torch_version}), encoding="utf-8"
        )
        env = envs / self.key
        remove_tree(env)  # an incomplete one of this key (no READY_FILE), from an older launcher
        os.replace(building, env)
        self._finish(env, torch=torch_version)
        return env

    def _install_studio(self, env: Path, first_step: int = 1, steps: int = 2) -> None:
        args = self.pip("install", env, "--no-deps", "--reinstall-package", "studio", str(self.payload.wheel))
        self._uv_step(first_step, steps, "Installing Studio", args)
        self._uv_step(first_step + 1, steps, "Checking the installation", self.pip("check", env))

    def _finish(self, env: Path, torch: str = "") -> None:
        """Switch state.json to env, then delete any other environment."""
        old = load_state(self.home)
        if not torch:
            torch = old.torch if old and old.env == self.key else ""
        state = State(
            self.payload.version, self.key, file_digest(self.payload.wheel), torch, old.desktop if old else False
        )
        save_state(self.home, state)
        for other in (self.home / "envs").iterdir():
            if other.name != self.key and not other.name.startswith(".building-"):
                remove_tree(other)
        self.on_report(Report("Ready", f"Studio {self.payload.version} is set up", 1, 1, 1.0))

    # -- uv --

    def pip(self, verb: str, env: Path, *args: str) -> list[str]:
        return ["pip", verb, "--python", str(env_python(env)), *args]

    def run_uv(self, args: list[str], on_line: Callable[[str], None]) -> int:
        assert self._uv is not None, "run uv inside a session"
        return self._uv(args, on_line)

    def _uv_step(self, step: int, steps: int, title: str, args: list[str]) -> UvProgress:
        progress = UvProgress()
        self.on_report(Report(title, progress.describe(), step, steps, (step - 1) / steps))

        def read(line: str) -> None:
            if progress.feed(line):
                self.on_report(
                    Report(title, progress.describe(), step, steps, (step - 1 + progress.fraction()) / steps)
                )

        code = self.run_uv(args, read)
        if code != 0:
            raise LauncherError(progress.failure())
        return progress

    def _log_line(self, text: str) -> None:
        if self._log is not None:
            self._log.write(text + "\n")
            self._log.flush()

    def _session(self) -> _Session:
        return _Session(self)


class _Session:
    """The log file open, uv found, and the launcher's lock held (two launchers never build at once)."""

    def __init__(self, provisioner: Provisioner):
        self.p = provisioner

    def __enter__(self) -> None:
        p = self.p
        p.home.mkdir(parents=True, exist_ok=True)
        self.lock = _HomeLock(p.home)
        p._log = p.log_path.open("a", encoding="utf-8")
        p._log.write(f"studio launcher: payload {p.payload.folder}, studio {p.payload.version}, torch {p.backend}\n")
        p._uv = UvRun(find_uv(p.payload), p.home, p._log)
        if p._cancel_asked:
            p._uv.cancel()

    def __exit__(self, kind, error, _trace) -> None:  # type: ignore[no-untyped-def]
        p = self.p
        if error is not None and p._log is not None:
            p._log.write(f"failed: {error}\n")
        if p._log is not None:
            p._log.close()
        p._log, p._uv = None, None
        self.lock.release()
        _keep_newest_logs(p.log_path.parent)


def _keep_newest_logs(folder: Path, keep: int = 10) -> None:
    for old in sorted(folder.glob("setup-*.log"))[:-keep]:
        old.unlink(missing_ok=True)


class _HomeLock:
    """An exclusive lock on home/lock for this process's life of the session."""

    def __init__(self, home: Path):
        self.file = (home / "lock").open("a+")
        try:
            if sys.platform == "win32":
                import msvcrt

                self.file.seek(0)
                msvcrt.locking(self.file.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(self.file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            self.file.close()
            raise LauncherError("Studio is already being set up in another window: wait for it to finish") from None

    def release(self) -> None:
        self.file.close()  # closing the file drops the lock
