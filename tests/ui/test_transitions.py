"""Transitions, fades, fit and retime driven as a person would: keys, menu commands, clicks on the
timeline and the inspector's controls; checked on the project, the undo stack and the viewer.

V1: c1 = ramp[0:24) at 0, c2 = ramp[10:34) at 24 (touching c1: the cut is at 24). The ramp's
frame i is red 5*i, so the viewer's red says which media frames show and how they mix."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from studio.core import store
from studio.core.project import Clip, MediaItem, Project, TransitionKind
from studio.core.timebase import FrameRate
from studio.media.audio import SAMPLE_RATE, SequenceAudio, write_audio
from studio.media.takes import write_frames
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT

CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Transitions")
    store.save(project, tmp_path / "Transitions.studio")
    frames = np.zeros((48, 32, 32, 3), np.uint8)
    frames[..., 0] = (np.arange(48) * 5).astype(np.uint8)[:, None, None]
    write_frames(project.folder / "media" / "ramp.mkv", frames, 24)
    project.media["ramp"] = MediaItem(id="ramp", path="media/ramp.mkv", frames=48, width=32, height=32, name="ramp")
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("c1", "ramp", 0, 0, 24), Clip("c2", "ramp", 24, 10, 34)]
    window = open_window(project)
    window.timeline.px_per_frame = 4.0
    window.timeline.setFocus()
    return window


def at(timeline, frame, track=0):
    return QPoint(timeline.frame_to_x(frame), RULER_HEIGHT + track * TRACK_HEIGHT + TRACK_HEIGHT // 2)


def red_at(qtbot, window, frame):
    window.viewer.shown_frame = -1
    window.timeline.set_playhead(frame + 1)
    window.timeline.set_playhead(frame)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == frame, timeout=5000)
    return window.viewer.view.image.pixelColor(16, 16).red()


def action(window, menu: str, text: str):
    """A menu command by its menu and its text without the & marks."""
    for menu_action in window.menuBar().actions():
        if menu_action.text().replace("&", "") == menu:
            for item in menu_action.menu().actions():
                if item.text().replace("&", "") == text:
                    return item
    raise LookupError(f"no {menu} → {text}")


def v1(window):
    return window.document.project.sequence.tracks[0]


def test_ctrl_t_dissolves_across_the_cut_nearest_the_playhead(qtbot, window):
    t = window.timeline
    t.set_playhead(20)
    qtbot.keyClick(t, Qt.Key.Key_T, CTRL)
    [transition] = v1(window).transitions
    assert (transition.kind, transition.left_id, transition.right_id, transition.frames) == (
        TransitionKind.DISSOLVE,
        "c1",
        "c2",
        24,
    )  # one second at 24 fps
    assert window.document.undo_stack.undoText() == "Add cross-dissolve"
    # Frame 24, half way through [12, 36): c1 runs on into its media (frame 24, red 120), c2 shows
    # media frame 10 (red 50); half of each.
    assert red_at(qtbot, window, 24) == 85
    assert red_at(qtbot, window, 12) == 60  # the first frame is still all c1 (media frame 12)
    assert red_at(qtbot, window, 36) == 110  # after it, all c2 (media frame 22)
    qtbot.keyClick(t, Qt.Key.Key_Z, CTRL)
    assert v1(window).transitions == []
    assert red_at(qtbot, window, 24) == 50


def test_a_dip_to_black_from_its_shortcut_is_black_on_the_cut(qtbot, window):
    t = window.timeline
    t.set_playhead(30)
    qtbot.keyClick(t, Qt.Key.Key_T, CTRL | SHIFT)
    assert [tr.kind for tr in v1(window).transitions] == [TransitionKind.DIP]
    assert red_at(qtbot, window, 24) == 0
    assert red_at(qtbot, window, 18) == 45  # c1's frame 18 (red 90) at half level


def test_clicking_a_transition_selects_it_and_delete_removes_it(qtbot, window):
    t = window.timeline
    t.set_playhead(24)
    qtbot.keyClick(t, Qt.Key.Key_T, CTRL)
    transition = v1(window).transitions[0]
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 50))  # elsewhere: nothing selected
    assert t.selected_transition is None
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 20))  # on the band, left of the cut
    assert t.selected_transition == (v1(window).id, transition.id) and t.selection == set()
    qtbot.keyClick(t, Qt.Key.Key_Delete)
    assert v1(window).transitions == [] and [c.id for c in v1(window).clips] == ["c1", "c2"]
    qtbot.keyClick(t, Qt.Key.Key_Z, CTRL)
    assert v1(window).transitions == [transition]
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 28))
    action(window, "Timeline", "Remove Transition").trigger()
    assert v1(window).transitions == []


def test_transitions_are_drawn_on_their_frames(qtbot, window):
    t = window.timeline
    t.set_playhead(24)
    qtbot.keyClick(t, Qt.Key.Key_T, CTRL)
    image = t.grab().toImage()
    inside, outside = at(t, 16), at(t, 6)
    # The band's fill differs from the clip's body beside it, and it spans the window [12, 36).
    assert image.pixelColor(inside) != image.pixelColor(outside)
    index = 0
    rect = t.transition_rect(index, v1(window).transitions[0], 24)
    assert (rect.left(), rect.right() + 1) == (t.frame_to_x(12), t.frame_to_x(36))


def test_a_short_cut_gets_a_shorter_transition(qtbot, window):
    window.document.project.sequence.tracks[0].clips[1].source_out = 16  # c2 lasts 6 frames
    t = window.timeline
    qtbot.keyClick(t, Qt.Key.Key_T, CTRL)
    assert v1(window).transitions[0].frames == 12  # 6 before the cut and 6 after


def test_fade_in_and_out_from_the_menu(qtbot, window):
    t = window.timeline
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 5))
    action(window, "Timeline", "Fade In").trigger()
    action(window, "Timeline", "Fade Out").trigger()
    clip = v1(window).clips[0]
    assert (clip.fade_in, clip.fade_out) == (24, 24)  # a second each, the whole 24-frame clip
    assert window.statusBar().currentMessage() == "Fade out over 24 frames (the whole clip)"
    assert red_at(qtbot, window, 0) == 0
    assert red_at(qtbot, window, 6) == round(30 * 0.25 * 0.75)  # in a quarter, out three quarters
    window.document.undo_stack.undo()
    assert (clip.fade_in, clip.fade_out) == (24, 0)


def test_the_inspector_sets_fit_retime_and_fades_as_undoable_edits(qtbot, window):
    t = window.timeline
    inspector = window.inspector
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 5))
    assert inspector.look.isVisible()
    assert inspector.fit.currentData() == "fit"
    assert not inspector.retime.isEnabled()  # the media has the sequence's rate
    inspector.fit.setFocus()
    qtbot.keyClick(inspector.fit, Qt.Key.Key_Down)
    clip = v1(window).clips[0]
    assert clip.fit == "fill"
    assert window.document.undo_stack.undoText() == "Change clip"
    inspector.fade_out.setFocus()
    inspector.fade_out.selectAll()
    qtbot.keyClicks(inspector.fade_out, "6")
    qtbot.keyClick(inspector.fade_out, Qt.Key.Key_Return)
    assert clip.fade_out == 6
    window.document.undo_stack.undo()
    assert clip.fade_out == 0 and inspector.fade_out.value() == 0
    window.document.undo_stack.undo()
    assert clip.fit == "fit" and inspector.fit.currentData() == "fit"


def test_the_inspector_retimes_a_clip_of_another_rate(qtbot, open_window, tmp_path):
    project = Project.new("Rates")
    store.save(project, tmp_path / "Rates.studio")
    frames = np.zeros((12, 32, 32, 3), np.uint8)
    frames[..., 0] = (np.arange(12) * 20).astype(np.uint8)[:, None, None]
    write_frames(project.folder / "media" / "slow.mkv", frames, 12)
    project.media["slow"] = MediaItem(
        id="slow", path="media/slow.mkv", frames=12, width=32, height=32, fps=FrameRate(12), name="slow"
    )
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("c", "slow", 0, 0, 22)]
    window = open_window(project)
    window.timeline.px_per_frame = 4.0
    t = window.timeline
    assert red_at(qtbot, window, 3) == 40  # 12 fps on 24: frame 3 is media 1.5, the nearest (up) is 2
    qtbot.mouseClick(t, Qt.MouseButton.LeftButton, pos=at(t, 5))
    retime = window.inspector.retime
    assert retime.isEnabled()
    retime.setFocus()
    qtbot.keyClick(retime, Qt.Key.Key_Down)
    assert v1(window).clips[0].retime == "flow"
    assert red_at(qtbot, window, 3) == 30  # half way between media frames 1 and 2


def test_ctrl_t_on_an_audio_track_cross_fades_its_clips(qtbot, window):
    project = window.document.project
    for name, level in (("s1", 0.6), ("s2", 0.2)):
        write_audio(project.folder / "media" / f"{name}.wav", np.full((2 * SAMPLE_RATE, 2), level, np.float32))
        project.media[name] = MediaItem(id=name, path=f"media/{name}.wav", kind="audio", frames=48, name=name)
    a1 = project.sequence.tracks[1]
    a1.clips = [Clip("a", "s1", 0, 0, 24), Clip("b", "s2", 24, 12, 36)]
    window.timeline.update()
    qtbot.mouseClick(window.timeline, Qt.MouseButton.LeftButton, pos=at(window.timeline, 6, track=1))
    window.timeline.set_playhead(23)
    qtbot.keyClick(window.timeline, Qt.Key.Key_T, CTRL)
    assert [t.kind for t in a1.transitions] == [TransitionKind.DISSOLVE]
    left = SequenceAudio(project).samples(0, 48)[:, 0]
    assert abs(left[24 * 2000] - 0.4) < 0.01  # half of each at the cut
    window.document.undo_stack.undo()
    assert a1.transitions == []
