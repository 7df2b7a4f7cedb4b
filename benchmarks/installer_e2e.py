"""The Linux installer end to end, as a filmmaker meets it, on this machine, timed step by step.

    python3 benchmarks/installer_e2e.py [--package dist/Studio-<version>-linux-x86_64.tar.gz] [--keep]

1. build the package (`installers/build.py linux`), unless --package names a built one;
2. unpack it and run `Studio/install.sh` in a scratch home (HOME and every XDG_* folder inside a temporary
   folder, so nothing of the real user's is read or written);
3. `studio-launcher --provision` with the window offscreen, against this machine's local package registry
   (UV_FIND_LINKS=/opt/wheels holds torch 2.13.0+cpu; the two file:// indexes and PyPI) and
   STUDIO_TORCH=default: PyTorch's own index is not reachable from here;
4. a project folder made in the scratch home (~/Films/First.studio, by the installed studio);
5. `studio-launcher ~/Films/First.studio`: the editor process must come up and stay up 5 s; then the
   launcher is told to stop (SIGTERM, which it hands on to the editor);
6. a shot with the demo model through the launcher (`--cli generate -m demo ... shot.mp4`): the file must
   hold frames, and `--cli verify` must accept its AI-generated mark (exit 0);
7. `uninstall.sh`: the project, the shot and the models folder must still be there; the environment, the
   launcher's state, its desktop entry, the install folder and the `studio-launcher` command gone.
Slow (a fresh uv cache downloads the pinned packages, torch from /opt/wheels): minutes, so it is not in the
CI suite; tests/test_installer_build.py runs it when STUDIO_INSTALLER_E2E=1. Linux only.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCAL_REGISTRY = {
    "UV_FIND_LINKS": "/opt/wheels",
    "UV_EXTRA_INDEX_URL": "file:///opt/pypi/simple file:///opt/pypi-more/simple",
    # The local indexes hold some packages at older versions only: take each package's version from any
    # index (pip's way), not only from the first index that knows the name (uv's default).
    "UV_INDEX_STRATEGY": "unsafe-best-match",
    "UV_PYTHON_DOWNLOADS": "never",
    "STUDIO_TORCH": "default",
}
EDITOR_MODULE = "studio.ui.app"
# The machine's network settings pass through as a user's login has them (this one reaches PyPI through
# its own certificate authority); nothing else of this shell's environment does.
NETWORK = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
    "http_proxy",
    "https_proxy",
    "no_proxy",
)
STAYS_UP_S = 5.0
PROMPT = "a red circle moves left on a blue background"


class E2EFailure(Exception):
    """A step whose result is wrong, said in one sentence."""


def scratch_environment(home: Path) -> dict[str, str]:
    """Only what a login would give, with every per-user folder inside `home` (no venv on PATH: uv must
    find the system's Python 3.11 as on a user's machine)."""
    path = os.pathsep.join(
        part for part in os.environ.get("PATH", "").split(os.pathsep) if ".venv" not in part and part
    )
    return {
        "PATH": path,
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LANG": os.environ.get("LANG", "C.UTF-8"),
        "QT_QPA_PLATFORM": "offscreen",
        **{name: os.environ[name] for name in NETWORK if name in os.environ},
        **LOCAL_REGISTRY,
    }


def run(args: list[str | Path], env: dict[str, str], *, timeout: float, cwd: Path | None = None) -> str:
    result = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).strip().splitlines()[-15:])
        raise E2EFailure(f"{' '.join(str(a) for a in args[:3])} exited {result.returncode}:\n{tail}")
    return result.stdout + result.stderr


def descendants(pid: int) -> list[tuple[int, str]]:
    """The processes below `pid` (Linux's /proc), with their command lines."""
    children: dict[int, list[int]] = {}
    lines: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            lines[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], list(children.get(pid, []))
    while todo:
        child = todo.pop()
        found.append((child, lines.get(child, "")))
        todo.extend(children.get(child, []))
    return found


def editor_comes_up(launcher: Path, project: Path, env: dict[str, str], log: Path) -> str:
    """Start the launcher on a project; its editor process must appear and stay up STAYS_UP_S."""
    with log.open("w") as output:
        process = subprocess.Popen([str(launcher), str(project)], env=env, stdout=output, stderr=output)
        try:
            deadline, up_since = time.monotonic() + 120, None
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    raise E2EFailure(f"the launcher stopped (exit {process.returncode}) before the editor stayed up")
                editors = [pid for pid, line in descendants(process.pid) if EDITOR_MODULE in line]
                if editors and up_since is None:
                    up_since = time.monotonic()
                if not editors:
                    up_since = None
                if up_since is not None and time.monotonic() - up_since >= STAYS_UP_S:
                    break
                time.sleep(0.25)
            else:
                raise E2EFailure(f"no {EDITOR_MODULE} process stayed up {STAYS_UP_S:g} s within 120 s")
            process.send_signal(signal.SIGTERM)  # as a logout would; the launcher hands it on to the editor
            process.wait(timeout=60)
            left = [pid for pid, line in descendants(process.pid) if EDITOR_MODULE in line]
            if left:
                raise E2EFailure(f"the editor ({left}) outlived its launcher")
            return f"editor up {STAYS_UP_S:g} s, launcher exit {process.returncode} after SIGTERM"
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()


def count_frames(python: Path, video: Path, env: dict[str, str]) -> int:
    probe = "import av, sys\nwith av.open(sys.argv[1]) as f: print(sum(1 for _ in f.decode(video=0)))"
    return int(run([python, "-I", "-c", probe, video], env, timeout=120).strip().splitlines()[-1])


def current_env(launcher_home: Path) -> Path:
    state = json.loads((launcher_home / "state.json").read_text())
    return launcher_home / "envs" / state["env"]


def e2e(package: Path | None, scratch: Path, say: Callable[[str], None]) -> dict[str, float]:
    times: dict[str, float] = {}

    def step(name: str, action: Callable[[], str | None]) -> None:
        started = time.monotonic()
        note = action()
        times[name] = time.monotonic() - started
        say(f"{name}: {times[name]:.1f} s" + (f" ({note})" if note else ""))

    home = scratch / "home"
    home.mkdir(parents=True)
    env = scratch_environment(home)
    built: list[Path] = []

    def build() -> str:
        if package is not None:
            built.append(package)
            return f"given {package.name}"
        run([sys.executable, ROOT / "installers" / "build.py", "linux"], dict(os.environ), timeout=1800)
        built.extend(sorted((ROOT / "dist").glob("Studio-*-linux-*.tar.gz"), key=lambda p: p.stat().st_mtime))
        return built[-1].name

    step("build", build)
    tarball = built[-1]
    say(f"package: {tarball.name}, {tarball.stat().st_size / 1e6:.0f} MB")
    times["package_mb"] = tarball.stat().st_size / 1e6

    def install() -> str:
        with tarfile.open(tarball) as archive:
            archive.extractall(scratch / "download", filter="data")
        out = run(["sh", scratch / "download" / "Studio" / "install.sh"], env, timeout=300)
        if not (home / ".local" / "bin" / "studio-launcher").is_file():
            raise E2EFailure("install.sh wrote no ~/.local/bin/studio-launcher")
        entry = home / ".local" / "share" / "applications" / "studio.desktop"
        if not entry.is_file() or f"Exec={home}/.local/opt/studio/Studio %f" not in entry.read_text():
            raise E2EFailure(f"install.sh left no studio.desktop starting the installed launcher:\n{out}")
        return "desktop entry and studio-launcher in place"

    step("install", install)
    launcher = home / ".local" / "bin" / "studio-launcher"
    launcher_home = home / ".local" / "share" / "studio-launcher"

    def provision() -> str:
        run([launcher, "--provision"], env, timeout=3600)
        return f"environment {current_env(launcher_home).name}"

    step("provision", provision)
    python = current_env(launcher_home) / "bin" / "python"
    project = home / "Films" / "First.studio"
    models = home / ".local" / "share" / "studio" / "models"

    def make_project() -> str:
        make = "import sys\nfrom studio.core.store import create\ncreate(sys.argv[1])"
        run([python, "-I", "-c", make, project], env, timeout=120)
        (models / "my-model").mkdir(parents=True)  # a model the user downloaded, which uninstall must keep
        (models / "my-model" / "model_index.json").write_text("{}")
        return str(project.relative_to(home))

    step("project", make_project)
    step("window", lambda: editor_comes_up(launcher, project, env, scratch / "editor-run.log"))
    shot = home / "Films" / "shot.mp4"

    def generate() -> str:
        run([launcher, "--cli", "generate", "-m", "demo", "-p", PROMPT, "--seed", "7", "-o", shot], env, timeout=900)
        frames = count_frames(python, shot, env)
        if frames < 1:
            raise E2EFailure(f"{shot} holds no frames")
        return f"{frames} frames, {shot.stat().st_size / 1e3:.0f} kB"

    step("generate", generate)

    def verify() -> str:
        out = run([launcher, "--cli", "verify", shot], env, timeout=300)
        return out.strip().splitlines()[0] if out.strip() else "exit 0"

    step("verify", verify)

    def uninstall() -> str:
        run(["sh", home / ".local" / "opt" / "studio" / "uninstall.sh"], env, timeout=300)
        kept = [project / "project.json", shot, models / "my-model" / "model_index.json"]
        lost = [str(p.relative_to(home)) for p in kept if not p.exists()]
        if lost:
            raise E2EFailure(f"uninstall removed what it must keep: {', '.join(lost)}")
        gone = [
            launcher_home / "envs",
            launcher_home / "state.json",
            home / ".local" / "opt" / "studio",
            launcher,
            home / ".local" / "share" / "applications" / "studio.desktop",
            home / ".local" / "share" / "mime" / "packages" / "studio.xml",
            home / ".local" / "share" / "icons" / "hicolor" / "256x256" / "apps" / "studio.png",
        ]
        left = [str(p.relative_to(home)) for p in gone if p.exists()]
        if left:
            raise E2EFailure(f"uninstall left behind: {', '.join(left)}")
        return "projects, shot and models kept; environment, state, desktop entry and program removed"

    step("uninstall", uninstall)
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--package", type=Path, help="an already built Studio-*-linux-*.tar.gz (else it is built)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (its path is printed)")
    args = parser.parse_args(argv)
    if sys.platform != "linux":
        print("installer_e2e.py: the end-to-end check runs on Linux only (the Linux package).", file=sys.stderr)
        return 2
    if args.package is not None and not args.package.is_file():
        print(
            f"installer_e2e.py: {args.package} is not a file; build one with installers/build.py linux.",
            file=sys.stderr,
        )
        return 2
    scratch = Path(tempfile.mkdtemp(prefix="studio-e2e-"))
    say = lambda text: print(f"[e2e] {text}", flush=True)  # noqa: E731
    say(f"scratch home in {scratch}")
    started = time.monotonic()
    try:
        times = e2e(args.package.resolve() if args.package else None, scratch, say)
    except (E2EFailure, subprocess.TimeoutExpired) as error:
        print(f"installer_e2e.py: FAILED: {error}", file=sys.stderr)
        print(f"installer_e2e.py: the scratch folder is kept for a look: {scratch}", file=sys.stderr)
        return 1
    total = time.monotonic() - started
    steps = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in times.items() if name != "package_mb")
    say(f"PASSED in {total:.0f} s")
    machine = f"{platform.node() or 'this machine'}, {os.cpu_count()} cores"
    print(f"| {date.today()} | {machine} | {times['package_mb']:.0f} MB | {steps} |")  # a row for results.md
    if not args.keep:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
