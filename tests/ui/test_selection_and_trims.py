"""Selecting and editing several clips with real mouse and keys: shift-click, rubber band, group
moves, gaps, cut/copy/paste/duplicate, ripple delete, and Ctrl/Alt drags for ripple, roll and slip.

V1: c1 = ramp[0:24) at 0, c2 = ramp[10:34) at 24 (touching c1), c3 = ramp[0:12) at 60. The ramp's
frame i is red 5*i, so the viewer's red says which media frame shows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.media.takes import write_frames
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier
ALT = Qt.KeyboardModifier.AltModifier


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Trims")
    store.save(project, tmp_path / "Trims.studio")
    frames = np.zeros((48, 32, 32, 3), np.uint8)
    frames[..., 0] = (np.arange(48) * 5).astype(np.uint8)[:, None, None]
    write_frames(project.folder / "media" / "ramp.mkv", frames, 24)
    project.media["ramp"] = MediaItem(id="ramp", path="media/ramp.mkv", frames=48, width=32, height=32, name="ramp")
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [
        Clip("c1", "ramp", 0, 0, 24),
        Clip("c2", "ramp", 24, 10, 34),
        Clip("c3", "ramp", 60, 0, 12),
    ]
    window = open_window(project)
    window.timeline.px_per_frame = 4.0
    window.timeline.setFocus()
    return window


def at(timeline, frame, track=0):
    return QPoint(timeline.frame_to_x(frame), RULER_HEIGHT + track * TRACK_HEIGHT + TRACK_HEIGHT // 2)


def drag(qtbot, widget, start, end, modifiers=Qt.KeyboardModifier.NoModifier):
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, modifiers, start)
    for i in range(1, 5):
        qtbot.mouseMove(widget, start + (end - start) * i / 4)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, modifiers, end)


def v1(window):
    return [(c.id, c.start, c.source_in, c.source_out) for c in window.document.project.sequence.tracks[0].clips]


def key(qtbot, window, k, modifiers=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(window.timeline, k, modifiers)


def red_at(qtbot, window, frame):
    window.viewer.shown_frame = -1
    window.timeline.set_playhead(frame + 1)
    window.timeline.set_playhead(frame)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == frame, timeout=5000)
    return window.viewer.view.image.pixelColor(16, 16).red()


def test_shift_click_adds_and_removes_and_a_group_moves_as_one_edit(qtbot, window):
    t = window.timeline
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 10))
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, SHIFT, at(t, 65))
    assert t.selection == {"c1", "c3"}
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, SHIFT, at(t, 30))
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, SHIFT, at(t, 30))  # again: out of the selection
    assert t.selection == {"c1", "c3"}
    key(qtbot, window, Qt.Key.Key_Delete)
    assert [c[0] for c in v1(window)] == ["c2"]
    window.document.undo_stack.undo()
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 30))
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, SHIFT, at(t, 65))
    drag(qtbot, t, at(t, 65), at(t, 75))  # c2 and c3 move 10 frames right together
    assert v1(window) == [("c1", 0, 0, 24), ("c2", 34, 10, 34), ("c3", 70, 0, 12)]
    assert window.document.undo_stack.undoText() == "Move 2 clips"


def test_a_rubber_band_selects_what_it_touches(qtbot, window):
    t = window.timeline
    y = RULER_HEIGHT + TRACK_HEIGHT + 10  # start below the clips, in the empty audio track
    drag(qtbot, t, QPoint(t.frame_to_x(20), y), QPoint(t.frame_to_x(62), RULER_HEIGHT + 20))
    assert t.selection == {"c1", "c2", "c3"}
    drag(qtbot, t, QPoint(t.frame_to_x(30), y), QPoint(t.frame_to_x(40), RULER_HEIGHT + 20))
    assert t.selection == {"c2"}


def test_clicking_a_gap_selects_it_and_delete_closes_it(qtbot, window):
    t = window.timeline
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 50))
    assert t.selected_gap == (window.document.project.sequence.tracks[0].id, 48, 60)
    assert t.playhead == 50
    key(qtbot, window, Qt.Key.Key_Delete)
    assert v1(window)[-1] == ("c3", 48, 0, 12)
    window.document.undo_stack.undo()
    assert v1(window)[-1] == ("c3", 60, 0, 12)


def test_shift_delete_ripple_deletes_the_selected_clip(qtbot, window):
    t = window.timeline
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 10))
    key(qtbot, window, Qt.Key.Key_Delete, SHIFT)
    assert v1(window) == [("c2", 0, 10, 34), ("c3", 36, 0, 12)]
    assert red_at(qtbot, window, 0) == 50  # c2's first frame, ramp frame 10, is now at the start
    # The status bar says what was done, undone and redone (it kept the last action's word before).
    assert window.statusBar().currentMessage() == "Ripple delete"
    key(qtbot, window, Qt.Key.Key_Z, CTRL)
    assert v1(window)[0] == ("c1", 0, 0, 24) and window.statusBar().currentMessage() == "Undo: Ripple delete"
    key(qtbot, window, Qt.Key.Key_Z, CTRL | SHIFT)
    assert v1(window)[0] == ("c2", 0, 10, 34) and window.statusBar().currentMessage() == "Redo: Ripple delete"


def test_copy_paste_overwrites_at_the_playhead_and_cut_leaves_a_gap(qtbot, window):
    t = window.timeline
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 65))  # c3: ramp 0-12
    key(qtbot, window, Qt.Key.Key_C, CTRL)
    t.set_playhead(30)  # inside c2
    key(qtbot, window, Qt.Key.Key_V, CTRL)
    clips = v1(window)
    pasted = next(c for c in clips if c[0] not in ("c1", "c2", "c3"))
    assert pasted[1:] == (30, 0, 12)
    assert ("c2", 24, 10, 16) in clips  # c2 cut at 30 ...
    assert any(c[1:] == (42, 28, 34) for c in clips)  # ... and its rest after the pasted clip
    assert t.selection == {pasted[0]} and t.playhead == 42
    assert red_at(qtbot, window, 31) == 5  # ramp frame 1 of the pasted copy
    window.document.undo_stack.undo()
    assert v1(window) == [("c1", 0, 0, 24), ("c2", 24, 10, 34), ("c3", 60, 0, 12)]

    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 10))
    key(qtbot, window, Qt.Key.Key_X, CTRL)
    assert [c[0] for c in v1(window)] == ["c2", "c3"]
    t.set_playhead(80)
    key(qtbot, window, Qt.Key.Key_V, CTRL)
    assert v1(window)[-1][1:] == (80, 0, 24)


def test_duplicate_and_select_all(qtbot, window):
    t = window.timeline
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 65))
    key(qtbot, window, Qt.Key.Key_D, CTRL)
    assert v1(window)[-1][1:] == (72, 0, 12)
    key(qtbot, window, Qt.Key.Key_A, CTRL)
    assert len(t.selection) == 4


def test_ctrl_drag_on_an_edge_ripple_trims(qtbot, window):
    t = window.timeline
    drag(qtbot, t, at(t, 24), at(t, 19), CTRL)  # the c1/c2 cut grabs c1's right edge: 5 frames off c1
    assert v1(window) == [("c1", 0, 0, 19), ("c2", 19, 10, 34), ("c3", 55, 0, 12)]
    assert window.document.undo_stack.undoText() == "Ripple trim"


def test_alt_drag_on_a_cut_rolls_it(qtbot, window):
    t = window.timeline
    drag(qtbot, t, at(t, 24), at(t, 30), ALT)
    assert v1(window) == [("c1", 0, 0, 30), ("c2", 30, 16, 34), ("c3", 60, 0, 12)]
    assert red_at(qtbot, window, 29) == 145  # c1 now shows its ramp frame 29 there
    assert red_at(qtbot, window, 30) == 80  # and c2 starts at its frame 16


def test_alt_drag_on_a_clip_slips_it(qtbot, window):
    t = window.timeline
    before = red_at(qtbot, window, 65)
    drag(qtbot, t, at(t, 66), at(t, 60), ALT)  # dragged 6 frames left: shows 6 frames later in the media
    assert v1(window)[-1] == ("c3", 60, 6, 18)
    assert red_at(qtbot, window, 65) == before + 30
    drag(qtbot, t, at(t, 66), at(t, 96), ALT)  # past the media's start: refused, nothing changes
    assert v1(window)[-1] == ("c3", 60, 6, 18)
    assert "no frames before" in window.statusBar().currentMessage()
