"""Autosaves rotate beside project.json and never replace it; damaged ones are skipped; the
session lock tells a crashed session from a running one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from studio.core import autosave, store
from studio.core.project import Clip, MediaItem, Project


def dead_pid() -> int:
    """The id of a process that has just ended."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def make_project(tmp_path) -> Project:
    project = store.create(tmp_path / "Film")
    project.media["take"] = MediaItem("take", "media/take.mkv", frames=24)
    project.sequence.tracks[0].clips.append(Clip("c", "take", 0, 0, 24))
    return project


def test_autosaves_rotate_and_leave_project_json_alone(tmp_path):
    project = make_project(tmp_path)
    saved = (project.folder / "project.json").read_bytes()
    start = datetime(2026, 11, 23, 19, 0, 0)
    for minute in range(7):
        autosave.write_autosave(project, now=start + timedelta(minutes=minute), keep=5)
    names = [p.name for p in autosave.autosaves(project.folder)]
    assert names == [f"project-20261123-19{m:02d}00.json" for m in (6, 5, 4, 3, 2)]
    assert (project.folder / "project.json").read_bytes() == saved
    newest = json.loads((project.folder / "autosave" / names[0]).read_text())
    assert newest["sequences"][0]["tracks"][0]["clips"][0]["id"] == "c"


def test_two_autosaves_in_one_second_keep_their_order(tmp_path):
    project = make_project(tmp_path)
    now = datetime(2026, 11, 23, 19, 0, 0)
    first = autosave.write_autosave(project, now=now)
    project.name = "Second"
    second = autosave.write_autosave(project, now=now)
    assert first != second
    assert autosave.autosaves(project.folder) == [second, first]
    for _ in range(6):  # pruning frees the older names of this second; they are not taken again
        latest = autosave.write_autosave(project, now=now, keep=2)
    assert autosave.autosaves(project.folder) == [latest, latest.with_name("project-20261123-190000-7.json")]
    assert latest.name == "project-20261123-190000-8.json"


def test_recovery_takes_the_newest_autosave_that_loads_and_is_newer_than_the_save(tmp_path):
    project = make_project(tmp_path)
    folder = project.folder
    saved_at = (folder / "project.json").stat().st_mtime
    old = autosave.write_autosave(project, now=datetime(2026, 1, 1, 10, 0, 0))
    os.utime(old, (saved_at - 60, saved_at - 60))  # written before the last save: not offered
    project.name = "Good"
    good = autosave.write_autosave(project, now=datetime(2026, 1, 1, 10, 1, 0))
    newer_schema = autosave.write_autosave(project, now=datetime(2026, 1, 1, 10, 2, 0))
    newer_schema.write_text(json.dumps({**store.to_json(project), "schema": 99}))
    broken = autosave.write_autosave(project, now=datetime(2026, 1, 1, 10, 3, 0))
    broken.write_text('{"schema": 1, "media": [')
    for path in (good, newer_schema, broken):
        os.utime(path, (saved_at + 60, saved_at + 60))

    assert autosave.newer_than_saved(folder) == [broken, newer_schema, good]
    recovery = autosave.newest_recoverable(folder)
    assert recovery.path == good
    assert recovery.project.name == "Good"
    assert recovery.project.folder == folder
    assert len(recovery.skipped) == 2
    assert broken.name in recovery.skipped[0] and "damaged" in recovery.skipped[0]
    assert newer_schema.name in recovery.skipped[1] and "newer studio" in recovery.skipped[1]

    good.write_text("not json")
    recovery = autosave.newest_recoverable(folder)
    assert recovery.project is None and len(recovery.skipped) == 3


def test_a_lock_tells_a_crashed_session_from_a_running_one(tmp_path):
    folder = make_project(tmp_path).folder
    assert autosave.read_lock(folder) is None
    assert not autosave.ended_uncleanly(autosave.read_lock(folder))
    autosave.write_lock(folder, "mine")
    assert autosave.read_lock(folder)["pid"] == os.getpid()
    assert not autosave.ended_uncleanly(autosave.read_lock(folder))  # this process runs

    autosave.release_lock(folder, "someone else's")  # not ours: stays
    assert autosave.lock_path(folder).exists()
    autosave.release_lock(folder, "mine")
    assert not autosave.lock_path(folder).exists()

    autosave.lock_path(folder).write_text(json.dumps({**autosave.marker("old"), "pid": dead_pid()}))
    assert autosave.ended_uncleanly(autosave.read_lock(folder))
    autosave.lock_path(folder).write_text("{ half written")
    assert autosave.ended_uncleanly(autosave.read_lock(folder))


def test_crashed_sessions_lists_only_records_of_ended_processes(tmp_path):
    sessions = tmp_path / "sessions"
    autosave.write_session(sessions, "running", tmp_path / "A.studio", untitled=False)
    crashed = autosave.write_session(sessions, "crashed", tmp_path / "B.studio", untitled=True)
    record = json.loads(crashed.read_text())
    crashed.write_text(json.dumps({**record, "pid": dead_pid()}))
    (sessions / "garbage.json").write_text("][")
    found = autosave.crashed_sessions(sessions)
    assert [(p.name, r["folder"], r["untitled"]) for p, r in found] == [
        ("crashed.json", str(tmp_path / "B.studio"), True)
    ]
    assert not (sessions / "garbage.json").exists()
    autosave.remove_session(sessions, "crashed")
    assert autosave.crashed_sessions(sessions) == []


def test_unused_media_files_are_those_no_media_item_uses(tmp_path):
    project = make_project(tmp_path)
    media = project.folder / "media"
    for name in ("take.mkv", "orphan.mkv", "running.mkv", ".take.mkv.tmp"):
        (media / name).write_bytes(b"x")
    (media / "sub").mkdir()
    (media / "sub" / "deep.png").write_bytes(b"x")
    unused = store.unused_media_files(project, keep={media / "running.mkv"})
    assert unused == [media / "orphan.mkv", media / "sub" / "deep.png"]
    project.sequence.references = ["media/sub/deep.png"]  # the sequence's reference image: in use
    assert store.unused_media_files(project, keep={media / "running.mkv"}) == [media / "orphan.mkv"]


def test_autosave_never_writes_or_prunes_through_a_folder_that_leads_out(tmp_path):
    project = make_project(tmp_path)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    kept = [outside / f"project-20260101-0000{n}0.json" for n in range(7)]  # someone's files, named alike
    for path in kept:
        path.write_text("{}")
    (project.folder / "autosave").rmdir()
    (project.folder / "autosave").symlink_to(outside, target_is_directory=True)
    with pytest.raises(store.ProjectError, match="leads outside the project folder"):
        autosave.write_autosave(project, keep=2)
    with pytest.raises(store.ProjectError, match="leads outside the project folder"):
        autosave.write_lock(project.folder, "token")
    assert autosave.prune(project.folder, keep=1) == []
    assert sorted(outside.iterdir()) == kept
