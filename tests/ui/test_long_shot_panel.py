"""A long shot in the editor: the Shot panel asks for it (a long duration, a prompt per window), and the
job's row says how many windows are made and offers the take so far."""

from __future__ import annotations

from studio.ui.jobs_panel import JobsPanel
from studio.ui.prompt_panel import PromptPanel


def test_the_shot_panel_asks_for_a_minute_with_a_prompt_per_window(qtbot):
    panel = PromptPanel()
    qtbot.addWidget(panel)
    panel.prompt.setPlainText("a lighthouse on a cliff")
    panel.seconds.setValue(60.0)
    panel.window_prompts.setPlainText("dusk falls\n\n  the lamp comes on  \n")
    recipe = panel.recipe(fps=24.0)
    assert recipe.frames == 1440
    assert recipe.window_prompts == ["dusk falls", "the lamp comes on"]


def test_a_job_row_shows_the_windows_made_and_offers_the_take_so_far(qtbot, tmp_path):
    panel = JobsPanel()
    qtbot.addWidget(panel)
    panel.show()
    row = panel.add("job-1", "a lighthouse")
    assert row.play_so_far.isHidden()
    row.set_partial(str(tmp_path / "take.mkv"), 257, 1, 6)
    assert "1 of 6 windows made (257 frames)" in row.state.text()
    assert not row.play_so_far.isHidden() and row.partial == str(tmp_path / "take.mkv")
    row.set_progress(45, 240, 30.0)
    assert row.state.text().startswith("window 2/6 · step 45/240")
    row.finish("done")
    assert row.play_so_far.isHidden()
