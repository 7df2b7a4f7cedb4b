"""Editors' multi-clip edits: clear a range (overwrite), ripple delete, ripple trim, roll, slip.

The fixture's V1: a = media m[0:10) at 0, b = media n[5:15) at 20 (m and n have 30 frames)."""

from __future__ import annotations

import pytest

from studio.core.commands import ClearRange, EditError, EditTrack, RippleDelete, RippleTrim, RollEdit, SlipClip
from studio.core.project import Clip
from tests.core.test_commands import check_undoable


def v1(project):
    return [(c.id, c.start, c.source_in, c.source_out) for c in project.sequence.track("v1").clips]


def test_clear_range_trims_splits_and_removes(project):
    check_undoable(project, ClearRange("v1", 4, 24, split_id="b2"))
    ClearRange("v1", 4, 24, split_id="b2").apply(project)
    assert v1(project) == [("a", 0, 0, 4), ("b", 24, 9, 15)]
    ClearRange("v1", 25, 27, split_id="b3").apply(project)  # inside b: cut in two around the range
    assert v1(project) == [("a", 0, 0, 4), ("b", 24, 9, 10), ("b3", 27, 12, 15)]
    ClearRange("v1", 0, 100).apply(project)
    assert v1(project) == []


def test_ripple_delete_closes_the_gap(project):
    check_undoable(project, RippleDelete("v1", 0, 10))
    RippleDelete("v1", 10, 20).apply(project)  # the gap between a and b
    assert v1(project) == [("a", 0, 0, 10), ("b", 10, 5, 15)]
    RippleDelete("v1", 0, 10).apply(project)  # clip a
    assert v1(project) == [("b", 0, 5, 15)]
    assert [c.start for c in project.sequence.track("v2").clips] == [5]  # other tracks stay


def test_ripple_trim_moves_the_clips_after(project):
    check_undoable(project, RippleTrim("a", "right", 6))
    RippleTrim("a", "right", 6).apply(project)  # 4 frames off a's end: b follows
    assert v1(project) == [("a", 0, 0, 6), ("b", 16, 5, 15)]
    RippleTrim("a", "left", 2).apply(project)  # 2 frames off its start: a stays at 0, b follows
    assert v1(project) == [("a", 0, 2, 6), ("b", 14, 5, 15)]
    RippleTrim("a", "right", 20).apply(project)  # longer again, up to media frame 22
    assert v1(project) == [("a", 0, 2, 22), ("b", 30, 5, 15)]
    with pytest.raises(EditError, match="ends after 30 frames"):
        RippleTrim("a", "right", 40).apply(project)
    with pytest.raises(EditError, match="no frames before its first"):
        RippleTrim("a", "left", -3).apply(project)


def test_roll_moves_the_cut_between_touching_clips(project):
    project.sequence.track("v1").clips[1] = Clip("b", "n", 10, 5, 15)  # b now touches a at 10
    check_undoable(project, RollEdit("a", "b", 13))
    RollEdit("a", "b", 13).apply(project)
    assert v1(project) == [("a", 0, 0, 13), ("b", 13, 8, 15)]
    RollEdit("a", "b", 6).apply(project)
    assert v1(project) == [("a", 0, 0, 6), ("b", 6, 1, 15)]
    with pytest.raises(EditError, match="no frames before its first"):
        RollEdit("a", "b", 4).apply(project)  # b would need frame -1 of its media
    with pytest.raises(EditError, match="at least one frame"):
        RollEdit("a", "b", 20).apply(project)  # b would have no frames left


def test_roll_needs_touching_clips(project):
    with pytest.raises(EditError, match="touch"):
        RollEdit("a", "b", 12).apply(project)


def test_slip_shows_other_frames_in_the_same_place(project):
    check_undoable(project, SlipClip("b", 7))
    SlipClip("b", 7).apply(project)
    assert v1(project) == [("a", 0, 0, 10), ("b", 20, 12, 22)]
    with pytest.raises(EditError, match="ends after 30 frames"):
        SlipClip("b", 9).apply(project)
    with pytest.raises(EditError, match="no frames before"):
        SlipClip("b", -13).apply(project)


@pytest.mark.parametrize(
    "command", [ClearRange("v1", 0, 5), RippleDelete("v1", 0, 5), RippleTrim("a", "right", 5), SlipClip("a", 1)]
)
def test_locked_tracks_refuse_them(project, command):
    EditTrack("v1", locked=True).apply(project)
    with pytest.raises(EditError, match="locked"):
        command.apply(project)
