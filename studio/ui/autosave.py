"""Never lose work: timed autosaves of the open project, a session marker, and crash recovery.

Every minute (QSettings autosave/intervalSeconds; autosave/keep says how many to keep) the
Autosaver writes the project, when it has unsaved changes, as a new rotating file in its autosave/
folder (core.autosave). While a project is open, its folder holds a session lock and the user's
app-data folder a session record; a clean close removes both. When a project is opened whose lock
was left by a process that no longer runs, or the studio starts after one stopped that way, and an
autosave newer than project.json loads, the person is asked: Recover (the autosave becomes an
unsaved, undoable change), Open Saved, or Cancel. Recovery never writes project.json; saving is
the person's decision.
"""

from __future__ import annotations

import errno
import uuid
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, QStandardPaths, QTimer, Signal
from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import QMessageBox, QWidget

from ..core import autosave, store
from ..core.project import Project
from .document import Document

INTERVAL_MS = 60_000


class Answer(Enum):
    RECOVER = "recover"
    OPEN_SAVED = "open saved"
    CANCEL = "cancel"


def sessions_dir() -> Path:
    """Where session records live: the user's app-data folder for this application."""
    return Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)) / "sessions"


def ask_recovery(parent: QWidget | None, folder: Path, autosave_path: Path) -> Answer:
    """Ask the person what to do with work the studio autosaved before it stopped."""
    when = datetime.fromtimestamp(autosave_path.stat().st_mtime).strftime("%Y-%m-%d %H:%M:%S")
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Recover unsaved work",
        f"The studio did not close properly while {folder.name} was open.\n\n"
        f"An autosave from {when} is newer than the saved project. Recover it? "
        "It opens as unsaved changes; project.json stays as it is until you save.",
        parent=parent,
    )
    recover = box.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
    saved = box.addButton("Open Saved", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(recover)
    box.exec()
    clicked = box.clickedButton()
    return Answer.RECOVER if clicked is recover else Answer.OPEN_SAVED if clicked is saved else Answer.CANCEL


class _RecoverAutosave(QUndoCommand):
    """The recovered project as one undo step: undo goes back to the project as saved."""

    def __init__(self, document: Document, recovered: Project, text: str) -> None:
        super().__init__(text)
        self._document = document
        self._saved = document.project
        self._recovered = recovered

    def _show(self, project: Project) -> None:
        self._document.project = project
        self._document.replaced.emit()
        self._document.changed.emit()

    def redo(self) -> None:
        self._show(self._recovered)

    def undo(self) -> None:
        self._show(self._saved)


class Autosaver(QObject):
    message = Signal(str)  # for the status bar
    autosaved = Signal(Path)

    def __init__(
        self,
        document: Document,
        parent: QWidget | None = None,
        interval_ms: int | None = None,
        keep: int | None = None,
        sessions: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.document = document
        settings = QSettings()  # autosave/intervalSeconds and autosave/keep, when a person set them
        if interval_ms is None:
            interval_ms = int(float(settings.value("autosave/intervalSeconds", INTERVAL_MS / 1000)) * 1000)
        self.keep = keep if keep is not None else int(settings.value("autosave/keep", autosave.KEEP))
        self.sessions = sessions if sessions is not None else sessions_dir()
        # Replace to answer without a dialog (tests, or a policy): (folder, autosave) -> Answer.
        self.ask: Callable[[Path, Path], Answer] = lambda folder, path: ask_recovery(parent, folder, path)
        self._token = uuid.uuid4().hex
        self._folder: Path | None = None
        self._dirty = document.is_modified()

        # The write is small JSON from memory (no media is touched), so the Qt thread can do it.
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.autosave_now)
        self.timer.start()

        document.changed.connect(self._on_changed)
        document.replaced.connect(self._follow_folder)
        document.path_changed.connect(self._follow_folder)
        self._follow_folder()

    # Autosaving

    def _on_changed(self) -> None:
        self._dirty = True

    def autosave_now(self) -> Path | None:
        """Write an autosave if there are unsaved changes not yet autosaved. Returns its path."""
        if not self._dirty or not self.document.is_modified():
            return None
        try:
            path = autosave.write_autosave(self.document.project, keep=self.keep)
        except (OSError, store.ProjectError) as exc:
            if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:  # Save would fail the same way
                self.message.emit("Autosave failed: the disk is full. Free some space, or Save As elsewhere.")
            else:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
                self.message.emit(f"Autosave failed: {reason}. Save the project to keep your work.")
            return None
        self._dirty = False
        self.message.emit(f"Autosaved at {datetime.now():%H:%M}")
        self.autosaved.emit(path)
        return path

    # The session marker

    def _follow_folder(self) -> None:
        """Keep the lock and the session record on the folder of the project that is open now."""
        folder = self.document.folder.absolute()
        if folder != self._folder:
            if self._folder is not None:
                autosave.release_lock(self._folder, self._token)
            self._folder = folder
            self._dirty = self.document.is_modified()
            try:
                autosave.write_lock(folder, self._token)
            except (OSError, store.ProjectError) as exc:
                self.message.emit(f"Cannot mark {folder} as open ({exc}); crash recovery is off for it")
        try:  # also refreshed on save, which can turn an untitled project into a named one
            autosave.write_session(self.sessions, self._token, folder, self.document.untitled)
        except OSError as exc:
            self.message.emit(f"Cannot write the session record ({exc}); crash recovery is off")

    def close(self) -> None:
        """A clean close: nothing left to recover."""
        self.timer.stop()
        if self._folder is not None:
            autosave.release_lock(self._folder, self._token)
        autosave.remove_session(self.sessions, self._token)

    # Recovery

    def check(self, folder: Path, crashed: bool | None = None) -> tuple[Answer, autosave.Recovery | None]:
        """Whether opening `folder` should recover an autosave; asks the person when it might.
        `crashed` None reads the folder's session lock to decide whether its last session crashed."""
        folder = Path(folder).absolute()
        if crashed is None:
            lock = autosave.read_lock(folder)
            crashed = autosave.ended_uncleanly(lock)
            if lock is not None and not crashed and lock.get("token") != self._token:
                self.message.emit(
                    f"{folder.name} is also open in another studio (process {lock.get('pid')}): "
                    "saving here and there overwrites each other's changes"
                )
        if not crashed or not (folder / store.PROJECT_FILE).exists():
            return Answer.OPEN_SAVED, None
        recovery = autosave.newest_recoverable(folder)
        for reason in recovery.skipped:  # damaged autosaves never stop the project from opening
            self.message.emit(f"Autosave {reason}")
        if recovery.project is None:
            return Answer.OPEN_SAVED, None
        return self.ask(folder, recovery.path), recovery

    def open(self, path: str | Path, crashed: bool | None = None) -> bool:
        """Open a project, offering recovery first if its last session crashed. False if the
        person cancelled. Raises ProjectError (nothing changed) if the project cannot be read."""
        answer, recovery = self.check(store.project_folder(path), crashed)
        if answer is Answer.CANCEL:
            return False
        self.document.open(path)
        if answer is Answer.RECOVER:
            self.recover(recovery)
        return True

    def recover(self, recovery: autosave.Recovery) -> None:
        """Show the autosaved project as an unsaved change of the open one (undo returns to saved)."""
        self.document.undo_stack.push(_RecoverAutosave(self.document, recovery.project, "Recover autosave"))
        self._dirty = False  # it is on disk already, as that autosave
        self.message.emit(f"Recovered {recovery.path.name}: save to keep it")

    def recovery_put_off(self) -> bool:
        """Whether a crashed session's work is still waiting to be recovered (the person cancelled the offer)."""
        return bool(autosave.crashed_sessions(self.sessions))

    def open_elsewhere(self, folder: Path) -> bool:
        """Whether another studio running now has `folder` open."""
        lock = autosave.read_lock(Path(folder).absolute())
        return lock is not None and lock.get("token") != self._token and not autosave.ended_uncleanly(lock)

    def recover_previous_session(self) -> bool:
        """At start-up: offer the work of the newest studio session that stopped without closing.
        True if a project was opened from it."""
        for record_path, record in autosave.crashed_sessions(self.sessions):
            folder = Path(record["folder"])
            lock = autosave.read_lock(folder)
            in_use = lock is not None and not autosave.ended_uncleanly(lock)
            if (
                in_use
                or folder.absolute() == self._folder
                or not (folder / store.PROJECT_FILE).exists()
                or not autosave.newer_than_saved(folder)
            ):
                record_path.unlink(missing_ok=True)  # nothing there to recover
                continue
            if self.document.is_modified():
                return False  # never replace work in progress; the record waits for next time
            try:
                opened = self.open(folder, crashed=True)
            except store.ProjectError as exc:
                self.message.emit(f"Cannot recover {folder}: {exc}")
                record_path.unlink(missing_ok=True)
                continue
            if not opened:
                return False  # cancelled: ask again next start
            record_path.unlink(missing_ok=True)
            if record.get("untitled"):  # a scratch project stays untitled: Save asks where
                self.document.untitled = True
                self.document.path_changed.emit()
            return True
        return False
