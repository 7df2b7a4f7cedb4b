"""`studio batch`, run as a user runs it: in a child process, through a real worker and the tiny LTX
model at its smallest (32x32, 5 frames, one step)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import opentimelineio as otio
import pytest

from studio.core import store
from studio.core.project import Project
from studio.core.recipe import Mode, Recipe
from studio.media.takes import read_frames

REPO = Path(__file__).resolve().parents[1]
SMALL = "width = 32\nheight = 32\nframes = 5\nsteps = 1\n"


def shot_file(folder: Path, shots: list[str], name: str = "shots.toml") -> Path:
    path = folder / name
    path.write_text("".join(f"[[shot]]\n{body}\n{SMALL}\n" for body in shots), encoding="utf-8")
    return path


def batch(studio_cli, shots: Path, model: Path, *more: str, timeout: int = 300, workers: int | None = None):
    pool = ("--workers", str(workers)) if workers else ()
    return studio_cli(
        *pool, "batch", str(shots), "-m", str(model), "--log-dir", str(shots.parent / "logs"), *more, timeout=timeout
    )


def test_six_shots_of_two_takes_land_twelve_takes_with_their_recipes(studio_cli, tiny_ltx, tmp_path):
    shots = shot_file(tmp_path, [f'name = "s{i}"\nprompt = "shot number {i}"\nseed = {10 * i}' for i in range(6)])
    result = batch(studio_cli, shots, tiny_ltx, "--takes", "2", "--out", str(tmp_path / "takes"), workers=2)
    assert result.returncode == 0, result.stderr
    assert ": running on CPU 1" in result.stderr and ": running on CPU 2" in result.stderr  # two workers shared it
    out = tmp_path / "takes"
    made = sorted(Path(line) for line in result.stdout.split())
    assert made == sorted(out / f"s{i}-{t}.mkv" for i in range(6) for t in (1, 2))
    for i in range(6):
        for take in (1, 2):
            assert read_frames(out / f"s{i}-{take}.mkv").shape == (5, 32, 32, 3)
            (recipe,) = json.loads((out / f"s{i}-{take}.recipe.json").read_text())["recipes"]
            assert (recipe["prompt"], recipe["seed"]) == (f"shot number {i}", 10 * i + take - 1)
    state = json.loads((out / "batch.json").read_text())
    assert len(state["takes"]) == 12 and {t["state"] for t in state["takes"]} == {"done"}
    assert "studio: batch: 12/12 done, 0 running, 0 failed" in result.stderr
    assert "studio: s3 take 2: done in" in result.stderr


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('prompt = "one"\n[[shot]]\nname = "two"', "shots.toml: shot 2 has no prompt"),
        ('prompt = "one"\npromt = "typo"', "shots.toml: shot 1: unknown field 'promt'"),
        ('prompt = "one"\nseed = "seven"', "shots.toml: shot 1: seed should be a whole number, not 'seven'"),
        ('prompt = "one"\nimage = "missing.png"', "shots.toml: shot 1 (shot-1): the input image"),
        ('prompt = "one"\nsize = "16:9 999p"\nwidth = 1', "shots.toml: shot 1: give size or width and height"),
        ('prompt = "one"\nname = "a"\n[[shot]]\nprompt = "two"\nname = "A"', "shots.toml: shot 2 has the name 'A'"),
        ('prompt = "one"\nname = "../up"', "shots.toml: shot 1: the name '../up' names its files"),
        ('prompt = "one"\nfps = 500', "shots.toml: shot 1 (shot-1): "),
    ],
)
def test_a_bad_shot_file_is_one_line_and_nothing_runs(studio_cli, tiny_ltx, tmp_path, body, message):
    shots = tmp_path / "shots.toml"
    shots.write_text(f"[[shot]]\n{body}\n", encoding="utf-8")
    result = batch(studio_cli, shots, tiny_ltx, "--out", str(tmp_path / "takes"), timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith(f"studio: {message}") and result.stderr.count("\n") == 1, result.stderr
    assert not (tmp_path / "takes").exists() and not (tmp_path / "logs").exists()  # no worker, no folder


def test_a_shot_needs_a_model_and_a_resume_needs_a_batch(studio_cli, tmp_path):
    shots = shot_file(tmp_path, ['prompt = "rain"'])
    result = studio_cli("batch", str(shots), timeout=60)
    assert result.returncode == 2
    assert result.stderr == "studio: shots.toml: shot 1 (shot-1) has no model: give -m MODEL, or model = in the shot\n"
    result = studio_cli("batch", str(shots), "-m", "ltx-video-0.9.5", "--resume", "--out", str(tmp_path / "t"))
    assert result.returncode == 2 and "nothing to resume: there is no" in result.stderr


def test_running_it_again_makes_only_the_takes_not_finished(studio_cli, tiny_ltx, tmp_path):
    shots = shot_file(tmp_path, ['name = "a"\nprompt = "fox"\nseed = 1', 'name = "b"\nprompt = "owl"'])
    first = batch(studio_cli, shots, tiny_ltx)
    assert first.returncode == 0, first.stderr
    out = tmp_path / "shots"  # the default folder: the shot list's name
    made = {p.name: p.stat().st_mtime_ns for p in out.glob("*.mkv")}
    assert set(made) == {"a-1.mkv", "b-1.mkv"}
    seed_b = json.loads((out / "b-1.recipe.json").read_text())["recipes"][0]["seed"]
    (out / "a-1.mkv").unlink()  # a finished take that went away is made again

    again = batch(studio_cli, shots, tiny_ltx, "--takes", "2", "--resume")
    assert again.returncode == 0, again.stderr
    assert "studio: 1 of 4 takes already finished" in again.stderr
    assert sorted(Path(p).name for p in again.stdout.split()) == ["a-1.mkv", "a-2.mkv", "b-2.mkv"]
    assert (out / "b-1.mkv").stat().st_mtime_ns == made["b-1.mkv"]  # not made again
    # the unseeded shot's next take follows the seed it was given the first time
    assert json.loads((out / "b-2.recipe.json").read_text())["recipes"][0]["seed"] == seed_b + 1
    state = json.loads((out / "batch.json").read_text())
    assert sorted((t["shot"], t["take"], t["state"]) for t in state["takes"]) == [
        ("a", 1, "done"),
        ("a", 2, "done"),
        ("b", 1, "done"),
        ("b", 2, "done"),
    ]


def test_ctrl_c_cancels_the_queue_and_keeps_the_finished_takes(tiny_ltx, tmp_path):
    shots = shot_file(tmp_path, ['name = "long"\nprompt = "waves"\nseed = 5'])
    env = dict(os.environ, PYTHONPATH=str(REPO))
    args = [sys.executable, "-m", "studio.cli", "batch", str(shots), "-m", str(tiny_ltx), "--takes", "40"]
    process = subprocess.Popen(
        [*args, "--log-dir", str(tmp_path / "logs")],
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        # pytest-xdist's workers ignore SIGINT, and a child would inherit that: give it Ctrl+C as a shell does
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    assert process.stderr is not None
    for line in process.stderr:
        if ": done in" in line:
            process.send_signal(signal.SIGINT)
            break
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 130, rest
    assert "the finished takes stay" in rest and "run the same command again for the rest" in rest
    state = json.loads((tmp_path / "shots" / "batch.json").read_text())["takes"]
    done = [t for t in state if t["state"] == "done"]
    assert 1 <= len(done) < 40 and all((tmp_path / "shots" / t["output"]).is_file() for t in done)
    assert {t["state"] for t in state} - {"done"} <= {"cancelled", "queued", "running"}


def test_a_timeline_s_placeholders_and_generated_clips_land_in_a_project(studio_cli, tiny_ltx, tmp_path):
    recipe = Recipe(Mode.TEXT_TO_VIDEO, str(tiny_ltx), "a lighthouse", width=32, height=32, frames=5, seed=4, steps=1)
    track = otio.schema.Track(name="V1")
    track.append(otio.schema.Clip(name="a quiet harbour", source_range=_range(5)))  # a placeholder
    generated = otio.schema.Clip(name="lighthouse", source_range=_range(5))
    generated.media_reference = otio.schema.MissingReference(metadata={"studio": {"recipe": recipe.to_dict()}})
    track.append(generated)
    footage = otio.schema.Clip(name="footage", source_range=_range(5))
    footage.media_reference = otio.schema.ExternalReference(target_url=str(tmp_path / "footage.mov"))
    track.append(footage)  # neither: left alone
    timeline = otio.schema.Timeline(name="cut")
    timeline.metadata["studio"] = {"style": "in fog"}  # the style of the sequence it was exported from
    timeline.tracks.append(track)
    otio.adapters.write_to_file(timeline, str(tmp_path / "cut.otio"))
    project = Project.new("Film")
    project.sequence.style = "at night"
    project.sequence.references = ["refs/hero.png"]  # for models that take them: not this one, so not refused
    store.save(project, tmp_path / "Film.studio")

    result = studio_cli(
        "batch",
        str(tmp_path / "cut.otio"),
        "-m",
        str(tiny_ltx),
        "--takes",
        "2",
        "--project",
        str(tmp_path / "Film.studio"),
        "--log-dir",
        str(tmp_path / "logs"),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    project = store.load(tmp_path / "Film.studio")
    clips = project.sequence.tracks[0].clips
    assert len(clips) == 2 and all(len(c.takes) == 2 for c in clips)  # one clip a shot, its takes its takes
    recipes = sorted((project.media[t].recipe.prompt, project.media[t].recipe.seed) for c in clips for t in c.takes)
    assert [r for r in recipes if r[0] == "a lighthouse"] == [("a lighthouse", 4), ("a lighthouse", 5)]
    harbour = [seed for prompt, seed in recipes if prompt == "a quiet harbour"]  # the clip's name is its prompt
    assert len(harbour) == 2 and harbour[1] == harbour[0] + 1
    # Each placeholder in the timeline's style; a shot with none (its recipe had none) in the project's.
    styles = {(project.media[t].recipe.prompt, project.media[t].recipe.style) for c in clips for t in c.takes}
    assert styles == {("a quiet harbour", "in fog"), ("a lighthouse", "at night")}
    assert all(not project.is_offline(project.media[t]) for c in clips for t in c.takes)
    state = json.loads((tmp_path / "Film.studio" / "batches" / "cut.json").read_text())
    assert len(state["takes"]) == 4 and {t["state"] for t in state["takes"]} == {"done"}


def _range(frames: int) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(otio.opentime.RationalTime(0, 24), otio.opentime.RationalTime(frames, 24))


def test_a_bad_worker_choice_is_refused_before_the_batch_writes_anything(studio_cli, tiny_ltx, tmp_path):
    shots = shot_file(tmp_path, ['prompt = "rain"'])
    result = batch(studio_cli, shots, tiny_ltx, "--out", str(tmp_path / "takes"), workers=99, timeout=60)
    assert result.returncode == 2
    assert result.stderr == "studio: --workers must be between 1 and 16, not 99\n"
    assert not (tmp_path / "takes").exists() and not (tmp_path / "logs").exists()


def test_shots_made_into_a_project_get_its_sequences_references_where_the_model_takes_them(
    studio_cli, tiny_wan_vace, still_images, tmp_path
):
    project = Project.new("Cast")
    project.sequence.references = ["refs/fox.png", str(still_images[1])]
    store.save(project, tmp_path / "Cast.studio")
    (project.folder / "refs").mkdir()
    (project.folder / "refs" / "fox.png").write_bytes(still_images[0].read_bytes())
    shots = shot_file(tmp_path, ['name = "fox"\nprompt = "the fox crosses the clearing"\nframes = 9'])
    shots.write_text(shots.read_text().replace("frames = 5\n", ""))
    result = batch(studio_cli, shots, tiny_wan_vace, "--project", str(project.folder))
    assert result.returncode == 0, result.stderr
    project = store.load(project.folder)
    (take,) = [project.media[t] for c in project.sequence.tracks[0].clips for t in c.takes]
    assert take.recipe.references == [str(project.folder / "refs" / "fox.png"), str(still_images[1])]


def test_a_sequence_reference_that_is_gone_is_refused_before_anything_is_written(studio_cli, tiny_wan_vace, tmp_path):
    project = Project.new("Cast")
    project.sequence.references = ["refs/gone.png"]
    store.save(project, tmp_path / "Cast.studio")
    before = sorted(p for p in project.folder.rglob("*"))
    shots = shot_file(tmp_path, ['name = "fox"\nprompt = "the fox crosses the clearing"'])
    result = batch(studio_cli, shots, tiny_wan_vace, "--project", str(project.folder))
    assert result.returncode == 2
    assert f"the reference image {project.folder / 'refs' / 'gone.png'} does not exist" in result.stderr
    assert sorted(p for p in project.folder.rglob("*")) == before  # no batch state, no take
