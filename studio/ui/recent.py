"""File → Open Recent: the last projects opened or saved, most recent first, kept in QSettings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QMenu

KEY = "recentProjects"
LIMIT = 10


class RecentProjects(QObject):
    """Fills a menu with recent project folders; a click calls `open_project(path)`."""

    def __init__(
        self,
        menu: QMenu,
        open_project: Callable[[str], None],
        message: Callable[[str], None],
        settings: QSettings | None = None,
    ) -> None:
        super().__init__(menu)
        self.menu = menu
        self.settings = settings or QSettings()
        self._open_project = open_project
        self._message = message
        self._rebuild()

    def paths(self) -> list[str]:
        value = self.settings.value(KEY, [])
        if isinstance(value, str):  # QSettings hands back a one-item list as a plain string
            value = [value]
        return [str(p) for p in value or []]

    def last(self) -> str | None:
        """The project opened or saved most recently."""
        paths = self.paths()
        return paths[0] if paths else None

    def _store(self, paths: list[str]) -> None:
        self.settings.setValue(KEY, paths[:LIMIT])
        self.settings.sync()
        self._rebuild()

    def add(self, folder: str | Path) -> None:
        folder = str(Path(folder).absolute())
        self._store([folder, *(p for p in self.paths() if p != folder)])

    def remove(self, folder: str) -> None:
        self._store([p for p in self.paths() if p != folder])

    def _rebuild(self) -> None:
        self.menu.clear()
        for number, path in enumerate(self.paths(), start=1):
            action = self.menu.addAction(f"&{number % 10} {Path(path).stem}")
            action.setStatusTip(path)
            action.setToolTip(path)
            action.setData(path)
            action.triggered.connect(lambda _=False, p=path: self.open(p))
        self.menu.setEnabled(bool(self.paths()))

    def open(self, path: str) -> None:
        if not (Path(path) / "project.json").exists():
            self.remove(path)
            self._message(f"{path} is no longer there; removed it from Open Recent")
            return
        self._open_project(path)
