from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest

from studio.core.project import Clip, MediaItem, MediaKind, Project, Sequence, Track, TrackKind, nearest_media_frame
from studio.core.timebase import FrameRate
from studio.media.compose import OFFLINE_COLOUR, SequenceFrames, fit, offline_frame
from studio.media.takes import write_frames

from .conftest import index_frames, read_index


def edit(media: dict[str, Path]) -> Project:
    """A 64x48 sequence at 29.97:

    V1  0-9 mkv[0:10] | 10-14 gap | 15-29 mp4[5:20] (trimmed) | 30-39 wide[3:13] (letterboxed, 24 fps)
    V2                                                    36-37 tall png (pillarboxed, on top)
    """
    project = Project(name="t")
    ntsc = FrameRate(30000, 1001)
    for key, kind, fps in (
        ("mkv", MediaKind.VIDEO, ntsc),
        ("mp4", MediaKind.VIDEO, ntsc),
        ("wide", MediaKind.VIDEO, FrameRate(24)),
        ("png", MediaKind.IMAGE, ntsc),
    ):
        project.media[key] = MediaItem(key, str(media[key]), kind, fps=fps)
    v1 = Track(
        "v1",
        TrackKind.VIDEO,
        "V1",
        [Clip("a", "mkv", 0, 0, 10), Clip("b", "mp4", 15, 5, 20), Clip("c", "wide", 30, 3, 13)],
    )
    v2 = Track("v2", TrackKind.VIDEO, "V2", [Clip("d", "png", 36, 0, 2)])
    a1 = Track("a1", TrackKind.AUDIO, "A1")
    project.sequences = [Sequence("s", fps=FrameRate(30000, 1001), width=64, height=48, tracks=[v1, a1, v2])]
    return project


def expected(t: int) -> tuple[str, int | None, int | None]:
    """(layout, frame index, blue level) of the picture at timeline frame t."""
    if t < 10:
        return "full", t, 100
    if t < 15:
        return "black", None, None
    if t < 30:
        return "full", t - 15 + 5, 200
    if t in (36, 37):
        return "tall", None, None
    # 24 fps media on a 29.97 sequence plays at its speed: the nearest of its frames in time.
    return "wide", nearest_media_frame(t - 30 + 3, FrameRate(24), FrameRate(30000, 1001)), 160


def check(frame: np.ndarray, t: int) -> None:
    assert frame.shape == (48, 64, 3) and frame.dtype == np.uint8
    layout, index, blue = expected(t)
    if layout == "black":
        assert not frame.any(), f"frame {t} should be black"
    elif layout == "full":
        assert read_index(frame) == (index, blue), f"frame {t}"
    elif layout == "wide":  # 64x16 in 64x48: bars of 16 rows above and below
        assert not frame[:16].any() and not frame[32:].any(), f"frame {t} bars"
        assert read_index(frame[16:32]) == (index, blue), f"frame {t}"
    else:  # 24x48 in 64x48: bars of 20 columns left and right
        assert not frame[:, :20].any() and not frame[:, 44:].any(), f"frame {t} bars"
        assert np.all(frame[:, 20:44] == (250, 40, 130)), f"frame {t}"


def test_fit_keeps_aspect_and_centres() -> None:
    assert fit(64, 16, 64, 48) == (0, 16, 64, 16)
    assert fit(24, 48, 64, 48) == (20, 0, 24, 48)
    assert fit(1920, 1080, 768, 512) == (0, 40, 768, 432)
    assert fit(10, 10, 10, 10) == (0, 0, 10, 10)


@pytest.mark.parametrize("order", ["forward", "backward", "shuffled"])
def test_every_timeline_frame(media: dict[str, Path], order: str) -> None:
    project = edit(media)
    frames = list(range(project.sequence.duration))
    assert len(frames) == 40
    if order == "backward":
        frames.reverse()
    elif order == "shuffled":
        np.random.default_rng(5).shuffle(frames)
    # A small cache, so that the decoders themselves are exercised rather than the cache.
    with SequenceFrames(project, cache_bytes=200_000) as view:
        for t in frames:
            check(view.frame_at(t), t)


def test_past_the_end_is_black(media: dict[str, Path]) -> None:
    with SequenceFrames(edit(media)) as view:
        assert not view.frame_at(40).any()
        assert not view.frame_at(1000).any()


def test_returns_a_fresh_array_each_time(media: dict[str, Path]) -> None:
    with SequenceFrames(edit(media)) as view:
        first = view.frame_at(3)
        first[:] = 0
        assert read_index(view.frame_at(3)) == (3, 100)


def test_edits_show_at_once(media: dict[str, Path]) -> None:
    project = edit(media)
    with SequenceFrames(project) as view:
        check(view.frame_at(12), 12)
        project.sequence.track("v1").find("a").source_out = 13  # lengthen clip a over the gap
        assert read_index(view.frame_at(12)) == (12, 100)


def _offline(frame: np.ndarray) -> bool:
    return (
        tuple(frame[0, 0]) == OFFLINE_COLOUR
        and tuple(frame[-1, -1]) == OFFLINE_COLOUR
        and (frame[..., 1] > 100).sum() > 50
    )  # marked with white text


def test_missing_file_shows_offline_frame(media: dict[str, Path], tmp_path: Path) -> None:
    shutil.copy(media["mkv"], tmp_path / "take.mkv")
    project = Project(name="t", folder=tmp_path)
    project.media["m"] = MediaItem("m", "take.mkv")
    project.sequences = [
        Sequence("s", width=64, height=48, tracks=[Track("v1", TrackKind.VIDEO, clips=[Clip("a", "m", 0, 0, 10)])])
    ]
    with SequenceFrames(project) as view:
        assert read_index(view.frame_at(2)) == (2, 100)
        (tmp_path / "take.mkv").unlink()
        assert project.is_offline(project.media["m"])
        assert _offline(view.frame_at(4))
        assert np.array_equal(view.frame_at(4), offline_frame(64, 48, "take.mkv: not found"))


def test_unknown_media_and_unreadable_file_show_offline(tmp_path: Path) -> None:
    (tmp_path / "junk.mp4").write_bytes(b"not video" * 100)
    project = Project(name="t", folder=tmp_path)
    project.media["junk"] = MediaItem("junk", "junk.mp4")
    project.sequences = [
        Sequence(
            "s",
            width=64,
            height=48,
            tracks=[Track("v1", TrackKind.VIDEO, clips=[Clip("a", "junk", 0, 0, 5), Clip("b", "gone", 5, 0, 5)])],
        )
    ]
    with SequenceFrames(project) as view:
        assert _offline(view.frame_at(1))
        assert _offline(view.frame_at(6))
        # The file is there but holds no picture: said apart from a file that is gone.
        assert np.array_equal(view.frame_at(1), offline_frame(64, 48, "junk.mp4: cannot be read"))
        assert not np.array_equal(view.frame_at(1), offline_frame(64, 48, "junk.mp4: not found"))


def test_frames_beyond_the_media_show_offline(media: dict[str, Path]) -> None:
    project = edit(media)
    # wide.mkv has 20 frames at 24 fps, 25 at the sequence's 29.97: its source frame 24 is the last.
    project.sequence.track("v1").find("c").source_out = 30
    with SequenceFrames(project) as view:
        assert read_index(view.frame_at(30 - 3 + 24)[16:32]) == (19, 160)
        assert _offline(view.frame_at(30 - 3 + 25))


def test_a_replaced_file_is_read_afresh(media: dict[str, Path], tmp_path: Path) -> None:
    path = write_frames(tmp_path / "take.mkv", index_frames(5, 100), 24)
    project = Project(name="t", folder=tmp_path)
    project.media["m"] = MediaItem("m", "take.mkv")
    project.sequences = [
        Sequence("s", width=64, height=48, tracks=[Track("v1", TrackKind.VIDEO, clips=[Clip("a", "m", 0, 0, 5)])])
    ]
    with SequenceFrames(project) as view:
        assert read_index(view.frame_at(1)) == (1, 100)
        stat = path.stat()
        write_frames(path, index_frames(5, 30), 24)  # a regenerated take under the same name
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
        assert read_index(view.frame_at(1)) == (1, 30)


def test_open_decoders_are_bounded(media: dict[str, Path]) -> None:
    with SequenceFrames(edit(media), max_open=2) as view:
        for t in (0, 20, 33, 36):
            view.frame_at(t)
        assert len(view._sources) == 2


def test_background_threads(media: dict[str, Path]) -> None:
    project = edit(media)
    results: dict[int, np.ndarray] = {}
    with SequenceFrames(project, cache_bytes=0) as view:

        def work(frames: range) -> None:
            for t in frames:
                results[t] = view.frame_at(t)

        threads = [threading.Thread(target=work, args=(range(k, 40, 2),)) for k in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    for t in range(40):
        check(results[t], t)
