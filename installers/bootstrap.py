"""Set up the studio in .venv (idempotently) and run it or its tests.

    python3 installers/bootstrap.py run [PROJECT]   set up, then open the studio
    python3 installers/bootstrap.py test [ARGS]     set up with the dev tools, then run every check

Only the Python standard library is used here, so a fresh machine with Python 3.11+ can run it.
Setup is skipped when pyproject.toml has not changed since the last one.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")


def say(text: str) -> None:
    print(f"[studio setup] {text}", flush=True)


def setup(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may run under an older Python
        sys.exit(f"The studio needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    stamp = VENV / f".setup-{extras or 'app'}"
    digest = hashlib.sha256(pyproject).hexdigest()
    if stamp.exists() and stamp.read_text() == digest and PYTHON.exists():
        return
    if not PYTHON.exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    # torch first, with its exact pin: the pin decides which build (CPU or CUDA) pip picks.
    torch_pin = re.search(rb'"(torch==[^"]+)"', pyproject).group(1).decode()
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check"]
    say(f"installing {torch_pin}")
    subprocess.run([*pip, torch_pin], check=True)
    target = f".[{extras}]" if extras else "."
    say(f"installing the studio and its pinned dependencies ({target})")
    subprocess.run([*pip, "-e", target], cwd=ROOT, check=True)
    stamp.write_text(digest)


def run_checks(args: list[str]) -> int:
    env = dict(os.environ)
    if sys.platform.startswith("linux") and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    for name, command in [
        ("import layers", [str(BIN / "lint-imports"), "--config", "pyproject.toml"]),
        ("lint", [str(BIN / "ruff"), "check", "."]),
    ]:
        say(f"checking {name}")
        if subprocess.run(command, cwd=ROOT, env=env).returncode != 0:
            return 1
    say("running the test suite")
    return subprocess.run([str(PYTHON), "-m", "pytest", *args], cwd=ROOT, env=env).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    verb, rest = argv[0], argv[1:]
    try:
        setup("dev" if verb == "test" else "")
    except subprocess.CalledProcessError as exc:
        print(f"Setup failed while running: {' '.join(map(str, exc.cmd))}", file=sys.stderr)
        return 1
    if verb == "run":
        return subprocess.run([str(PYTHON), str(ROOT / "main.py"), *rest], cwd=ROOT).returncode
    return run_checks(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
