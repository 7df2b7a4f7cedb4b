"""The sequence's style in the Shot panel, through the real window: typed once, an undoable edit of the
sequence, shown again on undo, and said to the model with every shot made for the sequence (a new shot, and
a loop made from the Shot panel's recipe), through the real engine worker and tiny model."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.core import store
from studio.core.commands import AddMarker
from studio.core.project import Clip, Marker, MediaItem, Project
from studio.core.recipe import Mode
from studio.media.takes import write_frames

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(open_window, tmp_path, tiny_ltx):
    project = Project.new("Look")
    project.sequence.style = "dusk"
    store.save(project, tmp_path / "Look.studio")
    write_frames(project.folder / "media" / "waves.mkv", np.zeros((9, 64, 64, 3), np.uint8), 24)
    project.media["w"] = MediaItem(id="w", path="media/waves.mkv", frames=9, width=64, height=64, name="waves")
    project.sequence.width = project.sequence.height = 64
    project.sequence.tracks[0].clips = [Clip("c", "w", 0, 0, 9)]
    window = open_window(project)
    window.prompt_panel.set_model(str(tiny_ltx))
    window.prompt_panel.prompt.setPlainText("waves roll in")
    return window


def test_the_style_typed_in_the_shot_panel_is_the_sequences_and_undo_takes_it_back(qtbot, window):
    field = window.prompt_panel.style
    assert field.text() == "dusk"  # the project's, on opening
    field.clear()
    qtbot.keyClicks(field, "35 mm film, warm light")
    qtbot.keyClick(field, Qt.Key.Key_Return)
    assert window.document.project.sequence.style == "35 mm film, warm light"
    assert window.statusBar().currentMessage() == "Set sequence style"
    qtbot.keyClick(field, Qt.Key.Key_Return)  # the same words again: no second edit
    assert window.document.undo_stack.count() == 1
    window.document.undo_stack.undo()
    assert window.document.project.sequence.style == "dusk" and field.text() == "dusk"
    field.setText("dusk, rain")  # being typed when another edit lands (a take, a marker): left as typed
    window.document.push(AddMarker(Marker("m", 5)))
    assert field.text() == "dusk, rain" and window.document.project.sequence.style == "dusk"
    window.document.new()  # another project: its style (none), whatever was being typed for the last
    assert field.text() == ""


def test_every_shot_made_for_the_sequence_is_asked_for_its_style(qtbot, window):
    field = window.prompt_panel.style
    field.setText("overcast")  # typed, the field not yet left: Generate (Ctrl+Return) takes it all the same
    window.prompt_panel.seconds.setValue(0.2)
    window.timeline.set_playhead(20)
    window.shots.generate()
    assert window.document.project.sequence.style == "overcast"
    track = window.document.project.sequence.tracks[0]
    qtbot.waitUntil(lambda: len(track.clips) == 2, timeout=180_000)
    shot = window.document.project.media[track.clips[1].media_id]
    assert (shot.recipe.prompt, shot.recipe.style) == ("waves roll in", "overcast")
    window.timeline.select("c")
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_L, CTRL_SHIFT)  # Make Seamless Loop, from the Shot panel's recipe
    qtbot.waitUntil(lambda: track.clips[0].media_id != "w", timeout=180_000)
    loop = window.document.project.media[track.clips[0].media_id]
    assert loop.recipe.mode is Mode.LOOP and loop.recipe.style == "overcast"


def test_remix_keeps_the_takes_style_and_offers_the_sequences_since_changed(qtbot):
    from PySide6.QtWidgets import QPushButton

    from studio.core.recipe import Recipe
    from studio.ui.remix_dialog import RemixDialog

    made = Recipe(Mode.TEXT_TO_VIDEO, "demo", "a red circle", seed=3, style="dusk")
    dialog = RemixDialog(made, sequence_style="night, rain")
    qtbot.addWidget(dialog)
    assert dialog.style.text() == "dusk"
    use_sequences = dialog.findChild(QPushButton, "use_sequence_style")
    use_sequences.click()
    assert [r.style for r in dialog.recipes()] == ["night, rain"]
    assert [r.seed for r in dialog.recipes()] == [3]  # a new style is a change: the same seed may remix
    same = RemixDialog(made, sequence_style="dusk")
    qtbot.addWidget(same)
    assert same.findChild(QPushButton, "use_sequence_style") is None


def test_remixs_style_field_has_room_beside_its_button(qtbot):
    """Looked at under Xvfb: at its own size the dialog squeezed the field to "The look, said afte…"."""
    from studio.core.recipe import Recipe
    from studio.ui.remix_dialog import RemixDialog

    made = Recipe(mode=Mode.TEXT_TO_VIDEO, model="demo", prompt="a red circle", style="dusk")
    dialog = RemixDialog(made, sequence_style="night, rain")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.adjustSize()
    wanted = dialog.style.fontMetrics().horizontalAdvance(dialog.style.placeholderText())
    assert dialog.style.width() >= wanted
