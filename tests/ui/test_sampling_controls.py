"""The Shot panel's steps and guidance: the model's own until set by hand, the card's guidance for the
mode the panel's inputs make (the demo model animates a still at 1), and a guidance set by hand goes
with the shot, so a negative prompt the model's own guidance leaves out can be put to use; Remix
changes the guidance and negative prompt a take ran with, and says what its shot leaves out."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from studio.core import store
from studio.core.project import Project
from studio.engine.cards import load_cards
from studio.ui.prompt_panel import PromptPanel
from studio.ui.remix_dialog import RemixDialog


def test_the_boxes_say_the_models_own_numbers_and_the_first_step_up_sets_them(qtbot, still_images):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.set_card(load_cards()["demo"])
    steps, guidance = panel.sampling.steps, panel.sampling.guidance
    assert steps.text() == "Model's: 20 steps" and guidance.text() == "Model's: guidance 3"
    recipe = panel.recipe(fps=24.0)
    assert (recipe.steps, recipe.guidance) == (None, None)  # the card's, filled in by the engine

    panel.first_frame.path.setText(str(still_images[0]))  # a still: image to video, which the card runs at 1
    assert guidance.text() == "Model's: guidance 1"
    assert "image to video 1" in guidance.toolTip() and "text to video 3" in guidance.toolTip()

    guidance.setFocus()
    qtbot.keyClick(guidance, Qt.Key.Key_Up)  # from the model's own: its number, then steps of 0.5
    assert guidance.value() == 1.0
    qtbot.keyClick(guidance, Qt.Key.Key_Up)
    qtbot.keyClick(steps, Qt.Key.Key_Up)
    qtbot.keyClick(steps, Qt.Key.Key_Up)
    recipe = panel.recipe(fps=24.0)
    assert (recipe.mode.value, recipe.steps, recipe.guidance) == ("image_to_video", 21, 1.5)

    panel.first_frame.path.clear()  # the number set by hand stays; the model's own follows the mode
    assert guidance.value() == 1.5 and panel.recipe(fps=24.0).guidance == 1.5
    guidance.setValue(0)
    assert guidance.text() == "Model's: guidance 3" and panel.recipe(fps=24.0).guidance is None

    panel.set_card(load_cards()["ltx-video-0.9.5"])  # another model's own numbers
    assert steps.text() == "21 steps"
    steps.setValue(0)
    assert steps.text() == f"Model's: {load_cards()['ltx-video-0.9.5'].default_steps} steps"


def test_a_guidance_set_by_hand_puts_the_negative_prompt_to_use(
    qtbot, open_window, tmp_path, still_images, monkeypatch
):
    """Journey 5 with the demo model: its still is animated at guidance 1, which makes no pass for the
    negative prompt, and the status bar says so; the guidance raised in the panel, the shot runs at it
    (no such note) and its take records it."""
    project = Project.new("Guided")
    store.save(project, tmp_path / "Guided.studio")
    window = open_window(project)
    panel, seq = window.prompt_panel, window.document.project.sequence
    assert panel.model_value() == "demo"
    panel.prompt.setPlainText("a white square moves right on a blue background")
    panel.negative.setPlainText("red")
    panel.first_frame.path.setText(str(still_images[1]))
    panel.takes.setValue(1)

    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    assert "Queued. The negative prompt is not used: at guidance 1" in window.statusBar().currentMessage()

    panel.sampling.guidance.setValue(2.5)
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    message = window.statusBar().currentMessage()
    assert message.startswith("Queued") and "negative prompt" not in message

    qtbot.waitUntil(lambda: len([c for t in seq.tracks for c in t.clips]) == 2, timeout=240_000)
    clips = {window.document.project.media[c.media_id].recipe.guidance: c for t in seq.tracks for c in t.clips}
    assert sorted(clips) == [1.0, 2.5]

    # Remixed at guidance 1, the shot at 2.5 is said to leave its negative prompt out as well.
    def remix_at_one(dialog):
        assert dialog.guidance.value() == 2.5 and dialog.negative.toPlainText() == "red"
        dialog.guidance.setValue(1.0)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RemixDialog, "exec", remix_at_one)
    window.shots.remix_clip(clips[2.5].id)
    message = window.statusBar().currentMessage()
    assert message.startswith("Remixing: 1 new take") and "way. The negative prompt is not used" in message


def test_remix_changes_the_guidance_and_negative_prompt_the_take_ran_with(qtbot):
    from studio.core.recipe import Mode, Recipe

    ran = Recipe(Mode.IMAGE_TO_VIDEO, "demo", "a red circle", negative_prompt="blue", seed=3, guidance=3.0)
    dialog = RemixDialog(ran)
    qtbot.addWidget(dialog)
    assert dialog.guidance.text() == "3.00" and dialog.negative.toPlainText() == "blue"
    dialog.guidance.setValue(1.5)
    dialog.negative.setPlainText("red square")
    (remix,) = dialog.recipes()
    assert (remix.guidance, remix.negative_prompt, remix.seed) == (1.5, "red square", 3)

    older = RemixDialog(Recipe(Mode.TEXT_TO_VIDEO, "demo", "a red circle"))  # no guidance recorded: the card's
    qtbot.addWidget(older)
    assert older.guidance.text() == "Model's" and older.recipes()[0].guidance is None


def test_remix_with_nothing_changed_says_so_and_makes_no_duplicate(qtbot):
    """Journey 4: Remix pressed as the dialog opened made the same take again (same recipe, same seed)."""
    from studio.core.recipe import Mode, Recipe

    ran = Recipe(Mode.TEXT_TO_VIDEO, "demo", "a red circle", seed=3, guidance=3.0, model_revision="local-1")
    dialog = RemixDialog(ran)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.takes.setValue(2)  # the first of two takes would be the same as the clip's
    dialog.accept()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert dialog.refusal.text().startswith("Nothing changed: the same recipe and seed make the same take again")
    dialog.seed.setValue(4)
    dialog.accept()
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Accepted
    assert [r.seed for r in dialog.recipes()] == [4, 5]
