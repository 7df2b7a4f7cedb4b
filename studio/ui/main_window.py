"""The studio's main window: prompt panel, viewer, timeline and jobs, with the menus that drive them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QWidget,
)

from ..core.commands import AddClip, AddMedia, EditError, SetSequenceFormat, SplitClip, UseTake
from ..core.commands import DeleteClip as DeleteClipCommand
from ..core.project import Clip, MediaItem, MediaKind, TrackKind, new_id
from ..core.recipe import Condition, Mode
from ..core.store import ProjectError
from ..core.timebase import FrameRate
from ..engine import jobs
from ..engine.modes import overlap_frames
from ..engine.requests import RequestError, available_models, resolve_model
from .autosave import Autosaver
from .document import Document
from .engine_bridge import EngineBridge
from .export_dialog import ExportDialog
from .inspector import Inspector
from .jobs_panel import JobsPanel
from .media_bin import MediaBin
from .prompt_panel import PromptPanel
from .purge import purge_unused_media
from .recent import RecentProjects
from .timeline import Placeholder, TimelineWidget
from .viewer import ViewerWidget


def _valid_at_least(frames: int, step: int) -> int:
    """The smallest step*n + 1 frame count not below `frames`: an extension never comes up short."""
    return -(-(frames - 1) // step) * step + 1


@dataclass
class _Extension:
    clip_id: str
    edge: str  # "left" or "right"
    frames: int  # how far the edge was dragged past the media
    old_frames: int  # the extended take's length before


@dataclass
class _PendingShot:
    take_id: str  # the media id its take will get
    extension: _Extension | None = None


class MainWindow(QMainWindow):
    def __init__(self, service, document: Document | None = None) -> None:
        super().__init__()
        self.document = document or Document()
        self.service = service
        self.bridge = EngineBridge(service, self)
        self.bridge.event.connect(self._on_job_event)
        self._pending: dict[str, _PendingShot] = {}  # job id -> what its take becomes
        self.export_dialog: ExportDialog | None = None

        self.viewer = ViewerWidget(self.document)
        self.timeline = TimelineWidget(self.document)
        self.prompt_panel = PromptPanel()
        self.jobs_panel = JobsPanel()
        self.media_bin = MediaBin(self.document)
        self.inspector = Inspector(self.document)

        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.viewer)
        splitter.addWidget(self.timeline)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)
        self._dock("Shot", self.prompt_panel, Qt.DockWidgetArea.LeftDockWidgetArea)
        jobs_dock = self._dock("Jobs", self.jobs_panel, Qt.DockWidgetArea.RightDockWidgetArea)
        media_dock = self._dock("Media", self.media_bin, Qt.DockWidgetArea.RightDockWidgetArea)
        self.splitDockWidget(jobs_dock, media_dock, Qt.Orientation.Vertical)
        self.inspector_dock = self._dock("Inspector", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self.tabifyDockWidget(jobs_dock, self.inspector_dock)
        jobs_dock.raise_()
        self.media_bin.message.connect(self.show_message)
        self.inspector.message.connect(self.show_message)
        self.inspector.media_link.connect(self._select_media)
        self.timeline.selection_changed.connect(self._selection_changed)

        self.timeline.playhead_moved.connect(self.viewer.seek)
        self.viewer.frame_changed.connect(self.timeline.set_playhead)
        self.viewer.marks_changed.connect(self.timeline.set_marks)
        self.timeline.edit_refused.connect(self.show_message)
        self.timeline.extend_requested.connect(self.extend_clip)
        self.timeline.animate_requested.connect(self.animate_stills)
        self.prompt_panel.generate_requested.connect(lambda: self.generate())
        self.prompt_panel.model.currentTextChanged.connect(self._model_changed)
        self.jobs_panel.cancel_requested.connect(self.service.cancel)
        self.document.path_changed.connect(self._update_title)
        self.document.undo_stack.cleanChanged.connect(self._update_title)

        self._build_menus()
        self._install_autosave()
        self.refresh_models()
        self._update_title()
        self.resize(1400, 860)
        self.statusBar().showMessage("Ready")

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                         | QDockWidget.DockWidgetFeature.DockWidgetFloatable)
        self.addDockWidget(area, dock)
        return dock

    def _action(self, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.setStatusTip(tip or text)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New Project", self.new_project, QKeySequence.StandardKey.New)
        self._action(file, "&Open Project…", self.open_project, QKeySequence.StandardKey.Open)
        self.recent_menu = file.addMenu("Open &Recent")
        self._action(file, "&Save", self.save, QKeySequence.StandardKey.Save)
        self._action(file, "Save &As…", self.save_as, QKeySequence.StandardKey.SaveAs)
        file.addSeparator()
        self._action(file, "&Import Media…", self.media_bin.import_dialog, "Ctrl+I",
                     "Import video, image and audio files into the media bin")
        self._action(file, "&Export…", self.export, "Ctrl+M", "Export the sequence to a video file")
        self._action(file, "&Purge Unused Media…", self.purge_unused_media, tip="Move takes nothing uses to the trash")
        file.addSeparator()
        self._action(file, "&Quit", self.close, QKeySequence.StandardKey.Quit)

        edit = bar.addMenu("&Edit")
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        redo.setShortcuts([QKeySequence.StandardKey.Redo, QKeySequence("Ctrl+Shift+Z")])
        edit.addAction(undo)
        edit.addAction(redo)
        edit.addSeparator()
        self._action(edit, "S&plit at Playhead", self.split_at_playhead, "Ctrl+B")
        self._action(edit, "&Delete Clip", self.delete_selected, QKeySequence.StandardKey.Delete)

        view = bar.addMenu("&View")
        self._action(view, "Zoom &In", self.timeline.zoom_in, "=")
        self._action(view, "Zoom &Out", self.timeline.zoom_out, "-")
        self._action(view, "Zoom to &Fit", self.timeline.zoom_to_fit, "Shift+Z")
        snapping = self._action(view, "&Snapping", self._set_snapping, "N",
                                "Snap dragged clips and edges to the playhead, marks and other clips")
        snapping.setCheckable(True)
        snapping.setChecked(self.timeline.snapping)
        self.snapping_action = snapping

        play = bar.addMenu("&Playback")
        self._action(play, "&Play / Pause", self.viewer.toggle_play, "Space")
        self._action(play, "Play &Backwards (again: faster)", lambda: self.viewer.shuttle(-1), "J")
        self._action(play, "Pause", self.viewer.pause, "K")
        self._action(play, "Play &Forwards (again: faster)", lambda: self.viewer.shuttle(1), "L")
        self._action(play, "Previous &Frame", lambda: self.viewer.step(-1), "Left")
        self._action(play, "&Next Frame", lambda: self.viewer.step(1), "Right")
        self._action(play, "Go to &Start", lambda: self.viewer.seek(0), "Home")
        self._action(play, "Go to &End", lambda: self.viewer.seek(max(0, self.document.project.sequence.duration - 1)),
                     "End")
        play.addSeparator()
        self._action(play, "Mark &In", self.viewer.set_mark_in, "I")
        self._action(play, "Mark &Out", self.viewer.set_mark_out, "O")
        self._action(play, "&Clear In and Out", self.viewer.clear_marks, "Alt+X")
        loop = self._action(play, "&Loop Playback", self._set_loop, "Ctrl+L",
                            "Loop between the in and out points (or the whole sequence)")
        loop.setCheckable(True)
        self.loop_action = loop

        generate = bar.addMenu("&Generate")
        self._action(generate, "&Generate Shot", lambda: self.generate(), "Ctrl+Return")

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard Shortcuts", self.show_shortcuts, "F1")
        generate.addSeparator()  # last in the Generate menu: the models its shots are made with
        self._action(generate, "&Models…", self.show_models, tip="The models, where they are, and downloading them")

    def _selection_changed(self, clip_id: str | None) -> None:
        self.inspector.show_clip(clip_id)
        if clip_id is not None:
            self.inspector_dock.raise_()

    def _select_media(self, media_id: str) -> None:
        """A recipe's input was clicked: select the clip that shows that media, if there is one."""
        clip = next((c for t in self.document.project.sequence.tracks for c in t.clips if c.media_id == media_id), None)
        if clip is None:
            self.show_message("That input is not on the timeline")
            return
        self.timeline.select(clip.id)
        self.viewer.seek(clip.start)

    def _set_snapping(self, on: bool) -> None:
        self.timeline.snapping = on

    def _set_loop(self, on: bool) -> None:
        self.viewer.loop = on

    def shortcut_table(self) -> list[tuple[str, str, str]]:
        """(menu, command, keys) for every menu command that has a shortcut, read from the menus
        themselves so the list can never disagree with the keys."""
        rows = []
        for menu_action in self.menuBar().actions():
            menu = menu_action.menu()
            for action in menu.actions() if menu else []:
                keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
                if keys:
                    rows.append((menu_action.text().replace("&", ""), action.text().replace("&", ""), keys))
        return rows

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td>{m}</td><td>{c}</td><td><b>{k}</b></td></tr>" for m, c, k in self.shortcut_table())
        box = QMessageBox(self)
        box.setWindowTitle("Keyboard shortcuts")
        box.setText(f"<table cellspacing='6'>{rows}</table>")
        box.open()  # not modal to the whole app: the editor keeps working
        self.shortcuts_box = box

    def _install_autosave(self) -> None:
        """Timed autosaves, crash recovery (see autosave.py) and File → Open Recent."""
        self.autosaver = Autosaver(self.document, self)
        self.autosaver.message.connect(self.show_message)
        self.recent = RecentProjects(self.recent_menu, self.open_project, self.show_message)
        self.document.path_changed.connect(
            lambda: self.document.untitled or self.recent.add(self.document.folder))

    def purge_unused_media(self) -> None:
        running = {self.document.media_dir / f"{take_id}.mkv" for take_id in self._pending.values()}
        removed = purge_unused_media(self, self.document.project, keep=running)
        if removed:
            self.show_message(f"Purged {len(removed)} unused media file(s)")

    # Status and title

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _update_title(self) -> None:
        name = "Untitled" if self.document.untitled else self.document.project.name
        self.setWindowTitle(f"{name}{' •' if self.document.is_modified() else ''} — Studio")

    def refresh_models(self) -> None:
        self.prompt_panel.set_models(available_models(self.service.models_dir))
        self._model_changed()

    def _model_changed(self, *_: object) -> None:
        """Offer only what the chosen model can do (its card lists its modes)."""
        try:
            card = resolve_model(self.prompt_panel.model_value(), self.service.models_dir, require_weights=False).card
        except RequestError:
            self.prompt_panel.set_image_inputs(True)  # unknown yet: Generate will say what is wrong
            return
        can_animate = Mode.IMAGE_TO_VIDEO in card.modes
        self.prompt_panel.set_image_inputs(can_animate, "" if can_animate else f"{card.name} cannot animate stills")

    # Generation

    def animate_stills(self, stills: list[Path], frame: int) -> None:
        """Stills dropped on the timeline: animate them there with the Shot panel's prompt and
        settings (the first still as the first frame, a second one as the last)."""
        panel = self.prompt_panel
        if not panel.first_frame.isEnabled():
            self.show_message(f"Cannot animate stills: {panel.images_hint.text() or 'choose a model that can'}")
            return
        panel.first_frame.path.setText(str(stills[0]))
        panel.last_frame.path.setText(str(stills[1]) if len(stills) > 1 else "")
        self.generate(at_frame=frame)

    def generate(self, *, at_frame: int | None = None) -> None:
        seq = self.document.project.sequence
        recipe = self.prompt_panel.recipe(fps=float(seq.fps))
        take_id = new_id()
        output = self.document.media_dir / f"{take_id}.mkv"
        name = recipe.prompt if len(recipe.prompt) <= 40 else recipe.prompt[:39] + "…"
        try:  # the service checks and snaps the request before queueing it
            job_id = self.service.submit(recipe, output, name=name, project_folder=self.document.folder)
        except RequestError as exc:
            self.show_message(f"Cannot generate: {exc}")
            QMessageBox.warning(self, "Cannot generate", str(exc))
            return
        self._pending[job_id] = _PendingShot(take_id)
        self.jobs_panel.add(job_id, name)
        job = self.service.job(job_id)
        track = self._video_track()
        wanted = self.timeline.playhead if at_frame is None else at_frame
        start = self.timeline.free_start(track, wanted, job.recipe.frames)
        self.timeline.add_placeholder(job_id, Placeholder(track.id, start, job.recipe.frames, name))
        self.show_message(" ".join(["Queued.", *job.notes]))

    def _on_job_event(self, event) -> None:
        row = self.jobs_panel.rows.get(event.job_id)
        if isinstance(event, jobs.JobProgress) and row:
            row.set_progress(event.step, event.total, event.elapsed)
            self.timeline.update_placeholder(event.job_id, event.step / max(1, event.total),
                                             f"step {event.step}/{event.total}")
        elif isinstance(event, jobs.JobStarted) and row:
            row.state.setText("loading model…")
            self.timeline.update_placeholder(event.job_id, 0.0, "loading model…")
        elif isinstance(event, jobs.JobDone):
            if row:
                row.finish("done")
            self._place_take(event)
        elif isinstance(event, jobs.JobFailed):
            if row:
                row.finish("failed", event.reason)
            self._pending.pop(event.job_id, None)
            self.timeline.remove_placeholder(event.job_id)
            self.show_message(f"Generation failed: {event.reason}")
        elif isinstance(event, jobs.JobCancelled):
            if row:
                row.finish("cancelled")
            self._pending.pop(event.job_id, None)
            self.timeline.remove_placeholder(event.job_id)

    def _video_track(self):
        return next(t for t in self.document.project.sequence.tracks if t.kind is TrackKind.VIDEO)

    def _place_take(self, event) -> None:
        """A finished take becomes a media item and a clip where its placeholder stood (or, if
        edits have filled that place meanwhile, after the last clip); an extension's take goes
        into the clip it extends."""
        pending = self._pending.pop(event.job_id, None)
        placeholder = self.timeline.remove_placeholder(event.job_id)
        if pending is None:
            return
        project = self.document.project
        item = MediaItem(
            id=pending.take_id, path=project.relative_path(Path(event.output)), kind=MediaKind.VIDEO,
            width=event.width, height=event.height, fps=FrameRate.parse(event.fps), frames=event.frames,
            recipe=event.recipe, name=event.recipe.prompt[:60],
        )
        if pending.extension is not None:
            self._land_extension(item, pending.extension)
            return
        seq = project.sequence
        track = self._video_track()
        wanted = placeholder.start if placeholder else self.timeline.playhead
        start = self.timeline.free_start(track, wanted, item.frames)
        commands = [AddMedia(item)]
        if seq.duration == 0 and (seq.width, seq.height, seq.fps) != (item.width, item.height, item.fps):
            commands.append(SetSequenceFormat(item.width, item.height, item.fps))
        commands.append(AddClip(track.id, Clip(new_id(), item.id, start, 0, item.frames)))
        self.document.push(commands, "Generate shot")
        self.timeline.select(commands[-1].clip.id)
        self.show_message(f"Shot ready: {item.frames} frames at {item.width}×{item.height}")

    def extend_clip(self, clip_id: str, edge: str, frames: int) -> None:
        """Dragging a generated clip's edge past its media asks the model for that many more frames,
        continuing the take's motion from its exact last (or first) frames."""
        project = self.document.project
        try:
            _, clip = project.sequence.find_clip(clip_id)
        except KeyError:
            return
        source = project.media[clip.media_id]
        mode = Mode.EXTEND_FORWARD if edge == "right" else Mode.EXTEND_BACKWARD
        try:
            card = resolve_model(source.recipe.model, self.service.models_dir).card
            if mode not in card.modes:
                raise RequestError(f"{card.name} cannot {mode.replace('_', ' ')}; remix the shot with a model that can")
            recipe = dataclasses.replace(
                source.recipe, mode=mode, width=source.width, height=source.height, fps=float(source.fps),
                frames=_valid_at_least(overlap_frames(card) + frames, card.frame_step), strength=1.0,
                conditions=[Condition(source.path, media_id=source.id)], model_revision=None,
            )
            take_id = new_id()
            name = f"extend: {source.recipe.prompt[:30]}"
            job_id = self.service.submit(recipe, self.document.media_dir / f"{take_id}.mkv", name=name,
                                         project_folder=self.document.folder)
        except RequestError as exc:
            self.show_message(f"Cannot extend: {exc}")
            return
        self._pending[job_id] = _PendingShot(take_id, _Extension(clip_id, edge, frames, source.frames))
        self.jobs_panel.add(job_id, name)
        media_start = clip.start - clip.source_in
        start = media_start + source.frames if edge == "right" else media_start - frames
        track, _ = project.sequence.find_clip(clip_id)
        self.timeline.add_placeholder(job_id, Placeholder(track.id, start, frames, name))
        self.show_message(" ".join([f"Extending by {frames} frames.", *self.service.job(job_id).notes]))

    def _land_extension(self, item: MediaItem, extension: _Extension) -> None:
        """The extended take holds the old take's exact frames plus the new ones; the clip now shows
        it, reaching exactly as far as it was dragged."""
        try:
            _, clip = self.document.project.sequence.find_clip(extension.clip_id)
        except KeyError:  # the clip was deleted meanwhile: keep the take in the bin
            self.document.push(AddMedia(item), "Add extended take")
            return
        added = item.frames - extension.old_frames  # new frames (at least as many as were asked for)
        media_start = clip.start - clip.source_in
        if extension.edge == "right":
            place = (clip.start, clip.source_in, extension.old_frames + extension.frames)
        else:  # the old frames now start `added` frames into the take
            place = (media_start - extension.frames, added - extension.frames, clip.source_out + added)
        try:
            self.document.push([AddMedia(item), UseTake(clip.id, item.id, *place)], "Extend clip")
        except EditError as exc:
            self.document.push(AddMedia(item), "Add extended take")
            self.show_message(f"The extended take is in the bin; it no longer fits on the timeline: {exc}")
            return
        self.show_message(f"Extended by {extension.frames} frames")

    # Edits

    def split_at_playhead(self) -> None:
        seq = self.document.project.sequence
        clip = None
        if self.timeline.selected:
            _, clip = seq.find_clip(self.timeline.selected)
        else:
            clip = next((c for t in seq.tracks if (c := t.clip_at(self.timeline.playhead))), None)
        if clip is None:
            self.show_message("Put the playhead over a clip to split it")
            return
        self._push(SplitClip(clip.id, self.timeline.playhead, new_id()))

    def delete_selected(self) -> None:
        if self.timeline.selected is None:
            self.show_message("Select a clip to delete")
            return
        self._push(DeleteClipCommand(self.timeline.selected))

    def _push(self, command) -> None:
        try:
            self.document.push(command)
        except EditError as exc:
            self.show_message(str(exc))

    # Files

    def _confirm_discard(self) -> bool:
        """True when it is fine to drop the current project (saved, or the user said so)."""
        if not self.document.is_modified():
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", "Save the changes to this project first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
        )
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self._confirm_discard():
            self.document.new()

    def open_project(self, path: str | None = None) -> None:
        if not self._confirm_discard():
            return
        if not path:
            path = QFileDialog.getExistingDirectory(self, "Open project (a .studio folder)")
            if not path:
                return
        try:
            if not self.autosaver.open(path):  # offers recovery if it was open when the studio stopped
                return
        except ProjectError as exc:
            QMessageBox.warning(self, "Cannot open project", str(exc))
            return
        offline = [m.name or m.path for m in self.document.project.media.values()
                   if self.document.project.is_offline(m)]
        if offline:
            self.show_message(f"{len(offline)} media file(s) are offline: {', '.join(offline[:3])}")

    def save(self) -> bool:
        if self.document.untitled:
            return self.save_as()
        return self._save_to(None)

    def save_as(self) -> bool:
        path, _ = QFileDialog.getSaveFileName(self, "Save project as", str(Path.home() / "Untitled.studio"),
                                              "Studio project (*.studio)")
        return bool(path) and self._save_to(path)

    def _save_to(self, path: str | None) -> bool:
        try:
            folder = self.document.save(path)
        except (ProjectError, OSError) as exc:
            QMessageBox.warning(self, "Cannot save project", str(exc))
            return False
        self.show_message(f"Saved {folder}")
        return True

    def show_models(self) -> None:
        from .model_manager import ModelManagerDialog

        dialog = ModelManagerDialog(self.service.models_dir, self)
        dialog.models_dir_changed.connect(self._models_dir_chosen)
        dialog.show()
        self.model_manager = dialog  # kept, so the dialog outlives this call

    def _models_dir_chosen(self, folder: str) -> None:
        self.service.models_dir = folder or None
        self.refresh_models()

    def export(self) -> None:
        project = self.document.project
        if project.sequence.duration == 0:
            self.show_message("The sequence is empty: generate or add a shot before exporting")
            return
        default = (project.folder.parent if not self.document.untitled else Path.home()) / f"{project.name}.mp4"
        self.export_dialog = ExportDialog(project, default, self)
        self.export_dialog.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._confirm_discard():
            event.ignore()
            return
        self.autosaver.close()
        self.viewer.shutdown()
        self.service.shutdown()
        event.accept()
