"""The main window's menu bar: every command of the editor, by menu, with its keys and its tip. What a
command does lives in the window's action objects (files, edits, shots, generation); this file only
names and arranges them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QActionGroup, QKeySequence

from ..core.project import TrackKind, TransitionKind
from .ui_settings import UiSettings
from .viewer import ASPECT_GUIDES

if TYPE_CHECKING:
    from .main_window import MainWindow


def add_action(window: MainWindow, menu, text: str, slot, shortcut=None, tip: str = "") -> QAction:
    action = QAction(text, window)
    if shortcut is not None:
        action.setShortcut(QKeySequence(shortcut))
    action.setStatusTip(tip or text)
    action.triggered.connect(slot)
    menu.addAction(action)
    return action


def build_menus(window: MainWindow) -> None:
    edits, files, shots = window.edits, window.files, window.shots
    bar = window.menuBar()
    file = bar.addMenu("&File")
    add_action(window, file, "&New Project", files.new_project, QKeySequence.StandardKey.New)
    add_action(window, file, "&Open Project…", files.open_project, QKeySequence.StandardKey.Open)
    window.recent_menu = file.addMenu("Open &Recent")
    reopen = add_action(
        window,
        file,
        "Reopen &Last Project at Start",
        lambda on: setattr(UiSettings(), "reopen_last_project", on),
        tip="Start the studio in the project it had open last time",
    )
    reopen.setCheckable(True)
    reopen.setChecked(UiSettings().reopen_last_project)
    add_action(window, file, "&Save", files.save, QKeySequence.StandardKey.Save)
    add_action(window, file, "Save &As…", files.save_as, QKeySequence.StandardKey.SaveAs)
    file.addSeparator()
    add_action(
        window,
        file,
        "&Import Media…",
        window.media_bin.import_dialog,
        "Ctrl+I",
        "Import video, image and audio files into the media bin",
    )
    add_action(window, file, "&Export…", files.export, "Ctrl+M", "Export the sequence to a video file")
    add_action(
        window,
        file,
        "Export &Timeline…",
        lambda: files.export_timeline(),
        "Ctrl+Shift+E",
        "Write the sequence for another editor: OpenTimelineIO, FCP XML (Premiere, Resolve) or EDL",
    )
    add_action(
        window,
        file,
        "Import Timeli&ne…",
        lambda: files.import_timeline(),
        "Ctrl+Shift+I",
        "Open an OpenTimelineIO, FCP XML or EDL timeline as a new project",
    )
    add_action(
        window, file, "&Purge Unused Media…", files.purge_unused_media, tip="Move takes nothing uses to the trash"
    )
    file.addSeparator()
    add_action(window, file, "&Quit", window.close, "Ctrl+Q")  # Windows has no standard Quit key

    edit = bar.addMenu("&Edit")
    undo = window.document.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcut(QKeySequence.StandardKey.Undo)
    redo = window.document.undo_stack.createRedoAction(window, "&Redo")
    # Spelled out: the platform's Redo already is Ctrl+Shift+Z on Linux, and the same key twice on
    # one action is an "ambiguous shortcut" that Qt refuses to fire.
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    edit.addAction(undo)
    edit.addAction(redo)
    edit.addSeparator()
    add_action(window, edit, "S&plit at Playhead", edits.split_at_playhead, "Ctrl+B")
    add_action(
        window,
        edit,
        "&Delete",
        edits.delete_selected,
        QKeySequence.StandardKey.Delete,
        "Delete the selected clips, leaving a gap (a selected gap is closed)",
    )
    add_action(
        window,
        edit,
        "&Ripple Delete",
        edits.ripple_delete,
        "Shift+Del",
        "Delete the selected clips or gap and pull the rest of the track left",
    )
    edit.addSeparator()
    add_action(window, edit, "Cu&t", edits.cut, QKeySequence.StandardKey.Cut)
    add_action(window, edit, "&Copy", edits.copy, QKeySequence.StandardKey.Copy)
    add_action(
        window,
        edit,
        "&Paste",
        lambda: edits.paste(),
        QKeySequence.StandardKey.Paste,
        "Paste at the playhead, over whatever is there (overwrite)",
    )
    add_action(window, edit, "D&uplicate", edits.duplicate, "Ctrl+D", "Copy the selected clips to just after them")
    add_action(window, edit, "Select &All", edits.select_all, QKeySequence.StandardKey.SelectAll)

    view = bar.addMenu("&View")
    add_action(window, view, "Zoom &In", window.timeline.zoom_in, "=")
    add_action(window, view, "Zoom &Out", window.timeline.zoom_out, "-")
    add_action(window, view, "Zoom to &Fit", window.timeline.zoom_to_fit, "Shift+Z")
    snapping = add_action(
        window,
        view,
        "&Snapping",
        window._set_snapping,
        "N",
        "Snap dragged clips and edges to the playhead, marks and other clips",
    )
    snapping.setCheckable(True)
    snapping.setChecked(window.timeline.snapping)
    window.snapping_action = snapping
    view.addSeparator()
    safe = add_action(
        window,
        view,
        "Safe &Areas",
        window.viewer.set_safe_areas,
        "Ctrl+'",
        "Show the action-safe (90%) and title-safe (80%) frames in the viewer",
    )
    safe.setCheckable(True)
    window.safe_areas_action = safe
    guides = view.addMenu("Aspect &Guide")
    group = QActionGroup(window)
    for name in (None, *ASPECT_GUIDES):
        action = guides.addAction(name or "None")
        action.setCheckable(True)
        action.setChecked(name is None)
        action.setToolTip("Dim what a frame of this aspect would crop" if name else "No aspect guide")
        action.triggered.connect(lambda _=False, n=name: window.viewer.set_aspect_guide(n))
        group.addAction(action)
    window.aspect_guide_menu = guides
    view.addSeparator()
    add_action(
        window,
        view,
        "&Reset Layout",
        window.reset_layout,
        tip="Put the Shot, Jobs, Media and Inspector panels back where they start",
    )

    timeline = bar.addMenu("&Timeline")
    add_action(window, timeline, "Add &Marker", edits.add_marker, "M", "Add a marker at the playhead")
    add_action(window, timeline, "&Rename Marker…", edits.rename_marker, "Shift+M", "Name the marker at the playhead")
    add_action(
        window, timeline, "&Delete Marker", edits.delete_marker, "Ctrl+Alt+M", "Delete the marker at the playhead"
    )
    add_action(window, timeline, "&Next Marker", lambda: edits.go_to_marker(1), "Shift+Down")
    add_action(window, timeline, "&Previous Marker", lambda: edits.go_to_marker(-1), "Shift+Up")
    timeline.addSeparator()
    add_action(
        window,
        timeline,
        "Add &Video Track",
        lambda: edits.add_track(TrackKind.VIDEO),
        None,
        "Add a video track above the others",
    )
    add_action(
        window,
        timeline,
        "Add &Audio Track",
        lambda: edits.add_track(TrackKind.AUDIO),
        None,
        "Add an audio track below the others",
    )
    add_action(
        window,
        timeline,
        "Rena&me Track…",
        lambda: edits.rename_track(),
        None,
        "Rename the selected track (or double-click its name)",
    )
    add_action(
        window,
        timeline,
        "&Lock / Unlock Track",
        edits.toggle_track_lock,
        None,
        "Lock the selected track's clips against edits (or click its padlock)",
    )
    add_action(window, timeline, "Delete &Track", edits.delete_track, None, "Delete the selected track and its clips")
    timeline.addSeparator()
    add_action(
        window,
        timeline,
        "Add &Cross-Dissolve",
        lambda: edits.add_transition(TransitionKind.DISSOLVE),
        "Ctrl+T",
        "Dissolve across the cut nearest the playhead on the selected track",
    )
    add_action(
        window,
        timeline,
        "Add Dip to &Black",
        lambda: edits.add_transition(TransitionKind.DIP),
        "Ctrl+Shift+T",
        "Dip to black across the cut nearest the playhead on the selected track",
    )
    add_action(
        window,
        timeline,
        "R&emove Transition",
        edits.remove_transition,
        None,
        "Remove the selected transition (or select it and press Delete)",
    )
    add_action(
        window,
        timeline,
        "Fade &In",
        lambda: edits.add_fade("in"),
        None,
        "Fade the selected clip up from black over its first frames",
    )
    add_action(
        window,
        timeline,
        "Fade &Out",
        lambda: edits.add_fade("out"),
        None,
        "Fade the selected clip down to black over its last frames",
    )
    add_action(
        window,
        timeline,
        "Transition Len&gth…",
        edits.ask_transition_length,
        None,
        "How many frames new transitions and fades last (1 second unless set)",
    )

    play = bar.addMenu("&Playback")
    add_action(window, play, "&Play / Pause", window.viewer.toggle_play, "Space")
    add_action(window, play, "Play &Backwards (again: faster)", lambda: window.viewer.shuttle(-1), "J")
    add_action(window, play, "Pause", window.viewer.pause, "K")
    add_action(window, play, "Play &Forwards (again: faster)", lambda: window.viewer.shuttle(1), "L")
    add_action(window, play, "Previous &Frame", lambda: window.viewer.step(-1), "Left")
    add_action(window, play, "&Next Frame", lambda: window.viewer.step(1), "Right")
    add_action(window, play, "Go to &Start", lambda: window.viewer.seek(0), "Home")
    add_action(
        window,
        play,
        "Go to &End",
        lambda: window.viewer.seek(max(0, window.document.project.sequence.duration - 1)),
        "End",
    )
    play.addSeparator()
    add_action(window, play, "Mark &In", window.viewer.set_mark_in, "I")
    add_action(window, play, "Mark &Out", window.viewer.set_mark_out, "O")
    add_action(window, play, "&Clear In and Out", window.viewer.clear_marks, "Alt+X")
    loop = add_action(
        window,
        play,
        "&Loop Playback",
        window._set_loop,
        "Ctrl+L",
        "Loop between the in and out points (or the whole sequence)",
    )
    loop.setCheckable(True)
    window.loop_action = loop

    generate = bar.addMenu("&Generate")
    add_action(
        window,
        generate,
        "&Generate Shot",
        lambda: shots.generate(),
        "Ctrl+Return",
        "Generate the shot at the playhead, or fill the selected gap",
    )
    add_action(
        window,
        generate,
        "&Fill Gap",
        shots.fill_gap,
        "Ctrl+Shift+F",
        "Generate a bridge from the clip before the selected gap to the clip after it",
    )
    add_action(
        window,
        generate,
        "&Remix Shot…",
        lambda: shots.remix_clip(),
        "Ctrl+Shift+R",
        "Make the selected shot again with another prompt, seed or strength, as new takes",
    )
    refine = add_action(window, generate, "Re&fine Draft", lambda: shots.refine_clip(), "Ctrl+Shift+D")
    window.refine_action = refine

    def offer_refine(*_: object) -> None:  # enabled for a clip showing a draft; otherwise it says why not
        refusal = shots.refine_refusal()
        refine.setEnabled(refusal is None)
        refine.setStatusTip(
            refusal or "Make the full take of the selected draft (same recipe and seed): a new take of the same clip"
        )
        refine.setToolTip(refine.statusTip())

    window.timeline.selection_changed.connect(offer_refine)
    window.document.changed.connect(offer_refine)
    window.document.replaced.connect(offer_refine)
    offer_refine()
    generate.setToolTipsVisible(True)  # a disabled action's reason shows on hover
    add_action(
        window,
        generate,
        "&Continue from Clip",
        lambda: shots.continue_clip(),
        "Ctrl+Shift+C",
        "Start a new shot from the selected clip's last frame, placed right after it",
    )
    add_action(
        window,
        generate,
        "Make Seamless &Loop",
        lambda: shots.loop_clip(),
        "Ctrl+Shift+L",
        "Add frames after the selected clip that lead back into its first frame",
    )
    add_action(
        window,
        generate,
        "Re&style Clip…",
        lambda: shots.restyle_clip(),
        "Ctrl+Shift+Y",
        "Remake the selected clip from a prompt (video to video), keeping as much of it as you say",
    )
    generate.addSeparator()
    add_action(
        window,
        generate,
        "Generate All &Placeholders",
        shots.generate_placeholders,
        tip="Queue every clip whose take is missing but whose recipe can make it (an imported timeline's shots)",
    )
    add_action(
        window,
        generate,
        "&Takes for Selected Clips…",
        lambda: shots.takes_for_selected(),
        tip="Queue more takes of each selected generated clip, with new seeds",
    )
    generate.addSeparator()
    add_action(
        window,
        generate,
        "Resume &Interrupted Jobs",
        window.generation.resume_all_jobs,
        tip="Queue again the jobs that were waiting or running when the studio last closed",
    )
    add_action(
        window,
        generate,
        "Clear Finished &Jobs",
        window.generation.clear_finished_jobs,
        tip="Remove done, failed and cancelled jobs from the Jobs panel",
    )

    help_menu = bar.addMenu("&Help")
    add_action(window, help_menu, "&Keyboard Shortcuts", window.show_shortcuts, "F1")
    add_action(
        window,
        help_menu,
        "Show &Log Folder",
        window.show_log_folder,
        tip="The editor's and the engine's logs, for a bug report (they hold your prompts)",
    )
    generate.addSeparator()  # last in the Generate menu: the models its shots are made with
    add_action(window, generate, "&Models…", window.show_models, tip="The models, where they are, and downloading them")
    add_action(
        window,
        generate,
        "&Workers…",
        window.show_workers,
        tip="Where jobs run: one worker, every GPU, chosen GPUs, CPU workers or a Ray cluster",
    )
