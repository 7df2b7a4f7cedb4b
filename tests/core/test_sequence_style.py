"""The sequence's style (BRIEF: multi-shot sequences keep one look): said after every shot's prompt, an
undoable edit of the sequence, kept in the project file and in every take's recipe."""

from __future__ import annotations

import json

from studio.core import store
from studio.core.commands import SetSequenceStyle
from studio.core.project import Project
from studio.core.recipe import Mode, Recipe, with_style
from tests.core.test_commands import check_undoable


def test_the_style_is_said_as_a_sentence_after_the_prompt():
    assert with_style("a fox in the snow", "35 mm film, warm light") == "a fox in the snow. 35 mm film, warm light"
    assert with_style("A fox in the snow!  ", " Black and white.") == "A fox in the snow! Black and white."
    assert with_style("a fox", "  ") == "a fox"
    assert with_style("", "warm light") == "warm light"


def test_setting_and_clearing_the_style_are_undoable_edits_named_for_what_they_do():
    project = Project.new("s")
    check_undoable(project, SetSequenceStyle("  35 mm film  "))
    SetSequenceStyle("  35 mm film  ").apply(project)
    assert project.sequence.style == "35 mm film"
    assert SetSequenceStyle("warm").text == "Set sequence style"
    assert SetSequenceStyle(" ").text == "Clear sequence style"
    check_undoable(project, SetSequenceStyle(""))


def test_the_style_is_kept_in_the_project_file_and_an_older_file_reads_without_one(tmp_path):
    project = store.create(tmp_path / "Film")
    project.sequence.style = "hand-held, grainy"
    store.save(project)
    assert store.load(project.folder).sequence.style == "hand-held, grainy"
    data = json.loads((project.folder / "project.json").read_text())
    del data["sequences"][0]["style"]
    (project.folder / "project.json").write_text(json.dumps(data))
    assert store.load(project.folder).sequence.style == ""


def test_a_takes_recipe_keeps_the_style_it_was_made_with():
    recipe = Recipe(Mode.TEXT_TO_VIDEO, "tiny", "a boat", style="dusk, long shadows")
    assert Recipe.from_dict(json.loads(json.dumps(recipe.to_dict()))).style == "dusk, long shadows"
    assert Recipe.from_dict({"mode": "text_to_video", "model": "m", "prompt": "p"}).style == ""
