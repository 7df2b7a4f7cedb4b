from __future__ import annotations

import copy
import json

import pytest

from studio.core import store
from studio.core.commands import (
    AddClip,
    AddMedia,
    Command,
    DeleteClip,
    EditError,
    MoveClip,
    SetActiveTake,
    SetSequenceFormat,
    SplitClip,
    TrimClip,
    UseTake,
    add_clip_with_sound,
)
from studio.core.project import Clip, MediaItem, MediaKind, Project, Track, TrackKind
from studio.core.timebase import FrameRate


def state(project: Project) -> str:
    return json.dumps(store.to_json(project), sort_keys=True)


def check_undoable(project: Project, command: Command) -> None:
    """apply changes the project, revert restores it exactly, and redo gives the same result."""
    before = state(project)
    command.apply(project)
    after = state(project)
    assert after != before
    command.revert(project)
    assert state(project) == before
    command.apply(project)
    assert state(project) == after
    command.revert(project)
    assert state(project) == before


def test_add_clip(project: Project) -> None:
    check_undoable(project, AddClip("v1", Clip("c", "m", 10, 20, 30)))
    AddClip("v1", Clip("c", "m", 10, 20, 30)).apply(project)
    assert [c.id for c in project.sequence.track("v1").clips] == ["a", "c", "b"]  # kept in order


def test_add_media(project: Project) -> None:
    check_undoable(project, AddMedia(MediaItem("new", "media/new.mkv", frames=5)))


@pytest.mark.parametrize(
    "command",
    [
        MoveClip("a", 40),
        MoveClip("b", 10),
        MoveClip("s", 30, "v1"),  # to another video track
        MoveClip("a", 13, "v2"),  # onto another track, just after its clip
    ],
)
def test_move_clip(project: Project, command: MoveClip) -> None:
    check_undoable(project, command)


def test_move_keeps_the_track_in_order(project: Project) -> None:
    MoveClip("a", 40).apply(project)
    assert [(c.id, c.start) for c in project.sequence.track("v1").clips] == [("b", 20), ("a", 40)]


@pytest.mark.parametrize(
    "command",
    [
        TrimClip("a", "right", 5),
        TrimClip("a", "right", 15),  # into the gap, within the media's 30 frames
        TrimClip("b", "left", 23),  # shorter from the left: start and source in move together
        TrimClip("b", "left", 15),  # longer from the left, back to the media's first frame
        TrimClip("s", "left", 0),  # a still holds for any length
        TrimClip("s", "right", 100),
    ],
)
def test_trim_clip(project: Project, command: TrimClip) -> None:
    check_undoable(project, command)


def test_trim_left_moves_source_in_with_start(project: Project) -> None:
    TrimClip("b", "left", 22).apply(project)
    clip = project.sequence.find_clip("b")[1]
    assert (clip.start, clip.source_in, clip.source_out) == (22, 7, 15)
    assert clip.source_frame(22) == 7
    TrimClip("b", "left", 16).apply(project)
    assert (clip.start, clip.source_in, clip.source_out) == (16, 1, 15)


def test_split_clip(project: Project) -> None:
    check_undoable(project, SplitClip("b", 24, "b2"))
    SplitClip("b", 24, "b2").apply(project)
    _, left = project.sequence.find_clip("b")
    _, right = project.sequence.find_clip("b2")
    assert (left.start, left.source_in, left.source_out) == (20, 5, 9)
    assert (right.start, right.source_in, right.source_out) == (24, 9, 15)
    assert right.takes == left.takes and right.takes is not left.takes


def test_delete_clip(project: Project) -> None:
    check_undoable(project, DeleteClip("a"))
    check_undoable(project, DeleteClip("s"))


def test_set_sequence_format(project: Project) -> None:
    check_undoable(project, SetSequenceFormat(1280, 720, FrameRate(30000, 1001)))


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        (AddClip("v1", Clip("c", "nope", 10, 0, 5)), "not in the project"),
        (AddClip("v1", Clip("c", "m", 10, 5, 5)), "at least one frame"),
        (AddClip("v1", Clip("c", "m", 5, 0, 10)), "overlap"),
        (AddClip("v1", Clip("c", "m", -3, 0, 2)), "before the beginning"),
        (MoveClip("a", 15), "overlap"),
        (MoveClip("a", -1), "before the beginning"),
        (MoveClip("a", 0, "a1"), "cannot go on a audio track"),
        (TrimClip("b", "left", 14), "no frames before its first"),
        (TrimClip("a", "right", 31), "ends after 30 frames"),
        (TrimClip("a", "right", 0), "at least one frame"),
        (TrimClip("a", "left", 10), "at least one frame"),
        (TrimClip("a", "right", 21), "overlap"),
        (TrimClip("a", "middle", 3), "unknown edge"),
        (SplitClip("a", 0, "a2"), "inside the clip"),
        (SplitClip("a", 10, "a2"), "inside the clip"),
        (SetSequenceFormat(0, 720, FrameRate(24)), "positive size"),
    ],
)
def test_refused_edits_change_nothing(project: Project, command: Command, reason: str) -> None:
    before = state(project)
    original = copy.deepcopy(project)
    with pytest.raises(EditError, match=reason):
        command.apply(project)
    assert state(project) == before
    assert project == original


def test_set_active_take(project: Project) -> None:
    project.media["m2"] = MediaItem("m2", "media/take1b.mkv", frames=30)
    project.media["short"] = MediaItem("short", "media/short.mkv", frames=5)
    project.sequence.tracks[0].clips[0].takes += ["m2", "short"]
    check_undoable(project, SetActiveTake("a", "m2"))
    before = state(project)
    with pytest.raises(EditError, match="has 5 frames"):
        SetActiveTake("a", "short").apply(project)  # the clip shows frames 0-10
    with pytest.raises(EditError, match="another shot"):
        SetActiveTake("a", "n").apply(project)
    assert state(project) == before


def test_use_take_moves_the_clip_onto_an_extended_take(project: Project) -> None:
    project.media["longer"] = MediaItem("longer", "media/longer.mkv", frames=40)
    # Clip a shows frames 0-10 of m at 0; the extended take has 10 new frames before m's 30.
    check_undoable(project, UseTake("a", "longer", 0, 10, 20))
    before = state(project)
    with pytest.raises(EditError, match="not all in the new take"):
        UseTake("a", "longer", 0, 30, 45).apply(project)
    with pytest.raises(EditError, match="overlap"):
        UseTake("a", "longer", 0, 0, 25).apply(project)  # would run into clip b at 20
    assert state(project) == before


def test_a_video_with_sound_gets_its_sound_on_the_first_free_audio_track(project: Project) -> None:
    seq = project.sequence
    project.media["talk"] = MediaItem("talk", "media/talk.mkv", frames=12, has_audio=True)
    busy = Track("a0", TrackKind.AUDIO, "A0", [Clip("x", "n", 45, 0, 5)])  # over frames 45-50
    locked = Track("a2", TrackKind.AUDIO, "A2", locked=True)
    seq.tracks[1:1] = [busy, locked]
    picture, sound = add_clip_with_sound(seq, "v1", project.media["talk"], 40, 12)
    assert (picture.track_id, sound.track_id) == ("v1", "a1")  # a0 is taken there, a2 is locked
    assert [(c.clip.media_id, c.clip.start, c.clip.end) for c in (picture, sound)] == [("talk", 40, 52)] * 2
    assert picture.clip.id != sound.clip.id
    for command in (picture, sound):
        command.apply(project)
    AddClip("a1", Clip("y", "n", 60, 0, 5)).apply(project)
    assert [c.track_id for c in add_clip_with_sound(seq, "v1", project.media["talk"], 58, 4)] == ["v1", "a0"]
    assert len(add_clip_with_sound(seq, "v1", project.media["talk"], 46, 4)) == 1  # no audio track free


@pytest.mark.parametrize(
    "item",
    [
        MediaItem("quiet", "media/quiet.mkv", frames=12),
        MediaItem("still", "media/still.png", MediaKind.IMAGE, frames=1, has_audio=True),
    ],
)
def test_a_clip_without_sound_is_the_picture_alone(project: Project, item: MediaItem) -> None:
    project.media[item.id] = item
    assert [c.track_id for c in add_clip_with_sound(project.sequence, "v1", item, 40, 12)] == ["v1"]
