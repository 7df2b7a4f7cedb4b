"""Repair installation: find what is damaged in the environment and reinstall it from uv's cache.

Every installed distribution lists its files with their sha256 in its .dist-info/RECORD (the wheel format,
PEP 376/627). A file whose hash differs or that is gone marks its distribution damaged; a distribution of
requirements.lock with no .dist-info at all is missing. Both are reinstalled with the same uv commands that
built the environment, `--reinstall-package NAME` for each damaged one (uv takes it from its cache, without
the network); the check then runs again, and a distribution still damaged (its cache copy damaged too) is
cleaned from the cache and downloaded afresh. An environment whose Python does not start is built again.
"""

from __future__ import annotations

import base64
import csv
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from . import LauncherError
from .places import Payload, remove_tree
from .provision import CHECKING, Provisioner, env_python, file_digest, ready_env


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def site_packages(env: Path) -> Path:
    windows = env / "Lib" / "site-packages"
    if windows.is_dir():
        return windows
    found = sorted((env / "lib").glob("python3*/site-packages"))
    if not found:
        raise LauncherError(f"the environment {env} has no site-packages folder")
    return found[0]


def _matches(digest: bytes, recorded: str) -> bool:
    """RECORD's hash is urlsafe base64 without padding; some wheels in the wild (qasync 0.28.0) write hex."""
    return recorded in (base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"), digest.hex())


def installed(site: Path) -> dict[str, Path]:
    """Normalized distribution name -> its .dist-info folder."""
    found = {}
    for info in site.glob("*.dist-info"):
        name = info.name.removesuffix(".dist-info").rsplit("-", 1)[0]
        found[normalized(name)] = info
    return found


def damaged_files(info: Path) -> list[str]:
    """The files of one distribution whose RECORD hash does not match (or that are gone), as RECORD names."""
    site = info.parent
    try:
        rows = list(csv.reader((info / "RECORD").read_text(encoding="utf-8").splitlines()))
    except OSError:
        return [f"{info.name}/RECORD"]
    damaged = []
    for row in rows:
        if len(row) < 2 or not row[1].startswith("sha256="):
            continue  # RECORD itself and files written after install (.pyc) carry no hash
        path = site / row[0]
        try:
            if not _matches(bytes.fromhex(file_digest(path)), row[1].removeprefix("sha256=")):
                damaged.append(row[0])
        except OSError:
            damaged.append(row[0])
    return damaged


def locked_names(lock: Path) -> list[str]:
    """The distributions requirements.lock pins for every platform (lines with a marker are left out:
    whether they apply here is uv's to say)."""
    names = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")) or ";" in line:
            continue
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*==", line)
        if match:
            names.append(normalized(match[1]))
    return names


@dataclass
class Findings:
    damaged: dict[str, list[str]] = field(default_factory=dict)  # distribution -> its damaged files
    missing: list[str] = field(default_factory=list)  # locked distributions not installed

    @property
    def names(self) -> list[str]:
        return sorted({*self.damaged, *self.missing})


def check(env: Path, payload: Payload) -> Findings:
    site = site_packages(env)
    dists = installed(site)
    findings = Findings()
    for name, info in sorted(dists.items()):
        files = damaged_files(info)
        if files:
            findings.damaged[name] = files
    expected = [*locked_names(payload.lock), "torch", "studio"]
    findings.missing = [name for name in expected if name not in dists]
    return findings


def python_starts(env: Path) -> bool:
    try:
        return (
            subprocess.run([str(env_python(env)), "-I", "-c", "pass"], capture_output=True, timeout=60).returncode == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False


def repair(provisioner: Provisioner) -> str:
    """Check the environment and reinstall what is damaged or missing; what was repaired, in a sentence."""
    p = provisioner
    env = ready_env(p.home, p.key)
    if env is None or not python_starts(env):
        if env is not None:
            remove_tree(env)  # its Python is gone or broken: only a new environment mends that
        p.ensure()
        return "The installation was set up again from the start."
    findings = check(env, p.payload)
    if not findings.names:
        return "Nothing was damaged: every installed file matches its record."
    with p._session():
        _reinstall(p, env, findings.names)
        still = check(env, p.payload).names
        if still:  # the cache's copy is damaged too (a hard-linked cache): fetch those afresh
            p.run_uv(["cache", "clean", *still], lambda _line: None)
            _reinstall(p, env, still)
            still = check(env, p.payload).names
    if still:
        raise LauncherError(f"{', '.join(still)} could not be repaired: use Uninstall, then start Studio again")
    done = []
    if findings.damaged:
        files = sum(len(files) for files in findings.damaged.values())
        done.append(f"repaired {', '.join(sorted(findings.damaged))} ({files} damaged file{'s' * (files != 1)})")
    if findings.missing:
        done.append(f"reinstalled the missing {', '.join(findings.missing)}")
    return "Repair installation " + " and ".join(done) + "."


def _reinstall(p: Provisioner, env: Path, names: list[str]) -> None:
    """The build's install commands again, with these distributions reinstalled."""
    again = [arg for name in names for arg in ("--reinstall-package", name)]
    torch_args = [] if p.backend == "default" else ["--torch-backend", p.backend]
    p._uv_step(1, 4, "Repairing PyTorch", p.pip("install", env, *again, p.payload.torch_pin, *torch_args))
    p._uv_step(
        2, 4, "Repairing the studio's libraries", p.pip("install", env, "--no-deps", *again, "-r", str(p.payload.lock))
    )
    p._uv_step(3, 4, "Repairing Studio", p.pip("install", env, "--no-deps", *again, str(p.payload.wheel)))
    p._uv_step(4, 4, "Checking the installation", p.pip("check", env), CHECKING)
