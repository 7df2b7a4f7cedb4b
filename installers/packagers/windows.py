"""The Windows package: Studio-<version>-windows-x86_64-setup.exe, compiled by Inno Setup's ISCC from
installers/windows/studio.iss (the Start-menu entry, .otio and .studio associations, the uninstaller
that runs `Studio.exe --uninstall`: the script says what each does and what works)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from . import BuildError

SCRIPT = Path(__file__).resolve().parents[1] / "windows" / "studio.iss"


def find_iscc() -> Path | None:
    """ISCC.exe on PATH, else where Inno Setup 6 installs itself (choco install innosetup)."""
    found = shutil.which("iscc") or shutil.which("ISCC")
    if found:
        return Path(found)
    for base in (os.environ.get("ProgramFiles(x86)"), os.environ.get("ProgramFiles")):
        if base and (Path(base) / "Inno Setup 6" / "ISCC.exe").is_file():
            return Path(base) / "Inno Setup 6" / "ISCC.exe"
    return None


def package(
    folder: Path, payload: Path, python: Path, icon: Path, version: str, out: Path, say: Callable[[str], None]
) -> Path:
    shutil.copytree(payload, folder / "payload", dirs_exist_ok=True)
    ico = folder.parent / "studio.ico"
    subprocess.run(
        [str(python), "-c", "import sys; from PIL import Image; Image.open(sys.argv[1]).save(sys.argv[2])", str(icon),
         str(ico)],
        check=True,
    )  # fmt: skip
    iscc = find_iscc()
    assert iscc is not None  # build.py checked before any step
    out.mkdir(parents=True, exist_ok=True)
    say(f"compiling the installer ({iscc.name} {SCRIPT.name})")
    result = subprocess.run(
        [str(iscc), "/Q", f"/DAppVersion={version}", f"/DSourceDir={folder}", f"/DOutputDir={out}",
         f"/DIconFile={ico}", str(SCRIPT)],
        capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode != 0:
        raise BuildError(f"ISCC failed: {(result.stderr or result.stdout).strip()[-2000:]}")
    return out / f"Studio-{version}-windows-x86_64-setup.exe"
