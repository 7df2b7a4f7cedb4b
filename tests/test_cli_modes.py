"""extend, connect, and generate's --keyframe, --video, --loop and --takes, run as a user runs them.

Keyframes are generated through the real pipeline in tests/engine/test_ltx_modes.py; here a worker
run costs seconds of importing torch, so --keyframe is checked up to the request it makes.

The tiny model makes frames 4k+1, so a clip overlaps the new frames by k = 5 frames.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Mode
from studio.engine.cards import folder_card
from studio.engine.weights import CARD_FILE
from studio.media.probe import probe
from studio.media.provenance import verify
from studio.media.takes import read_frames, write_frames

K = 5


@pytest.fixture(scope="module")
def models(tiny_ltx: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A models folder holding the tiny model twice: tiny-all lists every mode, tiny-basic only text to video."""
    root = tmp_path_factory.mktemp("cli-models")
    for name, modes in (("tiny-all", tuple(Mode)), ("tiny-basic", (Mode.TEXT_TO_VIDEO,))):
        shutil.copytree(tiny_ltx, root / name, ignore=shutil.ignore_patterns(CARD_FILE))
        card = dataclasses.replace(folder_card(tiny_ltx), id=name, name=name, modes=modes)
        (root / name / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, np.ndarray]:
    """Two lossless 9-frame 64x64 clips; and the first one's frames."""
    folder = tmp_path_factory.mktemp("cli-clips")
    t = np.arange(9)[:, None, None]
    y = np.arange(64)[None, :, None]
    x = np.arange(64)[None, None, :]
    frames = np.stack(np.broadcast_arrays((x * 4 + t * 20) % 256, y * 4 + 0 * x, (x + y + t * 10) % 256), -1)
    frames = frames.astype(np.uint8)
    a = write_frames(folder / "a.mkv", frames, 24)
    b = write_frames(folder / "b.mkv", np.ascontiguousarray(frames[::-1, ::-1]), 24)
    return a, b, frames


def run(studio_cli, models: Path, tmp_path: Path, *args: str):
    result = studio_cli(
        "--models-dir", str(models), *args, "-m", "tiny-all", "--log-dir", str(tmp_path / "logs"), timeout=180
    )
    assert result.returncode == 0, result.stderr
    return result


def test_extend_writes_the_clip_exactly_then_the_new_frames(studio_cli, models, clips, tmp_path):
    a, _, original = clips
    out = tmp_path / "longer.mkv"
    result = run(studio_cli, models, tmp_path, "extend", str(a), "--seconds", "0.2", "--seed", "1", "-o", str(out))
    assert result.stdout.strip() == str(out)
    assert "0.2 s at 24 fps is 5 frames" in result.stderr
    # 5 + 5 overlapping frames, up to the next 4k+1 count: 13, of which 8 are new
    assert "8 new frames: the model makes 13; the first 5 of them overlap the clip's end" in result.stderr
    assert "17 frames, 64x64 at 24 fps" in result.stderr
    frames = read_frames(out)
    assert frames.shape == (9 + 8, 64, 64, 3)
    assert np.array_equal(frames[:9], original)  # marking it as generated (tags, a remux) lost nothing
    assert (tmp_path / "longer.recipe.json").is_file()


def test_extend_backward_ends_with_the_exact_clip(studio_cli, models, clips, tmp_path):
    a, _, original = clips
    out = tmp_path / "earlier.mkv"
    run(studio_cli, models, tmp_path, "extend", str(a), "--backward", "--frames", "8", "--seed", "2", "-o", str(out))
    frames = read_frames(out)
    assert frames.shape == (8 + 9, 64, 64, 3)
    assert np.array_equal(frames[-9:], original)


def test_connect_writes_only_the_bridge(studio_cli, models, clips, tmp_path):
    a, b, _ = clips
    out = tmp_path / "bridge.mp4"
    result = run(
        studio_cli, models, tmp_path, "connect", str(a), str(b), "--frames", "3", "-p", "a wipe", "-o", str(out)
    )
    assert "the first 5 overlap the end of A and the last 5 the start of B" in result.stderr
    assert probe(out).frames == 3
    verdict = verify(out)
    assert verdict.state == "trusted" and verdict.recipes[0]["mode"] == "connect"
    assert verdict.ingredients == ["a.mkv", "b.mkv"]  # named: c2pa does not read Matroska


def test_connect_bridges_exactly_the_seconds_asked_for(studio_cli, models, clips, tmp_path):
    a, b, _ = clips
    out = tmp_path / "bridge.mkv"
    result = run(studio_cli, models, tmp_path, "connect", str(a), str(b), "--seconds", "0.25", "-o", str(out))
    assert "the bridge is made 7 frames long and thinned evenly to 6" in result.stderr
    assert read_frames(out).shape[0] == 6  # 0.25 s at 24 fps


def test_loop_appends_frames_that_lead_back_to_the_start(studio_cli, models, clips, tmp_path):
    a, _, original = clips
    out = tmp_path / "loop.mkv"
    run(studio_cli, models, tmp_path, "generate", "-p", "waves", "--video", str(a), "--loop", "--frames", "3",
        "--seed", "4", "-o", str(out))  # fmt: skip
    frames = read_frames(out)
    assert frames.shape == (9 + 3, 64, 64, 3)
    assert np.array_equal(frames[:9], original)


def test_video_to_video_takes_are_variations_with_the_next_seeds(studio_cli, models, clips, tmp_path):
    a, _, original = clips
    out = tmp_path / "remade.mkv"
    result = run(studio_cli, models, tmp_path, "generate", "-p", "waves", "--video", str(a), "--strength", "0.5",
                 "--steps", "4", "--seed", "10", "--takes", "2", "-o", str(out))  # fmt: skip
    first, second = tmp_path / "remade-1.mkv", tmp_path / "remade-2.mkv"
    assert result.stdout.split() == [str(first), str(second)]
    assert "seed 10: 9 frames" in result.stderr and "seed 11: 9 frames" in result.stderr
    assert "step 2/2" in result.stderr and "step 3/" not in result.stderr  # 4 steps x 0.5
    one, two = read_frames(first), read_frames(second)
    assert one.shape == two.shape == (9, 64, 64, 3)
    assert not np.array_equal(one, two)
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extend", "{missing}"], "the clip {missing} does not exist"),
        (["extend", "{short}"], "short.mkv has 3 frames; extend forward needs at least 5"),
        (["connect", "{a}", "{missing}"], "the clip {missing} does not exist"),
        (["extend", "{a}", "--seconds", "-1"], "the duration must be positive, not -1 seconds"),
        (["generate", "-p", "x", "--loop"], "--loop needs --video, the clip to loop"),
        (["generate", "-p", "x", "--video", "{a}", "--strength", "1.5"], "the strength must be between 0"),
        (["generate", "-p", "x", "--keyframe", "{still}@40", "--frames", "9"], "placed at frame 40, outside"),
        (["generate", "-p", "x", "--keyframe", "{still}"], "write it as PATH@FRAME"),
        (["generate", "-p", "x", "--takes", "0"], "--takes must be at least 1"),
        (["extend", "{a}", "--seconds", "1e9"], "a shot of 1e+09 s is longer than 600 s"),
        (["connect", "{a}", "{a}", "--frames", "100000000"], "is longer than 600 s, the studio's limit"),
        (["generate", "-p", "x", "--video", "{a}", "--loop", "--fps", "inf"], "'inf' is not a finite number"),
        (["generate", "-p", "x", "--video", "{a}", "--strength", "nan"], "'nan' is not a finite number"),
        (["generate", "-p", "x", "--video", "{a}", "--steps", "100000000"], "the number of steps must be at most"),
        (
            ["extend", "{a}", "-m", "tiny-basic"],
            "tiny-basic cannot do extend forward (installed models that can: demo, tiny-all)",
        ),
    ],
)
def test_a_bad_request_exits_with_one_line(studio_cli, models, clips, still_images, tmp_path, args, message):
    a, _, _ = clips
    short = write_frames(tmp_path / "short.mkv", np.zeros((3, 64, 64, 3), np.uint8), 24)
    names = {"missing": tmp_path / "gone.mkv", "short": short, "a": a, "still": still_images[0]}
    args = [arg.format(**names) for arg in args]
    model = [] if "-m" in args else ["-m", "tiny-all"]
    out = tmp_path / "out.mkv"
    result = studio_cli("--models-dir", str(models), *args, *model, "-o", str(out), timeout=60)
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert message.format(**names) in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()
