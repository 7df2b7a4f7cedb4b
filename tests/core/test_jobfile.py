"""jobs.json is never deleted or pruned for what this studio cannot read: an unreadable file is set
aside, entries and fields from another version are written back as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.core.jobfile import JOBS_FILE, SavedJob, load_jobs, save_jobs
from studio.core.recipe import Mode, Recipe


def job(job_id: str = "j1") -> SavedJob:
    return SavedJob(
        job_id,
        "a kite",
        Recipe(Mode.TEXT_TO_VIDEO, "tiny", "a kite"),
        "media/j1.mkv",
        "queued",
        {"track_id": "v1"},
        {"track_id": "v1", "start": 0, "frames": 24, "label": "a kite"},
    )


@pytest.mark.parametrize("content", [b'{"jobs": [{"job_id": "j1", "rec', b"\xff\xfe", b"[]", b'{"jobs": 3}'])
def test_an_unreadable_queue_is_set_aside_never_deleted(tmp_path: Path, content: bytes) -> None:
    (tmp_path / JOBS_FILE).write_bytes(content)
    jobs, warning = load_jobs(tmp_path)
    (aside,) = tmp_path.glob("jobs.unreadable-*.json")
    assert jobs == [] and aside.read_bytes() == content and not (tmp_path / JOBS_FILE).exists()
    assert warning.startswith(f"The saved job queue {tmp_path / JOBS_FILE} cannot be read (")
    assert warning.endswith(f"it is kept as {aside.name} and its jobs are not restored.") and "\n" not in warning

    save_jobs(tmp_path, [])  # the editor writes its (empty) queue after opening: the file set aside stays
    save_jobs(tmp_path, [job()])
    assert aside.read_bytes() == content
    assert [j.job_id for j in load_jobs(tmp_path)[0]] == ["j1"]


def test_a_queue_unreadable_at_save_time_is_set_aside_not_written_over(tmp_path: Path) -> None:
    (tmp_path / JOBS_FILE).write_bytes(b'{"jobs": [tru')
    save_jobs(tmp_path, [job()])
    (aside,) = tmp_path.glob("jobs.unreadable-*.json")
    assert aside.read_bytes() == b'{"jobs": [tru'


def test_what_another_version_wrote_is_kept_when_the_queue_is_rewritten(tmp_path: Path) -> None:
    mine = job().to_dict()
    mine["priority"] = 7  # a field of a newer studio
    mine["recipe"]["lora"] = {"name": "style", "scale": 0.8}
    future = {
        "job_id": "j2",
        "recipe": {"mode": "text_to_audio", "model": "x", "prompt": "rain"},
        "output": "media/j2.wav",
        "state": "queued",
    }
    (tmp_path / JOBS_FILE).write_text(json.dumps({"format": 3, "jobs": [mine, future]}))

    jobs, warning = load_jobs(tmp_path)
    assert [j.job_id for j in jobs] == ["j1"]
    assert (
        warning == f"1 saved job in {tmp_path / JOBS_FILE} is from another version of the studio or damaged; "
        "kept in the file, not shown here."
    )
    save_jobs(tmp_path, jobs)  # as the editor does after opening
    data = json.loads((tmp_path / JOBS_FILE).read_text())
    assert data["format"] == 3
    assert data["jobs"] == [mine, future]

    save_jobs(tmp_path, [])  # every job of ours done: the other version's stays
    assert json.loads((tmp_path / JOBS_FILE).read_text())["jobs"] == [future]


@pytest.mark.parametrize(
    ("written", "read"),
    [([2, 3], (2, 3)), ([3, 3], None), ([0, 3], None), (["2", 3], None), ([True, 3], None), (7, None)],
)
def test_a_long_shots_windows_made_are_kept_and_odd_counts_are_not_shown(tmp_path: Path, written, read) -> None:
    entry = {**job().to_dict(), "windows_made": written}
    (tmp_path / JOBS_FILE).write_text(json.dumps({"jobs": [entry]}))
    (loaded,), _ = load_jobs(tmp_path)
    assert loaded.windows_made == read
    save_jobs(tmp_path, [loaded])
    assert json.loads((tmp_path / JOBS_FILE).read_text())["jobs"][0].get("windows_made") == (written if read else None)


def test_an_unchanged_queue_is_not_written_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The editor saves the queue on every job event and on opening a project: on a full disk an
    unchanged queue said "Could not keep the job queue" for nothing."""
    save_jobs(tmp_path, [job()])
    written = (tmp_path / JOBS_FILE).read_bytes()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("studio.core.jobfile.write_atomic", full)
    save_jobs(tmp_path, [job()])
    assert (tmp_path / JOBS_FILE).read_bytes() == written
    with pytest.raises(OSError):
        save_jobs(tmp_path, [job(), job("j2")])  # a change still tries, and a failure still says so
