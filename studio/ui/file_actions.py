"""The File menu's actions: new, open (and the last project, at start), save, save as, import and export
of timelines, export of the sequence and purging unused takes. Each asks what it needs in a dialog
parented to the window and says what happened in the status bar."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget

from ..core.store import PROJECT_FILE, ProjectError
from ..media.interchange import InterchangeError, read_timeline, write_timeline
from .autosave import Autosaver
from .document import Document
from .export_dialog import ExportDialog
from .generation import GenerationController
from .purge import purge_unused_media
from .ui_settings import UiSettings
from .viewer import ViewerWidget


class FileActions(QObject):
    message = Signal(str)

    def __init__(
        self,
        document: Document,
        autosaver: Autosaver,
        viewer: ViewerWidget,
        jobs: GenerationController,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self.document = document
        self.autosaver = autosaver
        self.viewer = viewer  # its in and out marks are the export's range
        self.jobs = jobs
        self.window = window  # the dialogs' parent
        self.export_dialog: ExportDialog | None = None

    def confirm_discard(self) -> bool:
        """True when it is fine to drop the current project (saved, or the user said so)."""
        if not self.document.is_modified():
            return True
        answer = QMessageBox.question(
            self.window,
            "Unsaved changes",
            "Save the changes to this project first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self.confirm_discard():
            self.document.new()

    def export_timeline(self, path: str | None = None) -> None:
        """The sequence as a timeline another editor opens: .otio, .otioz (with media), FCP XML, EDL."""
        if not path:
            settings = UiSettings()
            path, _ = QFileDialog.getSaveFileName(
                self,
                "Export timeline",
                str(Path(settings.start_folder("timelines")) / f"{self.document.project.name}.otio"),
                "OpenTimelineIO (*.otio);;OpenTimelineIO with media (*.otioz);;Final Cut Pro 7 XML — Premiere, "
                "Resolve (*.xml);;CMX 3600 EDL — Avid (*.edl)",
            )
            if not path:
                return
            settings.remember_folder("timelines", path)
        try:
            out = write_timeline(self.document.project, path)
        except InterchangeError as exc:
            QMessageBox.warning(self.window, "Cannot export the timeline", str(exc))
            return
        self.message.emit(f"Timeline written to {out}")

    def import_timeline(self, path: str | None = None) -> None:
        """A timeline file as a new project (untitled until saved); its media stays where it is."""
        if not self.confirm_discard():
            return
        if not path:
            settings = UiSettings()
            path, _ = QFileDialog.getOpenFileName(
                self.window,
                "Import timeline",
                settings.start_folder("timelines"),
                "Timelines (*.otio *.otioz *.xml *.edl)",
            )
            if not path:
                return
            settings.remember_folder("timelines", path)
        try:
            project = read_timeline(path, rate=float(self.document.project.sequence.fps))
        except InterchangeError as exc:
            QMessageBox.warning(self.window, "Cannot import the timeline", str(exc))
            return
        self.document.adopt(project)
        offline = sum(project.is_offline(m) for m in project.media.values())
        clips = sum(len(t.clips) for t in project.sequence.tracks)
        self.message.emit(
            f"Imported {clips} clips from {Path(path).name}"
            + (f"; {offline} media file(s) are offline" if offline else "")
        )

    def open_project(self, path: str | None = None) -> None:
        if not self.confirm_discard():
            return
        if not path:
            settings = UiSettings()
            path = QFileDialog.getExistingDirectory(
                self.window, "Open project (a .studio folder)", settings.start_folder("projects")
            )
            if not path:
                return
            settings.remember_folder("projects", path)
        try:
            if not self.autosaver.open(path):  # offers recovery if it was open when the studio stopped
                return
        except ProjectError as exc:
            QMessageBox.warning(self.window, "Cannot open project", str(exc))
            return
        from ..core.temporaries import sweep  # what a killed studio left half-written in the project

        sweep(self.document.folder)
        offline = [
            m.name or m.path for m in self.document.project.media.values() if self.document.project.is_offline(m)
        ]
        if offline:
            self.message.emit(f"{len(offline)} media file(s) are offline: {', '.join(offline[:3])}")

    def reopen_at_start(self, last: str | None) -> None:
        """At start, when the command line named nothing and no crashed session was recovered: the project
        the editor last opened or saved, as a desk editor's tool does. Not when File → Reopen Last Project at
        Start is off, when a crashed session's recovery was put off (it asks again next start), or when
        another studio running now has the project open (two editors saving one project lose work)."""
        if not last or not UiSettings().reopen_last_project or self.autosaver.recovery_put_off():
            return
        folder = Path(last)
        if not (folder / PROJECT_FILE).is_file():
            self.message.emit(f"{folder.name}, the project open last time, is no longer at {folder}: File → Open")
            return
        if self.autosaver.open_elsewhere(folder):
            self.message.emit(f"{folder.name} is open in another studio: not reopened here")
            return
        self.open_project(str(folder))

    def save(self) -> bool:
        if self.document.untitled:
            return self.save_as()
        return self.save_to(None)

    def save_as(self) -> bool:
        settings = UiSettings()
        start = Path(settings.start_folder("projects")) / f"{self.document.project.name or 'Untitled'}.studio"
        path, _ = QFileDialog.getSaveFileName(self.window, "Save project as", str(start), "Studio project (*.studio)")
        if path:
            settings.remember_folder("projects", path)
        return bool(path) and self.save_to(path)

    def save_to(self, path: str | None) -> bool:
        try:
            folder = self.document.save(path)
        except (ProjectError, OSError) as exc:
            QMessageBox.warning(self.window, "Cannot save project", str(exc))
            return False
        self.message.emit(f"Saved {folder}")
        return True

    def export(self) -> None:
        project = self.document.project
        if project.sequence.duration == 0:
            self.message.emit("The sequence is empty: generate or add a shot before exporting")
            return
        default = (project.folder.parent if not self.document.untitled else Path.home()) / f"{project.name}.mp4"
        marks = (self.viewer.mark_in, self.viewer.mark_out)
        self.export_dialog = ExportDialog(project, default, self.window, marks=marks)
        self.export_dialog.show()

    def purge_unused_media(self) -> None:
        removed = purge_unused_media(self.window, self.document.project, keep=set(self.jobs.pending_takes()))
        if removed:
            self.message.emit(f"Purged {len(removed)} unused media file(s)")
