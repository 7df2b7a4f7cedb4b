"""The Shot panel offers only what the chosen model makes: sizes and lengths by its card (the engine's
own rules), the current choice moved to the nearest one it makes when the model changes, and said so;
and the model box shows a long name from its start, with the full name and card id in its tooltip."""

from __future__ import annotations

from PySide6.QtCore import Qt

from studio.core import store
from studio.core.project import Project
from studio.engine.cards import load_cards
from studio.engine.sizes import snap
from studio.ui.prompt_panel import PromptPanel


def choose_model(qtbot, panel, card_id: str) -> None:
    """Type a card id into the model box, as a person would (no weights are needed to know its card)."""
    edit = panel.model.lineEdit()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, card_id)
    qtbot.keyClick(edit, Qt.Key.Key_Return)


def open_new(open_window, tmp_path, name: str):
    project = Project.new(name)
    store.save(project, tmp_path / f"{name}.studio")
    return open_window(project)


def enabled(combo, text: str) -> bool:
    return bool(combo.model().item(combo.findText(text)).isEnabled())


def test_a_model_that_cannot_make_the_default_size_gets_the_nearest_it_can(qtbot, open_window, tmp_path):
    window = open_new(open_window, tmp_path, "Sizes")
    panel = window.prompt_panel
    choose_model(qtbot, panel, "ltx-video-0.9.7-distilled")
    panel.aspect.setCurrentIndex(panel.aspect.findText("16:9 widescreen"))  # the person's choice
    panel.resolution.setCurrentIndex(panel.resolution.findText("SD (480p)"))
    assert panel.frame_size() == (853, 480)
    cards = load_cards()

    choose_model(qtbot, panel, "cogvideox-2b")  # at most 720 wide
    card = cards["cogvideox-2b"]
    recipe = panel.recipe(fps=24.0)
    snapped, notes = snap(recipe, card)  # the engine takes it as it is: nothing refused, nothing rounded
    assert (snapped.width, snapped.height, notes) == (recipe.width, recipe.height, [])
    assert panel.resolution.currentText() == "Preview (256p)"
    assert not enabled(panel.resolution, "SD (480p)") and not enabled(panel.resolution, "HD (720p)")
    assert "853 × 480" in panel.resolution.itemData(panel.resolution.findText("SD (480p)"), Qt.ItemDataRole.ToolTipRole)
    assert "SD (480p) is too large for this model: Preview (256p) chosen." in panel.fit_note.text()
    assert "853 × 480" in panel.fit_note.toolTip() and "Nearest it makes: Preview (256p)" in panel.fit_note.toolTip()
    assert panel.fit_note.isVisible()

    panel.resolution.setFocus()
    qtbot.keyClick(panel.resolution, Qt.Key.Key_Down)  # the larger sizes are not offered
    assert panel.resolution.currentText() == "Preview (256p)"

    choose_model(qtbot, panel, "ltx-video-0.9.7-distilled")  # up to 1280: the size chosen first comes back
    assert panel.resolution.currentText() == "SD (480p)" and enabled(panel.resolution, "HD (720p)")
    assert panel.recipe(fps=24.0).width == 864 and "864 × 480" in panel.size_label.text()
    assert not panel.fit_note.isVisible()


def test_lengths_follow_the_models_frame_rule_and_longest_shot(qtbot, open_window, tmp_path):
    window = open_new(open_window, tmp_path, "Lengths")
    panel = window.prompt_panel
    fps = float(window.document.project.sequence.fps)
    cards = load_cards()

    choose_model(qtbot, panel, "cogvideox-2b")  # 49 frames at most, 8k+1, and no windows
    card = cards["cogvideox-2b"]
    panel.seconds.setFocus()
    for _ in range(3):  # as long as it goes
        qtbot.keyClick(panel.seconds, Qt.Key.Key_PageUp)
    recipe = panel.recipe(fps=fps)
    assert card.valid_frames(recipe.frames) and recipe.frames == card.max_frames
    assert panel.seconds.value() <= card.max_frames / fps
    assert f"{card.max_frames} frames" in panel.length_label.text()

    choose_model(qtbot, panel, "ltx-video-0.9.7-distilled")  # 8k+1, and longer shots in windows
    panel.seconds.selectAll()
    qtbot.keyClicks(panel.seconds, "3")
    qtbot.keyClick(panel.seconds, Qt.Key.Key_Return)
    card = cards["ltx-video-0.9.7-distilled"]
    assert panel.recipe(fps=fps).frames == 73 and card.valid_frames(73)  # 72 frames asked: 8k+1 is 73
    assert "73 frames" in panel.length_label.text() and "8k+1" in panel.length_label.toolTip()
    panel.seconds.selectAll()
    qtbot.keyClicks(panel.seconds, "60")
    qtbot.keyClick(panel.seconds, Qt.Key.Key_Return)
    assert panel.recipe(fps=fps).frames == round(60 * fps)  # made in windows, every frame kept
    assert "windows" in panel.length_label.text()


def test_the_model_box_shows_a_long_name_from_its_start(qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    names = [
        ("LTX-Video 0.9.7 distilled (13B, 8 steps)", "ltx-video-0.9.7-distilled"),
        ("HunyuanVideo 1.5 720p image to video (8.3B)", "hunyuanvideo-1.5-720p-i2v"),
    ]
    panel.set_models(names)
    panel.resize(280, 900)
    panel.show()
    qtbot.waitExposed(panel)
    edit = panel.model.lineEdit()
    panel.model.setFocus()
    qtbot.keyClick(panel.model, Qt.Key.Key_Down)  # the next model
    assert panel.model.currentText() == names[1][0]
    assert edit.cursorPosition() == 0  # the start of the name is what shows, not its end
    # A long name does not make the box (and so the dock) as wide as itself: the popup is that wide.
    assert panel.model.minimumSizeHint().width() < edit.fontMetrics().horizontalAdvance(names[1][0])
    assert names[1][0] in panel.model.toolTip() and "hunyuanvideo-1.5-720p-i2v" in panel.model.toolTip()
    assert panel.model.view().minimumWidth() > edit.fontMetrics().horizontalAdvance(names[1][0])


def test_a_folder_of_models_chosen_as_a_model_is_said_at_once(qtbot, open_window, tmp_path):
    # A newcomer picks the folder that holds the models with the model box's "…", not one model in it.
    folder = tmp_path / "my-models"
    (folder / "tiny-ltx").mkdir(parents=True)
    (folder / "tiny-ltx" / "model_index.json").write_text("{}")
    window = open_new(open_window, tmp_path, "Folder")
    window.prompt_panel.set_model(str(folder))
    message = window.statusBar().currentMessage()
    assert "is not a diffusers model folder" in message and "It holds models (tiny-ltx)" in message
    assert "Generate → Models… → Choose…" in message
    window.prompt_panel.set_model("demo")  # typed on to a model: what was said of the folder goes
    assert window.statusBar().currentMessage() == ""


def test_a_card_with_an_example_prompt_shows_it_in_the_empty_prompt_box(qtbot):
    import dataclasses

    panel = PromptPanel()
    qtbot.addWidget(panel)
    generic = panel.prompt.placeholderText()
    card = dataclasses.replace(load_cards()["ltx-video-0.9.5"], example_prompt="a red circle moves right")
    panel.set_card(card)
    assert panel.prompt.placeholderText() == "e.g. a red circle moves right"
    panel.set_card(load_cards()["ltx-video-0.9.5"])  # a card without one: the general hint again
    assert panel.prompt.placeholderText() == generic


def test_on_a_first_start_the_panel_takes_the_demo_models_size_and_length(qtbot, open_window, tmp_path):
    """No other model: the demo model is chosen, and until the person sets a size or a length the
    panel follows the chosen model's defaults (its card's); after that, their choice stays."""
    window = open_new(open_window, tmp_path, "First")
    panel = window.prompt_panel
    assert panel.model_value() == "demo"
    assert panel.prompt.placeholderText() == "e.g. a red circle moves left on a blue background"
    assert (panel.aspect.currentText(), panel.resolution.currentText()) == ("1:1 square", "Tiny (128p)")
    assert panel.frame_size() == (128, 128)
    assert panel.recipe(fps=24.0).frames == 25 and "25 frames" in panel.length_label.text()

    choose_model(qtbot, panel, "ltx-video-0.9.5")  # nothing chosen yet: the presets nearest its 768 x 512, 97 frames
    assert (panel.aspect.currentText(), panel.resolution.currentText()) == ("4:3", "SD (480p)")
    assert panel.recipe(fps=24.0).frames == 97

    panel.seconds.setValue(2.0)  # the person's length and size now stay
    panel.resolution.setCurrentIndex(panel.resolution.findText("Preview (256p)"))
    size = panel.frame_size()
    choose_model(qtbot, panel, "ltx-video-0.9.7-distilled")
    assert panel.frame_size() == size and panel.recipe(fps=24.0).frames == 49
