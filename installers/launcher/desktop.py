"""Studio on the desktop: its entry in the applications menu, its icon, and the files that open in it.

Linux (done here, in the user's XDG folders, at the first start and by --install-desktop):
    $XDG_DATA_HOME/applications/studio.desktop      Name=Studio, Exec=<launcher> %f, Icon=studio, a
                                                     "Repair installation" action, and the MIME types below
    $XDG_DATA_HOME/mime/packages/studio.xml          application/vnd.pixar.opentimelineio+json for *.otio;
                                                     application/x-studio-project for a file named project.json
    $XDG_DATA_HOME/icons/hicolor/256x256/apps/studio.png
then update-desktop-database and update-mime-database, when present (silently skipped when not).

What works on Linux: an .otio file opens in Studio by double-click. A `Name.studio` folder does not: the
shared-mime-info database types files, and file managers (GNOME Files, Dolphin) give every folder
inode/directory without reading its name, so a glob `*.studio` never applies and claiming inode/directory
would make Studio the handler of every folder. So the project's own file, project.json inside the folder,
is registered (a literal glob, which shared-mime-info ranks above `*.json`): opening it opens its project
(the launcher turns .../Name.studio/project.json into the folder). The cost: any other file named
project.json is offered to Studio too, which refuses it with a message.

Windows (the Inno Setup installer registers, per user under HKCU\\Software\\Classes): `.otio` -> a
Studio.Timeline ProgID whose shell\\open\\command is `"<launcher>" "%1"`, with the icon; Windows associates
by extension only, so a `.studio` folder gets an "Open in Studio" verb (Directory\\shell\\Studio, shown only
for folders whose name ends in .studio via an AppliesTo condition `System.FileName:"*.studio"`), and the
uninstaller removes the keys and calls `--uninstall`.

macOS (the .app's Info.plist): CFBundleDocumentTypes for .otio and for .studio, with .studio declared in
UTExportedTypeDeclarations as a package (LSTypeIsPackage, conforming to com.apple.package), so Finder shows a
project folder as one document that opens in Studio. Finder hands the file over as an Apple Event, not on
the command line: PyInstaller's argv_emulation turns it into argv for main().
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

DESKTOP_FILE = "studio.desktop"
MIME_FILE = "studio.xml"
ICON_NAME = "studio"
PROJECT_MIME = "application/x-studio-project"
TIMELINE_MIME = "application/vnd.pixar.opentimelineio+json"

MIME_XML = f"""<?xml version="1.0" encoding="UTF-8"?>
<mime-info xmlns="http://www.freedesktop.org/standards/shared-mime-info">
  <mime-type type="{PROJECT_MIME}">
    <comment>Studio project</comment>
    <sub-class-of type="application/json"/>
    <generic-icon name="{ICON_NAME}"/>
    <glob pattern="project.json" weight="80"/>
  </mime-type>
  <mime-type type="{TIMELINE_MIME}">
    <comment>OpenTimelineIO timeline</comment>
    <sub-class-of type="application/json"/>
    <glob pattern="*.otio"/>
  </mime-type>
</mime-info>
"""


def data_home() -> Path:
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")


def installed_files() -> list[Path]:
    """Every file --install-desktop writes (and --uninstall removes)."""
    home = data_home()
    return [
        home / "applications" / DESKTOP_FILE,
        home / "mime" / "packages" / MIME_FILE,
        home / "icons" / "hicolor" / "256x256" / "apps" / f"{ICON_NAME}.png",
    ]


def launcher_command() -> list[str]:
    """How the desktop starts this launcher: the frozen program, or this Python running main.py."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, str(Path(__file__).resolve().parent / "main.py")]


def exec_quote(argument: str) -> str:
    """One argument of a desktop entry's Exec key, quoted as the Desktop Entry Specification says."""
    if argument and not any(c in argument for c in " \t\n\"'\\><~|&;$*?#()`%="):
        return argument
    escaped = "".join("\\" + c if c in '"`$\\' else c for c in argument)
    return '"' + escaped.replace("%", "%%") + '"'


def desktop_entry(command: list[str]) -> str:
    launcher = " ".join(exec_quote(part) for part in command)
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=Studio\n"
        "GenericName=AI film studio\n"
        "Comment=Generate shots on your own GPU and cut them on a timeline\n"
        f"Exec={launcher} %f\n"
        f"Icon={ICON_NAME}\n"
        "Terminal=false\n"
        "Categories=AudioVideo;Video;AudioVideoEditing;\n"
        f"MimeType={PROJECT_MIME};{TIMELINE_MIME};\n"
        "Actions=repair;\n"
        "\n"
        "[Desktop Action repair]\n"
        "Name=Repair installation\n"
        f"Exec={launcher} --repair\n"
    )


def install_desktop() -> list[Path]:
    """Write the desktop entry, MIME types and icon into the user's XDG folders; the files written."""
    from .icon import write_icon

    desktop, mime, icon = installed_files()
    for path in (desktop, mime):
        path.parent.mkdir(parents=True, exist_ok=True)
    desktop.write_text(desktop_entry(launcher_command()), encoding="utf-8")
    mime.write_text(MIME_XML, encoding="utf-8")
    write_icon(icon)
    _refresh_databases()
    return [desktop, mime, icon]


def uninstall_desktop() -> list[Path]:
    """Remove what install_desktop wrote; the files removed."""
    removed = [path for path in installed_files() if path.exists()]
    for path in removed:
        path.unlink()
    if removed:
        _refresh_databases()
    mime = data_home() / "mime"
    if (mime / "packages").is_dir() and not any((mime / "packages").iterdir()):
        # nothing is left to build the MIME database from: what update-mime-database made is ours alone
        shutil.rmtree(mime, ignore_errors=True)
    return removed


def _refresh_databases() -> None:
    """Let the desktop see the change now; without these tools it does at the next login."""
    home = data_home()
    for tool, folder in (("update-desktop-database", home / "applications"), ("update-mime-database", home / "mime")):
        program = shutil.which(tool)
        if program and folder.is_dir():
            subprocess.run([program, str(folder)], capture_output=True, timeout=60, check=False)
