"""Markers in the real window: M adds one at the playhead, Shift+M names it, the flag drags along the
ruler, Shift+Up/Down jump between markers, and dragged clips snap to them."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QInputDialog

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.media.takes import write_frames
from studio.ui.timeline import MARKER_COLOUR, RULER_HEIGHT, TRACK_HEIGHT


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Markers")
    store.save(project, tmp_path / "Markers.studio")
    write_frames(project.folder / "media" / "grey.mkv", np.full((24, 32, 32, 3), 90, np.uint8), 24)
    project.media["g"] = MediaItem(id="g", path="media/grey.mkv", frames=24, width=32, height=32, name="grey")
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("c1", "g", 0, 0, 24), Clip("c2", "g", 60, 0, 24)]
    window = open_window(project)
    window.timeline.px_per_frame = 4.0
    window.timeline.scroll_frames = 0
    window.timeline.setFocus()
    return window


def press(qtbot, window, key, modifiers=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.timeline, key, modifiers)


def markers(window):
    return [(m.frame, m.name) for m in window.document.project.sequence.markers]


def test_m_adds_a_marker_at_the_playhead_drawn_on_the_ruler(qtbot, window):
    window.timeline.set_playhead(30)
    press(qtbot, window, Qt.Key.Key_M)
    assert markers(window) == [(30, "Marker 1")]
    window.timeline.set_playhead(100)  # the playhead is drawn over whatever it sits on
    image = window.timeline.grab().toImage()
    flag = image.pixelColor(window.timeline.frame_to_x(30), 6)
    assert flag.name() == MARKER_COLOUR.name()
    window.timeline.set_playhead(30)
    press(qtbot, window, Qt.Key.Key_M)  # a second marker on the same frame is refused, calmly
    assert markers(window) == [(30, "Marker 1")]
    assert "already a marker" in window.statusBar().currentMessage()
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert markers(window) == []


def test_shift_m_renames_and_ctrl_alt_m_deletes_the_marker_under_the_playhead(qtbot, window, monkeypatch):
    window.timeline.set_playhead(12)
    press(qtbot, window, Qt.Key.Key_M)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("door slams", True))
    press(qtbot, window, Qt.Key.Key_M, Qt.KeyboardModifier.ShiftModifier)
    assert markers(window) == [(12, "door slams")]
    press(qtbot, window, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier)
    assert markers(window) == []
    press(qtbot, window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert markers(window) == [(12, "door slams")]


def test_shift_down_and_up_jump_between_markers(qtbot, window):
    for frame in (10, 50, 90):
        window.timeline.set_playhead(frame)
        press(qtbot, window, Qt.Key.Key_M)
    window.timeline.set_playhead(0)
    visited = []
    for _ in range(3):
        press(qtbot, window, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
        visited.append(window.timeline.playhead)
    press(qtbot, window, Qt.Key.Key_Up, Qt.KeyboardModifier.ShiftModifier)
    assert visited == [10, 50, 90]
    assert window.timeline.playhead == 50
    assert window.viewer.frame == 50  # the viewer follows


def test_dragging_a_marker_flag_moves_it_as_one_undo_step(qtbot, window):
    window.timeline.set_playhead(20)
    press(qtbot, window, Qt.Key.Key_M)
    timeline = window.timeline
    start, end = QPoint(timeline.frame_to_x(20), 6), QPoint(timeline.frame_to_x(45), 6)
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):
        qtbot.mouseMove(timeline, start + (end - start) * i / 4)
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, pos=end)
    assert markers(window) == [(45, "Marker 1")]
    assert timeline.playhead == 45
    window.document.undo_stack.undo()
    assert markers(window) == [(20, "Marker 1")]


def test_a_dragged_clip_snaps_to_a_marker(qtbot, window):
    window.timeline.set_playhead(40)
    press(qtbot, window, Qt.Key.Key_M)
    window.timeline.set_playhead(200)  # the playhead out of the way: only the marker can pull
    timeline = window.timeline
    y = RULER_HEIGHT + TRACK_HEIGHT // 2
    start, end = QPoint(timeline.frame_to_x(70), y), QPoint(timeline.frame_to_x(70 - 19), y)  # c2 to 41
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):
        qtbot.mouseMove(timeline, start + (end - start) * i / 4)
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, pos=end)
    assert timeline.sequence.find_clip("c2")[1].start == 40
