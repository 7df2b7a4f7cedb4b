"""The macOS package: Studio-<version>-macos-arm64.dmg holding Studio.app (PyInstaller's BUNDLE, its
document types from installers/macos/Info.plist) and a link to /Applications to drag it onto.
The app is signed ad hoc only (no Developer ID, not notarized): Gatekeeper asks the user to confirm
the first start (right-click, Open)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path


def package(app: Path, payload: Path, version: str, out: Path, say: Callable[[str], None]) -> Path:
    # Beside the executable, where the launcher looks (Path(sys.executable).parent / "payload").
    shutil.copytree(payload, app / "Contents" / "MacOS" / "payload", dirs_exist_ok=True)
    say("signing Studio.app ad hoc (the payload changed the bundle PyInstaller had signed)")
    subprocess.run(["codesign", "--force", "--deep", "--sign", "-", str(app)], check=True)
    staging = app.parent / "dmg"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    shutil.copytree(app, staging / "Studio.app", symlinks=True)
    (staging / "Applications").symlink_to("/Applications")
    out.mkdir(parents=True, exist_ok=True)
    dmg = out / f"Studio-{version}-macos-arm64.dmg"
    say(f"making {dmg.name} (hdiutil)")
    subprocess.run(
        ["hdiutil", "create", "-volname", "Studio", "-srcfolder", str(staging), "-ov", "-format", "UDZO", str(dmg)],
        check=True,
        capture_output=True,
    )
    return dmg
