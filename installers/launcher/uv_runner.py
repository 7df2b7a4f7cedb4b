"""uv as a child process: the environment it runs with, its output read line by line into the log and
the progress, and stopping it (Cancel).

uv's own environment variables pass through untouched (UV_INDEX_URL, UV_EXTRA_INDEX_URL, UV_FIND_LINKS,
UV_INDEX_STRATEGY, UV_PYTHON, UV_PYTHON_DOWNLOADS, ...), so an organisation's mirror works. The launcher
only fills in, where the user has not set them: UV_CACHE_DIR (our cache/uv, so uninstall leaves nothing and a
dropped connection resumes from what was downloaded), UV_PYTHON_INSTALL_DIR (our python/, for the Python
uv downloads when the machine has no 3.11) and UV_LINK_MODE=copy (uv's default hard-links files from its
cache into the environment, so a damaged file there is damaged in the cache too and a repair from the cache
would put the damage back).
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from . import LauncherError


class Cancelled(LauncherError):
    """The user pressed Cancel."""


def uv_environment(home: Path) -> dict[str, str]:
    env = child_environment()
    env.setdefault("UV_CACHE_DIR", str(home / "cache" / "uv"))
    env.setdefault("UV_PYTHON_INSTALL_DIR", str(home / "python"))
    env.setdefault("UV_LINK_MODE", "copy")
    env["UV_NO_PROGRESS"] = "1"  # no bars even if a terminal is attached: lines only
    env.pop("VIRTUAL_ENV", None)  # the environment is always named with --python
    return env


def child_environment() -> dict[str, str]:
    """This process's environment without what PyInstaller's bootloader changed for the frozen launcher
    (LD_LIBRARY_PATH and the like point into its own folder, whose Qt would shadow the studio's)."""
    env = dict(os.environ)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        for name in list(env):
            if name.endswith("_ORIG"):
                continue
            original = env.get(f"{name}_ORIG")
            if original is not None:
                env[name] = original
            elif bundle in env[name]:
                del env[name]
    for name in [name for name in env if name.endswith("_ORIG")]:
        del env[name]
    return env


class UvRun:
    """One uv command at a time, cancellable from another thread."""

    def __init__(self, uv: str, home: Path, log: IO[str]):
        self.uv = uv
        self.home = home  # uv runs there: never finds a project or uv.toml in the user's current folder
        self.env = uv_environment(home)
        self.log = log
        self._process: subprocess.Popen[str] | None = None
        self._cancelled = threading.Event()
        self._lock = threading.Lock()

    def __call__(self, args: list[str], on_line: Callable[[str], None]) -> int:
        """Run `uv ARGS`, every line of its output to on_line and the log; its exit code."""
        if self._cancelled.is_set():
            raise Cancelled("setting up was cancelled")
        self.log.write(f"$ uv {' '.join(args)}\n")
        self.log.flush()
        with self._lock:
            try:
                self._process = subprocess.Popen(
                    [self.uv, *args],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    text=True,
                    encoding="utf-8",
                    errors="replace",
                    env=self.env,
                    cwd=str(self.home),
                    bufsize=1,
                )
            except OSError as exc:
                raise LauncherError(f"uv ({self.uv}) cannot be started: {exc}; reinstall Studio") from exc
        process = self._process
        assert process.stdout is not None
        for line in process.stdout:
            self.log.write(line)
            on_line(line)
        code = process.wait()
        self.log.write(f"(uv exited with {code})\n")
        self.log.flush()
        if self._cancelled.is_set():
            raise Cancelled("setting up was cancelled")
        return code

    def cancel(self) -> None:
        """Stop the running uv (its downloads so far stay in the cache) and every one after it."""
        self._cancelled.set()
        with self._lock:
            if self._process is not None and self._process.poll() is None:
                self._process.terminate()
