"""The Shot panel: Expand (the tiny language model runs in its own process, its text lands in the
editable expanded-prompt box, and the recipe carries what the box holds), and reference images,
offered only for a model that takes them."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.engine.runtime.expand import expand
from studio.ui.prompt_panel import PromptPanel


def test_expand_fills_the_box_and_the_recipe_keeps_the_edited_text(qtbot, tiny_expander):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    expander = panel.expander
    expander.set_model(None)
    assert not expander.button.isEnabled() and "No prompt expander" in expander.status.text()

    expander.set_model(tiny_expander)
    panel.prompt.setPlainText("a fox in the snow")
    qtbot.mouseClick(expander.button, Qt.MouseButton.LeftButton)
    assert expander.running() and not expander.button.isEnabled()
    qtbot.waitUntil(lambda: not expander.running(), timeout=120_000)
    assert expander.text.toPlainText() == expand("a fox in the snow", tiny_expander)
    assert expander.button.isEnabled()

    expander.text.setPlainText("A red fox trots through deep snow at dawn, low angle, long lens.")
    recipe = panel.recipe(fps=24.0)
    assert recipe.prompt == "a fox in the snow"
    assert recipe.expanded_prompt == "A red fox trots through deep snow at dawn, low angle, long lens."

    panel.prompt.setPlainText("a hare in the snow")
    assert "prompt changed" in expander.status.text()
    expander.text.clear()
    assert panel.recipe(fps=24.0).expanded_prompt is None  # cleared: the prompt as written


def test_an_empty_prompt_is_not_sent(qtbot, tiny_expander):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.expander.set_model(tiny_expander)
    qtbot.mouseClick(panel.expander.button, Qt.MouseButton.LeftButton)
    assert not panel.expander.running() and "Write a few words" in panel.expander.status.text()


def test_an_expander_that_cannot_start_says_so_and_can_be_tried_again(qtbot, tmp_path, monkeypatch):
    from studio.engine.child import ChildCommand

    missing = ChildCommand(str(tmp_path / "no-python"), [], str(tmp_path), {})
    monkeypatch.setattr("studio.ui.prompt_expander.engine_child", lambda *args, **kwargs: missing)
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.expander.set_model(tmp_path)
    panel.prompt.setPlainText("a fox in the snow")
    qtbot.mouseClick(panel.expander.button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not panel.expander.running(), timeout=10_000)
    assert panel.expander.status.text().startswith("The expander cannot start: ")
    assert panel.expander.button.isEnabled()


def test_reference_images_are_offered_only_for_a_model_that_takes_them(qtbot, still_images):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.show()
    panel.prompt.setPlainText("the fox in a forest")
    assert not panel.references.isVisible()
    panel.set_references_allowed(True)
    assert panel.references.isVisible()
    for still in still_images:
        panel.references.add(str(still))
    panel.references.add(str(still_images[0]))  # the same image once only
    assert panel.recipe(fps=24.0).references == [str(s) for s in still_images]
    panel.set_references_allowed(False)  # another model: none go with the shot
    assert panel.recipe(fps=24.0).references == []
