"""Build the Studio installer for one platform, on that platform.

    python installers/build.py linux      dist/Studio-<version>-linux-x86_64.tar.gz (install.sh inside)
    python installers/build.py windows    dist/Studio-<version>-windows-x86_64-setup.exe (Inno Setup's ISCC)
    python installers/build.py macos      dist/Studio-<version>-macos-arm64.dmg (Studio.app; hdiutil)

Standard library only: the tools it needs (uv, PyInstaller, PySide6's QtCore/QtGui/QtWidgets, Pillow for
the icon) go into a build environment, build/installer/venv, at the versions pyproject.toml pins. Steps:
1. the studio's wheel (`uv build --wheel`);
2. the payload the launcher installs from (installers/launcher/main.py's contract): the wheel,
   requirements.lock and torch.txt (see packagers/lock.py), version.txt, and the uv binary;
3. the launcher frozen by PyInstaller (installers/studio.spec: one folder, windowed, named Studio),
   the payload beside its executable;
4. the platform's package: a tarball, an Inno Setup installer or a .dmg.
A missing tool or a wrong platform is refused in one sentence before any step runs. Linux is a tarball:
an AppImage needs appimagetool, which only GitHub's releases distribute.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # packagers/, beside this file

from packagers import BuildError, linux, lock, macos, windows  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
INSTALLERS = ROOT / "installers"
WORK = ROOT / "build" / "installer"
LAUNCHER = INSTALLERS / "launcher" / "main.py"
# The launcher's icon (256×256 PNG): the first of these that exists; PyInstaller and Pillow make the
# .ico and .icns from it.
ICONS = ("studio.png", "icon.png", "studio-256.png")
PYTHON = "3.11"  # the environment's Python, as the launcher creates it (`uv venv --python 3.11`)
# Apple Silicon macOS 14 (the macos-14 runner; torch 2.13 has wheels for macOS 14+ only): its torch
# carries no GPU libraries, so its resolution says which of torch's dependencies every build shares.
PORTABLE_PLATFORM = ("aarch64-apple-darwin", {"MACOSX_DEPLOYMENT_TARGET": "14.0"})


@dataclass(frozen=True)
class Target:
    name: str
    system: str  # sys.platform of the machine that builds it
    machines: tuple[str, ...]  # platform.machine() values it builds on
    arch: str  # in the package's name
    uv_platform: str  # `uv pip compile --python-platform`
    uv_env: dict[str, str]
    description: str


TARGETS = {
    # PySide6 6.11 needs glibc 2.34 (its wheels are manylinux_2_34): Debian 12, Ubuntu 22.04, Fedora 35 on.
    "linux": Target("linux", "linux", ("x86_64", "amd64"), "x86_64", "x86_64-manylinux_2_34", {}, "Linux x86-64"),
    "windows": Target(
        "windows", "win32", ("amd64", "x86_64"), "x86_64", "x86_64-pc-windows-msvc", {}, "Windows x86-64"
    ),
    "macos": Target(
        "macos", "darwin", ("arm64",), "arm64", PORTABLE_PLATFORM[0], PORTABLE_PLATFORM[1], "macOS 14+ on Apple Silicon"
    ),
}
HOST_NAMES = {"linux": "Linux", "win32": "Windows", "darwin": "macOS"}


def say(text: str) -> None:
    print(f"[build] {text}", flush=True)


# -- checks, before any work ----------------------------------------------------------------------


def refusal(target: Target, system: str = sys.platform, machine: str = platform.machine()) -> str | None:
    """Why this machine cannot build `target`, in one sentence, or None."""
    if system != target.system:
        host = HOST_NAMES.get(system, system)
        return (
            f"The {target.name} package is built on {HOST_NAMES[target.system]} (PyInstaller freezes for the"
            f" system it runs on), and this is {host}; build it there or let CI's {target.name} runner do it."
        )
    if machine.lower() not in target.machines:
        return f"The {target.name} package is built on {target.description}, and this machine is {machine}."
    return None


def missing_tool(target: Target) -> str | None:
    """The tool the target needs that this machine lacks, in one sentence, or None."""
    if not LAUNCHER.is_file():
        return f"The launcher's entry point {LAUNCHER.relative_to(ROOT)} is missing; it is what gets frozen."
    if find_icon() is None:
        return f"No launcher icon: expected one of {', '.join(ICONS)} in installers/launcher/."
    if target.name == "windows" and windows.find_iscc() is None:
        return "Inno Setup's compiler (ISCC.exe) is not installed; install it (choco install innosetup) and retry."
    if target.name == "macos":
        for tool in ("hdiutil", "codesign"):
            if shutil.which(tool) is None:
                return f"macOS's {tool} is not on PATH; it comes with macOS (and Xcode's command-line tools)."
    return None


def find_icon() -> Path | None:
    return next((INSTALLERS / "launcher" / name for name in ICONS if (INSTALLERS / "launcher" / name).is_file()), None)


# -- the build environment ------------------------------------------------------------------------


def pins() -> tuple[str, list[str]]:
    """The studio's version, and the build tools at pyproject.toml's pins."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {"pyside6": "PySide6-Essentials", "pillow": "pillow"}  # Essentials: QtCore/QtGui/QtWidgets
    found = [
        f"{wanted[dep.split('==')[0].lower()]}=={dep.split('==')[1].strip()}"
        for dep in project["dependencies"]
        if dep.split("==")[0].lower() in wanted
    ]
    tools = project["optional-dependencies"]["installer"]
    return project["version"], [*tools, *found]


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run(command: list[str | Path], *, log: Path | None = None, env: dict[str, str] | None = None) -> str:
    """Run a tool; its output goes to `log` (or is returned); a failure names the log or its last lines."""
    args = [str(part) for part in command]
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, env={**os.environ, **(env or {})})
    if log is not None:
        log.write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-8:])
        where = f" (the whole output: {log})" if log else ""
        raise BuildError(f"{Path(args[0]).name} {' '.join(args[1:3])} failed{where}:\n{tail}")
    return result.stdout


def build_venv(tools: list[str]) -> Path:
    """build/installer/venv with the build tools; rebuilt only when their pins change."""
    venv = WORK / "venv"
    stamp = venv / "studio-build-tools.txt"
    python = venv_python(venv)
    if python.exists() and stamp.is_file() and stamp.read_text() == "\n".join(tools):
        say(f"build tools up to date in {venv.relative_to(ROOT)}")
        return python
    say(f"installing the build tools into {venv.relative_to(ROOT)}: {', '.join(tools)}")
    shutil.rmtree(venv, ignore_errors=True)
    run([sys.executable, "-m", "venv", venv])
    uv_pin = next(tool for tool in tools if tool.startswith("uv=="))
    run([python, "-m", "pip", "install", "--disable-pip-version-check", "-q", uv_pin])
    run([python, "-m", "uv", "pip", "install", "--python", python, *tools], log=WORK / "build-tools.log")
    stamp.write_text("\n".join(tools))
    return python


# -- the payload ----------------------------------------------------------------------------------


def build_wheel(python: Path) -> Path:
    out = WORK / "wheel"
    shutil.rmtree(out, ignore_errors=True)
    run([python, "-m", "uv", "build", "--wheel", "--out-dir", out, ROOT], log=WORK / "wheel.log")
    (wheel,) = out.glob("studio-*.whl")
    return wheel


def resolve(python: Path, uv_platform: str, env: dict[str, str], name: str) -> str:
    """uv's resolution of pyproject.toml for Python 3.11 on one platform (uv's own index settings apply)."""
    out = WORK / f"resolution-{name}.txt"
    try:
        run(
            [python, "-m", "uv", "pip", "compile", "pyproject.toml", "--python-version", PYTHON,
             "--python-platform", uv_platform, "--no-header", "--quiet", "-o", out],
            env=env,
        )  # fmt: skip
    except BuildError as error:
        raise BuildError(f"uv cannot install pyproject.toml's pins on {uv_platform}: {error}") from None
    return out.read_text()


def make_payload(python: Path, target: Target, version: str, wheel: Path) -> Path:
    payload = WORK / "payload"
    shutil.rmtree(payload, ignore_errors=True)
    payload.mkdir(parents=True)
    shutil.copy2(wheel, payload / wheel.name)
    say(f"resolving pyproject.toml's pins for {target.description} (uv pip compile)")
    resolution = resolve(python, target.uv_platform, target.uv_env, target.name)
    portable = None
    if target.uv_platform != PORTABLE_PLATFORM[0]:
        portable = resolve(python, *PORTABLE_PLATFORM, "portable")
    try:
        locked = lock.split(resolution, portable, target.description)
    except lock.LockError as error:
        raise BuildError(str(error)) from None
    (payload / "requirements.lock").write_text(locked.text)
    (payload / "torch.txt").write_text(locked.torch_pin + "\n")
    (payload / "version.txt").write_text(version + "\n")
    count = len(lock.parse(locked.text))
    say(f"locked {count} packages and {locked.torch_pin}; {len(locked.left_to_torch)} left to the torch build")
    uv = Path(run([python, "-c", "import uv; print(uv.find_uv_bin())"]).strip())
    shutil.copy2(uv, payload / uv.name)  # uv or uv.exe: the build runs on the target, so it is the target's
    return payload


# -- freezing -------------------------------------------------------------------------------------


def freeze(python: Path, version: str, icon: Path) -> Path:
    """PyInstaller's one-folder launcher (build/installer/frozen/Studio, or Studio.app on macOS)."""
    frozen = WORK / "frozen"
    shutil.rmtree(frozen, ignore_errors=True)
    run(
        [python, "-m", "PyInstaller", "--noconfirm", "--distpath", frozen, "--workpath", WORK / "pyinstaller",
         INSTALLERS / "studio.spec", "--", "--icon", icon, "--version", version],
        log=WORK / "pyinstaller.log",
    )  # fmt: skip
    return frozen


def size(path: Path) -> int:
    """Bytes on disk, each file once (PyInstaller's folders hold symbolic links to their libraries)."""
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(file.stat().st_size for file in files)


def megabytes(count: int) -> str:
    return f"{count / 1e6:.0f} MB"


# -- the command ----------------------------------------------------------------------------------


def build(target: Target, out: Path) -> Path:
    started = time.monotonic()
    version, tools = pins()
    icon = find_icon()
    assert icon is not None  # missing_tool() checked it
    WORK.mkdir(parents=True, exist_ok=True)
    python = build_venv(tools)
    say("building the studio's wheel (uv build)")
    wheel = build_wheel(python)
    say(f"wheel: {wheel.name} ({megabytes(size(wheel))})")
    payload = make_payload(python, target, version, wheel)
    say(f"payload: {megabytes(size(payload))} in {payload.relative_to(ROOT)}")
    say("freezing the launcher (PyInstaller, installers/studio.spec)")
    frozen = freeze(python, version, icon)
    if target.name == "macos":
        app = frozen / "Studio.app"
        say(f"launcher: {megabytes(size(app))} (Studio.app, before the payload)")
        package = macos.package(app, payload, version, out, say)
    else:
        folder = frozen / "Studio"
        say(f"launcher: {megabytes(size(folder))} (the frozen folder, before the payload)")
        if target.name == "linux":
            package = linux.package(folder, payload, icon, version, target.arch, out, say)
        else:
            package = windows.package(folder, payload, python, icon, version, out, say)
    say(f"done in {time.monotonic() - started:.0f} s: {package} ({megabytes(size(package))})")
    return package


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", choices=sorted(TARGETS))
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="where the package goes (default: dist/)")
    args = parser.parse_args(argv)
    target = TARGETS[args.target]
    problem = refusal(target) or missing_tool(target)
    if problem:
        print(f"build.py: {problem}", file=sys.stderr)
        return 2
    try:
        build(target, args.out.resolve())
    except BuildError as error:
        print(f"build.py: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
