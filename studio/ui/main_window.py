"""The studio's main window: prompt panel, viewer, timeline and jobs, with the menus that drive them."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QDesktopServices, QImage, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QFileDialog,
    QInputDialog,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QWidget,
)

from ..core.commands import (
    AddClip,
    AddMarker,
    AddMedia,
    AddTake,
    AddTrack,
    AddTransition,
    ClearRange,
    DeleteMarker,
    EditClip,
    EditError,
    EditMarker,
    EditTrack,
    RemoveTrack,
    RemoveTransition,
    RippleDelete,
    SetActiveTake,
    SetSequenceFormat,
    SplitClip,
    UseTake,
    add_clip_with_sound,
    cut_near,
    longest_transition,
)
from ..core.commands import DeleteClip as DeleteClipCommand
from ..core.jobfile import SavedJob, load_jobs, queue_note, save_jobs
from ..core.project import (
    Clip,
    Marker,
    MediaItem,
    MediaKind,
    Track,
    TrackKind,
    Transition,
    TransitionKind,
    conformed_length,
    new_id,
)
from ..core.recipe import BRIDGE_PROMPT, RESTYLE_STRENGTH, Condition, Mode, variations
from ..core.settings import logs_dir, private_folder
from ..core.shape import valid_frames_at_least, valid_frames_at_most
from ..core.store import ProjectError, inside
from ..core.timebase import FrameRate
from ..engine import jobs
from ..engine.modes import overlap_frames
from ..engine.requests import IMAGE_SUFFIXES, RequestError, available_models, resolve_model
from ..engine.weights import find_expander
from ..media.interchange import InterchangeError, read_timeline, write_timeline
from ..media.probe import MediaError
from ..media.provenance import mark_for_recipes, png_text, save_png
from ..media.thumbnails import thumbnail
from .autosave import Autosaver
from .document import Document
from .engine_bridge import EngineBridge
from .export_dialog import ExportDialog
from .inspector import Inspector
from .job_feedback import bring_forward
from .jobs_panel import JobsPanel
from .media_bin import MediaBin
from .prompt_panel import PromptPanel
from .purge import purge_unused_media
from .recent import RecentProjects
from .remix_dialog import RemixDialog
from .shortcuts_dialog import ShortcutsDialog
from .timeline import Placeholder, TimelineWidget
from .ui_settings import UiSettings
from .viewer import ASPECT_GUIDES, ViewerWidget


@dataclass
class _Extension:
    clip_id: str
    edge: str  # "left" or "right"; "whole": the take replaces what the clip shows (a loop, a restyle)
    frames: int  # how far the edge was dragged past the media
    old_frames: int  # the extended take's length before


@dataclass
class _PendingShot:
    take_id: str  # the media id its take will get
    extension: _Extension | None = None
    track_id: str | None = None  # where it lands, if not on the generate track (a filled gap's)
    clip_id: str | None = None  # a remix: the clip whose shot gets the take
    from_media: str | None = None  # a remix: the take it was made from (the clip switches if it still shows it)
    group: str | None = None  # variations: the takes of one Generate share a clip
    start: int | None = None  # continue: where it lands, right after the clip it continues


class MainWindow(QMainWindow):
    def __init__(self, service, document: Document | None = None) -> None:
        super().__init__()
        self.document = document or Document()
        self.service = service
        self.bridge = EngineBridge(service, self)
        self.bridge.event.connect(self._on_job_event)
        self._pending: dict[str, _PendingShot] = {}  # job id -> what its take becomes
        self.export_dialog: ExportDialog | None = None
        self._clipboard: list[tuple[str, TrackKind, Clip]] = []  # (track id, its kind, clip at offset from 0)
        self._fill_offered = False  # Generate fills the selected gap (its model can bridge clips)
        self._groups: dict[str, str] = {}  # variations: group -> the clip their first take landed in
        self._transition_frames: int | None = None  # Timeline → Transition Length; None: one second
        self._retryable: dict[str, tuple] = {}  # failed or cancelled job -> (its pending shot, placeholder)
        self._restored: dict[str, SavedJob] = {}  # jobs from the project's saved queue, not run again yet
        self._jobs_folder: Path | None = None  # the project folder whose jobs.json the jobs are kept in
        self._closing = False
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
        self.media_bin.message.connect(self.show_message)
        self.inspector.message.connect(self.show_message)
        self.inspector.media_link.connect(self._select_media)
        self.inspector.remix_requested.connect(self.remix_clip)
        self.inspector.continue_requested.connect(self.continue_clip)
        self.timeline.selection_changed.connect(self._selection_changed)

        self.timeline.playhead_moved.connect(self.viewer.seek)
        self.viewer.frame_changed.connect(self.timeline.set_playhead)
        self.viewer.marks_changed.connect(self.timeline.set_marks)
        self.timeline.edit_refused.connect(self.show_message)
        self.timeline.readout.connect(self._show_readout)
        self.timeline.track_rename_requested.connect(self.rename_track)
        self.timeline.gap_selected.connect(self._gap_selected)
        self.timeline.extend_requested.connect(self.extend_clip)
        self.timeline.animate_requested.connect(self.animate_stills)
        self.prompt_panel.generate_requested.connect(lambda: self.generate())
        self.prompt_panel.model.currentTextChanged.connect(self._model_changed)
        for signal in (self.document.changed, self.document.replaced):  # lengths count the sequence's frames
            signal.connect(lambda: self.prompt_panel.set_frame_rate(float(self.document.project.sequence.fps)))
        self.jobs_panel.cancel_requested.connect(self.service.cancel)
        self.jobs_panel.retry_requested.connect(self.retry_job)
        self.jobs_panel.move_requested.connect(self.move_job)
        self.jobs_panel.resume_all_requested.connect(self.resume_all_jobs)
        self.jobs_panel.clear_requested.connect(self.clear_finished_jobs)
        self.document.replaced.connect(self._switch_job_queue)
        self.document.path_changed.connect(self._follow_job_queue)
        self.document.path_changed.connect(self._update_title)
        self.document.undo_stack.cleanChanged.connect(self._update_title)

        self._build_menus()
        self._install_autosave()
        self.refresh_models()
        self._update_title()
        self.resize(1400, 860)
        self._default_layout = self.saveState()  # View → Reset Layout goes back to it
        self.settings.restore_window(self)
        self.statusBar().showMessage("Ready")
        if remembered and not Path(remembered).is_dir():
            self.show_message(f"The models folder {remembered} is gone: choose another in Generate → Models…")
        self._restore_jobs()  # the project's unfinished jobs from the last session, to resume

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
        self._action(file, "Export &Timeline…", lambda: self.export_timeline(), "Ctrl+Shift+E",
                     "Write the sequence for another editor: OpenTimelineIO, FCP XML (Premiere, Resolve) or EDL")
        self._action(file, "Import Timeli&ne…", lambda: self.import_timeline(), "Ctrl+Shift+I",
                     "Open an OpenTimelineIO, FCP XML or EDL timeline as a new project")
        self._action(file, "&Purge Unused Media…", self.purge_unused_media, tip="Move takes nothing uses to the trash")
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
        self._action(edit, "S&plit at Playhead", self.split_at_playhead, "Ctrl+B")
        self._action(edit, "&Delete", self.delete_selected, QKeySequence.StandardKey.Delete,
                     "Delete the selected clips, leaving a gap (a selected gap is closed)")
        self._action(edit, "&Ripple Delete", self.ripple_delete, "Shift+Del",
                     "Delete the selected clips or gap and pull the rest of the track left")
        edit.addSeparator()
        self._action(edit, "Cu&t", self.cut, QKeySequence.StandardKey.Cut)
        self._action(edit, "&Copy", self.copy, QKeySequence.StandardKey.Copy)
        self._action(edit, "&Paste", lambda: self.paste(), QKeySequence.StandardKey.Paste,
                     "Paste at the playhead, over whatever is there (overwrite)")
        self._action(edit, "D&uplicate", self.duplicate, "Ctrl+D", "Copy the selected clips to just after them")
        self._action(edit, "Select &All", self.select_all, QKeySequence.StandardKey.SelectAll)

        view = bar.addMenu("&View")
        self._action(view, "Zoom &In", self.timeline.zoom_in, "=")
        self._action(view, "Zoom &Out", self.timeline.zoom_out, "-")
        self._action(view, "Zoom to &Fit", self.timeline.zoom_to_fit, "Shift+Z")
        snapping = self._action(view, "&Snapping", self._set_snapping, "N",
                                "Snap dragged clips and edges to the playhead, marks and other clips")
        snapping.setCheckable(True)
        snapping.setChecked(self.timeline.snapping)
        self.snapping_action = snapping
        view.addSeparator()
        safe = self._action(view, "Safe &Areas", self.viewer.set_safe_areas, "Ctrl+'",
                            "Show the action-safe (90%) and title-safe (80%) frames in the viewer")
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
        self._action(view, "&Reset Layout", self.reset_layout, tip="Put the Shot, Jobs, Media and Inspector panels "
                     "back where they start")

        timeline = bar.addMenu("&Timeline")
        self._action(timeline, "Add &Marker", self.add_marker, "M", "Add a marker at the playhead")
        self._action(timeline, "&Rename Marker…", self.rename_marker, "Shift+M", "Name the marker at the playhead")
        self._action(timeline, "&Delete Marker", self.delete_marker, "Ctrl+Alt+M", "Delete the marker at the playhead")
        self._action(timeline, "&Next Marker", lambda: self.go_to_marker(1), "Shift+Down")
        self._action(timeline, "&Previous Marker", lambda: self.go_to_marker(-1), "Shift+Up")
        timeline.addSeparator()
        self._action(timeline, "Add &Video Track", lambda: self.add_track(TrackKind.VIDEO), None,
                     "Add a video track above the others")
        self._action(timeline, "Add &Audio Track", lambda: self.add_track(TrackKind.AUDIO), None,
                     "Add an audio track below the others")
        self._action(timeline, "Rena&me Track…", lambda: self.rename_track(), None,
                     "Rename the selected track (or double-click its name)")
        self._action(timeline, "&Lock / Unlock Track", self.toggle_track_lock, None,
                     "Lock the selected track's clips against edits (or click its padlock)")
        self._action(timeline, "Delete &Track", self.delete_track, None, "Delete the selected track and its clips")
        timeline.addSeparator()
        self._action(timeline, "Add &Cross-Dissolve", lambda: self.add_transition(TransitionKind.DISSOLVE), "Ctrl+T",
                     "Dissolve across the cut nearest the playhead on the selected track")
        self._action(timeline, "Add Dip to &Black", lambda: self.add_transition(TransitionKind.DIP), "Ctrl+Shift+T",
                     "Dip to black across the cut nearest the playhead on the selected track")
        self._action(timeline, "R&emove Transition", self.remove_transition, None,
                     "Remove the selected transition (or select it and press Delete)")
        self._action(timeline, "Fade &In", lambda: self.add_fade("in"), None,
                     "Fade the selected clip up from black over its first frames")
        self._action(timeline, "Fade &Out", lambda: self.add_fade("out"), None,
                     "Fade the selected clip down to black over its last frames")
        self._action(timeline, "Transition Len&gth…", self.ask_transition_length, None,
                     "How many frames new transitions and fades last (1 second unless set)")

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
        self._action(generate, "&Generate Shot", lambda: self.generate(), "Ctrl+Return",
                     "Generate the shot at the playhead, or fill the selected gap")
        self._action(generate, "&Fill Gap", self.fill_gap, "Ctrl+Shift+F",
                     "Generate a bridge from the clip before the selected gap to the clip after it")
        self._action(generate, "&Remix Shot…", lambda: self.remix_clip(), "Ctrl+Shift+R",
                     "Make the selected shot again with another prompt, seed or strength, as new takes")
        self._action(generate, "&Continue from Clip", lambda: self.continue_clip(), "Ctrl+Shift+C",
                     "Start a new shot from the selected clip's last frame, placed right after it")
        self._action(generate, "Make Seamless &Loop", lambda: self.loop_clip(), "Ctrl+Shift+L",
                     "Add frames after the selected clip that lead back into its first frame")
        self._action(generate, "Re&style Clip…", lambda: self.restyle_clip(), "Ctrl+Shift+Y",
                     "Remake the selected clip from a prompt (video to video), keeping as much of it as you say")
        generate.addSeparator()
        self._action(generate, "Resume &Interrupted Jobs", self.resume_all_jobs,
                     tip="Queue again the jobs that were waiting or running when the studio last closed")
        self._action(generate, "Clear Finished &Jobs", self.clear_finished_jobs,
                     tip="Remove done, failed and cancelled jobs from the Jobs panel")

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard Shortcuts", self.show_shortcuts, "F1")
        self._action(help_menu, "Show &Log Folder", self.show_log_folder,
                     tip="The editor's and the engine's logs, for a bug report (they hold your prompts)")
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

    def _install_autosave(self) -> None:
        """Timed autosaves, crash recovery (see autosave.py) and File → Open Recent."""
        self.autosaver = Autosaver(self.document, self)
        self.autosaver.message.connect(self.show_message)
        self.recent = RecentProjects(self.recent_menu, self.open_project, self.show_message)
        self.document.path_changed.connect(
            lambda: self.document.untitled or self.recent.add(self.document.folder))

    def purge_unused_media(self) -> None:
        running = {self.document.media_dir / f"{pending.take_id}.mkv" for pending in self._pending.values()}
        removed = purge_unused_media(self, self.document.project, keep=running)
        if removed:
            self.show_message(f"Purged {len(removed)} unused media file(s)")

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

    def refresh_models(self) -> None:
        self.prompt_panel.set_models(available_models(self.service.models_dir))
        self.prompt_panel.expander.set_model(find_expander(models_dir=self.service.models_dir))
        self._model_changed()

    def _model_changed(self, *_: object) -> None:
        """Offer only what the chosen model can do (its card lists its modes)."""
        try:
            card = resolve_model(self.prompt_panel.model_value(), self.service.models_dir, require_weights=False).card
        except RequestError as exc:
            self.prompt_panel.set_image_inputs(True)  # unknown yet: Generate will say what is wrong
            self.prompt_panel.set_references_allowed(False)
            self.prompt_panel.set_card(None)
            folder = Path(self.prompt_panel.model_value()).expanduser()
            if folder.is_absolute() and folder.is_dir():  # a folder chosen with …: say now what is wrong
                held = sorted(p.name for p in folder.iterdir() if (p / "model_index.json").is_file())
                self.show_message(f"{exc}. " + (
                    f"It holds models ({', '.join(held[:3])}): choose one of them, or make it the models "
                    "folder in Generate → Models… → Choose…" if held else "Choose the folder of one model"))
            return
        self.prompt_panel.set_frame_rate(float(self.document.project.sequence.fps))
        self.prompt_panel.set_card(card)  # only the sizes and lengths it makes
        self.prompt_panel.set_references_allowed(card.references)
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

    def _gap_selected(self, gap) -> None:
        """A selected gap turns Generate into Fill Gap, sized to it."""
        button = self.prompt_panel.generate_button
        self._fill_offered = False
        if gap is None:
            button.setText("Generate")
            return
        frames = gap[2] - gap[1]
        length = self.document.project.sequence.fps.timecode(frames)
        try:
            card = resolve_model(self.prompt_panel.model_value(), self.service.models_dir, require_weights=False).card
        except RequestError:
            card = None  # no model chosen yet: Fill Gap will say what is wrong
        if card is not None and Mode.CONNECT not in card.modes:
            button.setText("Generate")
            self.show_message(f"Gap of {length} selected: {card.name} cannot bridge two clips; choose a model that "
                              "can to fill it (Delete closes it)")
            return
        button.setText(f"Fill Gap ({frames} frames)")
        self._fill_offered = True
        self.show_message(f"Gap of {length} selected: Generate fills it with a bridge between the clips (Delete "
                          "closes it)")

    def fill_gap(self) -> None:
        """A connect job from the clip before the selected gap to the clip after it, exactly as long as
        the gap, from the frames the clips show (their trimmed ends)."""
        gap = self.timeline.selected_gap
        if gap is None:
            self.show_message("Click a gap between two clips first")
            return
        seq = self.document.project.sequence
        track = seq.track(gap[0])
        before = next((c for c in track.clips if c.end == gap[1]), None)
        after = next((c for c in track.clips if c.start == gap[2]), None)
        project = self.document.project
        items = [project.media.get(c.media_id) if c else None for c in (before, after)]
        if before is None or after is None or any(i is None or i.kind is not MediaKind.VIDEO for i in items):
            self.show_message("Fill Gap needs a video clip on each side of the gap")
            return
        panel = self.prompt_panel.recipe(fps=float(seq.fps))
        recipe = dataclasses.replace(
            panel, mode=Mode.CONNECT, width=items[0].width, height=items[0].height,
            prompt=panel.prompt or BRIDGE_PROMPT,
            conditions=[
                Condition(item.path, media_id=item.id, source_in=clip.source_in, source_out=clip.source_out)
                for item, clip in zip(items, (before, after), strict=True)
            ],
            bridge_frames=gap[2] - gap[1],
        )
        take_id = new_id()
        name = f"fill gap: {recipe.prompt[:30]}"
        try:
            job_id = self.service.submit(recipe, self.document.media_dir / f"{take_id}.mkv", name=name,
                                         project_folder=self.document.folder)
        except RequestError as exc:
            self.show_message(f"Cannot fill the gap: {exc}")
            return
        self._pending[job_id] = _PendingShot(take_id, track_id=track.id)
        self.jobs_panel.add(job_id, name)
        self.timeline.add_placeholder(job_id, Placeholder(track.id, gap[1], gap[2] - gap[1], name))
        self.show_message(" ".join(["Filling the gap.", *self.service.job(job_id).notes]))

    def generate(self, *, at_frame: int | None = None) -> None:
        if self._fill_offered and self.timeline.selected_gap is not None and at_frame is None:
            self.fill_gap()
            return
        seq = self.document.project.sequence
        recipe = self.prompt_panel.recipe(fps=float(seq.fps))
        takes = variations(recipe, self.prompt_panel.takes.value())
        name = recipe.prompt  # whole: the Jobs panel ends it in "…" where it does not fit, whole in its tooltip
        group = new_id() if len(takes) > 1 else None
        track = self._video_track()
        wanted = self.timeline.playhead if at_frame is None else at_frame
        for number, take in enumerate(takes, 1):
            take_id = new_id()
            label = name if group is None else f"{name} (take {number})"
            try:  # the service checks and snaps the request before queueing it
                job_id = self.service.submit(take, self.document.media_dir / f"{take_id}.mkv", name=label,
                                             project_folder=self.document.folder)
            except RequestError as exc:
                self.show_message(f"Cannot generate: {exc}")
                QMessageBox.warning(self, "Cannot generate", str(exc))
                return
            self._pending[job_id] = _PendingShot(take_id, group=group)
            self.jobs_panel.add(job_id, label)
            job = self.service.job(job_id)
            if number == 1:  # one placeholder for the shot, however many takes it gets
                start = self.timeline.free_start(track, wanted, job.recipe.frames)
                self.timeline.add_placeholder(job_id, Placeholder(track.id, start, job.recipe.frames, name))
                self.timeline.show_frames(track.id, start, start + job.recipe.frames)  # where it will land
        self.show_message(" ".join([f"Queued {len(takes)} takes." if group else "Queued.", *job.notes]))

    def remix_clip(self, clip_id: str | None = None) -> None:
        """The selected shot made again from its recipe with the changes asked for, as new takes of
        the same clip; the clip shows the first new take when it lands (Undo goes back)."""
        clip_id = clip_id or self.timeline.selected
        if clip_id is None:
            self.show_message("Select a generated clip to remix")
            return
        _, clip = self.document.project.sequence.find_clip(clip_id)
        source = self.document.project.media.get(clip.media_id)
        if source is None or source.recipe is None:
            self.show_message("Only a generated clip has a recipe to remix; Continue from Clip works on any clip")
            return
        dialog = RemixDialog(source.recipe, self)
        if dialog.exec() != RemixDialog.DialogCode.Accepted:
            return
        self.submit_remix(clip_id, dialog.recipes())

    def submit_remix(self, clip_id: str, recipes: list) -> None:
        _, clip = self.document.project.sequence.find_clip(clip_id)
        for recipe in recipes:
            take_id = new_id()
            name = f"remix: {recipe.prompt[:30]}"
            try:
                job_id = self.service.submit(recipe, self.document.media_dir / f"{take_id}.mkv", name=name,
                                             project_folder=self.document.folder)
            except RequestError as exc:
                self.show_message(f"Cannot remix: {exc}")
                return
            self._pending[job_id] = _PendingShot(take_id, clip_id=clip_id, from_media=clip.media_id)
            self.jobs_panel.add(job_id, name)
        self.show_message(f"Remixing: {len(recipes)} new take{'s' if len(recipes) > 1 else ''} on the way")

    def continue_clip(self, clip_id: str | None = None) -> None:
        """A new shot whose first frame is the clip's last (as shown, after trims), from the prompt
        panel's prompt and model, landing right after the clip."""
        clip_id = clip_id or self.timeline.selected
        if clip_id is None:
            self.show_message("Select the clip to continue from")
            return
        project = self.document.project
        track, clip = project.sequence.find_clip(clip_id)
        item = project.media.get(clip.media_id)
        if item is None or project.is_offline(item):
            self.show_message("That clip's media is offline")
            return
        still = self.document.media_dir / f"{new_id()}-last-frame.png"
        try:
            index = 0 if item.kind is MediaKind.IMAGE else clip.source_out - 1
            frame = thumbnail(project.media_path(item), index, (item.width, item.height))
            still.parent.mkdir(parents=True, exist_ok=True)
            # A still from a generated clip is generated material: marked, like its take.
            save_png(frame, still, png_text(mark_for_recipes([item.recipe])) if item.recipe else {})
        except OSError as exc:
            self.show_message(f"Cannot write the clip's last frame to {still}: {exc.strerror or exc}")
            return
        except MediaError as exc:
            self.show_message(f"Cannot read the clip's last frame: {exc}")
            return
        panel = self.prompt_panel.recipe(fps=float(project.sequence.fps))
        prompt = panel.prompt or (item.recipe.prompt if item.recipe else "")
        recipe = dataclasses.replace(panel, mode=Mode.IMAGE_TO_VIDEO, prompt=prompt, width=item.width,
                                     height=item.height, conditions=[Condition(project.relative_path(still), 0)])
        take_id = new_id()
        name = f"continue: {prompt[:30]}"
        try:
            job_id = self.service.submit(recipe, self.document.media_dir / f"{take_id}.mkv", name=name,
                                         project_folder=self.document.folder)
        except RequestError as exc:
            self.show_message(f"Cannot continue: {exc}")
            return
        self._pending[job_id] = _PendingShot(take_id, track_id=track.id, start=clip.end)
        self.jobs_panel.add(job_id, name)
        frames = self.service.job(job_id).recipe.frames - 1
        self.timeline.add_placeholder(job_id, Placeholder(track.id, clip.end, frames, name))
        self.timeline.show_frames(track.id, clip.end, clip.end + frames)
        self.show_message(" ".join(["Continuing from the clip's last frame.", *self.service.job(job_id).notes]))

    def _on_job_event(self, event) -> None:
        self._show_job_event(event)
        if not isinstance(event, jobs.JobProgress | jobs.JobPreview):
            self._save_jobs()
            self.jobs_panel.update_header()

    def _show_job_event(self, event) -> None:
        row = self.jobs_panel.rows.get(event.job_id)
        if isinstance(event, jobs.JobQueued) and row:
            stills = [c.path for c in event.recipe.conditions if Path(c.path).suffix.lower() in IMAGE_SUFFIXES]
            if stills:  # the job's input still stands for it until the first preview
                row.set_thumbnail(str(self.document.folder / stills[0]))
        elif isinstance(event, jobs.JobProgress) and row:
            row.set_progress(event.step, event.total, event.elapsed)
            self.timeline.update_placeholder(event.job_id, event.step / max(1, event.total),
                                             f"step {event.step}/{event.total}")
        elif isinstance(event, jobs.JobPreview):
            if row:
                row.set_preview(event.png)
            self.timeline.set_placeholder_preview(event.job_id, QImage.fromData(event.png))
        elif isinstance(event, jobs.JobPartial):
            if row:
                row.set_partial(event.output, event.frames, event.window, event.windows)
            self.timeline.update_placeholder(event.job_id, event.window / max(1, event.windows),
                                             f"{event.window}/{event.windows} windows")
        elif isinstance(event, jobs.JobStarted) and row:
            row.started()
            row.state.setText("loading model…")
            self.timeline.update_placeholder(event.job_id, 0.0, "loading model…")
        elif isinstance(event, jobs.JobDone):
            if row:
                row.finish("done", elapsed=event.elapsed)
            self._place_take(event)
        elif isinstance(event, jobs.JobFailed):
            if row:
                row.finish("failed", event.reason)
            self._keep_for_retry(event.job_id)
            self.show_message(f"Generation failed: {event.reason}")
        elif isinstance(event, jobs.JobCancelled):
            if row:
                row.finish("cancelled")
            self._keep_for_retry(event.job_id)

    def _keep_for_retry(self, job_id: str) -> None:
        """A failed or cancelled job's shot: where it was to land, should it be retried."""
        pending = self._pending.pop(job_id, None)
        placeholder = self.timeline.remove_placeholder(job_id)
        if pending is not None:
            self._retryable[job_id] = (pending, placeholder)

    def retry_job(self, job_id: str) -> None:
        """The same recipe queued again, landing where the first attempt was to land."""
        pending, placeholder = self._retryable.pop(job_id, (None, None))
        try:
            job = self.service.job(job_id)
        except KeyError:
            job = self._restored.get(job_id)  # from the saved queue: its recipe and name are all it needs
        if job is None or pending is None:
            self.show_message("That job cannot be retried any more")
            return
        take_id = new_id()
        # A long shot that stopped part way left its finished windows in its take: go on from them.
        so_far = self.document.folder / job.output
        try:
            new_job = self.service.submit(job.recipe, self.document.media_dir / f"{take_id}.mkv", name=job.name,
                                          project_folder=self.document.folder,
                                          resume_from=so_far if so_far.is_file() else None)
        except RequestError as exc:
            self._retryable[job_id] = (pending, placeholder)
            self.show_message(f"Cannot retry: {exc}")
            return
        self._pending[new_job] = dataclasses.replace(pending, take_id=take_id)
        self._restored.pop(job_id, None)
        self.jobs_panel.remove(job_id)  # the new job's row takes its place
        self.jobs_panel.add(new_job, job.name)
        if placeholder is not None:
            self.timeline.add_placeholder(new_job, dataclasses.replace(placeholder, progress=0.0, state="queued",
                                                                         preview=None))
        self.show_message(f"Retrying: {job.name}")

    # The job queue, kept in the project folder (core/jobfile.py)

    def move_job(self, job_id: str, position: int) -> None:
        """Run a queued job next (0) or last (-1); the rows follow the queue's order."""
        if not self.service.move(job_id, position):
            self.show_message("Only a job still waiting in the queue can be moved")
            return
        self.jobs_panel.show_queue_order(self.service.queued())
        self._save_jobs()
        self.show_message("Runs next" if position == 0 else "Runs last")

    def resume_all_jobs(self) -> None:
        for job_id in [j for j, saved in self._restored.items() if saved.interrupted]:
            self.retry_job(job_id)

    def clear_finished_jobs(self) -> None:
        for job_id, row in list(self.jobs_panel.rows.items()):
            if row.finished:
                self.jobs_panel.remove(job_id)
                self._retryable.pop(job_id, None)
                self._restored.pop(job_id, None)
        self._save_jobs()

    def _preview_file(self, job_id: str) -> Path:
        return self.document.cache_dir / "jobs" / f"{job_id}.png"

    def _saved_jobs(self) -> list[SavedJob]:
        """The jobs whose takes have not landed: waiting, running, failed, cancelled or restored."""
        project = self.document.project
        saved = list(self._foreign_jobs)  # another version's: kept as they are
        for job_id in [*self._pending, *self._retryable]:
            if job_id in self._restored:
                saved.append(self._restored[job_id])
                continue
            try:
                job = self.service.job(job_id)
            except KeyError:
                continue
            pending, placeholder = (self._pending[job_id], self.timeline.placeholders.get(job_id)) \
                if job_id in self._pending else self._retryable[job_id]
            spot = None if placeholder is None else {"track_id": placeholder.track_id, "start": placeholder.start,
                                                     "frames": placeholder.frames, "label": placeholder.label}
            saved.append(SavedJob(job_id, job.name, job.recipe, project.relative_path(Path(job.output)),
                                  str(job.state), dataclasses.asdict(pending), spot, job.error))
            if job.preview and inside(project.folder, self._preview_file(job_id)):  # the thumbnail after a restart
                self._preview_file(job_id).parent.mkdir(parents=True, exist_ok=True)
                self._preview_file(job_id).write_bytes(job.preview)
        return saved

    def _save_jobs(self) -> None:
        if self._closing or self._jobs_folder is None:
            return
        try:
            save_jobs(self._jobs_folder, self._saved_jobs())
        except OSError as exc:
            self.show_message(f"Could not keep the job queue in the project: {exc}")

    def _follow_job_queue(self) -> None:
        """Save As: the queue goes with the project to its new folder."""
        folder = self.document.folder
        if self._jobs_folder is not None and folder != self._jobs_folder:
            save_jobs(self._jobs_folder, [])
        self._jobs_folder = folder
        self._save_jobs()

    def _switch_job_queue(self) -> None:
        """Another project: the old one's unfinished jobs stay in its jobs.json (its running and
        waiting jobs are stopped and kept as interrupted, to resume when it is opened again); the new
        one's saved jobs are listed, to resume."""
        if self._jobs_folder is not None:
            self._save_jobs()
            active = list(self._pending)
            self._jobs_folder = None  # the cancels that follow must not overwrite the saved queue
            for job_id in active:
                self.service.cancel(job_id)
        for job_id in list(self.jobs_panel.rows):
            self.jobs_panel.remove(job_id)
        for job_id in list(self._pending):
            self.timeline.remove_placeholder(job_id)
        self._pending.clear()
        self._retryable.clear()
        self._restored.clear()
        self._restore_jobs()

    def _restore_jobs(self) -> None:
        self._jobs_folder = self.document.folder
        self._foreign_jobs: list[SavedJob] = []
        saved_jobs, warning = load_jobs(self._jobs_folder)
        for saved in saved_jobs:
            landing = dict(saved.landing)
            extension = landing.pop("extension", None)
            try:
                pending = _PendingShot(**landing, extension=_Extension(**extension) if extension else None)
                placeholder = Placeholder(**saved.placeholder) if saved.placeholder else None
            except TypeError:  # written by another version of the studio: nothing to land it with
                self._foreign_jobs.append(saved)
                continue
            self._restored[saved.job_id] = saved
            self._retryable[saved.job_id] = (pending, placeholder)
            row = self.jobs_panel.add(saved.job_id, saved.name)
            state = "interrupted" if saved.interrupted else saved.state
            row.finish(state, saved.error or ("stopped when the studio closed: Resume runs it again"
                                              if saved.interrupted else ""))
            row.set_thumbnail(str(self._preview_file(saved.job_id)))
        self.jobs_panel.update_header()
        note = queue_note([s for s in saved_jobs if s.job_id in self._restored], len(self._foreign_jobs), warning)
        if note:
            self.show_message(note)

    def _video_track(self):
        """Where a generated shot lands: the selected track if it is an unlocked video track, else the
        lowest unlocked video track."""
        current = self.timeline.current_track()
        if current.kind is TrackKind.VIDEO and not current.locked:
            return current
        tracks = self.document.project.sequence.video_tracks()
        return next((t for t in tracks if not t.locked), tracks[0])

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
            recipe=event.recipe, name=event.recipe.prompt[:60], has_audio=getattr(event, "audio", False),
        )
        if pending.extension is not None:
            self._land_extension(item, pending.extension)
            return
        if pending.clip_id is not None or (pending.group is not None and pending.group in self._groups):
            self._land_take(item, pending)
            return
        if pending.start is not None:
            self._land_continuation(item, pending, placeholder)
            return
        seq = project.sequence
        track = self._video_track()
        if pending.track_id is not None and any(t.id == pending.track_id for t in seq.tracks):
            track = seq.track(pending.track_id)
        wanted = placeholder.start if placeholder else self.timeline.playhead
        start = self.timeline.free_start(track, wanted, item.frames)
        commands = [AddMedia(item)]
        length = item.frames
        if seq.duration == 0 and (seq.width, seq.height, seq.fps) != (item.width, item.height, item.fps):
            commands.append(SetSequenceFormat(item.width, item.height, item.fps))
        else:  # another rate plays at its own speed, so it lasts its time in the sequence's frames
            length = conformed_length(item.frames, item.fps, seq.fps)
        placed = add_clip_with_sound(seq, track.id, item, start, length)  # as when a file with sound is dropped
        picture = placed[0]
        commands += placed
        self.document.push(commands, "Generate shot")
        self.timeline.select(picture.clip.id)
        self.timeline.show_frames(track.id, start, start + length)  # the person may have scrolled away
        if pending.group is not None:
            self._groups[pending.group] = picture.clip.id
        self.show_message(f"Shot ready: {item.frames} frames at {item.width}×{item.height}")

    def _land_take(self, item: MediaItem, pending: _PendingShot) -> None:
        """A remix or a further variation joins its clip's takes; a remix is shown if the clip still
        shows the take it was made from."""
        clip_id = pending.clip_id or self._groups[pending.group]
        try:
            _, clip = self.document.project.sequence.find_clip(clip_id)
        except KeyError:  # the clip was deleted meanwhile: keep the take in the bin
            self.document.push(AddMedia(item), "Add take")
            return
        commands = [AddMedia(item), AddTake(clip.id, item.id)]
        if pending.clip_id is not None and clip.media_id == pending.from_media:
            commands.append(SetActiveTake(clip.id, item.id))
        try:
            self.document.push(commands, "Remix take" if pending.clip_id else "Add variation")
        except EditError:  # a take of another length than the clip shows: keep it among the takes
            self.document.push(commands[:2], "Add take")
        self.inspector.show_clip(self.timeline.selected)
        self.show_message(f"New take of the shot ready ({len(clip.takes)} takes)")

    def _land_continuation(self, item: MediaItem, pending: _PendingShot, placeholder) -> None:
        """The continuation's first frame is the clip's last: the clip starts one frame in, so that
        frame does not show twice."""
        seq = self.document.project.sequence
        track = seq.track(pending.track_id) if any(t.id == pending.track_id for t in seq.tracks) else \
            self._video_track()
        start = self.timeline.free_start(track, pending.start, item.frames - 1)
        clip = Clip(new_id(), item.id, start, min(1, item.frames - 1), item.frames)
        self.document.push([AddMedia(item), AddClip(track.id, clip)], "Continue shot")
        self.timeline.select(clip.id)
        self.timeline.show_frames(track.id, clip.start, clip.end)
        self.show_message(f"Continuation ready: {clip.duration} new frames")

    def extend_clip(self, clip_id: str, edge: str, frames: int) -> None:
        """Dragging a generated clip's edge past its media asks the model for that many more frames,
        continuing the take's motion from its exact last (or first) frames."""
        project = self.document.project
        try:
            _, clip = project.sequence.find_clip(clip_id)
        except KeyError:
            return
        source = project.media.get(clip.media_id)
        if source is None or source.recipe is None:
            self.show_message("Only a generated clip can be extended by the model; its media has no recipe")
            return
        mode = Mode.EXTEND_FORWARD if edge == "right" else Mode.EXTEND_BACKWARD
        try:
            card = resolve_model(source.recipe.model, self.service.models_dir).card
            if mode not in card.modes:
                raise RequestError(f"{card.name} cannot {mode.label}; remix the shot with a model that can")
            recipe = dataclasses.replace(
                source.recipe, mode=mode, width=source.width, height=source.height, fps=float(source.fps),
                frames=valid_frames_at_least(overlap_frames(card) + frames, card.frame_step), strength=1.0,
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

    def _clip_source(self, clip_id: str | None, what: str):
        """The selected video clip and its media item, or None after saying why not."""
        clip_id = clip_id or self.timeline.selected
        if clip_id is None:
            self.show_message(f"Select the clip to {what}")
            return None
        project = self.document.project
        track, clip = project.sequence.find_clip(clip_id)
        item = project.media.get(clip.media_id)
        if item is None or item.kind is not MediaKind.VIDEO or project.is_offline(item):
            self.show_message(f"Only a video clip whose media is here can be used to {what}")
            return None
        return track, clip, item

    def _submit_on_clip(self, recipe, clip, item, track, name: str, new_frames: int, verb: str) -> None:
        """Queue a job whose take replaces what the clip shows (a loop, a restyle), with a placeholder."""
        take_id = new_id()
        try:
            job_id = self.service.submit(recipe, self.document.media_dir / f"{take_id}.mkv", name=name,
                                         project_folder=self.document.folder)
        except RequestError as exc:
            self.show_message(f"Cannot {verb}: {exc}")
            return
        self._pending[job_id] = _PendingShot(take_id, _Extension(clip.id, "whole", new_frames, item.frames))
        self.jobs_panel.add(job_id, name)
        start, frames = (clip.end, new_frames) if new_frames else (clip.start, clip.duration)
        self.timeline.add_placeholder(job_id, Placeholder(track.id, start, max(1, frames), name))
        self.show_message(" ".join([f"{verb.capitalize()}: queued.", *self.service.job(job_id).notes]))

    def loop_clip(self, clip_id: str | None = None) -> None:
        """Frames after the clip, as it is shown, that lead back into its first frame, so it plays in
        a loop; the clip then shows itself and those frames (one take). The Shot panel's model, prompt
        and duration (the new frames) are used."""
        found = self._clip_source(clip_id, "loop")
        if found is None:
            return
        track, clip, item = found
        panel = self.prompt_panel.recipe(fps=float(item.fps))
        try:
            card = resolve_model(panel.model, self.service.models_dir, require_weights=False).card
        except RequestError as exc:
            self.show_message(f"Cannot loop: {exc}")
            return
        k = overlap_frames(card)
        frames = valid_frames_at_least(2 * k + panel.frames, card.frame_step)
        prompt = panel.prompt or (item.recipe.prompt if item.recipe else "the shot continues and returns to its start")
        recipe = dataclasses.replace(
            panel, mode=Mode.LOOP, prompt=prompt, width=item.width, height=item.height, fps=float(item.fps),
            frames=frames, window_prompts=[], references=[],
            conditions=[Condition(item.path, media_id=item.id, source_in=clip.source_in, source_out=clip.source_out)])
        self._submit_on_clip(recipe, clip, item, track, f"loop: {prompt[:30]}", frames - 2 * k, "loop")

    def restyle_clip(self, clip_id: str | None = None) -> None:
        """The clip, as it is shown, remade from a prompt with a strength (video to video): the take
        replaces it, as long as the model can make (its frame rule may shorten it by a few frames)."""
        found = self._clip_source(clip_id, "restyle")
        if found is None:
            return
        track, clip, item = found
        panel = self.prompt_panel.recipe(fps=float(item.fps))
        try:
            card = resolve_model(panel.model, self.service.models_dir, require_weights=False).card
        except RequestError as exc:
            self.show_message(f"Cannot restyle: {exc}")
            return
        fitting = valid_frames_at_most(min(clip.duration, card.max_frames), card.frame_step)
        recipe = dataclasses.replace(
            panel, mode=Mode.VIDEO_TO_VIDEO, prompt=panel.prompt or (item.recipe.prompt if item.recipe else ""),
            width=item.width, height=item.height, fps=float(item.fps), frames=fitting, strength=RESTYLE_STRENGTH,
            window_prompts=[], references=[],
            conditions=[Condition(item.path, media_id=item.id, source_in=clip.source_in, source_out=clip.source_out)])
        dialog = RemixDialog(recipe, self)
        dialog.setWindowTitle("Restyle clip")
        if dialog.exec() != RemixDialog.DialogCode.Accepted:
            return
        for restyled in dialog.recipes():
            self._submit_on_clip(restyled, clip, item, track, f"restyle: {restyled.prompt[:30]}", 0, "restyle")

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
        if extension.edge == "whole":  # made from the frames the clip shows: the clip now shows all of it
            place = (clip.start, 0, item.frames)
        elif extension.edge == "right":
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
        """Cut what is under the playhead, as Resolve and Kdenlive do: the selected clips there; else the
        clip there on the selected track (the selected clips' or the clicked header's); with nothing
        selected, every unlocked track, so a shot's picture and its sound stay cut together."""
        seq = self.document.project.sequence
        frame = self.timeline.playhead
        selected = self._selected_clips()
        chosen = [(t, c) for t, c in selected if c.start < frame < c.end]
        if not chosen:
            if selected:
                tracks = list({t.id: t for t, _ in selected}.values())
            elif self.timeline.selected_track:
                tracks = [self.timeline.current_track()]
            else:
                tracks = list(seq.tracks)
            chosen = [(t, c) for t in tracks if (c := t.clip_at(frame)) is not None and c.start < frame]
        unlocked = [c for t, c in chosen if not t.locked]
        if not unlocked:
            self.show_message("The clips under the playhead are on locked tracks" if chosen else
                              "Put the playhead inside a clip to split it (not on its first frame)")
            return
        text = "Split clip" if len(unlocked) == 1 else f"Split {len(unlocked)} clips"
        try:
            self.document.push([SplitClip(c.id, frame, new_id()) for c in unlocked], text)
        except EditError as exc:
            self.show_message(str(exc))
            return
        self.show_message(f"{text} at {seq.fps.timecode(frame)}")  # replaces whatever hint was showing

    def add_track(self, kind: TrackKind) -> None:
        letter = "V" if kind is TrackKind.VIDEO else "A"
        names = {t.name for t in self.document.project.sequence.tracks}
        number = next(n for n in range(1, len(names) + 2) if f"{letter}{n}" not in names)
        track = Track(new_id(), kind, f"{letter}{number}")
        self._push(AddTrack(track))
        self.timeline.select_track(track.id)

    def rename_track(self, track_id: str | None = None) -> None:
        track = self.document.project.sequence.track(track_id) if track_id else self.timeline.current_track()
        name, ok = QInputDialog.getText(self, "Rename Track", "Name:", text=track.name)
        if ok and name.strip() and name.strip() != track.name:
            self._push(EditTrack(track.id, name=name.strip()))

    def toggle_track_lock(self) -> None:
        track = self.timeline.current_track()
        self._push(EditTrack(track.id, locked=not track.locked))

    def delete_track(self) -> None:
        track = self.timeline.current_track()
        if track.clips:
            question = f"Delete track {track.name} and its {len(track.clips)} clips? (Undo brings them back.)"
            answer = QMessageBox.question(self, "Delete Track", question)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._push(RemoveTrack(track.id))

    def add_marker(self) -> None:
        frame = self.timeline.playhead
        number = len(self.document.project.sequence.markers) + 1
        self._push(AddMarker(Marker(new_id(), frame, f"Marker {number}")))

    def rename_marker(self) -> None:
        marker = self.document.project.sequence.marker_at(self.timeline.playhead)
        if marker is None:
            self.show_message("Put the playhead on a marker to rename it (Shift+Up/Down go to the markers)")
            return
        name, ok = QInputDialog.getText(self, "Rename Marker", "Name:", text=marker.name)
        if ok and name.strip() != marker.name:
            self._push(EditMarker(marker.id, name=name.strip()))

    def delete_marker(self) -> None:
        marker = self.document.project.sequence.marker_at(self.timeline.playhead)
        if marker is None:
            self.show_message("Put the playhead on a marker to delete it (Shift+Up/Down go to the markers)")
            return
        self._push(DeleteMarker(marker.id))

    def go_to_marker(self, direction: int) -> None:
        frames = [m.frame for m in self.document.project.sequence.markers]
        here = self.timeline.playhead
        ahead = [f for f in frames if f > here] if direction > 0 else [f for f in frames if f < here]
        if not ahead:
            self.show_message("No marker " + ("after" if direction > 0 else "before") + " the playhead")
            return
        self.timeline.set_playhead(min(ahead) if direction > 0 else max(ahead))

    def transition_length(self) -> int:
        """Frames a new transition or fade lasts: as set, else one second of the sequence."""
        return self._transition_frames or max(1, round(float(self.document.project.sequence.fps)))

    def ask_transition_length(self) -> None:
        frames, ok = QInputDialog.getInt(self, "Transition length", "Frames for new transitions and fades:",
                                         self.transition_length(), 1, 100_000)
        if ok:
            self._transition_frames = frames

    def add_transition(self, kind: TransitionKind) -> None:
        """A transition on the cut nearest the playhead on the selected track, as long as set (shortened
        to what the clips around the cut can cover)."""
        track = self.timeline.current_track()
        pair = cut_near(track, self.timeline.playhead)
        if pair is None:
            self.show_message(f"Track {track.name} has no cut between two touching clips for a transition")
            return
        left, right = pair
        frames = min(self.transition_length(), longest_transition(left, right))
        transition = Transition(new_id(), kind, left.id, right.id, frames)
        name = "Cross-dissolve" if kind is TransitionKind.DISSOLVE else "Dip to black"
        self._push(AddTransition(track.id, transition), f"Add {name.lower()}")
        if track.find_transition(transition.id) is not None:
            self.timeline.select_transition(track.id, transition.id)
            shortened = " (shortened to fit the clips)" if frames < self.transition_length() else ""
            self.show_message(f"{name} of {frames} frames at {self.document.project.sequence.fps.timecode(left.end)}"
                              f"{shortened}")

    def remove_transition(self) -> None:
        chosen = self.timeline.selected_transition
        if chosen is None:
            self.show_message("Click a transition on the timeline to select it, then remove it")
            return
        self._push(RemoveTransition(*chosen))

    def add_fade(self, which: str) -> None:
        """Fade the selected clip in or out over the transition length (at most the whole clip)."""
        clip_id = self.timeline.selected
        if clip_id is None:
            self.show_message(f"Select a clip to fade it {which}")
            return
        _, clip = self.document.project.sequence.find_clip(clip_id)
        frames = min(self.transition_length(), clip.duration)
        change = {"fade_in": frames} if which == "in" else {"fade_out": frames}
        self._push(EditClip(clip_id, **change), f"Fade {which}")

    def _selected_clips(self) -> list[tuple[Track, Clip]]:
        seq = self.document.project.sequence
        return sorted((seq.find_clip(i) for i in self.timeline.selection), key=lambda tc: tc[1].start)

    def delete_selected(self) -> None:
        """Lift the selected clips (their places stay empty); a selected gap is closed, a selected
        transition removed."""
        if self.timeline.selected_transition is not None:
            self.remove_transition()
            return
        if self.timeline.selected_gap is not None:
            self.ripple_delete()
            return
        chosen = self._selected_clips()
        if not chosen:
            self.show_message("Select a clip (or click a gap) to delete")
            return
        self._push([DeleteClipCommand(c.id) for _, c in chosen], "Delete clip" if len(chosen) == 1 else
                   f"Delete {len(chosen)} clips")

    def ripple_delete(self) -> None:
        """Remove the selected clips or gap and close up the track behind them."""
        if self.timeline.selected_gap is not None:
            track_id, start, end = self.timeline.selected_gap
            self._push(RippleDelete(track_id, start, end), "Close gap")
            return
        chosen = self._selected_clips()
        if not chosen:
            self.show_message("Select a clip or click a gap to ripple-delete")
            return
        # From the last clip back, so each removal leaves the earlier clips' places as they were.
        commands = [RippleDelete(t.id, c.start, c.end) for t, c in reversed(chosen)]
        self._push(commands, "Ripple delete" if len(chosen) == 1 else f"Ripple delete {len(chosen)} clips")

    def copy(self) -> bool:
        chosen = self._selected_clips()
        if not chosen:
            self.show_message("Select the clips to copy")
            return False
        first = chosen[0][1].start
        self._clipboard = [(t.id, t.kind, dataclasses.replace(c, start=c.start - first, takes=list(c.takes)))
                           for t, c in chosen]
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selected()

    def paste(self, at: int | None = None) -> None:
        """The copied clips at the playhead (or `at`), on the tracks they came from, over whatever is
        there; the pasted clips end selected and the playhead after them."""
        if not self._clipboard:
            self.show_message("Nothing to paste: copy (Ctrl+C) or cut (Ctrl+X) clips first")
            return
        seq = self.document.project.sequence
        at = self.timeline.playhead if at is None else at
        commands, pasted = [], []
        for track_id, kind, clip in self._clipboard:
            track = next((t for t in seq.tracks if t.id == track_id), None)
            if track is None:  # its track is gone: the first track of the same kind
                track = next((t for t in seq.tracks if t.kind is kind), None)
            if track is None:
                continue
            new = dataclasses.replace(clip, id=new_id(), start=at + clip.start, takes=list(clip.takes))
            commands += [ClearRange(track.id, new.start, new.end), AddClip(track.id, new)]
            pasted.append(new)
        if not commands:
            self.show_message("There is no track of the right kind to paste onto")
            return
        try:
            self.document.push(commands, "Paste" if len(pasted) == 1 else f"Paste {len(pasted)} clips")
        except EditError as exc:
            self.show_message(str(exc))
            return
        self.timeline.select_clips(c.id for c in pasted)
        self.timeline.set_playhead(max(c.end for c in pasted))

    def duplicate(self) -> None:
        chosen = self._selected_clips()
        if self.copy():
            self.paste(at=max(c.end for _, c in chosen))

    def select_all(self) -> None:
        self.timeline.select_clips(c.id for t in self.document.project.sequence.tracks for c in t.clips)

    def _push(self, command, text: str | None = None) -> None:
        try:
            self.document.push(command, text)
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

    def export_timeline(self, path: str | None = None) -> None:
        """The sequence as a timeline another editor opens: .otio, .otioz (with media), FCP XML, EDL."""
        if not path:
            path, _ = QFileDialog.getSaveFileName(
                self, "Export timeline", str(Path.home() / f"{self.document.project.name}.otio"),
                "OpenTimelineIO (*.otio);;OpenTimelineIO with media (*.otioz);;Final Cut Pro 7 XML — Premiere, "
                "Resolve (*.xml);;CMX 3600 EDL — Avid (*.edl)")
            if not path:
                return
        try:
            out = write_timeline(self.document.project, path)
        except InterchangeError as exc:
            QMessageBox.warning(self, "Cannot export the timeline", str(exc))
            return
        self.show_message(f"Timeline written to {out}")

    def import_timeline(self, path: str | None = None) -> None:
        """A timeline file as a new project (untitled until saved); its media stays where it is."""
        if not self._confirm_discard():
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Import timeline", str(Path.home()),
                                                  "Timelines (*.otio *.otioz *.xml *.edl)")
            if not path:
                return
        try:
            project = read_timeline(path, rate=float(self.document.project.sequence.fps))
        except InterchangeError as exc:
            QMessageBox.warning(self, "Cannot import the timeline", str(exc))
            return
        self.document.adopt(project)
        offline = sum(project.is_offline(m) for m in project.media.values())
        clips = sum(len(t.clips) for t in project.sequence.tracks)
        self.show_message(f"Imported {clips} clips from {Path(path).name}"
                          + (f"; {offline} media file(s) are offline" if offline else ""))

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
        from ..core.temporaries import sweep  # what a killed studio left half-written in the project
        sweep(self.document.folder)
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
        self.settings.models_dir = folder or None  # the next session uses it too
        self.refresh_models()

    def export(self) -> None:
        project = self.document.project
        if project.sequence.duration == 0:
            self.show_message("The sequence is empty: generate or add a shot before exporting")
            return
        default = (project.folder.parent if not self.document.untitled else Path.home()) / f"{project.name}.mp4"
        self.export_dialog = ExportDialog(project, default, self, marks=(self.viewer.mark_in, self.viewer.mark_out))
        self.export_dialog.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._confirm_discard():
            event.ignore()
            return
        self.settings.save_window(self)
        self._save_jobs()
        self._closing = True  # the jobs cancelled by the shutdown stay queued in jobs.json, for next time
        self.autosaver.close()
        self.viewer.shutdown()
        self.service.shutdown()
        # Stop listening to the undo stack: at exit it may be freed before this window, and a stack with
        # unsaved changes says "clean" as it goes, which _update_title would answer by asking the deleted
        # stack ("QUndoStack already deleted").
        self.document.undo_stack.blockSignals(True)
        event.accept()
