"""The sequence's reference images (BRIEF: characters persist from shot to shot): an undoable edit of the
sequence, kept in the project file, checked on load."""

from __future__ import annotations

import json

import pytest

from studio.core import store
from studio.core.commands import SetSequenceReferences
from studio.core.project import Project
from studio.core.store import ProjectError
from tests.core.test_commands import check_undoable


def test_setting_and_clearing_the_references_are_undoable_edits_each_image_once():
    project = Project.new("s")
    check_undoable(project, SetSequenceReferences(["refs/fox.png", "/stills/forest.png"]))
    SetSequenceReferences(["refs/fox.png", "/stills/forest.png", "refs/fox.png"]).apply(project)
    assert project.sequence.references == ["refs/fox.png", "/stills/forest.png"]
    assert SetSequenceReferences(["a.png"]).text == "Set sequence references"
    assert SetSequenceReferences([]).text == "Clear sequence references"
    check_undoable(project, SetSequenceReferences([]))


def test_the_references_are_kept_in_the_project_file_and_an_older_file_reads_without_them(tmp_path):
    project = store.create(tmp_path / "Film")
    project.sequence.references = ["refs/fox.png"]
    store.save(project)
    assert store.load(project.folder).sequence.references == ["refs/fox.png"]
    data = json.loads((project.folder / "project.json").read_text())
    del data["sequences"][0]["references"]
    (project.folder / "project.json").write_text(json.dumps(data))
    assert store.load(project.folder).sequence.references == []


@pytest.mark.parametrize("bad", ["fox.png", [3], [""]])
def test_references_that_are_not_a_list_of_paths_are_refused_on_load_with_where(tmp_path, bad):
    project = store.create(tmp_path / "Film")
    data = json.loads((project.folder / "project.json").read_text())
    data["sequences"][0]["references"] = bad
    (project.folder / "project.json").write_text(json.dumps(data))
    with pytest.raises(ProjectError, match=r"sequences\[0\]\.references.*must be"):
        store.load(project.folder)
