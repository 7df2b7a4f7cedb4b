"""The editor's own choices that outlive a session: the models folder, the workers jobs run on, the
window's size and dock layout, whether the last project reopens at start, the last export folder, and
the folder each kind of file (images, media, projects, timelines) was last chosen from. An ini file
(studio.ini) in the studio's settings folder (core.settings.settings_dir(), which $STUDIO_CONFIG moves:
tests never touch the user's)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings, QStandardPaths
from PySide6.QtWidgets import QMainWindow

from ..core.settings import settings_dir

SETTINGS_FILE = "studio.ini"

# Where a kind of file's dialog opens before the editor has chosen one: the desktop's folder for it.
FIRST_FOLDERS = {
    "images": QStandardPaths.StandardLocation.PicturesLocation,
    "media": QStandardPaths.StandardLocation.MoviesLocation,
    "projects": QStandardPaths.StandardLocation.DocumentsLocation,
    "timelines": QStandardPaths.StandardLocation.DocumentsLocation,
}


class UiSettings:
    def __init__(self) -> None:
        self._q = QSettings(str(settings_dir() / SETTINGS_FILE), QSettings.Format.IniFormat)

    @property
    def path(self) -> Path:
        return Path(self._q.fileName())

    def _folder(self, key: str) -> str | None:
        value = self._q.value(key, "")
        return str(value) if value else None

    def _set_folder(self, key: str, folder: str | Path | None) -> None:
        self._q.setValue(key, str(folder) if folder else "")
        self._q.sync()

    @property
    def models_dir(self) -> str | None:
        """The models folder chosen in Generate → Models…; None: only the default places."""
        return self._folder("models/folder")

    @models_dir.setter
    def models_dir(self, folder: str | Path | None) -> None:
        self._set_folder("models/folder", folder)

    @property
    def workers(self) -> dict[str, str]:
        """Generate → Workers…: {"gpus": "0,2"|"all"} or {"workers": "N"} or {"cluster": ADDRESS}; {}: one worker."""
        choice = {key: str(self._q.value(f"engine/{key}", "")) for key in ("gpus", "workers", "cluster")}
        return {key: value for key, value in choice.items() if value}

    @workers.setter
    def workers(self, choice: dict[str, str]) -> None:
        for key in ("gpus", "workers", "cluster"):
            self._q.setValue(f"engine/{key}", choice.get(key, ""))
        self._q.sync()

    @property
    def reopen_last_project(self) -> bool:
        """File → Reopen Last Project at Start: on (the default), the editor opens the project it last had."""
        return bool(self._q.value("start/reopenLastProject", True, type=bool))

    @reopen_last_project.setter
    def reopen_last_project(self, on: bool) -> None:
        self._q.setValue("start/reopenLastProject", on)
        self._q.sync()

    @property
    def export_folder(self) -> str | None:
        """Where the last export was written: the next export dialog starts there."""
        return self._folder("export/folder")

    @export_folder.setter
    def export_folder(self, folder: str | Path | None) -> None:
        self._set_folder("export/folder", folder)

    def start_folder(self, kind: str) -> str:
        """Where a file dialog for `kind` (a FIRST_FOLDERS key) opens: the folder last chosen from while it is
        still there, else the desktop's folder for the kind, else home; never the folder the studio was started
        from, which Qt's dialogs take for an empty one."""
        last = self._folder(f"folders/{kind}")
        first = QStandardPaths.writableLocation(FIRST_FOLDERS[kind])
        for folder in (last, first):
            if folder and Path(folder).is_dir():
                return folder
        return str(Path.home())

    def remember_folder(self, kind: str, chosen: str | Path) -> None:
        """The folder of a file just chosen for `kind` (or of a .studio project, or a plain folder chosen): its
        next dialog opens there."""
        path = Path(chosen)
        self._set_folder(f"folders/{kind}", path if path.is_dir() and path.suffix != ".studio" else path.parent)

    def save_window(self, window: QMainWindow) -> None:
        self._q.setValue("window/geometry", window.saveGeometry())
        self._q.setValue("window/state", window.saveState())
        self._q.sync()

    def restore_window(self, window: QMainWindow) -> bool:
        """The window's last size, place and dock layout; False when there is none (a first start)."""
        geometry, state = self._q.value("window/geometry"), self._q.value("window/state")
        restored = False
        if isinstance(geometry, QByteArray | bytes) and geometry:
            restored = window.restoreGeometry(QByteArray(geometry))
        if isinstance(state, QByteArray | bytes) and state:
            restored = window.restoreState(QByteArray(state)) or restored
        return restored
