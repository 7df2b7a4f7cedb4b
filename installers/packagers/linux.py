"""The Linux package: Studio-<version>-linux-<arch>.tar.gz holding Studio/ — the frozen launcher, its
payload, the icon, install.sh and uninstall.sh (installers/linux/). A tarball, not an AppImage:
appimagetool is only distributed through GitHub's releases."""

from __future__ import annotations

import os
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parents[1] / "linux"


def assemble(folder: Path, payload: Path, icon: Path) -> None:
    """Put the payload, icon and scripts into the frozen Studio/ folder."""
    shutil.copytree(payload, folder / "payload", dirs_exist_ok=True)
    (folder / "payload" / "uv").chmod(0o755)
    shutil.copy2(icon, folder / "studio.png")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(SCRIPTS / script, folder / script)
        (folder / script).chmod(0o755)


def package(
    folder: Path, payload: Path, icon: Path, version: str, arch: str, out: Path, say: Callable[[str], None]
) -> Path:
    assemble(folder, payload, icon)
    out.mkdir(parents=True, exist_ok=True)
    tarball = out / f"Studio-{version}-linux-{arch}.tar.gz"
    say(f"packing {tarball.name}")
    partial = tarball.with_name(tarball.name + ".partial")  # renamed when whole: no half package in dist/
    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        archive.add(folder, arcname="Studio")
    os.replace(partial, tarball)
    return tarball
