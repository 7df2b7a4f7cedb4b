"""Small things an editor notices, driven with real mouse and keys: the live offset and duration while
dragging, Ctrl+B cutting what is under the playhead, the status bar after a split, the export dialog's
defaults, and Show in Folder after an export.

V1: c1 = ramp[0:24) at 0, c3 = ramp[0:12) at 60. V2: d1 = ramp[0:24) at 0. V3 (locked): e1 = ramp[0:24)
at 0."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QDesktopServices

from studio.core import store
from studio.core.project import Clip, MediaItem, Project, Track, TrackKind
from studio.media.takes import write_frames
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT

CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def window(qtbot, open_window, tmp_path):
    project = Project.new("Details")
    store.save(project, tmp_path / "Details.studio")
    write_frames(project.folder / "media" / "ramp.mkv", np.zeros((48, 32, 32, 3), np.uint8), 24)
    project.media["ramp"] = MediaItem(id="ramp", path="media/ramp.mkv", frames=48, width=32, height=32, name="ramp")
    seq = project.sequence
    seq.width = seq.height = 32
    seq.tracks[0].clips = [Clip("c1", "ramp", 0, 0, 24), Clip("c3", "ramp", 60, 0, 12)]
    seq.tracks.insert(0, Track("v2", TrackKind.VIDEO, "V2", clips=[Clip("d1", "ramp", 0, 0, 24)]))
    seq.tracks.insert(0, Track("v3", TrackKind.VIDEO, "V3", locked=True, clips=[Clip("e1", "ramp", 0, 0, 24)]))
    store.save(project)
    window = open_window(project)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # the window's keys work in the active window only
    window.timeline.px_per_frame = 4.0
    window.timeline.setFocus()
    return window


def at(window, frame, track_id):
    timeline = window.timeline
    row = [t.id for t in timeline.rows()].index(track_id)
    return QPoint(timeline.frame_to_x(frame), RULER_HEIGHT + row * TRACK_HEIGHT + TRACK_HEIGHT // 2)


def clips(window, track_id):
    return [(c.start, c.source_in, c.source_out) for c in window.document.project.sequence.track(track_id).clips]


def drag_and_read(qtbot, window, start, end) -> list[str]:
    """Drags with the left button; the status bar's message after each step of the way."""
    timeline, seen = window.timeline, []
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):
        qtbot.mouseMove(timeline, start + (end - start) * i / 4)
        seen.append(window.statusBar().currentMessage())
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, pos=end)
    return seen


@pytest.fixture
def v1_id(window):
    return window.document.project.sequence.video_tracks()[-1].id  # the first video track, at the bottom


def test_trimming_shows_the_offset_and_new_duration_while_dragging(qtbot, window, v1_id):
    edge = at(window, 72, v1_id) - QPoint(1, 0)  # c3's right edge
    seen = drag_and_read(qtbot, window, edge, edge + QPoint(20, 0))  # 5 frames on
    assert seen[-1] == "+00:00:00:05  duration 00:00:00:17"
    assert window.timeline.readout_text == ""  # the drag is over: the readout goes
    assert window.statusBar().currentMessage() == "Trim clip"  # what the drag did, not its readout
    assert clips(window, v1_id)[-1] == (60, 0, 17)
    assert window.document.undo_stack.count() == 1  # one drag, one undo step


def test_moving_shows_the_offset_and_new_start_while_dragging(qtbot, window, v1_id):
    middle = at(window, 66, v1_id)
    seen = drag_and_read(qtbot, window, middle, middle - QPoint(40, 0))  # 10 frames back
    assert seen[-1] == "-00:00:00:10  start 00:00:02:02"
    assert clips(window, v1_id)[-1] == (50, 0, 12)


def test_ctrl_b_with_nothing_selected_cuts_every_unlocked_track(qtbot, window, v1_id):
    window.timeline.set_playhead(10)
    qtbot.keyClick(window.timeline, Qt.Key.Key_B, CTRL)
    assert clips(window, v1_id)[:2] == [(0, 0, 10), (10, 10, 24)]
    assert clips(window, "v2") == [(0, 0, 10), (10, 10, 24)]  # picture and its other layers stay cut together
    assert clips(window, "v3") == [(0, 0, 24)]  # locked
    assert window.statusBar().currentMessage() == "Split 2 clips at 00:00:00:10"
    qtbot.keyClick(window.timeline, Qt.Key.Key_Z, CTRL)  # one undo step
    assert clips(window, v1_id)[0] == (0, 0, 24) and clips(window, "v2") == [(0, 0, 24)]


def test_ctrl_b_cuts_under_the_playhead_on_the_selected_clips_track_and_says_so(qtbot, window, v1_id):
    qtbot.mouseClick(window.timeline, Qt.MouseButton.LeftButton, pos=at(window, 5, v1_id))  # select c1
    assert window.timeline.selected == "c1"
    window.timeline.set_playhead(40)  # over no clip
    qtbot.keyClick(window.timeline, Qt.Key.Key_B, CTRL)
    assert "playhead inside a clip" in window.statusBar().currentMessage()
    window.timeline.set_playhead(64)  # inside c3, on the selected clip's track; c1 is not under it
    qtbot.keyClick(window.timeline, Qt.Key.Key_B, CTRL)
    assert clips(window, v1_id) == [(0, 0, 24), (60, 0, 4), (64, 4, 12)]
    assert clips(window, "v2") == [(0, 0, 24)]  # another track: not touched
    assert window.statusBar().currentMessage() == "Split clip at 00:00:02:16"  # the old hint is gone


def test_export_settings_say_their_real_defaults(qtbot, window):
    window.files.export()
    dialog = window.files.export_dialog
    assert (dialog.width.text(), dialog.height.text()) == ("32 (sequence)", "32 (sequence)")
    assert dialog.rate.currentText() == "24 fps (sequence)"
    assert dialog.quality.text() == "18 (H.264 default)"
    assert dialog.pixel_format.currentText() == "yuv420p (H.264 default)"
    index = next(i for i in range(dialog.format.count()) if dialog.format.itemText(i).startswith("Web 1080p"))
    dialog.format.setCurrentIndex(index)
    assert (dialog.width.text(), dialog.height.text()) == ("1920 (preset)", "1080 (preset)")
    assert dialog.quality.text() == "18 (preset)"
    index = next(i for i in range(dialog.format.count()) if dialog.format.itemText(i).startswith("ProRes 4444"))
    dialog.format.setCurrentIndex(index)
    assert dialog.quality.text() == "none (ProRes has no quality number)" and not dialog.quality.isEnabled()
    assert dialog.pixel_format.currentText() == "yuv444p10le (ProRes default)"
    assert dialog.settings.pix_fmt is None and dialog.settings.fps is None  # a default is not a change
    dialog.close()


def test_show_in_folder_after_an_export(qtbot, window, tmp_path, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    window.files.export()
    dialog = window.files.export_dialog
    assert dialog.show_folder_button.isHidden()
    (tmp_path / "out").mkdir()
    dialog.path.setText(str(tmp_path / "out" / "cut.mp4"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=60_000)
    assert dialog.state == "done", dialog.message
    assert not dialog.show_folder_button.isHidden()
    qtbot.mouseClick(dialog.show_folder_button, Qt.MouseButton.LeftButton)
    assert opened == [str(tmp_path / "out")]
    assert dialog.status.text().startswith("Exported")
    # A desktop with no file manager: said in the dialog (Qt's warning reached only the terminal).
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: False))
    qtbot.mouseClick(dialog.show_folder_button, Qt.MouseButton.LeftButton)
    assert dialog.status.text() == f"No program was found to open it: it is {tmp_path / 'out'}"
    dialog.close()
