"""The job queue through the real window and engine: jobs are kept in the project's jobs.json, survive a
restart as interrupted jobs that Resume runs to the end, and queued jobs can be moved in the queue."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt

from studio.core import store
from studio.core.jobfile import JOBS_FILE
from studio.core.project import Project


def start_shot(qtbot, window, model, prompt: str) -> None:
    panel = window.prompt_panel
    panel.set_model(str(model))
    panel.prompt.setPlainText(prompt)
    panel.resolution.setCurrentIndex(panel.resolution.findText("Tiny (128p)"))
    panel.seconds.setValue(0.3)
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)


def test_a_job_survives_a_restart_and_resume_lands_its_shot(qtbot, open_window, tiny_ltx, tmp_path):
    project = Project.new("Queue")
    folder = store.save(project, tmp_path / "Queue.studio")
    window = open_window(project)
    start_shot(qtbot, window, tiny_ltx, "a kite over the dunes")
    window.close()  # the studio stops with the job queued or running

    saved = json.loads((folder / JOBS_FILE).read_text())["jobs"]
    assert len(saved) == 1 and saved[0]["state"] in ("queued", "running")
    assert saved[0]["recipe"]["prompt"] == "a kite over the dunes"
    assert saved[0]["placeholder"]["track_id"] == project.sequence.tracks[0].id

    reopened = open_window(store.load(folder))
    (row,) = reopened.jobs_panel.rows.values()
    assert row.state.text() == "interrupted" and row.retry.text() == "Resume" and not row.retry.isHidden()
    assert not reopened.jobs_panel.resume_all.isHidden()
    assert reopened.document.project.sequence.duration == 0

    (folder / saved[0]["output"]).write_bytes(b"")  # as if it had written part of a long shot: offered to go on from
    qtbot.mouseClick(reopened.jobs_panel.resume_all, Qt.MouseButton.LeftButton)
    seq = reopened.document.project.sequence
    (new_row,) = reopened.jobs_panel.rows.values()
    assert reopened.service.job(new_row.job_id).resume_from == str(folder / saved[0]["output"])
    qtbot.waitUntil(lambda: seq.duration > 0 or new_row.outcome in ("failed", "cancelled"), timeout=180_000)
    assert new_row.state.text() == "done", new_row.state.toolTip()
    (item,) = reopened.document.project.media.values()
    assert item.recipe.prompt == "a kite over the dunes"
    assert seq.tracks[0].clips[0].start == 0  # where the placeholder stood
    qtbot.waitUntil(lambda: not (folder / JOBS_FILE).exists(), timeout=5000)  # nothing left unfinished


def test_a_long_shot_stopped_part_way_says_what_it_made_and_resumes_from_there(qtbot, open_window, tmp_path):
    """Journey 7 with the demo model: the studio stops while a long shot of three windows is made; the
    restored row says how many windows are made (not just "interrupted", as if nothing were), and Resume
    says where it goes on from and lands the whole shot."""
    project = Project.new("Long")
    folder = store.save(project, tmp_path / "Long.studio")
    window = open_window(project)
    panel = window.prompt_panel
    assert panel.model_value() == "demo"
    panel.prompt.setPlainText("a red circle moves right on a blue background")
    panel.seconds.setValue(4.0)  # 96 frames: three windows of the demo model
    panel.sampling.steps.setValue(100)  # slow enough to stop between windows
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    (row,) = window.jobs_panel.rows.values()
    qtbot.waitUntil(lambda: row.made[0] >= 1, timeout=120_000)
    window.close()
    (saved,) = json.loads((folder / JOBS_FILE).read_text())["jobs"]
    finished, of = saved["windows_made"]
    assert 1 <= finished < of == 3 and (folder / saved["output"]).is_file()

    reopened = open_window(store.load(folder))
    (row,) = reopened.jobs_panel.rows.values()
    assert row.state.text() == f"interrupted · {finished} of 3 windows made"
    assert f"Resume goes on from the {finished} windows made" in row.state.toolTip()
    # The note names the button where it is (there is no Jobs menu to look in).
    assert "1 to resume: Resume All in the Jobs panel" in reopened.statusBar().currentMessage()
    assert reopened.jobs_panel.resume_all.isVisible()
    qtbot.mouseClick(row.retry, Qt.MouseButton.LeftButton)
    message = reopened.statusBar().currentMessage()
    assert message == f"Resuming: a red circle moves right on a blue background, from window {finished + 1} of 3"
    seq = reopened.document.project.sequence
    qtbot.waitUntil(lambda: seq.duration > 0, timeout=180_000)
    assert seq.duration == 96


def test_queued_jobs_run_next_or_last_and_the_rows_follow(qtbot, open_window, tiny_ltx, tmp_path):
    project = Project.new("Order")
    folder = store.save(project, tmp_path / "Order.studio")
    window = open_window(project)
    for prompt in ("first", "second", "third"):
        start_shot(qtbot, window, tiny_ltx, prompt)
    service = window.service
    first, second, third = [j.id for j in service.jobs()]
    assert service.queued() == [second, third]  # the first went to the worker at once

    qtbot.mouseClick(window.jobs_panel.rows[third].run_next, Qt.MouseButton.LeftButton)
    assert service.queued() == [third, second]
    layout = window.jobs_panel._layout
    shown = [layout.itemAt(i).widget() for i in range(1, 4)]
    assert [row.job_id for row in shown] == [second, third, first]  # the last to run on top

    qtbot.mouseClick(window.jobs_panel.rows[third].run_last, Qt.MouseButton.LeftButton)
    assert service.queued() == [second, third]
    qtbot.mouseClick(window.jobs_panel.rows[first].run_next, Qt.MouseButton.LeftButton)
    assert service.queued() == [second, third]  # the first is with the worker already: it stays where it is
    assert "still waiting" in window.statusBar().currentMessage()
    saved = [j["job_id"] for j in json.loads((folder / JOBS_FILE).read_text())["jobs"]]
    assert set(saved) == {first, second, third}


def test_an_unreadable_job_queue_is_set_aside_and_survives_the_session(open_window, tmp_path):
    folder = store.save(Project.new("Broken"), tmp_path / "Broken.studio")
    truncated = b'{"jobs": [{"job_id": "j1", "name": "a kite", "recipe": {"mode": "text_to'
    (folder / JOBS_FILE).write_bytes(truncated)
    window = open_window(store.load(folder))
    (aside,) = folder.glob("jobs.unreadable-*.json")
    assert f"it is kept as {aside.name}" in window.statusBar().currentMessage()
    window.close()
    assert aside.read_bytes() == truncated
    assert list(folder.glob("jobs*.json")) == [aside]


def test_jobs_of_another_version_are_kept_when_the_queue_is_rewritten(open_window, tmp_path):
    folder = store.save(Project.new("Shared"), tmp_path / "Shared.studio")
    recipe = {"mode": "text_to_video", "model": "tiny", "prompt": "rain", "hdr": True}
    landing_of_a_newer_studio = {
        "job_id": "j1",
        "name": "rain",
        "recipe": recipe,
        "output": "media/j1.mkv",
        "state": "queued",
        "landing": {"take_id": "t1", "layer": 3},
        "priority": 2,
    }
    no_recipe_this_studio_knows = {"job_id": "j2", "recipe": {"mode": "text_to_audio"}, "output": "media/j2.wav"}
    data = {"format": 3, "jobs": [landing_of_a_newer_studio, no_recipe_this_studio_knows]}
    (folder / JOBS_FILE).write_text(json.dumps(data))
    window = open_window(store.load(folder))
    assert window.jobs_panel.rows == {}
    assert "1 saved job(s) from another version of the studio are kept" in window.statusBar().currentMessage()
    window.close()  # writes the queue
    kept = json.loads((folder / JOBS_FILE).read_text())
    assert kept["format"] == 3
    assert sorted(kept["jobs"], key=lambda j: j["job_id"]) == [
        {
            **landing_of_a_newer_studio,
            "recipe": {**store_recipe(recipe), "hdr": True},
            "placeholder": None,
            "error": None,
        },
        no_recipe_this_studio_knows,
    ]


def store_recipe(data):
    """A recipe as this studio writes it back: its own fields filled in."""
    from studio.core.recipe import Recipe

    return Recipe.from_dict(data).to_dict()
