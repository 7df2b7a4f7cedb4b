"""Generate → Generate All Placeholders and Takes for Selected Clips… in the real window: one job per
shot through the controller's one submit path, each landing as a take of its clip; the Jobs panel
counts the batch."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QInputDialog

from studio.core import store
from studio.core.landing import Remix
from studio.core.project import Clip, MediaItem, Project
from studio.core.recipe import Mode, Recipe
from studio.engine.jobs import JobDone
from studio.media.takes import write_frames
from studio.ui.shot_actions import job_name

from .test_interchange_menu import menu_action


def _recipe(prompt: str, seed: int) -> Recipe:
    return Recipe(Mode.TEXT_TO_VIDEO, "tiny", prompt, seed=seed, width=32, height=32, frames=9, model_revision="r1")


@pytest.fixture
def window(open_window, tmp_path):
    """Three placeholders (a recipe, no take on disk) and one generated clip whose take is here."""
    project = Project.new("Batch")
    store.save(project, tmp_path / "Batch.studio")
    write_frames(project.folder / "media" / "here.mkv", np.full((9, 32, 32, 3), 90, np.uint8), 24)
    project.media["here"] = MediaItem("here", "media/here.mkv", frames=9, width=32, height=32, recipe=_recipe("sea", 3))
    clips = [Clip("c0", "here", 0, 0, 9, takes=["here"])]
    for i in range(1, 4):
        project.media[f"m{i}"] = MediaItem(
            f"m{i}", f"media/m{i}-missing.mkv", frames=9, width=32, height=32, recipe=_recipe(f"shot {i}", 10 * i)
        )
        clips.append(Clip(f"c{i}", f"m{i}", 10 * i, 0, 9, takes=[f"m{i}"]))
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = clips
    return open_window(project)


@pytest.fixture
def submitted(window, monkeypatch):
    """What reaches the engine: (recipe, output) per job, in order; no worker runs."""
    calls: list[tuple[Recipe, str]] = []

    def submit(recipe, output, name=None, project_folder=None, resume_from=None, allow_long=False):
        calls.append((recipe, str(output)))
        return f"job{len(calls)}"

    monkeypatch.setattr(window.generation.service, "submit", submit)
    return calls


def test_generate_all_placeholders_queues_one_job_per_placeholder_that_lands_in_its_clip(qtbot, window, submitted):
    menu_action(window, "&Generate", "Generate All Placeholders").trigger()
    assert [(r.prompt, r.seed, r.model_revision) for r, _ in submitted] == [
        ("shot 1", 10, None),
        ("shot 2", 20, None),
        ("shot 3", 30, None),
    ]
    pending = window.generation.pending
    assert [(type(pending[j]), pending[j].clip_id) for j in ("job1", "job2", "job3")] == [
        (Remix, "c1"),
        (Remix, "c2"),
        (Remix, "c3"),
    ]
    assert window.statusBar().currentMessage() == "Queued 3 placeholders"
    panel = window.generation.jobs_panel
    assert set(panel.rows) == {"job1", "job2", "job3"} and panel.overall.text() == "0 of 3 done"

    # The first take arrives: its clip shows it, and the panel counts it.
    take = pending["job1"].take_id
    output = window.document.media_dir / f"{take}.mkv"
    write_frames(output, np.full((9, 32, 32, 3), 200, np.uint8), 24)
    window.generation.on_job_event(JobDone("job1", str(output), submitted[0][0], 9, 32, 32, 24.0, 1.0))
    _, clip = window.document.project.sequence.find_clip("c1")
    assert clip.media_id == take and clip.takes == ["m1", take]
    assert panel.overall.text() == "1 of 3 done"


def test_no_placeholders_is_said_and_nothing_is_queued(qtbot, open_window, tmp_path):
    project = Project.new("Empty")
    store.save(project, tmp_path / "Empty.studio")
    window = open_window(project)
    menu_action(window, "&Generate", "Generate All Placeholders").trigger()
    assert window.statusBar().currentMessage() == "No placeholders: every clip with a recipe has its take here"
    assert not window.generation.pending


def test_takes_for_selected_clips_asks_how_many_and_goes_on_from_each_clip_s_seeds(
    qtbot, window, submitted, monkeypatch
):
    asked = []
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: asked.append(a[2]) or (2, True))
    window.timeline.select_clips(["c0", "c2"])
    menu_action(window, "&Generate", "Takes for Selected Clips…").trigger()
    assert asked == ["New takes of each of the 2 selected shots:"]
    assert [(r.prompt, r.seed) for r, _ in submitted] == [("sea", 4), ("sea", 5), ("shot 2", 21), ("shot 2", 22)]
    assert [window.generation.pending[f"job{i}"].clip_id for i in range(1, 5)] == ["c0", "c0", "c2", "c2"]
    assert window.statusBar().currentMessage() == "Queued 4 takes"


def test_takes_for_selected_clips_without_a_generated_clip_says_so(qtbot, window, submitted, monkeypatch):
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a, **k: pytest.fail("asked with nothing to do"))
    window.timeline.select(None)
    menu_action(window, "&Generate", "Takes for Selected Clips…").trigger()
    assert "Select generated clips first" in window.statusBar().currentMessage() and not submitted


def test_a_job_is_named_by_its_action_and_its_prompt_on_one_line():
    recipe = Recipe(Mode.TEXT_TO_VIDEO, "demo", "a red circle moves left\n  on a blue\tbackground\n", frames=25)
    assert job_name("remix", recipe) == "remix: a red circle moves left on a b"
    assert job_name(f"take (seed {recipe.seed})", recipe).startswith("take (seed ")
