"""Fit, retime, fades and transitions as data: their commands, undo and redo, and the project file."""

from __future__ import annotations

import json

import pytest

from studio.core import store
from studio.core.commands import (
    AddTransition,
    Command,
    EditClip,
    EditError,
    EditTrack,
    MoveClip,
    RemoveTransition,
    SplitClip,
    TrimClip,
    cut_near,
)
from studio.core.project import (
    Clip,
    Project,
    Transition,
    TransitionKind,
    conformed_length,
    nearest_media_frame,
)
from studio.core.timebase import FrameRate


def state(project: Project) -> str:
    return json.dumps(store.to_json(project), sort_keys=True)


def undo_redo(project: Project, command: Command) -> None:
    """Apply, revert to exactly the state before, apply again to exactly the state after."""
    before = state(project)
    command.apply(project)
    after = state(project)
    assert after != before
    command.revert(project)
    assert state(project) == before
    command.apply(project)
    assert state(project) == after


@pytest.fixture
def cut(project: Project) -> Project:
    """V1: a[0:10) at 0 and b[5:15) at 10, touching at frame 10."""
    MoveClip("b", 10).apply(project)
    return project


def test_add_and_remove_a_transition_undo_redo(cut: Project) -> None:
    track = cut.sequence.track("v1")
    dissolve = Transition("x", TransitionKind.DISSOLVE, "a", "b", 6)
    undo_redo(cut, AddTransition("v1", dissolve))
    assert track.transitions == [dissolve]
    assert track.transition_at(7)[0] is dissolve and track.transition_at(12)[0] is dissolve
    assert track.transition_at(6) is None and track.transition_at(13) is None
    undo_redo(cut, RemoveTransition("v1", "x"))
    assert track.transitions == []


def test_a_new_transition_on_a_cut_replaces_the_old_one(cut: Project) -> None:
    track = cut.sequence.track("v1")
    AddTransition("v1", Transition("x", TransitionKind.DISSOLVE, "a", "b", 6)).apply(cut)
    dip = AddTransition("v1", Transition("y", TransitionKind.DIP, "a", "b", 4))
    dip.apply(cut)
    assert [t.id for t in track.transitions] == ["y"]
    dip.revert(cut)
    assert [t.id for t in track.transitions] == ["x"]


@pytest.mark.parametrize(
    ("left", "right", "frames", "message"),
    [
        ("a", "b", 0, "at least one frame"),
        ("a", "b", 21, "at most 20 frames"),
        ("a", "b", 22, "at most 20 frames"),
        ("a", "s", 4, "touch"),
    ],
)
def test_refused_transitions_change_nothing(cut: Project, left: str, right: str, frames: int, message: str) -> None:
    before = state(cut)
    with pytest.raises(EditError, match=message):
        AddTransition("v1", Transition("x", TransitionKind.DISSOLVE, left, right, frames)).apply(cut)
    assert state(cut) == before


def test_a_locked_track_refuses_transitions(cut: Project) -> None:
    EditTrack("v1", locked=True).apply(cut)
    with pytest.raises(EditError, match="locked"):
        AddTransition("v1", Transition("x", TransitionKind.DISSOLVE, "a", "b", 4)).apply(cut)


def test_a_transition_is_inert_while_its_clips_are_apart_and_back_after_undo(cut: Project) -> None:
    track = cut.sequence.track("v1")
    AddTransition("v1", Transition("x", TransitionKind.DISSOLVE, "a", "b", 4)).apply(cut)
    move = MoveClip("b", 14)
    move.apply(cut)
    assert track.live_transitions() == [] and track.transition_at(10) is None
    move.revert(cut)
    assert track.transition_at(10)[0].id == "x"


def test_cut_near_picks_the_nearest_cut(cut: Project) -> None:
    track = cut.sequence.track("v1")
    assert [c.id for c in cut_near(track, 0)] == ["a", "b"]
    assert cut_near(cut.sequence.track("v2"), 5) is None


def test_fit_retime_and_fades_undo_redo(project: Project) -> None:
    clip = project.sequence.track("v1").find("a")
    undo_redo(project, EditClip("a", fit="fill"))
    undo_redo(project, EditClip("a", retime="flow"))
    undo_redo(project, EditClip("a", fade_in=3, fade_out=4))
    assert (clip.fit, clip.retime, clip.fade_in, clip.fade_out) == ("fill", "flow", 3, 4)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"fit": "zoom"}, "unknown fit"), ({"retime": "blend"}, "unknown retime"), ({"fade_in": 11}, "does not fit")],
)
def test_refused_clip_changes(project: Project, change: dict, message: str) -> None:
    with pytest.raises(EditError, match=message):
        EditClip("a", **change).apply(project)


def test_a_split_keeps_the_fade_in_left_and_the_fade_out_right(project: Project) -> None:
    EditClip("a", fade_in=2, fade_out=3).apply(project)
    split = SplitClip("a", 5, "a2")
    undo_redo(project, split)
    _, left = project.sequence.find_clip("a")
    _, right = project.sequence.find_clip("a2")
    assert (left.fade_in, left.fade_out, right.fade_in, right.fade_out) == (2, 0, 0, 3)


def test_the_new_fields_round_trip_and_old_files_load(cut: Project, tmp_path) -> None:
    AddTransition("v1", Transition("x", TransitionKind.DIP, "a", "b", 8)).apply(cut)
    EditClip("a", fit="stretch", retime="flow", fade_in=2).apply(cut)
    cut.folder = None
    store.save(cut, tmp_path / "p")
    loaded = store.load(tmp_path / "p")
    assert state(loaded) == state(cut)
    data = json.loads((tmp_path / "p.studio" / "project.json").read_text())
    assert data["schema"] == 2
    # A version 1 file (no such fields) opens with the defaults: fit, nearest frames, no fades.
    old = {
        "schema": 1,
        "name": "old",
        "media": [],
        "sequences": [
            {
                "id": "s",
                "tracks": [
                    {"id": "v", "clips": [{"id": "c", "media_id": "m", "start": 0, "source_in": 0, "source_out": 5}]}
                ],
            }
        ],
    }
    clip = store.from_json(old, None).sequence.tracks[0].clips[0]
    assert (clip.fit, clip.retime, clip.fade_in, clip.fade_out) == ("fit", "frames", 0, 0)
    assert "fit" not in Clip("c", "m", 0, 0, 5).to_dict()  # defaults are not written


def test_conform_arithmetic() -> None:
    f24, f30 = FrameRate(24), FrameRate(30)
    assert [nearest_media_frame(k, f30, f24) for k in range(9)] == [0, 1, 3, 4, 5, 6, 8, 9, 10]
    assert [nearest_media_frame(k, f24, f30) for k in range(6)] == [0, 1, 2, 2, 3, 4]
    assert [nearest_media_frame(k, f24, f24) for k in range(4)] == [0, 1, 2, 3]
    assert conformed_length(60, f30, f24) == 48 and conformed_length(48, f24, f30) == 60
    assert conformed_length(40, FrameRate(30000, 1001), FrameRate(30000, 1001)) == 40


def test_a_faster_take_is_shorter_on_the_timeline(project: Project) -> None:
    """A 30-frame 30 fps take lasts 24 frames on the 24 fps sequence: trims stop there."""
    project.media["n"].fps = FrameRate(30)
    with pytest.raises(EditError, match="ends after 24 frames"):
        TrimClip("b", "right", 20 + 20).apply(project)
    TrimClip("b", "right", 20 + 19).apply(project)
