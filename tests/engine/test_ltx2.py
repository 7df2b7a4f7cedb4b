"""LTX-2 through the tiny model's real pipeline (picture and sound), loaded back from disk by the
loader users' models take; its takes on disk; the worker and the CLI.

The tiny model makes frames 4k+1 (overlap k = 5 frames) and sound at 16 kHz: 9 frames at 24 fps are
0.375 s, 6000 samples.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.core.timebase import FrameRate
from studio.engine.cards import LTX2_MODES, Card, folder_card, load_cards
from studio.engine.families.ltx2.adapter import generate, generate_with_audio, latent_index
from studio.engine.jobs import Cancelled
from studio.engine.requests import prepare
from studio.media.audio import frame_sample, read_audio
from studio.media.probe import probe
from studio.media.takes import read_frames, write_frames

K = 5
RATE = 16_000
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The tiny model's matrices are too small for threads to pay; on shared cores they only wait."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def card(tiny_ltx2) -> Card:
    return folder_card(tiny_ltx2)


@pytest.fixture(scope="module")
def pipe(tiny_ltx2, card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_ltx2, card, pick_device("cpu"))


def samples(frames: int, fps: float = 24.0) -> int:
    return frame_sample(frames, FrameRate.parse(fps), RATE)


def recipe(mode: Mode, frames: int, *conditions: Condition, **kw) -> Recipe:
    return Recipe(
        mode=mode,
        model="tiny",
        prompt="waves on rocks",
        width=64,
        height=64,
        frames=frames,
        steps=2,
        guidance=3.0,
        seed=3,
        conditions=list(conditions),
        **kw,
    )


def moving_pattern(frames: int, shift: int = 0) -> np.ndarray:
    t = np.arange(frames)[:, None, None]
    y = np.arange(64)[None, :, None]
    x = np.arange(64)[None, None, :]
    channels = np.broadcast_arrays((x * 4 + t * 20 + shift) % 256, (y * 4 + 0 * x) % 256, (x + y + t * 10) % 256)
    return np.stack(channels, -1).astype(np.uint8)


def tone(count: int, hz: float) -> np.ndarray:
    wave = 0.5 * np.sin(2 * np.pi * hz * np.arange(count) / RATE).astype(np.float32)
    return np.stack([wave, -wave], 1)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, tuple[Path, np.ndarray, np.ndarray | None]]:
    """Lossless 64x64 9-frame clips: a (with a 440 Hz tone), b (another pattern, silent)."""
    folder = tmp_path_factory.mktemp("ltx2-clips")
    a_frames, a_sound = moving_pattern(9), tone(samples(9), 440.0)
    b_frames = np.ascontiguousarray(moving_pattern(9, 128)[:, ::-1])
    return {
        "a": (write_frames(folder / "a.mkv", a_frames, 24, audio=a_sound, sample_rate=RATE), a_frames, a_sound),
        "b": (write_frames(folder / "b.mkv", b_frames, 24), b_frames, None),
    }


def clip(clips, name: str, **kw) -> Condition:
    return Condition(str(clips[name][0]), **kw)


# -- the card and the tiny model ------------------------------------------------------------------


def test_the_tiny_card_claims_the_condition_pipelines_modes(card):
    assert card.family == "ltx2" and card.pipeline == "LTX2ConditionPipeline"
    assert card.modes == LTX2_MODES and Mode.VIDEO_TO_VIDEO not in card.modes
    assert (card.frame_step, card.size_multiple) == (4, 32)


def test_the_ltx2_card_matches_lightricks_layout():
    ltx2 = load_cards(REPO / "studio" / "models")["ltx-2"]
    assert (ltx2.repo, ltx2.family, ltx2.pipeline) == ("Lightricks/LTX-2", "ltx2", "LTX2ConditionPipeline")
    assert (ltx2.frame_step, ltx2.size_multiple, ltx2.default_fps) == (8, 32, 24.0)
    assert ltx2.valid_frames(ltx2.default_frames) and ltx2.modes == LTX2_MODES


def test_a_folder_without_a_card_gets_ltx2_defaults_from_its_vae(tiny_ltx2, tmp_path):
    import shutil

    from studio.engine.weights import CARD_FILE

    bare = tmp_path / "bare-ltx2"
    shutil.copytree(tiny_ltx2, bare, ignore=shutil.ignore_patterns(CARD_FILE))
    defaults = folder_card(bare)
    assert (defaults.family, defaults.frame_step, defaults.size_multiple) == ("ltx2", 4, 32)
    assert defaults.modes == LTX2_MODES


def test_conditions_past_frame_zero_name_the_latent_group_at_or_before_them():
    assert [latent_index(f, 8) for f in (0, 1, 8, 9, 16, 112, 120)] == [0, 1, 1, 2, 2, 14, 15]


# -- text to video: the picture and its sound --------------------------------------------------------


def test_text_to_video_makes_frames_and_sound_as_long_as_them(pipe, card):
    steps, previews = [], []
    frames, sound, rate = generate_with_audio(
        pipe, recipe(Mode.TEXT_TO_VIDEO, 9), card, on_step=lambda s, t: steps.append((s, t)), on_preview=previews.append
    )
    assert frames.shape == (9, 64, 64, 3) and frames.dtype == np.uint8
    assert rate == RATE and sound.shape == (samples(9), 2) and sound.dtype == np.float32
    assert np.abs(sound).max() > 0  # the vocoder's (random) waveform, not silence
    assert steps == [(1, 2), (2, 2)]
    assert len(previews) == 1 and previews[0].ndim == 3  # one preview after the second (last) step


def test_the_same_recipe_gives_the_same_take_and_another_seed_another(pipe, card):
    shot = recipe(Mode.TEXT_TO_VIDEO, 9)
    first, second = generate_with_audio(pipe, shot, card), generate_with_audio(pipe, shot, card)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    shot.seed = 4
    other = generate_with_audio(pipe, shot, card)
    assert np.abs(other[0].astype(int) - first[0]).mean() > 1
    assert not np.array_equal(other[1], first[1])  # the tiny vocoder's random weights barely vary it


def test_sound_follows_the_frame_rate(pipe, card):
    _, sound, _ = generate_with_audio(pipe, recipe(Mode.TEXT_TO_VIDEO, 9, fps=30000 / 1001), card)
    assert len(sound) == samples(9, 30000 / 1001)


def test_cancel_stops_between_steps(pipe, card):
    asked = []

    def stop() -> bool:
        asked.append(1)
        return len(asked) > 1  # not before the run, but after its first step

    with pytest.raises(Cancelled):
        generate(pipe, recipe(Mode.TEXT_TO_VIDEO, 9), card, should_stop=stop)


# -- images at frames -------------------------------------------------------------------------------


def test_image_to_video_starts_from_the_image(pipe, card, still_images):
    first, last = still_images
    plain = generate(pipe, recipe(Mode.TEXT_TO_VIDEO, 9), card)
    opening = generate(pipe, recipe(Mode.IMAGE_TO_VIDEO, 9, Condition(str(first), 0)), card)
    both = generate(pipe, recipe(Mode.IMAGE_TO_VIDEO, 9, Condition(str(first), 0), Condition(str(last), 8)), card)
    assert opening.shape == both.shape == (9, 64, 64, 3)
    assert np.abs(opening.astype(int) - plain).mean() > 1
    assert np.abs(both.astype(int) - opening).mean() > 1  # the last frame changed the shot


def test_keyframes_sit_at_their_exact_frame_not_their_latent_groups_first(pipe, card, still_images, monkeypatch):
    first, last = still_images
    placed = []
    original = type(pipe)._prepare_keyframe_coords

    def record(self, *args, **kwargs):
        placed.append((kwargs["pixel_frame_idx"], kwargs["num_pixel_frames"]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(pipe), "_prepare_keyframe_coords", record)
    # Frames 5 to 8 are one latent group: diffusers alone would put a still at 8 (or 6) at 5.
    at_8 = generate(pipe, recipe(Mode.KEYFRAMES, 9, Condition(str(first), 0), Condition(str(last), 8)), card)
    at_5 = generate(pipe, recipe(Mode.KEYFRAMES, 9, Condition(str(first), 0), Condition(str(last), 5)), card)
    three = generate(
        pipe,
        recipe(
            Mode.KEYFRAMES,
            13,
            Condition(str(last), 3),
            Condition(str(first), 6),
            Condition(str(last), 12, strength=0.5),
        ),
        card,
    )
    assert placed == [(8, 1), (5, 1), (3, 1), (6, 1), (12, 1)]  # frame 0 is not a keyframe token: it replaces
    assert at_5.shape == at_8.shape == (9, 64, 64, 3) and three.shape == (13, 64, 64, 3)
    assert not np.array_equal(at_5, at_8)
    assert "_prepare_keyframe_coords" not in vars(pipe)  # the pipeline's own method is back after the run


def test_a_clip_at_the_end_sits_at_its_exact_frames(pipe, card, clips, monkeypatch):
    placed = []
    original = type(pipe)._prepare_keyframe_coords

    def record(self, *args, **kwargs):
        placed.append((kwargs["pixel_frame_idx"], kwargs["num_pixel_frames"]))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(type(pipe), "_prepare_keyframe_coords", record)
    generate(pipe, recipe(Mode.EXTEND_BACKWARD, 13, clip(clips, "a")), card)
    assert placed == [(13 - K, K)]  # the clip's first k frames, whole, ending at the shot's last frame


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ([Condition("IMG", 9)], "outside the shot's frames 0 to 8"),
        ([Condition("IMG", 0), Condition("IMG", 0)], "two input images are placed at frame 0"),
    ],
)
def test_bad_image_placements_are_refused_before_any_step(pipe, card, still_images, conditions, message):
    for c in conditions:
        c.path = str(still_images[0])
    with pytest.raises(ValueError, match=message):
        generate(pipe, recipe(Mode.KEYFRAMES, 9, *conditions), card, on_step=lambda s, t: pytest.fail("a step ran"))


# -- the clip modes: exact frames, and the clip's own sound under them -------------------------------


def test_extend_forward_keeps_the_clip_and_its_sound_exactly(pipe, card, clips):
    _, original, own = clips["a"]
    frames, sound, _ = generate_with_audio(pipe, recipe(Mode.EXTEND_FORWARD, 9, clip(clips, "a")), card)
    assert frames.shape == (9 + 9 - K, 64, 64, 3)
    assert np.array_equal(frames[:9], original)
    assert sound.shape == (samples(len(frames)), 2)
    assert np.array_equal(sound[: samples(9)], own)
    assert np.abs(sound[samples(9) :]).max() > 0  # the generated sound after it


def test_extend_backward_ends_with_the_exact_clip_and_its_sound(pipe, card, clips):
    _, original, own = clips["a"]
    frames, sound, _ = generate_with_audio(pipe, recipe(Mode.EXTEND_BACKWARD, 13, clip(clips, "a")), card)
    assert frames.shape == (13 - K + 9, 64, 64, 3)
    assert np.array_equal(frames[-9:], original)
    assert sound.shape == (samples(len(frames)), 2)
    assert np.array_equal(sound[-samples(9) :], own)


def test_a_silent_clip_stays_silent_under_its_frames(pipe, card, clips):
    _, original, _ = clips["b"]
    frames, sound, _ = generate_with_audio(pipe, recipe(Mode.EXTEND_FORWARD, 9, clip(clips, "b")), card)
    assert np.array_equal(frames[:9], original)
    assert not sound[: samples(9)].any() and sound[samples(9) :].any()


def test_connect_makes_only_the_bridge_and_its_sound(pipe, card, clips):
    frames, sound, _ = generate_with_audio(pipe, recipe(Mode.CONNECT, 13, clip(clips, "a"), clip(clips, "b")), card)
    assert frames.shape == (13 - 2 * K, 64, 64, 3)
    assert sound.shape == (samples(13 - 2 * K), 2)
    reverse = generate(pipe, recipe(Mode.CONNECT, 13, clip(clips, "b"), clip(clips, "a")), card)
    assert np.abs(reverse.astype(int) - frames).mean() > 1


def test_loop_is_the_clip_then_a_bridge_back_to_its_start(pipe, card, clips):
    _, original, own = clips["a"]
    frames, sound, _ = generate_with_audio(pipe, recipe(Mode.LOOP, 13, clip(clips, "a")), card)
    assert frames.shape == (9 + 13 - 2 * K, 64, 64, 3)
    assert np.array_equal(frames[:9], original)
    assert sound.shape == (samples(len(frames)), 2) and np.array_equal(sound[: samples(9)], own)


def test_video_to_video_is_not_offered(tiny_ltx2, clips):
    from studio.engine.requests import RequestError

    shot = recipe(Mode.VIDEO_TO_VIDEO, 9, clip(clips, "a"))
    shot.model = str(tiny_ltx2)
    with pytest.raises(RequestError, match="cannot do video to video"):
        prepare(shot)


# -- the take on disk, the worker and the CLI -----------------------------------------------------------


def test_an_mp4_take_carries_its_sound_as_aac(tmp_path):
    out = write_frames(tmp_path / "shot.mp4", moving_pattern(9), 24, audio=tone(samples(9), 440.0), sample_rate=RATE)
    info = probe(out)
    assert info.has_audio and info.audio_codec == "aac" and info.frames == 9


def test_the_worker_writes_a_take_with_sound_and_says_so(tiny_ltx2, tmp_path):
    output = tmp_path / "take.mkv"
    shot = {
        "mode": "text_to_video",
        "model": str(tiny_ltx2),
        "prompt": "rain on a window",
        "width": 64,
        "height": 64,
        "frames": 9,
        "steps": 2,
        "guidance": 3.0,
    }
    requests = [{"type": "run", "job_id": "j", "recipe": shot, "output": str(output)}, {"type": "quit"}]
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    result = subprocess.run(
        [sys.executable, "-m", "studio.engine.runtime.worker"],
        capture_output=True,
        text=True,
        env=env,
        input="".join(json.dumps(r) + "\n" for r in requests),
        timeout=180,
    )
    assert result.returncode == 0, result.stderr
    done = [json.loads(line) for line in result.stdout.splitlines()][-1]
    assert (done["type"], done["audio"], done["sample_rate"], done["frames"]) == ("done", True, RATE, 9)
    info = probe(output)
    assert info.has_audio and info.audio_codec == "pcm_f32le" and info.frames == 9
    assert read_frames(output).shape == (9, 64, 64, 3)
    assert len(read_audio(output, RATE)) == samples(9)  # 0.375 s: frames / fps


def test_the_cli_builds_the_tiny_model_and_generates_a_file_with_sound(studio_cli, tmp_path):
    folder = tmp_path / "tiny-ltx2"
    built = studio_cli("models", "tiny", "ltx2", str(folder), timeout=300)
    assert built.returncode == 0, built.stderr
    out = tmp_path / "shot.mkv"
    result = studio_cli(
        "generate",
        "-m",
        str(folder),
        "-p",
        "a fox in the snow",
        "--seed",
        "5",
        "-o",
        str(out),
        "--log-dir",
        str(tmp_path / "logs"),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(out)
    assert "9 frames, 64x64 at 24 fps" in result.stderr and "with sound at 16000 Hz" in result.stderr
    info = probe(out)
    assert info.has_audio and info.frames == 9
    assert len(read_audio(out, RATE)) == samples(9)
    assert read_frames(out).shape == (9, 64, 64, 3)
