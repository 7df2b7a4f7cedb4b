"""Track commands: add, remove, rename, lock, mute, hide; a locked track refuses every clip edit."""

from __future__ import annotations

import pytest

from studio.core.commands import (
    AddClip,
    AddTrack,
    DeleteClip,
    EditError,
    EditTrack,
    MoveClip,
    RemoveTrack,
    SplitClip,
    TrimClip,
)
from studio.core.project import Clip, Project, Track, TrackKind
from studio.media.compose import SequenceFrames
from tests.core.test_commands import check_undoable


def names(project):
    return [t.name for t in project.sequence.tracks]


def test_new_tracks_go_after_their_kind(project):
    check_undoable(project, AddTrack(Track("v3", TrackKind.VIDEO, "V3")))
    AddTrack(Track("v3", TrackKind.VIDEO, "V3")).apply(project)
    AddTrack(Track("a2", TrackKind.AUDIO, "A2")).apply(project)
    assert names(project) == ["V1", "A1", "A2", "V2", "V3"]


def test_remove_takes_the_clips_and_undo_restores_both(project):
    check_undoable(project, RemoveTrack("v2"))
    RemoveTrack("v2").apply(project)
    with pytest.raises(EditError, match="at least one video track"):
        RemoveTrack("v1").apply(project)


@pytest.mark.parametrize("change", [{"name": "Dialogue"}, {"locked": True}, {"muted": True}, {"hidden": True}])
def test_edit_track_is_undoable(project, change):
    check_undoable(project, EditTrack("a1", **change))


def test_a_track_needs_a_name(project):
    with pytest.raises(EditError, match="needs a name"):
        EditTrack("v1", name="  ").apply(project)


@pytest.mark.parametrize(
    "command",
    [
        AddClip("v1", Clip("new", "m", 40, 0, 5)),
        MoveClip("a", 30),
        MoveClip("s", 40, "v1"),  # onto the locked track
        TrimClip("a", "right", 5),
        SplitClip("a", 5, "a2"),
        DeleteClip("a"),
        RemoveTrack("v1"),
    ],
    ids=["add", "move", "move onto", "trim", "split", "delete", "remove track"],
)
def test_a_locked_track_refuses_clip_edits(project, command):
    EditTrack("v1", locked=True).apply(project)
    AddTrack(Track("v3", TrackKind.VIDEO, "V3")).apply(project)  # so removing V1 is refused for the lock only
    before = [(c.id, c.start, c.source_in, c.source_out) for c in project.sequence.tracks[0].clips]
    with pytest.raises(EditError, match="V1 is locked"):
        command.apply(project)
    assert [(c.id, c.start, c.source_in, c.source_out) for c in project.sequence.tracks[0].clips] == before


def test_a_hidden_track_is_left_out_of_the_picture(tmp_path):
    import numpy as np

    from studio.core import store
    from studio.core.project import MediaItem
    from studio.media.takes import write_frames

    project = Project.new("h")
    store.save(project, tmp_path / "h.studio")
    write_frames(project.folder / "media" / "w.mkv", np.full((4, 16, 16, 3), 250, np.uint8), 24)
    project.media["w"] = MediaItem(id="w", path="media/w.mkv", frames=4, width=16, height=16)
    project.sequence.width = project.sequence.height = 16
    project.sequence.tracks[0].clips = [Clip("c", "w", 0, 0, 4)]
    frames = SequenceFrames(project)
    assert frames.frame_at(1).mean() > 240
    project.sequence.tracks[0].hidden = True
    assert frames.frame_at(1).max() == 0  # black, as export writes it
    frames.close()
