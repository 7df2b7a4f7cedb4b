"""Tracks in the real window: add, rename, lock, hide, mute and delete them from the headers and the
Timeline menu; each is undoable, and the viewer shows what a hidden track leaves out."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QInputDialog, QMessageBox

from studio.core import store
from studio.core.project import Clip, MediaItem, Project, TrackKind
from studio.media.takes import write_frames
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT


@pytest.fixture
def window(open_window, tmp_path):
    """V1 holds a red clip at 0-24; A1 is empty."""
    project = Project.new("Tracks")
    store.save(project, tmp_path / "Tracks.studio")
    for name, colour in (("red", (200, 0, 0)), ("blue", (0, 0, 200))):
        write_frames(project.folder / "media" / f"{name}.mkv", np.full((24, 32, 32, 3), colour, np.uint8), 24)
        project.media[name] = MediaItem(id=name, path=f"media/{name}.mkv", frames=24, width=32, height=32, name=name)
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("r", "red", 0, 0, 24)]
    window = open_window(project)
    window.timeline.px_per_frame = 4.0
    return window


def menu_action(window, text):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Timeline")
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def row_point(timeline, track_name, frame=None):
    index = next(i for i, t in enumerate(timeline.rows()) if t.name == track_name)
    y = RULER_HEIGHT + index * TRACK_HEIGHT - timeline.scroll_y + TRACK_HEIGHT // 2
    return QPoint(timeline.frame_to_x(frame) if frame is not None else 20, y)


def button(timeline, track_name, which):
    index = next(i for i, t in enumerate(timeline.rows()) if t.name == track_name)
    return timeline.header_button(index, which).center()


def drag(qtbot, widget, start, end):
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):
        qtbot.mouseMove(widget, start + (end - start) * i / 4)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def viewer_red(qtbot, window, frame=5):
    window.viewer.shown_frame = -1
    window.timeline.set_playhead(frame + 1)
    window.timeline.set_playhead(frame)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == frame, timeout=5000)
    colour = window.viewer.view.image.pixelColor(16, 16)
    return colour.red(), colour.blue()


def test_a_new_video_track_sits_on_top_and_hiding_it_shows_the_track_below(qtbot, window):
    timeline, seq = window.timeline, window.document.project.sequence
    menu_action(window, "Add Video Track").trigger()
    assert [t.name for t in timeline.rows()] == ["V2", "V1", "A1"]
    # a blue clip from the bin onto V2, above V1's red one
    from studio.core.commands import AddClip

    window.document.push(AddClip(seq.tracks[1].id, Clip("b", "blue", 0, 0, 24)))
    assert seq.tracks[1].name == "V2"
    assert viewer_red(qtbot, window) == (0, 200)  # the top track shows

    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=button(timeline, "V2", "view"))
    assert seq.tracks[1].hidden
    assert viewer_red(qtbot, window) == (200, 0)  # hidden: V1 shows through
    window.document.undo_stack.undo()
    assert not seq.tracks[1].hidden
    assert viewer_red(qtbot, window) == (0, 200)


def test_a_clip_moves_onto_the_new_track_by_dragging(qtbot, window):
    timeline = window.timeline
    menu_action(window, "Add Video Track").trigger()
    drag(qtbot, timeline, row_point(timeline, "V1", 10), row_point(timeline, "V2", 10))
    v2 = next(t for t in window.document.project.sequence.tracks if t.name == "V2")
    assert [c.id for c in v2.clips] == ["r"]


def test_a_locked_track_refuses_drags_and_splits_until_unlocked(qtbot, window):
    timeline, track = window.timeline, window.document.project.sequence.tracks[0]
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=button(timeline, "V1", "lock"))
    assert track.locked
    drag(qtbot, timeline, row_point(timeline, "V1", 10), row_point(timeline, "V1", 40))
    assert track.clips[0].start == 0
    assert "locked" in window.statusBar().currentMessage()
    timeline.set_playhead(12)
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert len(track.clips) == 1
    assert "locked" in window.statusBar().currentMessage()

    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=button(timeline, "V1", "lock"))
    assert not track.locked
    drag(qtbot, timeline, row_point(timeline, "V1", 10), row_point(timeline, "V1", 40))
    assert track.clips[0].start == 30


def test_double_clicking_a_track_name_renames_it(qtbot, window, monkeypatch):
    timeline = window.timeline
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Dialogue", True))
    point = row_point(timeline, "A1")
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=point)
    qtbot.mouseDClick(timeline, Qt.MouseButton.LeftButton, pos=point)
    audio = next(t for t in window.document.project.sequence.tracks if t.kind is TrackKind.AUDIO)
    assert audio.name == "Dialogue"
    window.document.undo_stack.undo()
    assert audio.name == "A1"


def test_muting_an_audio_track_from_its_speaker(qtbot, window):
    timeline = window.timeline
    audio = window.document.project.sequence.tracks[1]
    box = timeline.header_button(timeline.row_of(audio.id), "view")
    before = timeline.grab().toImage().pixelColor(box.left() + 4, box.center().y())
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=box.center())
    assert audio.muted
    after = timeline.grab().toImage().pixelColor(box.left() + 4, box.center().y())
    assert after.red() > 200 and after.red() > before.red() - 10 and after.green() < before.green()


def test_deleting_a_track_with_clips_asks_and_undo_brings_them_back(qtbot, window, monkeypatch):
    timeline, seq = window.timeline, window.document.project.sequence
    menu_action(window, "Add Video Track").trigger()
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=row_point(timeline, "V1"))  # select V1's header
    menu_action(window, "Delete Track").trigger()
    assert asked and "V1" in asked[0]
    assert [t.name for t in seq.tracks] == ["V2", "A1"]
    menu_action(window, "Delete Track").trigger()  # the last video track stays
    assert [t.name for t in seq.tracks] == ["V2", "A1"]
    assert "at least one video track" in window.statusBar().currentMessage()
    window.document.undo_stack.undo()
    assert [t.name for t in seq.tracks] == ["V1", "V2", "A1"]
    assert [c.id for c in seq.tracks[0].clips] == ["r"]


def test_track_states_are_saved_and_many_tracks_scroll_with_shift_wheel(qtbot, window, tmp_path):
    timeline = window.timeline
    for _ in range(6):
        menu_action(window, "Add Audio Track").trigger()
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=button(timeline, "V1", "lock"))
    assert timeline._max_scroll_y() > 0
    pos = QPointF(row_point(timeline, "V1", 10))
    event = QWheelEvent(
        pos,
        timeline.mapToGlobal(pos),
        QPoint(),
        QPoint(0, -240),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ShiftModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(timeline, event)
    assert timeline.scroll_y > 0
    last = timeline.rows()[-1]
    assert timeline.track_at(row_point(timeline, last.name).y()) == len(timeline.rows()) - 1

    window.files.save_to(str(tmp_path / "Again"))
    again = store.load(tmp_path / "Again.studio")
    assert [t.name for t in again.sequence.tracks] == ["V1", "A1", "A2", "A3", "A4", "A5", "A6", "A7"]
    assert again.sequence.tracks[0].locked
