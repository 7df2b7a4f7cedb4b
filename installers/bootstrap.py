"""Set up the studio in .venv (idempotently) and run it or its tests.

    python3 installers/bootstrap.py run [PROJECT]   set up, then open the studio
    python3 installers/bootstrap.py test [ARGS]     set up with the dev tools, then run every check

Only the Python standard library is used here, so a fresh machine with Python 3.11+ can run it.
Setup is skipped when pyproject.toml and the chosen torch build have not changed since the last one.

torch is installed first, as the build for this machine: on Windows and Linux with an NVIDIA driver
(found with nvidia-smi), the newest CUDA build of the pinned torch that the driver supports, from
PyTorch's own index; otherwise the pin alone (pip's default build: CPU on Windows, MPS on macOS).
STUDIO_TORCH chooses instead: `auto` (the above), `default` (the pin alone), `cpu`, or a CUDA build
such as `cu126`.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
import subprocess
import sys
import venv
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
PLATFORM = sys.platform

TORCH_INDEX = "https://download.pytorch.org/whl"
# The CUDA builds PyTorch publishes for each pinned torch, on Windows and Linux, oldest first: the
# folders of TORCH_INDEX; x86-64 only. Update it with the pin. torch 2.13.0: cu126, cu130 and cu132
# (the set 2.12 had; cu128 went in 2.12), as others quote PyTorch's install commands for v2.13.0 on
# https://pytorch.org/get-started/previous-versions/ and as wheel indexes built against 2.13.0 list
# them; PyTorch's own page was not read here, so check it there when the pin changes.
# PyPI's torch is CUDA 13.0 on Linux (since 2.12) and CPU only on Windows. Linux still takes the build
# from PyTorch's index: PyPI's CUDA 13.0 wheel cannot run on a driver that only supports CUDA 12.x,
# and a driver for CUDA 13.2 gets the newer build, so both systems follow the one rule.
CUDA_BUILDS: dict[str, tuple[str, ...]] = {
    "2.13.0": ("cu126", "cu130", "cu132"),
}
# Distributions an older setup installed that the studio has since replaced, each with its successor: pip
# would leave them in .venv beside it. opencv-python's cv2 points Qt at its own Qt 5 plugins when imported
# (QT_QPA_PLATFORM_PLUGIN_PATH, cv2/config-3.py; opencv/opencv-python#386), so the editor's Qt 6 looked for
# its xcb plugin there and, on a machine without Qt's X11 libraries, named cv2's folder as the fault. Both
# builds own the same cv2 files, so the successor goes too and is installed again whole.
RETIRED = {"opencv-python": "opencv-python-headless"}


def say(text: str) -> None:
    print(f"[studio setup] {text}", flush=True)


# -- which torch -----------------------------------------------------------------------------------


class SetupError(Exception):
    """A setup that cannot go on, said in one sentence."""


@dataclass(frozen=True)
class Gpu:
    """The first NVIDIA GPU nvidia-smi lists, and the newest CUDA version its driver supports."""

    name: str
    driver: str
    cuda: tuple[int, int] | None  # None when nvidia-smi did not say


@dataclass(frozen=True)
class TorchChoice:
    """Which build of the pinned torch to install, and the one line that says why."""

    build: str  # "default" (the pin alone, from PyPI), "cpu" or a CUDA build such as "cu130"
    reason: str

    def pip_args(self, pin: str) -> list[str]:
        if self.build == "default":
            return [pin]  # exactly the pin: CI installs from a local wheel of it
        return [pin, "--index-url", f"{TORCH_INDEX}/{self.build}"]


def nvidia_smi(args: list[str]) -> str | None:
    """nvidia-smi's output, or None where it is not installed or fails (no GPU, no driver)."""
    try:
        done = subprocess.run(["nvidia-smi", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def parse_gpu(query: str, banner: str | None) -> Gpu | None:
    """A GPU from `nvidia-smi --query-gpu=name,driver_version --format=csv,noheader` (one line a GPU)
    and the "CUDA Version: 12.6" of plain `nvidia-smi`'s banner."""
    lines = [line.strip() for line in query.splitlines() if line.strip()]
    if not lines or "," not in lines[0]:
        return None
    name, driver = (part.strip() for part in lines[0].rsplit(",", 1))
    if len(lines) > 1:
        name += f" (and {len(lines) - 1} more)"
    found = re.search(r"CUDA Version\s*:\s*(\d+)\.(\d+)", banner or "")
    return Gpu(name, driver, (int(found.group(1)), int(found.group(2))) if found else None)


def detect_gpu() -> Gpu | None:
    query = nvidia_smi(["--query-gpu=name,driver_version", "--format=csv,noheader"])
    return parse_gpu(query, nvidia_smi([])) if query else None


def cuda_version(build: str) -> tuple[int, int]:
    """cu126 → (12, 6); cu130 → (13, 0)."""
    digits = build.removeprefix("cu")
    return int(digits[:-1]), int(digits[-1])


def _cuda(version: tuple[int, int]) -> str:
    return f"CUDA {version[0]}.{version[1]}"


def wants_detection(system: str, machine: str, override: str | None) -> bool:
    """Whether choose_torch needs to know the GPU: only for an automatic choice on x86-64 Windows or Linux."""
    automatic = (override or "auto").strip().lower() == "auto"
    return automatic and system.startswith(("win", "linux")) and machine.lower() in ("x86_64", "amd64")


def choose_torch(
    pin: str, system: str, gpu: Gpu | None, override: str | None = None, machine: str = "x86_64"
) -> TorchChoice:
    """The torch build for this machine: an override, else the newest CUDA build the driver supports."""
    version = pin.split("==", 1)[1]
    builds = CUDA_BUILDS.get(version, ())
    wanted = (override or "auto").strip().lower()
    if wanted == "default":
        return TorchChoice("default", f"STUDIO_TORCH=default: installing torch {version}, pip's default build")
    if wanted == "cpu":
        return TorchChoice("cpu", f"STUDIO_TORCH=cpu: installing torch {version}, the CPU-only build")
    if wanted != "auto":
        if system == "darwin":
            raise SetupError(f"STUDIO_TORCH={wanted}: PyTorch has no CUDA builds for macOS; use auto or cpu.")
        if wanted not in builds:
            known = ", ".join(("auto", "default", "cpu", *builds))
            raise SetupError(f"STUDIO_TORCH={wanted} is not a build of torch {version}; choose one of: {known}.")
        return TorchChoice(
            wanted, f"STUDIO_TORCH={wanted}: installing torch {version} with {_cuda(cuda_version(wanted))}"
        )
    if system == "darwin":
        return TorchChoice("default", f"macOS: installing torch {version}, the default build (MPS on Apple silicon)")
    if machine.lower() not in ("x86_64", "amd64"):
        return TorchChoice(
            "default", f"{machine}: installing torch {version}, pip's default build (the CUDA table is for x86-64)"
        )
    if gpu is None:
        return TorchChoice(
            "default",
            f"no NVIDIA GPU found (nvidia-smi is missing or sees none): installing torch {version}, "
            "pip's default build, which runs on the CPU",
        )
    seen = f"{gpu.name}, driver {gpu.driver}" + (f" ({_cuda(gpu.cuda)})" if gpu.cuda else "")
    if not builds:
        return TorchChoice(
            "default",
            f"{seen}: this script does not know the CUDA builds of torch {version}, so it installs pip's "
            "default build; set STUDIO_TORCH=cuXYZ to choose one",
        )
    if gpu.cuda is None:
        return TorchChoice(
            "default",
            f"{seen}: nvidia-smi did not say which CUDA the driver supports, so this installs torch {version}, "
            f"pip's default build; set STUDIO_TORCH to one of {', '.join(builds)} to choose",
        )
    usable = [build for build in builds if cuda_version(build) <= gpu.cuda]
    if not usable:
        return TorchChoice(
            "default",
            f"{seen}: the driver is older than the oldest CUDA build of torch {version} "
            f"({_cuda(cuda_version(builds[0]))}), so this installs pip's default build, which will run on the "
            "CPU; update the NVIDIA driver and run setup again to use the GPU",
        )
    return TorchChoice(usable[-1], f"{seen}: installing torch {version} with {_cuda(cuda_version(usable[-1]))}")


# -- setup -----------------------------------------------------------------------------------------


def setup(extras: str) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script may run under an older Python
        sys.exit(f"The studio needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    torch_pin = re.search(rb'"(torch==[^"]+)"', pyproject).group(1).decode()
    override, machine = os.environ.get("STUDIO_TORCH"), platform.machine()
    gpu = detect_gpu() if wants_detection(PLATFORM, machine, override) else None
    choice = choose_torch(torch_pin, PLATFORM, gpu, override, machine)
    stamp = VENV / f".setup-{extras or 'app'}"
    # The stamp records the torch build too, so choosing another one (a new driver, STUDIO_TORCH) reinstalls.
    wanted_stamp = f"{hashlib.sha256(pyproject).hexdigest()}\ntorch {choice.build}\n"
    old_stamp = stamp.read_text() if stamp.exists() else None
    if old_stamp == wanted_stamp and PYTHON.exists():
        return
    if not PYTHON.exists():
        say(f"creating {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [str(PYTHON), "-m", "pip", "install", "--disable-pip-version-check"]
    if "dev" in extras.split(","):
        # pip byte-compiles every module it installs: 15 000 files, 80 s on a slow 2-core CPU, of which the
        # checks import under a quarter (3 500). Python compiles those as they are first imported, and keeps them.
        pip.append("--no-compile")
    say(choice.reason)
    if old_stamp is not None and _stamped_build(old_stamp) != choice.build:
        # pip keeps an installed torch of the same version whatever its build: take it out first.
        subprocess.run(
            [str(PYTHON), "-m", "pip", "uninstall", "--yes", "--disable-pip-version-check", "torch"], check=True
        )
    subprocess.run([*pip, *choice.pip_args(torch_pin)], check=True)
    if old_stamp is not None:
        remove_retired()
    target = f".[{extras}]" if extras else "."
    say(f"installing the studio and its pinned dependencies ({target})")
    subprocess.run([*pip, "-e", target], cwd=ROOT, check=True)
    stamp.write_text(wanted_stamp)


def remove_retired() -> None:
    """Uninstalls RETIRED distributions an older setup left in .venv, with their successors (see RETIRED)."""
    names = [*RETIRED, *RETIRED.values()]
    # -I: the probe never imports from the folder setup was started in
    probe = "import importlib.metadata as m, sys\nprint(*(d.name for d in m.distributions() if d.name in sys.argv[1:]))"
    run = subprocess.run([str(PYTHON), "-I", "-c", probe, *names], capture_output=True, text=True, check=True)
    found = run.stdout.split()
    retired = [name for name in RETIRED if name in found]
    if not retired:
        return
    say(f"removing {', '.join(retired)}: the studio uses {', '.join(RETIRED[name] for name in retired)} instead")
    remove = [*retired, *(RETIRED[name] for name in retired if RETIRED[name] in found)]
    subprocess.run([str(PYTHON), "-m", "pip", "uninstall", "--yes", "--disable-pip-version-check", *remove], check=True)


def _stamped_build(stamp: str) -> str:
    """The torch build a stamp records; stamps from before the choice record none: pip's default."""
    found = re.search(r"^torch (\S+)$", stamp, re.MULTILINE)
    return found.group(1) if found else "default"


def run_checks(args: list[str]) -> int:
    env = dict(os.environ)
    if sys.platform.startswith("linux") and not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    for name, command in [
        ("import layers", [str(BIN / "lint-imports"), "--config", "pyproject.toml"]),
        ("lint", [str(BIN / "ruff"), "check", "."]),
        ("formatting", [str(BIN / "ruff"), "format", "--check", "."]),
        # from ROOT, so mypy reads [tool.mypy] in pyproject.toml: which folders, and the libraries skipped
        ("types", [str(BIN / "mypy")]),
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
        setup("dev,cluster" if verb == "test" else "")  # the tests run the Ray backend too
    except subprocess.CalledProcessError as exc:
        print(f"Setup failed while running: {' '.join(map(str, exc.cmd))}", file=sys.stderr)
        return 1
    except SetupError as exc:
        print(f"Setup cannot go on: {exc}", file=sys.stderr)
        return 2
    if verb == "run":
        return subprocess.run([str(PYTHON), str(ROOT / "main.py"), *rest], cwd=ROOT).returncode
    return run_checks(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
