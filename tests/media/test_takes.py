from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from studio.core.timebase import FrameRate
from studio.media.audio import read_audio
from studio.media.probe import probe
from studio.media.takes import read_frames, write_frames


@pytest.mark.parametrize("shape", [(5, 48, 64), (3, 17, 33)])
def test_round_trip_is_bit_identical(tmp_path: Path, shape: tuple[int, int, int]) -> None:
    # Noise is the worst case for any lossy step: one changed bit anywhere fails.
    frames = np.random.default_rng(7).integers(0, 256, (*shape, 3), dtype=np.uint8)
    path = write_frames(tmp_path / "take.mkv", frames, FrameRate(24000, 1001))
    assert np.array_equal(read_frames(path), frames)
    info = probe(path)
    assert (info.frames, info.fps) == (shape[0], FrameRate(24000, 1001))
    assert (info.height, info.width) == shape[1:]
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_h264_take_refuses_odd_size(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="even width and height"):
        write_frames(tmp_path / "take.mp4", np.zeros((2, 17, 33, 3), np.uint8), 24)


def test_refuses_wrong_arrays(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="uint8 frames"):
        write_frames(tmp_path / "take.mkv", np.zeros((2, 16, 16, 3), np.float32), 24)
    with pytest.raises(ValueError, match="uint8 frames"):
        write_frames(tmp_path / "take.mkv", np.zeros((0, 16, 16, 3), np.uint8), 24)


def test_a_takes_sound_is_kept_whole_whatever_its_length(tmp_path):
    """Sound of 25 frames at 24 fps and 16 kHz (16,667 samples) ends a little after the last frame
    starts; all of it is kept, and the frames too."""
    frames = np.zeros((25, 16, 16, 3), np.uint8)
    sound = np.linspace(-0.5, 0.5, 16667 * 2, dtype=np.float32).reshape(-1, 2)
    path = write_frames(tmp_path / "take.mkv", frames, 24, audio=sound, sample_rate=16000)
    assert np.array_equal(read_audio(path, 16000), sound)
    assert read_frames(path).shape == (25, 16, 16, 3)


def test_a_marked_take_with_sound_keeps_every_frame_and_sample(tmp_path):
    from studio.core.recipe import Mode, Recipe
    from studio.media.provenance import mark_for_take, read_tags, verify

    frames = np.random.default_rng(3).integers(0, 256, (5, 16, 16, 3), np.uint8)
    sound = np.linspace(-0.5, 0.5, 3334 * 2, dtype=np.float32).reshape(-1, 2)
    recipe = Recipe(Mode.TEXT_TO_VIDEO, "ltx-2", "waves = sound; #sea", frames=5, width=16, height=16)
    path = write_frames(tmp_path / "take.mkv", frames, 24, audio=sound, sample_rate=16000, mark=mark_for_take(recipe))
    assert np.array_equal(read_frames(path), frames) and np.array_equal(read_audio(path, 16000), sound)
    assert read_tags(path)["comment"].startswith("AI-generated (studio): text_to_video by ltx-2")
    assert verify(path).recipes == [recipe.to_dict()]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["take.mkv"]
