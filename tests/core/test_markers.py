"""Markers: add, rename, move, delete, each undoable, and kept in the project file."""

from __future__ import annotations

import pytest

from studio.core import store
from studio.core.commands import AddMarker, DeleteMarker, EditError, EditMarker
from studio.core.project import Marker, Project
from tests.core.test_commands import check_undoable


@pytest.fixture
def project() -> Project:
    project = Project.new("m")
    project.sequence.markers = [Marker("a", 10, "beat"), Marker("b", 40, "")]
    return project


def test_add_keeps_markers_in_frame_order(project):
    check_undoable(project, AddMarker(Marker("c", 20, "door slam")))
    AddMarker(Marker("c", 20, "door slam")).apply(project)
    assert [m.id for m in project.sequence.markers] == ["a", "c", "b"]


def test_two_markers_cannot_share_a_frame(project):
    with pytest.raises(EditError, match="already a marker at 00:00:00:10"):
        AddMarker(Marker("c", 10)).apply(project)
    with pytest.raises(EditError, match="already a marker"):
        EditMarker("b", frame=10).apply(project)
    assert [(m.id, m.frame) for m in project.sequence.markers] == [("a", 10), ("b", 40)]


def test_rename_and_move_are_undoable(project):
    check_undoable(project, EditMarker("a", name="hit"))
    check_undoable(project, EditMarker("a", frame=50))
    EditMarker("a", frame=50).apply(project)
    assert [m.id for m in project.sequence.markers] == ["b", "a"]


def test_delete_is_undoable_and_restores_the_position(project):
    check_undoable(project, DeleteMarker("a"))
    with pytest.raises(EditError, match="before the beginning"):
        AddMarker(Marker("z", -1)).apply(project)


def test_markers_survive_save_and_open_and_old_files_have_none(project, tmp_path):
    store.save(project, tmp_path / "m.studio")
    again = store.load(tmp_path / "m.studio")
    assert [(m.id, m.frame, m.name) for m in again.sequence.markers] == [("a", 10, "beat"), ("b", 40, "")]
    data = project.sequence.to_dict()
    del data["markers"]  # a project written before markers existed
    assert type(project.sequence).from_dict(data).markers == []
