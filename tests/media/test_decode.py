from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from studio.media.decode import FrameCache, VideoSource
from studio.media.probe import MediaError

from .conftest import read_index


def _orders(n: int) -> dict[str, list[int]]:
    shuffled = list(range(n))
    random.Random(3).shuffle(shuffled)
    return {
        "forward": list(range(n)),
        "backward": list(range(n - 1, -1, -1)),
        "random": shuffled,
        "jumps": [0, n - 1, 1, n // 2, n // 2 - 1, n // 2 + 30 if n > 45 else 2, 3, 3, 9, 10, 11, 0],
    }


@pytest.mark.parametrize(
    ("name", "order"),
    [(name, order) for name in ("mkv", "mp4", "late") for order in ("forward", "random", "jumps")]
    + [("mp4", "backward")],
)
def test_every_frame_is_the_right_one(media: dict[str, Path], name: str, order: str) -> None:
    # A cache too small to hold a frame: every answer comes from the decoder itself.
    source = VideoSource(media[name], 64, 48, FrameCache(max_bytes=0))
    try:
        for index in _orders(source.frame_count)[order]:
            assert read_index(source.frame(index))[0] == index, f"asked for frame {index}"
    finally:
        source.close()


def test_scales_to_the_size_asked(media: dict[str, Path]) -> None:
    source = VideoSource(media["mkv"], 32, 20)
    frame = source.frame(11)
    source.close()
    assert frame.shape == (20, 32, 3)
    assert read_index(frame) == (11, 100)


def test_lossless_source_reads_exact_pixels(media: dict[str, Path]) -> None:
    source = VideoSource(media["mkv"], 64, 48)
    assert np.all(source.frame(13) == (20 + 5 * 30, 20 + 1 * 30, 100))
    source.close()


def test_frames_outside_the_file_are_an_error(media: dict[str, Path]) -> None:
    source = VideoSource(media["mkv"], 64, 48)
    with pytest.raises(MediaError, match=r"index\.mkv: no frame 40 \(the file has 40 frames\)"):
        source.frame(40)
    with pytest.raises(MediaError):
        source.frame(-1)
    source.close()


def test_cached_frames_are_reused_and_read_only(media: dict[str, Path]) -> None:
    cache = FrameCache()
    source = VideoSource(media["mp4"], 64, 48, cache)
    first = source.frame(5)
    source.close()  # no decoder left: a second answer must come from the cache
    assert source.frame(5) is first
    with pytest.raises(ValueError):
        first[0, 0, 0] = 1
    source.close()


def test_cache_stays_within_its_bytes() -> None:
    frame_bytes = 10 * 10 * 3
    cache = FrameCache(max_bytes=3 * frame_bytes)
    for i in range(5):
        cache.put(i, np.full((10, 10, 3), i, np.uint8))
        assert cache.nbytes <= cache.max_bytes
    assert len(cache) == 3
    assert cache.get(0) is None and cache.get(1) is None
    cache.get(2)  # used: now the newest, so 3 goes first
    cache.put(5, np.zeros((10, 10, 3), np.uint8))
    assert cache.get(3) is None and cache.get(2) is not None


def test_stepping_back_reads_a_run_into_the_cache(media: dict[str, Path]) -> None:
    source = VideoSource(media["mp4"], 64, 48, FrameCache())
    assert source._keys[-1] == 32  # the file's last GOP: frames 32 to 39
    source.frame(39)
    source.frame(38)  # a step back decodes the GOP's frames up to 38 into the cache
    processes = []
    source._open = lambda start: processes.append(start)  # any new decoder from here on is a failure
    for index in range(37, 31, -1):
        assert read_index(source.frame(index))[0] == index
    assert processes == []
    source.close()
