"""Random jumps, forwards and backwards, land on exactly the frame asked for, decoded in-process.

Each frame carries its number in eight black or white stripes (one bit each), so a frame read
back says which it is even through H.264's losses, whatever the file's timestamps say.
"""

from __future__ import annotations

import random
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest

from studio.media import decode, ffmpeg
from studio.media.decode import FrameCache, VideoSource
from studio.media.probe import probe
from studio.media.takes import write_frames

W, H = 64, 48
COUNT = 150  # a few GOPs of 24 frames


def numbered_frames(count: int) -> np.ndarray:
    frames = np.zeros((count, H, W, 3), np.uint8)
    for i in range(count):
        for bit in range(8):
            if i >> bit & 1:
                frames[i, :, bit * 8 : bit * 8 + 8] = 255
    return frames


def number_of(frame: np.ndarray) -> int:
    stripes = frame.reshape(H, 8, W // 8, 3).mean(axis=(0, 2, 3))
    return sum(1 << bit for bit in range(8) if stripes[bit] > 128)


def _encode(frames: np.ndarray, path: Path, *codec: str) -> Path:
    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{W}x{H}", "-framerate", "25", "-i", "pipe:0"]
    subprocess.run(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args, *codec, str(path)],
        input=frames.tobytes(),
        check=True,
    )
    return path


@pytest.fixture(scope="module")
def numbered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("numbered")
    frames = numbered_frames(COUNT)
    # B-frames (a pyramid of 3) and a 24-frame GOP: display order is not decode order.
    h264 = ("-c:v", "libx264", "-g", "24", "-bf", "3", "-crf", "10", "-pix_fmt", "yuv420p")
    return {
        "h264": _encode(frames, folder / "numbered.mp4", *h264),
        "take": write_frames(folder / "numbered.mkv", frames, 25),
        # MPEG-TS seeks by decode time; a raw stream has no timestamps and cannot seek at all.
        "ts": _encode(frames, folder / "numbered.ts", *h264),
        "raw": _encode(frames, folder / "numbered.h264", *h264, "-f", "h264"),
        # Keyframes at 0, 48, 96 and 144 only: a long GOP, as a camera's.
        "long": _encode(
            frames, folder / "long.mp4", *h264[:2], "-g", "48", "-keyint_min", "48", "-sc_threshold", "0", *h264[4:]
        ),
    }


def _jumps(count: int, seed: int) -> list[int]:
    """Seeded jumps of every kind: far forward and back, a step back, a short run on, the ends."""
    rng = random.Random(seed)
    at, jumps = 0, []
    for _ in range(60):
        kind = rng.choice(["far", "far", "back", "on"])
        if kind == "far":
            at = rng.randrange(count)
        elif kind == "back":
            at = max(0, at - rng.randint(1, 30))
        else:
            at = min(count - 1, at + rng.randint(1, 5))
        jumps.append(at)
    return [0, count - 1, *jumps, count - 1, 0]


@pytest.mark.parametrize("name", ["h264", "take", "ts", "raw"])
def test_random_jumps_land_on_the_frame_asked_for(numbered: dict[str, Path], name: str) -> None:
    # No cache: every answer comes from the decoder itself.
    source = VideoSource(numbered[name], W, H, FrameCache(max_bytes=0))
    try:
        assert source.frame_count == probe(numbered[name]).frames == COUNT
        for index in _jumps(COUNT, seed=len(name)):
            assert number_of(source.frame(index)) == index, f"asked for frame {index}"
    finally:
        source.close()


def test_a_take_reads_back_exactly_after_any_jump(numbered: dict[str, Path]) -> None:
    frames = numbered_frames(COUNT)
    source = VideoSource(numbered["take"], W, H, FrameCache(max_bytes=0))
    for index in _jumps(COUNT, seed=7):
        assert np.array_equal(source.frame(index), frames[index]), f"frame {index}"
    source.close()


def test_jumps_start_no_process(numbered: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    source = VideoSource(numbered["h264"], W, H, FrameCache(max_bytes=0))

    def no_process(*args, **kwargs):
        raise AssertionError("a jump started a process")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    for index in (100, 3, 149, 50, 49, 120):
        assert number_of(source.frame(index)) == index
    source.close()


def test_a_file_pyav_cannot_open_is_read_through_ffmpeg(
    numbered: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    def cannot_open(*args, **kwargs):
        raise av.error.InvalidDataError(1094995529, "Invalid data found when processing input")

    monkeypatch.setattr(decode.av, "open", cannot_open)
    source = VideoSource(numbered["h264"], W, H, FrameCache(max_bytes=0))
    assert source.frame_count == COUNT
    for index in (0, 90, 40, 41, 149):
        assert number_of(source.frame(index)) == index
    source.close()


def test_a_far_jump_back_decodes_the_one_frame_and_a_step_back_a_run(numbered: dict[str, Path]) -> None:
    cache = FrameCache()
    source = VideoSource(numbered["long"], W, H, cache)
    assert source._keys == [0, 48, 96, 144]
    source.frame(120)
    source.frame(30)  # far back: scrubbing, so nothing before it is worth scaling
    assert cache.get((*source.key, 29)) is None
    source.frame(47)
    source.frame(45)  # a step back, 46 frames past the keyframe: the later half goes into the cache
    assert all(cache.get((*source.key, i)) is not None for i in range(23, 46))
    assert cache.get((*source.key, 22)) is None
    opened = []
    real_open = source._open
    source._open = lambda start: (opened.append(start), real_open(start))
    for index in range(44, 22, -1):  # stepping on back: all from the cache
        assert number_of(source.frame(index)) == index
    assert opened == []
    assert number_of(source.frame(21)) == 21  # the rest of the way back to the keyframe, in one run
    assert opened == [0]
    assert all(cache.get((*source.key, i)) is not None for i in range(0, 22))
    source.close()


def test_an_all_keyframe_file_steps_back_one_frame_at_a_time(numbered: dict[str, Path]) -> None:
    cache = FrameCache()
    source = VideoSource(numbered["take"], W, H, cache)
    source.frame(60)
    source.frame(58)  # every frame a keyframe: a run before it would cost a decode a frame for nothing
    assert cache.get((*source.key, 57)) is None
    source.close()


def test_a_run_back_fills_at_most_a_quarter_of_the_cache(numbered: dict[str, Path]) -> None:
    cache = FrameCache(max_bytes=5 * 4 * W * H * 3)  # a quarter of it holds five frames
    source = VideoSource(numbered["long"], W, H, cache)
    source.frame(40)
    assert number_of(source.frame(39)) == 39
    assert [i for i in range(48) if cache.get((*source.key, i)) is not None] == [35, 36, 37, 38, 39, 40]
    source.close()


def _fresh(path: Path, index: int) -> np.ndarray:
    """The frame decoded by a source of its own, sought straight to it, no cache."""
    source = VideoSource(path, W, H, FrameCache(max_bytes=0))
    try:
        return source.frame(index)
    finally:
        source.close()


def test_stepping_forward_decodes_on_to_the_exact_frame(numbered: dict[str, Path]) -> None:
    source = VideoSource(numbered["long"], W, H, FrameCache(max_bytes=0))
    source.frame(50)
    opened = []
    real_open = source._open
    source._open = lambda start: (opened.append(start), real_open(start))
    for index in (51, 53, 60, 61, 77, 95):  # on within the GOP of 48-95: the decoder carries on
        assert np.array_equal(source.frame(index), _fresh(numbered["long"], index)), f"frame {index}"
    assert opened == []
    assert number_of(source.frame(100)) == 100  # the next GOP: the decoder is at its keyframe already
    assert opened == []
    assert number_of(source.frame(146)) == 146  # a keyframe (144) between: seek to it, skip the rest
    assert opened == [146]
    source.close()


def test_cached_frames_have_the_pixels_of_a_fresh_decode(numbered: dict[str, Path]) -> None:
    cache = FrameCache()
    source = VideoSource(numbered["long"], W, H, cache)
    source.frame(70)
    source.frame(69)  # a step back: 48-69 decoded into the cache in one run
    source.close()  # no decoder left: what follows comes from the cache alone
    for index in (48, 55, 68, 69, 70):
        assert np.array_equal(source.frame(index), _fresh(numbered["long"], index)), f"frame {index}"


@pytest.mark.parametrize(("name", "gop"), [("long", 48), ("h264", 16), ("ts", 16)])
def test_a_jump_decodes_from_the_keyframe_just_before_the_frame(numbered: dict[str, Path], name: str, gop: int) -> None:
    # An MP4 sought by its keyframe's decode time landed a whole GOP early (still exact, twice
    # the work); MPEG-TS sought by display time lands past the keyframe, and is sought again.
    source = VideoSource(numbered[name], W, H, FrameCache(max_bytes=0))
    decoded: list[int] = []
    real_decode = source._decode

    def recording_decode():
        number, frame = real_decode()
        decoded.append(number)
        return number, frame

    source._decode = recording_decode
    for index in (60, 20, 130, 99):  # far jumps, forwards and back
        decoded.clear()
        assert number_of(source.frame(index)) == index
        assert min(decoded) == index // gop * gop, f"jump to {index}"
    source.close()
