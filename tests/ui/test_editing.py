"""Menus and keys of the main window on a project with clips: split, delete, undo, save, reopen."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.media.takes import write_frames


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Edit")
    store.save(project, tmp_path / "Edit.studio")
    frames = np.zeros((24, 32, 32, 3), np.uint8)
    frames[..., 0] = np.arange(24, dtype=np.uint8)[:, None, None] * 10  # red ramps with the frame number
    write_frames(project.folder / "media" / "ramp.mkv", frames, 24)
    project.media["ramp"] = MediaItem(id="ramp", path="media/ramp.mkv", frames=24, width=32, height=32, name="ramp")
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("c1", "ramp", 0, 0, 24)]
    return open_window(project)


def test_split_at_playhead_with_ctrl_b_and_undo(qtbot, window):
    window.timeline.set_playhead(10)
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    clips = window.document.project.sequence.tracks[0].clips
    assert [(c.start, c.source_in, c.source_out) for c in clips] == [(0, 0, 10), (10, 10, 24)]
    qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [(c.start, c.source_out) for c in clips] == [(0, 24)]


def test_delete_key_removes_the_selected_clip(qtbot, window):
    window.timeline.select("c1")
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Delete)
    assert window.document.project.sequence.duration == 0
    assert "ramp" in window.document.project.media  # the media stays in the project


def test_viewer_shows_the_frame_under_the_playhead(qtbot, window):
    window.timeline.set_playhead(7)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == 7, timeout=5000)
    red = window.viewer.view.image.pixelColor(16, 16).red()
    assert abs(red - 70) <= 1
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == 8, timeout=5000)
    assert abs(window.viewer.view.image.pixelColor(16, 16).red() - 80) <= 1


def test_save_as_and_reopen_keep_the_edit(qtbot, window, tmp_path):
    window.timeline.set_playhead(12)
    window.edits.split_at_playhead()
    assert window.document.is_modified()
    assert window.files.save_to(str(tmp_path / "Copy"))
    assert not window.document.is_modified()
    saved = json.loads((tmp_path / "Copy.studio" / "project.json").read_text())
    assert len(saved["sequences"][0]["tracks"][0]["clips"]) == 2
    assert (tmp_path / "Copy.studio" / "media" / "ramp.mkv").exists()  # the take came along
    window.files.new_project()
    assert window.document.project.sequence.duration == 0
    window.files.open_project(str(tmp_path / "Copy.studio"))
    assert window.document.project.sequence.duration == 24
    assert not window.document.project.is_offline(window.document.project.media["ramp"])


def test_opening_a_damaged_project_keeps_the_open_one(qtbot, window, tmp_path, monkeypatch):
    bad = tmp_path / "Bad.studio"
    bad.mkdir()
    (bad / "project.json").write_text("{ not json")
    warnings = []
    monkeypatch.setattr("studio.ui.file_actions.QMessageBox.warning", lambda *a: warnings.append(a[2]))
    before = window.document.project
    window.files.open_project(str(bad))
    assert window.document.project is before
    assert warnings and "not valid JSON" in warnings[0]
    assert (bad / "project.json").read_text() == "{ not json"


def test_l_plays_forward_faster_with_each_press_and_k_stops(qtbot, window):
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_L)
    assert window.viewer.playing and window.viewer.speed == 1
    qtbot.keyClick(window.timeline, Qt.Key.Key_L)
    assert window.viewer.speed == 2
    qtbot.keyClick(window.timeline, Qt.Key.Key_K)
    assert not window.viewer.playing
    stopped_at = window.viewer.frame
    qtbot.wait(100)
    assert window.viewer.frame == stopped_at


def test_j_plays_backwards_to_the_start(qtbot, window):
    window.viewer.seek(20)
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_J)
    assert window.viewer.speed == -1
    qtbot.keyClick(window.timeline, Qt.Key.Key_J)  # twice the speed: 20 frames in under a second
    qtbot.waitUntil(lambda: not window.viewer.playing, timeout=3000)
    assert window.viewer.frame == 0 and window.timeline.playhead == 0


def test_in_and_out_marks_bound_loop_playback(qtbot, window):
    window.timeline.setFocus()
    window.viewer.seek(5)
    qtbot.keyClick(window.timeline, Qt.Key.Key_I)
    window.viewer.seek(9)
    qtbot.keyClick(window.timeline, Qt.Key.Key_O)
    assert (window.viewer.mark_in, window.viewer.mark_out) == (5, 9)
    assert window.timeline.marks == (5, 9)
    qtbot.keyClick(window.timeline, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # loop on
    assert window.loop_action.isChecked()
    seen = []
    window.viewer.frame_changed.connect(seen.append)
    window.viewer.play()
    qtbot.waitUntil(lambda: seen.count(5) >= 2, timeout=5000)  # came round to the in point again
    window.viewer.pause()
    assert set(seen) <= set(range(5, 10)), seen


def test_help_lists_every_shortcut_from_the_menus(qtbot, window):
    keys = {command: key for _, command, key in window.shortcut_table()}
    assert keys["Split at Playhead"] == "Ctrl+B"
    assert keys["Pause"] == "K" and keys["Mark In"] == "I" and keys["Mark Out"] == "O"
    assert keys["Play / Pause"] == "Space"
    window.show_shortcuts()
    assert "Ctrl+B" in window.shortcuts_box.text()
    window.shortcuts_box.close()


def test_clips_show_filmstrip_thumbnails_loaded_in_the_background(qtbot, window):
    timeline = window.timeline
    timeline.set_zoom(20.0, 0)  # 24 frames over 480 px: several thumbnails
    row = timeline.clip_rect(0, timeline.sequence.tracks[0].clips[0])

    def third_thumbnail_colour():
        # Square 20 px thumbnails (the strip's height) side by side: the third starts 41 px in.
        return timeline.grab().toImage().pixelColor(row.left() + 46, row.center().y())

    # The ramp is pure red, brighter each frame; the clip's own fill is blue-grey.
    qtbot.waitUntil(lambda: third_thumbnail_colour().green() < 10, timeout=10_000)
    colour = third_thumbnail_colour()
    # 20 px per frame: the third thumbnail's left edge is at frame 2, whose red is 2 × 10.
    assert abs(colour.red() - 20) <= 3 and colour.blue() < 10, colour.name()


def test_undo_reaches_back_at_least_a_hundred_edits(qtbot, window):
    """120 markers added with the M key, one edit each, all undone with Ctrl+Z back to none."""
    markers = window.document.project.sequence.markers
    window.timeline.setFocus()
    for frame in range(120):
        window.timeline.set_playhead(frame)
        qtbot.keyClick(window.timeline, Qt.Key.Key_M)
    assert len(markers) == 120
    for _ in range(120):
        qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert markers == [] and not window.document.undo_stack.canUndo()
