"""Starting the studio inside its environment: the editor on a project or timeline, or its command line.

The studio runs as `python -I -m studio.ui.app` / `python -I -m studio.cli` of the environment: -I keeps
the user's current folder, PYTHON* variables and user site-packages out of it, so nothing but the
environment is imported. The launcher stays the editor's parent and hands its exit code on; an editor that
stops within its first seconds with an error (an import that fails, a damaged file) is reported with its
last line, so the launcher can offer Repair installation.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from .places import logs_folder
from .provision import env_python
from .uv_runner import child_environment

STARTUP_SECONDS = 20.0  # an editor that stops before this failed to start, rather than being closed
PROJECT_FILE = "project.json"
_BROKEN_SIGNS = (
    "ImportError",
    "ModuleNotFoundError",
    "SyntaxError",
    "DLL load failed",
    "cannot open shared object",
    "undefined symbol",
)


def editor_argument(path: str) -> str:
    """What the editor opens: a .studio folder, an .otio file; a project's project.json means its folder."""
    chosen = Path(path).expanduser().resolve()
    return str(chosen.parent if chosen.name == PROJECT_FILE else chosen)


@dataclass(frozen=True)
class EditorEnd:
    code: int
    early: bool  # it stopped within STARTUP_SECONDS
    reason: str  # the last line it wrote, when it failed
    broken: bool  # the reason looks like a damaged installation
    log: Path


def run_editor(env: Path, home: Path, path: str | None) -> EditorEnd:
    """Run the editor until it exits; its stderr goes to logs/editor-start.log (the studio keeps its own
    log of what happens after it starts)."""
    log = logs_folder(home) / "editor-start.log"
    args = [str(env_python(env, windowed=True)), "-I", "-m", "studio.ui.app"]
    if path:
        args.append(editor_argument(path))
    started = time.monotonic()
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            env=child_environment(),
            cwd=str(Path.home()),
        )
        code = _wait_forwarding_stop(process)
    early = time.monotonic() - started < STARTUP_SECONDS
    reason, broken = "", False
    if code != 0:
        lines = [
            line.strip() for line in log.read_text(encoding="utf-8", errors="replace").splitlines() if line.strip()
        ]
        reason = lines[-1] if lines else f"it stopped with exit code {code}"
        broken = any(sign in line for line in lines for sign in _BROKEN_SIGNS)
    return EditorEnd(code, early, reason, broken, log)


def run_cli(env: Path, args: list[str]) -> int:
    """`studio ARGS...` in the environment, in the user's current folder, with the terminal handed over."""
    process = subprocess.Popen([str(env_python(env)), "-I", "-m", "studio.cli", *args], env=child_environment())
    return _wait_forwarding_stop(process)


def _wait_forwarding_stop(process: subprocess.Popen) -> int:  # type: ignore[type-arg]
    """Wait for the child; a launcher told to stop (SIGTERM, Ctrl+C) stops the child first."""
    if os.name == "nt":
        try:
            return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            return process.wait()

    def stop(signum, _frame):  # type: ignore[no-untyped-def]
        process.send_signal(signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    try:
        return process.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
