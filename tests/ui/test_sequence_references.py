"""The sequence's reference images in the Shot panel, through the real window: added once, an undoable edit of
the sequence stored as media paths are (relative inside the project), shown again on opening the project (a
file gone marked so), and given to every shot made for the sequence by a model that takes them (tiny Wan VACE,
through the real engine worker)."""

from __future__ import annotations

import shutil

import pytest

from studio.core import store
from studio.core.project import Project


@pytest.fixture
def window(open_window, tmp_path, tiny_wan_vace, still_images):
    project = Project.new("Cast")
    project.sequence.width = project.sequence.height = 32
    store.save(project, tmp_path / "Cast.studio")
    (project.folder / "refs").mkdir()
    shutil.copy(still_images[0], project.folder / "refs" / "fox.png")
    window = open_window(project)
    window.prompt_panel.set_model(str(tiny_wan_vace))
    window.prompt_panel.prompt.setPlainText("the fox crosses the clearing")
    return window


def test_references_added_in_the_shot_panel_are_the_sequences_and_undo_takes_them_back(window, still_images):
    panel, project = window.prompt_panel, window.document.project
    assert panel.references.isVisible()  # a model that takes references
    outside = str(still_images[1])
    panel.references.add_all([str(project.folder / "refs" / "fox.png"), outside])
    assert project.sequence.references == ["refs/fox.png", outside]  # inside the project: relative to it
    assert window.statusBar().currentMessage() == "Set sequence references"
    assert panel.references.paths() == ["refs/fox.png", outside]
    panel.references.add(outside)  # already there: no second edit
    assert window.document.undo_stack.count() == 1
    panel.references.list.setCurrentRow(1)
    panel.references._remove_selected()
    assert project.sequence.references == ["refs/fox.png"]
    window.document.undo_stack.undo()
    assert panel.references.paths() == project.sequence.references == ["refs/fox.png", outside]
    window.document.undo_stack.undo()
    assert panel.references.paths() == project.sequence.references == []


def test_every_shot_made_for_the_sequence_is_given_its_references(qtbot, window, still_images):
    panel, project = window.prompt_panel, window.document.project
    panel.references.add_all([str(project.folder / "refs" / "fox.png")])
    window.shots.generate()
    track = project.sequence.tracks[0]
    qtbot.waitUntil(lambda: len(track.clips) == 1, timeout=180_000)
    take = project.media[track.clips[0].media_id]
    assert take.recipe.references == ["refs/fox.png"]
    window.timeline.select(track.clips[0].id)
    assert "<td style='color:#8b91a0'>Reference</td><td>refs/fox.png</td>" in window.inspector.details.text()


def test_the_references_come_back_with_the_project_and_a_file_gone_is_marked(window, still_images, tmp_path):
    panel, project = window.prompt_panel, window.document.project
    gone = tmp_path / "gone.png"
    shutil.copy(still_images[1], gone)
    panel.references.add_all(["refs/fox.png", str(gone)])
    window.document.save()
    gone.unlink()
    window.document.open(project.folder)  # the same project again: its files looked for again
    shown = [panel.references.list.item(i).text() for i in range(2)]
    assert shown == ["refs/fox.png", f"{gone} (not found)"]
    window.document.new()
    assert panel.references.paths() == []  # another project: its own (none)
    window.document.open(project.folder)
    assert panel.references.paths() == ["refs/fox.png", str(gone)]


def test_remix_offers_the_sequences_references_where_the_takes_differ(qtbot, window, still_images, monkeypatch):
    """An older shot brought to the sequence's characters: Remix shows the take's references and, where the
    sequence's have changed since, gives them in a click; the new take is made with them."""
    from PySide6.QtWidgets import QPushButton

    from studio.ui.remix_dialog import RemixDialog

    panel, project = window.prompt_panel, window.document.project
    panel.references.add_all([str(project.folder / "refs" / "fox.png")])
    window.shots.generate()
    track = project.sequence.tracks[0]
    qtbot.waitUntil(lambda: len(track.clips) == 1, timeout=180_000)
    clip, first = track.clips[0], track.clips[0].media_id
    outside = str(still_images[1])
    panel.references.add(outside)  # the sequence's references change after the take was made
    shown = []

    def remix_with_the_sequences(dialog):
        shown.append(dialog.references.text())
        dialog.findChild(QPushButton, "use_sequence_references").click()
        return RemixDialog.DialogCode.Accepted

    monkeypatch.setattr(RemixDialog, "exec", remix_with_the_sequences)
    window.shots.remix_clip(clip.id)
    assert shown == ["fox.png"]  # the take's own, before the click
    qtbot.waitUntil(lambda: clip.media_id != first, timeout=180_000)
    assert project.media[clip.media_id].recipe.references == ["refs/fox.png", outside]


def test_remix_shows_no_references_for_a_model_without_them_and_no_button_where_they_agree(qtbot):
    from PySide6.QtWidgets import QPushButton

    from studio.core.recipe import Mode, Recipe
    from studio.ui.remix_dialog import RemixDialog

    plain = RemixDialog(Recipe(Mode.TEXT_TO_VIDEO, "demo", "a red circle", seed=3))
    qtbot.addWidget(plain)
    assert not plain.references.parent() and plain.recipes()[0].references == []  # no References row
    made = Recipe(Mode.TEXT_TO_VIDEO, "wan", "the fox", seed=3, references=["refs/fox.png"])
    same = RemixDialog(made, sequence_references=["refs/fox.png"])
    qtbot.addWidget(same)
    assert same.references.text() == "fox.png" and same.findChild(QPushButton, "use_sequence_references") is None
    cleared = RemixDialog(made, sequence_references=[])
    qtbot.addWidget(cleared)
    cleared.findChild(QPushButton, "use_sequence_references").click()
    assert cleared.references.text() == "None" and cleared.recipes()[0].references == []
