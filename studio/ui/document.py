"""The open project as the editor sees it: the core Project, its undo stack, and change signals.

Every edit goes through `push`, which wraps a core command in a QUndoCommand, so Edit → Undo
covers it and views redraw from the `changed` signal rather than editing the model themselves.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core import store
from ..core.commands import Command, EditError
from ..core.project import Project


class _UndoableEdit(QUndoCommand):
    def __init__(self, document: Document, commands: list[Command], text: str) -> None:
        super().__init__(text)
        self._document = document
        self._commands = commands
        self._already_applied = False

    def redo(self) -> None:
        if self._already_applied:  # QUndoStack.push calls redo(); push() applied it already
            self._already_applied = False
            return
        self.apply()
        self._document.edited.emit(f"Redo: {self.text()}")

    def apply(self) -> None:
        applied = []
        try:
            for command in self._commands:
                command.apply(self._document.project)
                applied.append(command)
        except EditError:
            for command in reversed(applied):  # a group is all or nothing
                command.revert(self._document.project)
            raise
        self._document.changed.emit()

    def undo(self) -> None:
        for command in reversed(self._commands):
            command.revert(self._document.project)
        self._document.changed.emit()
        self._document.edited.emit(f"Undo: {self.text()}")


class Document(QObject):
    changed = Signal()  # the project's content changed (an edit, undo or redo)
    replaced = Signal()  # a different project was opened or created
    path_changed = Signal()
    # What an edit, undo or redo did ("Ripple delete", "Undo: Trim clip"), for the status bar; an action
    # with more to say ("Split clip at 00:00:01:00") says it after the push, over this.
    edited = Signal(str)

    def __init__(self, project: Project | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.setUndoLimit(1000)
        self.untitled = False
        self.project = project or self._scratch_project()

    def _scratch_project(self) -> Project:
        """A new project lives in a scratch folder until Save As, so takes have somewhere to go."""
        project = Project.new("Untitled")
        store.save(project, Path(tempfile.mkdtemp(prefix="studio-")) / "Untitled.studio")
        self.untitled = True
        return project

    @property
    def folder(self) -> Path:
        return self.project.folder

    @property
    def media_dir(self) -> Path:
        return self.project.folder / "media"

    @property
    def cache_dir(self) -> Path:
        return self.project.folder / "cache"

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def push(self, commands: Command | list[Command], text: str | None = None) -> None:
        """Apply an edit as one undo step. Raises EditError (project unchanged) if it is refused."""
        commands = commands if isinstance(commands, list) else [commands]
        edit = _UndoableEdit(self, commands, text or commands[0].text)
        edit.apply()  # first, so a refused edit never reaches the stack
        edit._already_applied = True
        self.undo_stack.push(edit)
        self.edited.emit(edit.text())

    # Files

    def forget_scratch(self) -> None:
        """Remove the scratch folder of an untitled project that holds nothing but its project.json
        (no take, no media, no cache, no autosave): a new project's, left behind for good in the
        temporary folder when another is opened or the studio closes. One with anything else in it stays."""
        if not self.untitled:
            return
        folder = self.project.folder
        scratch = folder.parent
        if scratch.parent != Path(tempfile.gettempdir()) or not scratch.name.startswith("studio-"):
            return
        if [p for p in scratch.rglob("*") if not p.is_dir() or p.is_symlink()] != [folder / "project.json"]:
            return
        shutil.rmtree(scratch, ignore_errors=True)

    def new(self) -> None:
        self.forget_scratch()
        self.project = self._scratch_project()
        self.undo_stack.clear()
        self.replaced.emit()
        self.path_changed.emit()

    def open(self, path: str | Path) -> None:
        project = store.load(path)  # raises ProjectError; the open project stays as it was
        self.forget_scratch()
        self.project = project
        self.untitled = False
        self.undo_stack.clear()
        self.replaced.emit()
        self.path_changed.emit()

    def adopt(self, project: Project) -> None:
        """Open a project made elsewhere (an imported timeline): untitled, in a scratch folder until
        Save As, like a new one."""
        self.forget_scratch()
        store.save(project, Path(tempfile.mkdtemp(prefix="studio-")) / f"{project.name or 'Imported'}.studio")
        self.project = project
        self.untitled = True
        self.undo_stack.clear()
        self.replaced.emit()
        self.path_changed.emit()

    def save(self, path: str | Path | None = None) -> Path:
        folder = store.save(self.project, path)
        self.untitled = False
        self.undo_stack.setClean()
        self.path_changed.emit()
        return folder
