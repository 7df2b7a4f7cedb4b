"""The timeline driven by real mouse and wheel events, checked on the project model."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.ui.document import Document
from studio.ui.timeline import HEADER_WIDTH, RULER_HEIGHT, TRACK_HEIGHT, TimelineWidget


@pytest.fixture
def timeline(qtbot, tmp_path):
    project = Project.new("Cut")
    store.save(project, tmp_path / "Cut.studio")
    project.media["m1"] = MediaItem(id="m1", path="media/m1.mkv", frames=48, width=64, height=64, name="shot one")
    project.media["m2"] = MediaItem(id="m2", path="media/m2.mkv", frames=24, width=64, height=64, name="shot two")
    v1 = project.sequence.tracks[0]
    v1.clips = [Clip("c1", "m1", 0, 0, 48), Clip("c2", "m2", 60, 0, 24)]
    widget = TimelineWidget(Document(project))
    widget.resize(900, RULER_HEIGHT + 2 * TRACK_HEIGHT + 10)
    widget.px_per_frame = 4.0
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def at(widget, frame: float, track: int = 0) -> QPoint:
    return QPoint(widget.frame_to_x(frame), RULER_HEIGHT + track * TRACK_HEIGHT + TRACK_HEIGHT // 2)


def drag(qtbot, widget, start: QPoint, end: QPoint) -> None:
    qtbot.mousePress(widget, Qt.MouseButton.LeftButton, pos=start)
    for i in range(1, 5):  # several moves, as a hand makes, still one edit
        qtbot.mouseMove(widget, start + (end - start) * i / 4)
    qtbot.mouseRelease(widget, Qt.MouseButton.LeftButton, pos=end)


def clip(widget, clip_id):
    return widget.sequence.find_clip(clip_id)[1]


def test_click_selects_a_clip_and_empty_space_clears(qtbot, timeline):
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=at(timeline, 20))
    assert timeline.selected == "c1"
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=at(timeline, 120))
    assert timeline.selected is None


def test_drag_moves_a_clip_as_one_undo_step(qtbot, timeline):
    stack = timeline.document.undo_stack
    drag(qtbot, timeline, at(timeline, 70), at(timeline, 100))
    assert clip(timeline, "c2").start == 90
    assert stack.count() == 1
    stack.undo()
    assert clip(timeline, "c2").start == 60
    stack.redo()
    assert clip(timeline, "c2").start == 90


def test_drag_onto_another_clip_is_refused_and_changes_nothing(qtbot, timeline):
    refused = []
    timeline.edit_refused.connect(refused.append)
    drag(qtbot, timeline, at(timeline, 70), at(timeline, 40))
    assert clip(timeline, "c2").start == 60
    assert refused and "overlap" in refused[0]
    assert timeline.document.undo_stack.count() == 0


def test_moving_a_video_clip_to_the_audio_track_is_not_offered(qtbot, timeline):
    drag(qtbot, timeline, at(timeline, 70), at(timeline, 70, track=1))
    track, moved = timeline.sequence.find_clip("c2")
    assert track.name == "V1" and moved.start == 60


def test_drag_right_edge_trims_and_cannot_pass_the_media_end(qtbot, timeline):
    drag(qtbot, timeline, at(timeline, 48), at(timeline, 30))
    assert (clip(timeline, "c1").source_in, clip(timeline, "c1").source_out) == (0, 30)
    drag(qtbot, timeline, at(timeline, 30), at(timeline, 55))  # the media has 48 frames
    assert clip(timeline, "c1").source_out == 30


def test_drag_left_edge_trims_the_in_point(qtbot, timeline):
    drag(qtbot, timeline, at(timeline, 60), at(timeline, 66))
    c2 = clip(timeline, "c2")
    assert (c2.start, c2.source_in, c2.source_out) == (66, 6, 24)


def test_click_on_the_ruler_moves_the_playhead(qtbot, timeline):
    moved = []
    timeline.playhead_moved.connect(moved.append)
    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(timeline.frame_to_x(33), RULER_HEIGHT // 2))
    assert timeline.playhead == 33 and moved == [33]


def test_ctrl_wheel_zooms_and_fit_shows_everything(qtbot, timeline):
    before = timeline.px_per_frame
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QWheelEvent
    from PySide6.QtWidgets import QApplication

    pos = QPointF(at(timeline, 30))
    event = QWheelEvent(
        pos,
        timeline.mapToGlobal(pos),
        QPoint(),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.ControlModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(timeline, event)
    assert timeline.px_per_frame > before
    timeline.zoom_to_fit()
    assert timeline.frame_to_x(timeline.sequence.duration) <= timeline.width()
    assert timeline.frame_to_x(0) == HEADER_WIDTH


def test_drags_snap_to_clip_edges_and_the_playhead_unless_snapping_is_off(qtbot, timeline):
    # c2 (60-84) dragged left to end 2 frames (8 px) after c1's end at 48: it snaps to touch c1.
    drag(qtbot, timeline, at(timeline, 70), at(timeline, 70 - 10))
    assert clip(timeline, "c2").start == 48
    timeline.document.undo_stack.undo()
    timeline.set_playhead(100)
    drag(qtbot, timeline, at(timeline, 70), at(timeline, 70 + 39))  # start 99: one frame from the playhead
    assert clip(timeline, "c2").start == 100
    timeline.document.undo_stack.undo()
    timeline.snapping = False
    drag(qtbot, timeline, at(timeline, 70), at(timeline, 70 - 10))
    assert clip(timeline, "c2").start == 50
