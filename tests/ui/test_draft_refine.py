"""Draft, then refine in the editor, through the real window and worker with the tiny two-pass LTX: Quality
Draft in the Shot panel makes a draft (its first pass alone, labelled Draft), and Refine lands the full
take on the same clip, made from the draft's kept latents."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from studio.core import store
from studio.core.project import Project
from studio.core.recipe import DRAFT, FULL
from studio.engine.cards import folder_card
from studio.engine.weights import CARD_FILE
from studio.testing.tiny.ltx import tiny_ltx_two_pass_card


@pytest.fixture(scope="module")
def two_pass(tiny_ltx, tiny_ltx_upsampler, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ui-draft-models")
    card = dataclasses.replace(tiny_ltx_two_pass_card(folder_card(tiny_ltx)), draft={"first_pass_only": True})
    shutil.copytree(tiny_ltx, folder / card.id, ignore=shutil.ignore_patterns(CARD_FILE))
    (folder / card.id / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    shutil.copytree(tiny_ltx_upsampler, folder / "tiny-ltx-upsampler")
    return folder / card.id


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Drafts")
    store.save(project, tmp_path / "Drafts.studio")
    return open_window(project)


def choose(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not offered"
    combo.setCurrentIndex(index)


def test_choose_draft_generate_then_refine_lands_the_full_take_on_the_same_clip(qtbot, window, two_pass):
    panel = window.prompt_panel
    panel.set_model(str(two_pass))
    choose(panel.aspect, "1:1 square")
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.setValue(0.5)
    qtbot.keyClicks(panel.prompt, "a kite in the wind")
    panel.quality.setFocus()
    qtbot.keyClick(panel.quality, Qt.Key.Key_Down)  # Full -> Draft, as a person picks it
    assert panel.quality.currentText() == "Draft"
    assert "Draft for " in panel.quality.toolTip() and "2 steps at 64x64" in panel.quality.toolTip()
    assert not window.refine_action.isEnabled()  # nothing selected: it says why
    assert "Select a clip" in window.refine_action.statusTip()

    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    project = window.document.project
    qtbot.waitUntil(lambda: len(project.media) == 1 and not window.timeline.placeholders, timeout=180_000)
    (clip,) = project.sequence.tracks[0].clips
    draft = project.media[clip.media_id]
    assert (draft.recipe.quality, draft.width, draft.height) == (DRAFT, 64, 64)  # the first pass alone
    assert (project.sequence.width, project.sequence.height) == (128, 128)  # the size its Refine makes
    assert (project.folder / "cache" / "latents" / f"{draft.id}.safetensors").is_file()

    window.timeline.select(clip.id)
    assert "Draft" in window.inspector.takes.item(0).text()
    assert window.refine_action.isEnabled() and window.inspector.refine_button.isEnabled()

    qtbot.mouseClick(window.inspector.refine_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clip.media_id != draft.id, timeout=180_000)
    refined = project.media[clip.media_id]
    assert (refined.recipe.quality, refined.width, refined.height) == (FULL, 128, 128)
    assert refined.recipe.seed == draft.recipe.seed and refined.recipe.prompt == "a kite in the wind"
    assert refined.recipe.draft["first_pass"] == "saved latents"
    assert clip.takes == [draft.id, refined.id]  # the draft stays a take
    qtbot.waitUntil(lambda: window.inspector.takes.count() == 2, timeout=5_000)
    assert not window.refine_action.isEnabled()
    assert "already full quality" in window.refine_action.statusTip()
    window.document.undo_stack.undo()
    assert clip.media_id == draft.id
