"""The studio's main window: prompt panel, viewer, timeline and jobs as docks, and the menus that drive
them. What the menus do lives beside it: edits in edit_actions.py, files in file_actions.py, shots in
shot_actions.py, and the life of each generation job in generation.py."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QSplitter, QWidget

from ..core.project import TrackKind, TransitionKind
from ..core.settings import logs_dir, private_folder
from .autosave import Autosaver
from .document import Document
from .edit_actions import EditActions
from .engine_bridge import EngineBridge
from .file_actions import FileActions
from .generation import GenerationController
from .inspector import Inspector
from .job_feedback import bring_forward
from .jobs_panel import JobsPanel
from .media_bin import MediaBin
from .prompt_panel import PromptPanel
from .recent import RecentProjects
from .shortcuts_dialog import ShortcutsDialog
from .shot_actions import ShotActions
from .timeline import TimelineWidget
from .ui_settings import UiSettings
from .viewer import ASPECT_GUIDES, ViewerWidget


class MainWindow(QMainWindow):
    def __init__(self, service, document: Document | None = None) -> None:
        super().__init__()
        self.document = document or Document()
        self.service = service
        self.bridge = EngineBridge(service, self)
        self.settings = UiSettings()  # models folder, window layout, export folder: kept between sessions
        remembered = self.settings.models_dir
        if self.service.models_dir is None and remembered and Path(remembered).is_dir():
            self.service.models_dir = remembered

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
        # A queued job's progress in sight: its tab comes to the front (not over a field being typed in).
        self.jobs_panel.added.connect(lambda _job: bring_forward(jobs_dock, unless_typing_in=self.inspector_dock))

        self.generation = GenerationController(service, self.document, self.timeline, self.jobs_panel, self)
        self.bridge.event.connect(self.generation.on_job_event)
        self.generation.warning.connect(lambda title, text: QMessageBox.warning(self, title, text))
        self.generation.takes_changed.connect(lambda: self.inspector.show_clip(self.timeline.selected))
        self.shots = ShotActions(service, self.document, self.prompt_panel, self.timeline, self.generation, self)
        self.edits = EditActions(self.document, self.timeline, self)
        self.autosaver = Autosaver(self.document, self)  # timed autosaves and crash recovery (autosave.py)
        self.files = FileActions(self.document, self.autosaver, self.viewer, self.generation, self)
        for source in (
            self.generation,
            self.shots,
            self.edits,
            self.files,
            self.autosaver,
            self.media_bin,
            self.inspector,
        ):
            source.message.connect(self.show_message)
        self.inspector.media_link.connect(self._select_media)
        self.inspector.remix_requested.connect(self.shots.remix_clip)
        self.inspector.continue_requested.connect(self.shots.continue_clip)
        self.timeline.selection_changed.connect(self._selection_changed)

        self.timeline.playhead_moved.connect(self.viewer.seek)
        self.viewer.frame_changed.connect(self.timeline.set_playhead)
        self.viewer.marks_changed.connect(self.timeline.set_marks)
        self.timeline.edit_refused.connect(self.show_message)
        self.timeline.readout.connect(self._show_readout)
        for signal in (self.document.changed, self.document.replaced):  # lengths count the sequence's frames
            signal.connect(lambda: self.prompt_panel.set_frame_rate(float(self.document.project.sequence.fps)))
        self.document.path_changed.connect(self._update_title)
        self.document.undo_stack.cleanChanged.connect(self._update_title)

        self._build_menus()
        self.recent = RecentProjects(self.recent_menu, self.files.open_project, self.show_message)
        self.document.path_changed.connect(lambda: self.document.untitled or self.recent.add(self.document.folder))
        self.shots.refresh_models()
        self._update_title()
        self.resize(1400, 860)
        self._default_layout = self.saveState()  # View → Reset Layout goes back to it
        self.settings.restore_window(self)
        self.statusBar().showMessage("Ready")
        if remembered and not Path(remembered).is_dir():
            self.show_message(f"The models folder {remembered} is gone: choose another in Generate → Models…")
        self.generation.restore_jobs()  # the project's unfinished jobs from the last session, to resume

    def _dock(self, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(title)
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
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
        edits, files, shots = self.edits, self.files, self.shots
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "&New Project", files.new_project, QKeySequence.StandardKey.New)
        self._action(file, "&Open Project…", files.open_project, QKeySequence.StandardKey.Open)
        self.recent_menu = file.addMenu("Open &Recent")
        self._action(file, "&Save", files.save, QKeySequence.StandardKey.Save)
        self._action(file, "Save &As…", files.save_as, QKeySequence.StandardKey.SaveAs)
        file.addSeparator()
        self._action(
            file,
            "&Import Media…",
            self.media_bin.import_dialog,
            "Ctrl+I",
            "Import video, image and audio files into the media bin",
        )
        self._action(file, "&Export…", files.export, "Ctrl+M", "Export the sequence to a video file")
        self._action(
            file,
            "Export &Timeline…",
            lambda: files.export_timeline(),
            "Ctrl+Shift+E",
            "Write the sequence for another editor: OpenTimelineIO, FCP XML (Premiere, Resolve) or EDL",
        )
        self._action(
            file,
            "Import Timeli&ne…",
            lambda: files.import_timeline(),
            "Ctrl+Shift+I",
            "Open an OpenTimelineIO, FCP XML or EDL timeline as a new project",
        )
        self._action(file, "&Purge Unused Media…", files.purge_unused_media, tip="Move takes nothing uses to the trash")
        file.addSeparator()
        self._action(file, "&Quit", self.close, "Ctrl+Q")  # Windows has no standard Quit key

        edit = bar.addMenu("&Edit")
        undo = self.document.undo_stack.createUndoAction(self, "&Undo")
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        redo = self.document.undo_stack.createRedoAction(self, "&Redo")
        # Spelled out: the platform's Redo already is Ctrl+Shift+Z on Linux, and the same key twice on
        # one action is an "ambiguous shortcut" that Qt refuses to fire.
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        edit.addAction(undo)
        edit.addAction(redo)
        edit.addSeparator()
        self._action(edit, "S&plit at Playhead", edits.split_at_playhead, "Ctrl+B")
        self._action(
            edit,
            "&Delete",
            edits.delete_selected,
            QKeySequence.StandardKey.Delete,
            "Delete the selected clips, leaving a gap (a selected gap is closed)",
        )
        self._action(
            edit,
            "&Ripple Delete",
            edits.ripple_delete,
            "Shift+Del",
            "Delete the selected clips or gap and pull the rest of the track left",
        )
        edit.addSeparator()
        self._action(edit, "Cu&t", edits.cut, QKeySequence.StandardKey.Cut)
        self._action(edit, "&Copy", edits.copy, QKeySequence.StandardKey.Copy)
        self._action(
            edit,
            "&Paste",
            lambda: edits.paste(),
            QKeySequence.StandardKey.Paste,
            "Paste at the playhead, over whatever is there (overwrite)",
        )
        self._action(edit, "D&uplicate", edits.duplicate, "Ctrl+D", "Copy the selected clips to just after them")
        self._action(edit, "Select &All", edits.select_all, QKeySequence.StandardKey.SelectAll)

        view = bar.addMenu("&View")
        self._action(view, "Zoom &In", self.timeline.zoom_in, "=")
        self._action(view, "Zoom &Out", self.timeline.zoom_out, "-")
        self._action(view, "Zoom to &Fit", self.timeline.zoom_to_fit, "Shift+Z")
        snapping = self._action(
            view,
            "&Snapping",
            self._set_snapping,
            "N",
            "Snap dragged clips and edges to the playhead, marks and other clips",
        )
        snapping.setCheckable(True)
        snapping.setChecked(self.timeline.snapping)
        self.snapping_action = snapping
        view.addSeparator()
        safe = self._action(
            view,
            "Safe &Areas",
            self.viewer.set_safe_areas,
            "Ctrl+'",
            "Show the action-safe (90%) and title-safe (80%) frames in the viewer",
        )
        safe.setCheckable(True)
        self.safe_areas_action = safe
        guides = view.addMenu("Aspect &Guide")
        group = QActionGroup(self)
        for name in (None, *ASPECT_GUIDES):
            action = guides.addAction(name or "None")
            action.setCheckable(True)
            action.setChecked(name is None)
            action.setToolTip("Dim what a frame of this aspect would crop" if name else "No aspect guide")
            action.triggered.connect(lambda _=False, n=name: self.viewer.set_aspect_guide(n))
            group.addAction(action)
        self.aspect_guide_menu = guides
        view.addSeparator()
        self._action(
            view,
            "&Reset Layout",
            self.reset_layout,
            tip="Put the Shot, Jobs, Media and Inspector panels back where they start",
        )

        timeline = bar.addMenu("&Timeline")
        self._action(timeline, "Add &Marker", edits.add_marker, "M", "Add a marker at the playhead")
        self._action(timeline, "&Rename Marker…", edits.rename_marker, "Shift+M", "Name the marker at the playhead")
        self._action(timeline, "&Delete Marker", edits.delete_marker, "Ctrl+Alt+M", "Delete the marker at the playhead")
        self._action(timeline, "&Next Marker", lambda: edits.go_to_marker(1), "Shift+Down")
        self._action(timeline, "&Previous Marker", lambda: edits.go_to_marker(-1), "Shift+Up")
        timeline.addSeparator()
        self._action(
            timeline,
            "Add &Video Track",
            lambda: edits.add_track(TrackKind.VIDEO),
            None,
            "Add a video track above the others",
        )
        self._action(
            timeline,
            "Add &Audio Track",
            lambda: edits.add_track(TrackKind.AUDIO),
            None,
            "Add an audio track below the others",
        )
        self._action(
            timeline,
            "Rena&me Track…",
            lambda: edits.rename_track(),
            None,
            "Rename the selected track (or double-click its name)",
        )
        self._action(
            timeline,
            "&Lock / Unlock Track",
            edits.toggle_track_lock,
            None,
            "Lock the selected track's clips against edits (or click its padlock)",
        )
        self._action(timeline, "Delete &Track", edits.delete_track, None, "Delete the selected track and its clips")
        timeline.addSeparator()
        self._action(
            timeline,
            "Add &Cross-Dissolve",
            lambda: edits.add_transition(TransitionKind.DISSOLVE),
            "Ctrl+T",
            "Dissolve across the cut nearest the playhead on the selected track",
        )
        self._action(
            timeline,
            "Add Dip to &Black",
            lambda: edits.add_transition(TransitionKind.DIP),
            "Ctrl+Shift+T",
            "Dip to black across the cut nearest the playhead on the selected track",
        )
        self._action(
            timeline,
            "R&emove Transition",
            edits.remove_transition,
            None,
            "Remove the selected transition (or select it and press Delete)",
        )
        self._action(
            timeline,
            "Fade &In",
            lambda: edits.add_fade("in"),
            None,
            "Fade the selected clip up from black over its first frames",
        )
        self._action(
            timeline,
            "Fade &Out",
            lambda: edits.add_fade("out"),
            None,
            "Fade the selected clip down to black over its last frames",
        )
        self._action(
            timeline,
            "Transition Len&gth…",
            edits.ask_transition_length,
            None,
            "How many frames new transitions and fades last (1 second unless set)",
        )

        play = bar.addMenu("&Playback")
        self._action(play, "&Play / Pause", self.viewer.toggle_play, "Space")
        self._action(play, "Play &Backwards (again: faster)", lambda: self.viewer.shuttle(-1), "J")
        self._action(play, "Pause", self.viewer.pause, "K")
        self._action(play, "Play &Forwards (again: faster)", lambda: self.viewer.shuttle(1), "L")
        self._action(play, "Previous &Frame", lambda: self.viewer.step(-1), "Left")
        self._action(play, "&Next Frame", lambda: self.viewer.step(1), "Right")
        self._action(play, "Go to &Start", lambda: self.viewer.seek(0), "Home")
        self._action(
            play, "Go to &End", lambda: self.viewer.seek(max(0, self.document.project.sequence.duration - 1)), "End"
        )
        play.addSeparator()
        self._action(play, "Mark &In", self.viewer.set_mark_in, "I")
        self._action(play, "Mark &Out", self.viewer.set_mark_out, "O")
        self._action(play, "&Clear In and Out", self.viewer.clear_marks, "Alt+X")
        loop = self._action(
            play,
            "&Loop Playback",
            self._set_loop,
            "Ctrl+L",
            "Loop between the in and out points (or the whole sequence)",
        )
        loop.setCheckable(True)
        self.loop_action = loop

        generate = bar.addMenu("&Generate")
        self._action(
            generate,
            "&Generate Shot",
            lambda: shots.generate(),
            "Ctrl+Return",
            "Generate the shot at the playhead, or fill the selected gap",
        )
        self._action(
            generate,
            "&Fill Gap",
            shots.fill_gap,
            "Ctrl+Shift+F",
            "Generate a bridge from the clip before the selected gap to the clip after it",
        )
        self._action(
            generate,
            "&Remix Shot…",
            lambda: shots.remix_clip(),
            "Ctrl+Shift+R",
            "Make the selected shot again with another prompt, seed or strength, as new takes",
        )
        self._action(
            generate,
            "&Continue from Clip",
            lambda: shots.continue_clip(),
            "Ctrl+Shift+C",
            "Start a new shot from the selected clip's last frame, placed right after it",
        )
        self._action(
            generate,
            "Make Seamless &Loop",
            lambda: shots.loop_clip(),
            "Ctrl+Shift+L",
            "Add frames after the selected clip that lead back into its first frame",
        )
        self._action(
            generate,
            "Re&style Clip…",
            lambda: shots.restyle_clip(),
            "Ctrl+Shift+Y",
            "Remake the selected clip from a prompt (video to video), keeping as much of it as you say",
        )
        generate.addSeparator()
        self._action(
            generate,
            "Generate All &Placeholders",
            shots.generate_placeholders,
            tip="Queue every clip whose take is missing but whose recipe can make it (an imported timeline's shots)",
        )
        self._action(
            generate,
            "&Takes for Selected Clips…",
            lambda: shots.takes_for_selected(),
            tip="Queue more takes of each selected generated clip, with new seeds",
        )
        generate.addSeparator()
        self._action(
            generate,
            "Resume &Interrupted Jobs",
            self.generation.resume_all_jobs,
            tip="Queue again the jobs that were waiting or running when the studio last closed",
        )
        self._action(
            generate,
            "Clear Finished &Jobs",
            self.generation.clear_finished_jobs,
            tip="Remove done, failed and cancelled jobs from the Jobs panel",
        )

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard Shortcuts", self.show_shortcuts, "F1")
        self._action(
            help_menu,
            "Show &Log Folder",
            self.show_log_folder,
            tip="The editor's and the engine's logs, for a bug report (they hold your prompts)",
        )
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
        box = ShortcutsDialog(self.shortcut_table(), self)
        box.show()  # not modal: the editor keeps working
        self.shortcuts_box = box

    def show_log_folder(self) -> None:
        try:
            folder = private_folder(logs_dir())
        except OSError as exc:
            self.show_message(f"No log folder: {exc}")
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def reset_layout(self) -> None:
        self.restoreState(self._default_layout)
        self.show_message("Panels back where they start")

    def show_models(self) -> None:
        from .model_manager import ModelManagerDialog

        dialog = ModelManagerDialog(self.service.models_dir, self)
        dialog.models_dir_changed.connect(self._models_dir_chosen)
        dialog.show()
        self.model_manager = dialog  # kept, so the dialog outlives this call

    def _models_dir_chosen(self, folder: str) -> None:
        self.service.models_dir = folder or None
        self.settings.models_dir = folder or None  # the next session uses it too
        self.shots.refresh_models()

    # Status and title

    def show_message(self, text: str) -> None:
        self.statusBar().showMessage(text, 10000)

    def _show_readout(self, text: str) -> None:
        """A drag's live offset and length, for as long as it lasts."""
        if text:
            self.statusBar().showMessage(text)
        else:
            self.statusBar().clearMessage()

    def _update_title(self) -> None:
        name = "Untitled" if self.document.untitled else self.document.project.name
        self.setWindowTitle(f"{name}{' •' if self.document.is_modified() else ''} — Studio")

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.files.confirm_discard():
            event.ignore()
            return
        self.settings.save_window(self)
        self.generation.save_jobs()
        self.generation.closing = True  # the jobs cancelled by the shutdown stay queued in jobs.json, for next time
        self.autosaver.close()
        self.viewer.shutdown()
        self.service.shutdown()
        # Stop listening to the undo stack: at exit it may be freed before this window, and a stack with
        # unsaved changes says "clean" as it goes, which _update_title would answer by asking the deleted
        # stack ("QUndoStack already deleted").
        self.document.undo_stack.blockSignals(True)
        event.accept()
