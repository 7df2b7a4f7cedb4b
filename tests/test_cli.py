"""The headless CLI, run as a user runs it: in a child process."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from studio.core import store
from studio.core.project import Clip, MediaItem
from studio.core.recipe import Mode, Recipe
from studio.core.timebase import FrameRate
from studio.demo import checker
from studio.media.probe import probe
from studio.media.provenance import read_tags, verify
from studio.media.takes import read_frames, write_frames


def test_generate_writes_exactly_the_frames_asked_for_and_says_what_it_rounded(studio_cli, tiny_ltx, tmp_path):
    out = tmp_path / "shot.mkv"
    result = studio_cli(
        "generate",
        "-m",
        str(tiny_ltx),
        "-p",
        "a red fox runs through the snow",
        "--frames",
        "8",
        "--width",
        "50",
        "--height",
        "64",
        "--seed",
        "1",
        "--steps",
        "2",
        "-o",
        str(out),
        "--log-dir",
        str(tmp_path / "logs"),
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert "studio: width 50 → 64: LTX needs multiples of 32" in result.stderr
    assert "studio: frames 8 → 9: LTX needs 4k+1 frames" in result.stderr
    assert "step 1/2" in result.stderr and "step 2/2" in result.stderr
    frames = read_frames(out)
    assert frames.shape == (9, 64, 64, 3)
    # Marked as generated: Matroska carries no C2PA manifest, so its tags and a sidecar say so.
    assert read_tags(out)["comment"].startswith("AI-generated (studio)")
    sidecar = json.loads((tmp_path / "shot.recipe.json").read_text())
    assert sidecar["recipes"][0]["prompt"] == "a red fox runs through the snow"
    assert sidecar["recipes"][0]["seed"] == 1


def test_generate_first_and_last_frame_to_h264_from_seconds(studio_cli, tiny_ltx, still_images, tmp_path):
    first, last = still_images
    out = tmp_path / "shot.mp4"
    result = studio_cli(
        "generate",
        "-m",
        str(tiny_ltx),
        "-p",
        "the square flies away",
        "--image",
        str(first),
        "--end-image",
        str(last),
        "--seconds",
        "0.5",
        "--width",
        "96",
        "--height",
        "64",
        "--seed",
        "2",
        "-o",
        str(out),
        "--log-dir",
        str(tmp_path / "logs"),
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    assert "0.5 s at 24 fps is 12 frames" in result.stderr
    assert "frames 12 → 13" in result.stderr
    assert read_frames(out).shape == (13, 64, 96, 3)
    verdict = verify(out)  # an MP4: a signed manifest, its stills as ingredients
    assert verdict.state == "trusted" and verdict.ai_generated
    assert verdict.recipes[0]["prompt"] == "the square flies away" and verdict.recipes[0]["mode"] == "image_to_video"
    assert sorted(verdict.ingredients) == sorted({first.name, last.name})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-m", "no-such-model", "-p", "x"], "unknown model 'no-such-model'"),
        (["-p", "  "], "the prompt is empty"),
        (["-p", "x", "--image", "/no/such/image.png"], "the input image /no/such/image.png does not exist"),
        (["-p", "x", "--width", "5000"], "a width of 5000 is larger than"),
        (["-p", "x", "--frames", "0"], "the frame count must be positive"),
        (["-p", "x", "--end-image", "b.png"], "--end-image needs --image"),
        (["-p", "x", "-o", "shot.gif"], "should end in .mp4 (H.264) or .mkv (lossless)"),
        # Every number has an upper bound, checked before anything is queued.
        (
            ["-p", "x", "--frames", "1000000000"],
            "is longer than 600 s, the studio's limit; ask for a shorter one, or for up to 3600 s with --allow-long",
        ),
        (["-p", "x", "--seconds", "1e9"], "a shot of 1e+09 s is longer than 600 s"),
        (["-p", "x", "--seconds", "4000", "--allow-long"], "4000 s is longer than the 3600 s the studio makes"),
        (["-p", "x", "--steps", "100000000"], "the number of steps must be at most 500, not 100000000"),
        (["-p", "x", "--fps", "nan"], "argument --fps: 'nan' is not a finite number"),
        (["-p", "x", "--fps", "1000"], "the frame rate must be between 1 and 120, not 1000"),
        (["-p", "x", "--seed", str(2**70)], f"the seed must be at most 4294967295, not {2**70}"),
        (["-p", "x", "--guidance", "inf"], "argument --guidance: 'inf' is not a finite number"),
        (["-p", "x", "--guidance", "1000"], "the guidance must be between 0 and 50, not 1000"),
        (["-p", "x", "--takes", "1000"], "--takes must be at most 100, not 1000"),
        (["-p", "x", "--seed", "4294967295", "--takes", "2"], "2 takes from seed 4294967295 go past the largest"),
        # A flag's name is never read from its start: --mode was once taken for --model
        (["-p", "x", "--mode", "image_to_video"], "unrecognized arguments: --mode image_to_video"),
    ],
)
def test_a_bad_request_exits_with_one_line_and_no_traceback(studio_cli, tiny_ltx, tmp_path, args, message):
    if "-m" not in args:
        args = ["-m", str(tiny_ltx), *args]
    if "-o" not in args:
        args = [*args, "-o", str(tmp_path / "out.mkv")]
    result = studio_cli("generate", *args, timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr
    assert result.stderr.startswith("studio") and not result.stderr.startswith("studio: studio")  # named once
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out.mkv").exists()


def test_models_list_shows_the_cards_and_where_their_weights_are(studio_cli, tiny_ltx):
    result = studio_cli("--models-dir", str(tiny_ltx.parent), "models", "list", timeout=60)
    assert result.returncode == 0, result.stderr
    assert "ltx-video-0.9.7-distilled" in result.stdout
    assert "missing (studio models download ltx-video-0.9.5)" in result.stdout
    assert "tiny-ltx" in result.stdout and f"in {tiny_ltx}" in result.stdout
    assert "modes: text_to_video, image_to_video" in result.stdout and "~16 GB GPU memory" in result.stdout
    demo = result.stdout[result.stdout.index("\ndemo ") :]
    assert "no GPU needed (any CPU; ~1 GB GPU memory on a GPU)" in demo.splitlines()[2]


def test_models_list_finds_the_folder_in_studio_models_and_names_what_an_incomplete_model_lacks(
    studio_cli, tiny_ltx, tmp_path, monkeypatch
):
    import shutil

    broken = tmp_path / "tiny-ltx"
    shutil.copytree(tiny_ltx, broken)
    shutil.rmtree(broken / "vae")
    monkeypatch.setenv("STUDIO_MODELS", str(tmp_path))
    result = studio_cli("models", "list", timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"INCOMPLETE: the model in {broken} is incomplete: the 'vae' folder is missing" in result.stdout


def test_models_download_says_why_it_cannot(studio_cli, tmp_path):
    result = studio_cli("models", "download", "no-such-model", "--dir", str(tmp_path), timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("studio: no model card 'no-such-model'; the cards are: ")
    assert "ltx-video-0.9.5, " in result.stderr  # the cards in id order, whichever family comes first
    result = studio_cli("models", "download", "ltx-video-0.9.5", "--dir", str(tmp_path), timeout=60)  # offline here
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr == "studio: HF_HUB_OFFLINE is set, so nothing can be downloaded; unset it and try again\n"
    assert not any(tmp_path.iterdir())


def test_a_memory_tier_the_studio_does_not_know_is_refused(studio_cli, tiny_ltx, tmp_path):
    result = studio_cli("generate", "-m", str(tiny_ltx), "-p", "x", "--memory", "huge", "-o", str(tmp_path / "a.mkv"))
    assert result.returncode == 2
    assert "unknown memory tier 'huge': choose one of resident, model_offload, group_offload" in result.stderr


def test_a_bad_studio_memory_is_refused_before_any_work(studio_cli, tiny_ltx, tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_MEMORY", "most")
    result = studio_cli("generate", "-m", str(tiny_ltx), "-p", "x", "-o", str(tmp_path / "a.mkv"), timeout=60)
    assert result.returncode == 2
    assert result.stderr == (
        "studio: unknown memory tier 'most': choose one of resident, model_offload, group_offload (in STUDIO_MEMORY)\n"
    )


def test_models_tiny_refuses_an_unknown_family(studio_cli, tmp_path):
    result = studio_cli("models", "tiny", "sora", str(tmp_path / "m"), timeout=60)
    assert result.returncode == 2
    assert "no tiny model for the family 'sora'" in result.stderr and "Traceback" not in result.stderr


def test_doctor_reports_torch_ffmpeg_and_models(studio_cli, tiny_ltx):
    result = studio_cli("--models-dir", str(tiny_ltx.parent), "doctor", timeout=120)
    assert result.returncode == 0, result.stderr
    for word in ("python", "torch", "device      cpu", "ffmpeg", "display", "tiny-ltx", "memory tier resident"):
        assert word in result.stdout


def test_render_exports_a_projects_sequence(studio_cli, tmp_path):
    project = store.create(tmp_path / "Film")
    frames = np.zeros((12, 64, 96, 3), np.uint8)
    frames[:, :, :, 0] = np.arange(12, dtype=np.uint8)[:, None, None] * 20
    write_frames(project.folder / "media" / "take.mkv", frames, 24)
    project.media["m1"] = MediaItem(id="m1", path="media/take.mkv", width=96, height=64, fps=FrameRate(24), frames=12)
    sequence = project.sequence
    sequence.width, sequence.height = 96, 64
    sequence.video_tracks()[0].clips.append(Clip(id="c1", media_id="m1", start=0, source_in=0, source_out=12))
    store.save(project)

    out = tmp_path / "film.mp4"
    result = studio_cli("render", str(project.folder), "-o", str(out), timeout=120)
    assert result.returncode == 0, result.stderr
    assert read_frames(out).shape == (12, 64, 96, 3)


def test_export_timeline_then_render_the_timeline_file(studio_cli, tmp_path):
    project = store.create(tmp_path / "Cut")
    frames = np.zeros((12, 64, 96, 3), np.uint8)
    frames[..., 1] = np.arange(12, dtype=np.uint8)[:, None, None] * 20
    write_frames(project.folder / "media" / "take.mkv", frames, 24)
    project.media["m1"] = MediaItem(id="m1", path="media/take.mkv", width=96, height=64, fps=FrameRate(24), frames=12)
    project.sequence.width, project.sequence.height = 96, 64
    project.sequence.video_tracks()[0].clips += [Clip("c1", "m1", 0, 2, 8), Clip("c2", "m1", 10, 0, 4)]
    store.save(project)

    timeline = tmp_path / "cut.otio"
    result = studio_cli("export-timeline", str(project.folder), "-o", str(timeline), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(timeline)
    xml = tmp_path / "cut.xml"
    assert studio_cli("export-timeline", str(timeline), "-o", str(xml), timeout=60).returncode == 0
    out = tmp_path / "cut.mp4"
    result = studio_cli("render", str(xml), "-o", str(out), timeout=120)  # rendered from the FCP XML
    assert result.returncode == 0, result.stderr
    rendered = read_frames(out)
    assert rendered.shape == (14, 64, 96, 3)  # 6 frames, a 4-frame gap, 4 frames
    green = rendered[:, 32, 48, 1].astype(int)
    assert all(abs(green[i] - 20 * (2 + i)) <= 6 for i in range(6))  # source frames 2-7
    assert green[6:10].max() <= 16  # the gap is black
    bad = studio_cli("export-timeline", str(project.folder), "-o", str(tmp_path / "cut.aaf"), timeout=60)
    assert bad.returncode == 2 and "write a timeline as .otio, .otioz, .xml, .edl" in bad.stderr


def test_render_with_a_preset_a_range_and_custom_settings(studio_cli, tmp_path):
    project = store.create(tmp_path / "Film")
    frames = np.zeros((48, 64, 96, 3), np.uint8)
    frames[:, :, :, 0] = np.arange(48, dtype=np.uint8)[:, None, None] * 5
    write_frames(project.folder / "media" / "take.mkv", frames, 24)
    project.media["m1"] = MediaItem(id="m1", path="media/take.mkv", width=96, height=64, fps=FrameRate(24), frames=48)
    project.sequence.width, project.sequence.height = 96, 64
    project.sequence.video_tracks()[0].clips.append(Clip("c1", "m1", 0, 0, 48))
    store.save(project)

    out = tmp_path / "square.mp4"
    result = studio_cli(
        "render",
        str(project.folder),
        "-o",
        str(out),
        "--preset",
        "square-1080",
        "--range",
        "00:00:01:00-00:00:01:11",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    info = probe(out)
    assert (info.width, info.height, info.frames) == (1080, 1080, 12)  # frames 24-35
    assert abs(int(read_frames(out)[0, 540, 540, 0]) - 120) <= 6  # frame 24's red, in the middle
    master = tmp_path / "master.mov"
    result = studio_cli(
        "render", str(project.folder), "-o", str(master), "--codec", "prores_4444", "--range", "0-5", timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert (probe(master).video_codec, probe(master).frames) == ("prores", 6)
    bad = studio_cli("render", str(project.folder), "-o", str(tmp_path / "x.mp4"), "--preset", "imax", timeout=60)
    assert bad.returncode == 2 and "no preset 'imax'; the presets are web-1080p" in bad.stderr
    bad = studio_cli("render", str(project.folder), "-o", str(tmp_path / "x.mp4"), "--range", "10", timeout=60)
    assert bad.returncode == 2 and "write it as IN-OUT" in bad.stderr


def test_render_of_a_missing_project_is_one_line(studio_cli, tmp_path):
    result = studio_cli("render", str(tmp_path / "Nothing.studio"), "-o", str(tmp_path / "x.mp4"), timeout=60)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no project at" in result.stderr


def test_memory_reaches_the_worker_which_says_what_applies_on_this_device(studio_cli, tiny_ltx, tmp_path):
    out = tmp_path / "shot.mkv"
    args = ("-p", "dawn", "--frames", "9", "--width", "64", "--height", "64", "--steps", "2", "--seed", "3")
    result = studio_cli(
        "generate",
        "-m",
        str(tiny_ltx),
        *args,
        "--memory",
        "group_offload",
        "-o",
        str(out),
        "--log-dir",
        str(tmp_path / "logs"),
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    log = "".join(p.read_text() for p in (tmp_path / "logs").glob("worker-*.log"))
    assert "worker: memory resident: group_offload does not apply on cpu" in log


def _project_with_a_generated_take(folder):
    project = store.create(folder)
    write_frames(project.folder / "media" / "take.mkv", np.full((12, 64, 96, 3), 100, np.uint8), 24)
    recipe = Recipe(Mode.TEXT_TO_VIDEO, "ltx-video-0.9.5", "waves on a breakwater", seed=11)
    project.media["m1"] = MediaItem(
        id="m1", path="media/take.mkv", width=96, height=64, fps=FrameRate(24), frames=12, recipe=recipe
    )
    project.sequence.width, project.sequence.height = 96, 64
    project.sequence.video_tracks()[0].clips.append(Clip(id="c1", media_id="m1", start=0, source_in=0, source_out=12))
    store.save(project)
    return project, recipe


def test_a_rendered_generated_shot_verifies_and_a_tampered_one_does_not(studio_cli, tmp_path):
    project, recipe = _project_with_a_generated_take(tmp_path / "Film")
    out = tmp_path / "film.mp4"
    assert studio_cli("render", str(project.folder), "-o", str(out), timeout=120).returncode == 0

    result = studio_cli("verify", str(out), timeout=60)
    assert result.returncode == 0, result.stderr
    assert "valid C2PA manifest, signed by this studio installation" in result.stdout
    assert "AI-generated (trainedAlgorithmicMedia)" in result.stdout
    assert '"prompt": "waves on a breakwater"' in result.stdout and '"seed": 11' in result.stdout

    data = bytearray(out.read_bytes())
    at = data.index(b"mdat") + 100
    data[at : at + 4] = bytes(b ^ 0xFF for b in data[at : at + 4])
    out.write_bytes(bytes(data))
    result = studio_cli("verify", str(out), timeout=60)
    assert result.returncode == 1
    assert "the C2PA manifest does not match the file: it was changed after signing" in result.stderr
    assert "Traceback" not in result.stderr
    # A script reading stdout alone learns it first, before any recipe the file carries.
    assert result.stdout.startswith(f"TAMPERED: {out}: the C2PA manifest does not match the file")
    result = studio_cli("verify", "--json", str(out), timeout=60)
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert (report["status"], report["exit_code"], report["file"]) == ("tampered", 1, str(out))
    assert report["problems"]


def test_verify_tells_another_installations_signature_apart_by_exit_code_and_json(studio_cli, tmp_path, monkeypatch):
    project, _ = _project_with_a_generated_take(tmp_path / "Film")
    out = tmp_path / "film.mp4"
    assert studio_cli("render", str(project.folder), "-o", str(out), timeout=120).returncode == 0
    result = studio_cli("verify", "--json", str(out), timeout=60)
    assert result.returncode == 0, result.stderr
    ours = json.loads(result.stdout)
    assert ours["status"] == "trusted" and ours["signer"]["issuer"]
    assert ours["recipes"][0]["prompt"] == "waves on a breakwater" and ours["ai_generated"] is True

    monkeypatch.setenv("STUDIO_CONFIG", str(tmp_path / "another-installation"))
    result = studio_cli("verify", str(out), timeout=60)
    assert result.returncode == 4, result.stderr
    assert "not by this studio installation" in result.stdout and "not by this studio installation" in result.stderr
    result = studio_cli("verify", "--json", str(out), timeout=60)
    assert result.returncode == 4
    theirs = json.loads(result.stdout)
    assert (theirs["status"], theirs["exit_code"]) == ("other_signer", 4)
    assert theirs["signer"] == ours["signer"] and theirs["recipes"] == ours["recipes"]
    assert "exit codes:" in studio_cli("verify", "--help", timeout=60).stdout


def test_render_without_provenance_warns_and_verify_says_the_file_is_unmarked(studio_cli, tmp_path):
    project, _ = _project_with_a_generated_take(tmp_path / "Film")
    out = tmp_path / "film.mp4"
    result = studio_cli("render", str(project.folder), "-o", str(out), "--no-provenance", timeout=120)
    assert result.returncode == 0, result.stderr
    assert "studio: warning: --no-provenance: the file will not be marked as AI-generated" in result.stderr
    result = studio_cli("verify", str(out), timeout=60)
    assert result.returncode == 3
    assert result.stderr.strip() == f"studio: {out}: no C2PA manifest"
    result = studio_cli("verify", str(tmp_path / "nothing.mp4"), timeout=60)
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_generate_into_a_folder_it_cannot_write_fails_before_generating(studio_cli, tiny_ltx, tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    if os.access(locked, os.W_OK):  # root writes anywhere it may; /proc takes no new file even from root
        locked = Path("/proc")
    out = locked / "shot.mkv"
    result = studio_cli(
        "generate",
        "-m",
        str(tiny_ltx),
        "-p",
        "a lighthouse",
        "--steps",
        "1",
        "-o",
        str(out),
        "--log-dir",
        str(tmp_path / "logs"),
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"cannot write {out}: the folder {locked} is not writable" in result.stderr
    assert "step 1/1" not in result.stderr and not (tmp_path / "logs").exists()  # nothing ran
    assert not out.exists()


def test_render_refuses_missing_or_cut_short_media_unless_offline_frames_are_asked_for(studio_cli, tmp_path):
    project = store.create(tmp_path / "Film")
    write_frames(project.folder / "media" / "take.mkv", np.full((24, 64, 96, 3), 80, np.uint8), 24)
    take = project.folder / "media" / "take.mkv"
    os.truncate(take, take.stat().st_size // 2)
    project.media["m1"] = MediaItem(
        id="m1", path="media/take.mkv", width=96, height=64, fps=FrameRate(24), frames=24, name="take"
    )
    project.media["m2"] = MediaItem(
        id="m2", path="media/gone.mkv", width=96, height=64, fps=FrameRate(24), frames=24, name="gone"
    )
    project.sequence.width, project.sequence.height = 96, 64
    project.sequence.video_tracks()[0].clips += [Clip("c1", "m1", 0, 0, 24), Clip("c2", "m2", 24, 0, 12)]
    store.save(project)

    out = tmp_path / "film.mp4"
    result = studio_cli("render", str(project.folder), "-o", str(out), timeout=120)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "studio: media offline: 2 clip(s) use media that is missing or broken: " in result.stderr
    assert f"take ({take}): truncated: it holds" in result.stderr
    assert f"gone ({project.folder / 'media' / 'gone.mkv'}): file not found" in result.stderr
    assert "--allow-offline" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Film.studio"]  # nothing written, not even a part

    result = studio_cli("render", str(project.folder), "-o", str(out), "--allow-offline", timeout=120)
    assert result.returncode == 0, result.stderr
    assert probe(out).frames == 36


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fps", "nan"], "--fps nan: give a frame rate between 1 and 120"),
        (["--width", "20000", "--height", "20000"], "--width must be between 1 and 8192 pixels, not 20000"),
        (["--quality", "1000"], "--quality must be between 0 and 63"),
        (["--rate", "inf"], "argument --rate: 'inf' is not a finite number"),
    ],
)
def test_render_numbers_are_checked_before_rendering(studio_cli, tmp_path, args, message):
    result = studio_cli("render", str(tmp_path / "Nothing.studio"), "-o", str(tmp_path / "x.mp4"), *args, timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert message in result.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--vae-steps", "0"], "--vae-steps must be at least 1 (it is 0)"),
        (["--text-steps", "-1"], "--text-steps must be at least 1 (it is -1)"),
        (["--clips", "-3"], "--clips must be at least 1 (it is -3)"),
    ],
)
def test_train_demo_refuses_bad_numbers_before_any_work(studio_cli, tmp_path, args, message):
    result = studio_cli("models", "train-demo", str(tmp_path / "run"), *args, timeout=60)
    assert result.returncode == 2 and result.stderr == f"studio: {message}\n"
    assert not (tmp_path / "run").exists()


def test_train_demo_on_a_gpu_it_does_not_have_is_refused_before_any_work(studio_cli, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    result = studio_cli("models", "train-demo", str(tmp_path / "run"), "--device", "cuda", timeout=60)
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "--device cuda: this torch (" in result.stderr and "sees no CUDA GPU" in result.stderr
    assert not (tmp_path / "run").exists()


def test_train_demo_refuses_a_file_for_its_folder(studio_cli, tmp_path):
    (tmp_path / "run").write_text("mine")
    result = studio_cli("models", "train-demo", str(tmp_path / "run"), timeout=60)
    assert result.returncode == 2 and "is a file; give a folder to train in" in result.stderr
    assert (tmp_path / "run").read_text() == "mine"


def test_the_demo_model_makes_its_default_shot_through_generate(studio_cli, tmp_path):
    """No --models-dir, no download: the model that ships in studio/models/demo/ makes a shot at its card's
    defaults. (What its shots show is measured in benchmarks/demo_quality.py, not here: issue 11.)"""
    out = tmp_path / "shot.mkv"
    result = studio_cli(
        "generate",
        "-m",
        "demo",
        "-p",
        "a red circle moves left on a blue background",
        "--seed",
        "3",
        "-o",
        str(out),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "25 frames, 128x128 at 24 fps" in result.stderr
    assert read_frames(out).shape == (25, 128, 128, 3)
    assert read_tags(out)["comment"].startswith("AI-generated (studio)")  # marked, like every take


def test_generate_says_the_style_after_the_prompt_and_records_it(studio_cli, tmp_path):
    """--style: the demo model paints the background the style names (the prompt names none), and the take's
    record keeps the prompt and the style apart."""
    out = tmp_path / "shot.mkv"
    args = ("generate", "-m", "demo", "-p", "a red circle moves left", "--style", "On a blue background.")
    result = studio_cli(*args, "--seed", "0", "-o", str(out), timeout=300)
    assert result.returncode == 0, result.stderr
    assert checker.read(read_frames(out)).background == "blue"
    recipe = json.loads((tmp_path / "shot.recipe.json").read_text())["recipes"][0]
    assert (recipe["prompt"], recipe["style"]) == ("a red circle moves left", "On a blue background.")


def test_extend_and_connect_without_a_prompt_carry_on_the_clips_own(studio_cli, tmp_path):
    """A generated clip's record holds its prompt: extending or bridging from it without -p goes on with it,
    as Fill Gap does in the editor (the generic bridge prompt made the demo model draw a shape of another colour)."""
    said = "a red circle moves left on a blue background"
    first = tmp_path / "first.mkv"
    made = studio_cli("generate", "-m", "demo", "-p", said, "--seed", "3", "-o", str(first), timeout=300)
    assert made.returncode == 0, made.stderr
    longer = tmp_path / "longer.mkv"
    result = studio_cli("extend", str(first), "-m", "demo", "--frames", "8", "-o", str(longer), timeout=300)
    assert result.returncode == 0, result.stderr
    assert verify(longer).recipes[0]["prompt"] == said


def test_a_reader_that_goes_away_stops_the_output_quietly():
    """`studio models list | head -1`: the pipe closes under the CLI's output; no "internal error" follows."""
    import subprocess
    import sys

    from tests.conftest import REPO

    read, write = os.pipe()
    os.close(read)  # every write to the pipe now fails, as once head has what it wants
    env = dict(os.environ, PYTHONPATH=str(REPO))
    try:
        result = subprocess.run(
            [sys.executable, "-m", "studio.cli", "models", "list"],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write)
    assert result.returncode == 141, result.stderr
    assert result.stderr == ""
