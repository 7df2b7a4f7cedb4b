"""Scrub copies: a long-GOP file's all-keyframe copy in the project's cache, the same pixels to the
bit, checked before use, marked as the file is, and read by the viewer's frames in the file's place."""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from studio.core.project import Clip, MediaItem, MediaKind, Project, Sequence, Track, TrackKind
from studio.core.store import ProjectError
from studio.core.timebase import FrameRate
from studio.media import ffmpeg, scrub_copy
from studio.media.compose import SequenceFrames
from studio.media.decode import FrameCache, VideoSource
from studio.media.probe import MediaError, probe
from studio.media.scrub_copy import ScrubCopies
from studio.media.takes import write_frames

W, H, COUNT = 96, 64, 60
COMMENT = "AI-generated (studio): a test take"


def moving_frames(count: int = COUNT) -> np.ndarray:
    """A gradient sliding right with a square crossing it: every frame different, H.264 has work."""
    x = np.arange(W)[None, :]
    frames = np.empty((count, H, W, 3), np.uint8)
    for i in range(count):
        frames[i, ..., 0] = (x * 2 + i * 5) % 256
        frames[i, ..., 1] = (np.arange(H)[:, None] * 3 + i) % 256
        frames[i, ..., 2] = 40
        frames[i, 10:30, i % (W - 20) : i % (W - 20) + 20] = (250, 250, 0)
    return frames


def h264(path: Path, frames: np.ndarray, *extra: str) -> Path:
    n, h, w, _ = frames.shape
    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-framerate", "24", "-i", "pipe:0"]
    codec = ["-c:v", "libx264", "-g", "24", "-bf", "3", "-pix_fmt", "yuv420p", "-metadata", f"comment={COMMENT}"]
    subprocess.run(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args, *codec, *extra, str(path)],
        input=frames.tobytes(),
        check=True,
    )
    return path


@pytest.fixture()
def project_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "film.studio"
    (folder / "media").mkdir(parents=True)
    return folder


def test_a_copy_has_every_frame_of_the_file_to_the_bit_each_a_keyframe_and_its_mark(project_folder: Path):
    clip = h264(project_folder / "media" / "camera.mp4", moving_frames())
    cache = project_folder / "cache" / "scrub"
    copy = scrub_copy.make(clip, cache, project_folder)
    assert copy.parent == cache and sorted(p.name for p in cache.iterdir()) == [copy.name]  # no temporary left
    with VideoSource(clip, W, H, FrameCache(0)) as original, VideoSource(copy, W, H, FrameCache(0)) as copied:
        assert original.keyframe_interval >= scrub_copy.GOP_FRAMES and copied.keyframe_interval == 1
        assert copied.frame_count == original.frame_count == COUNT
        for index in [37, 5, 59, 0, 23, 24, 48]:  # jumps both ways: each lands on its frame
            assert np.array_equal(copied.frame(index), original.frame(index)), index
    assert probe(copy).comment == COMMENT  # a copy of a generated file says so, as the file does
    assert scrub_copy.make(clip, cache, project_folder) == copy  # made once


def test_only_a_long_gop_file_is_worth_a_copy(tmp_path: Path):
    frames = moving_frames(30)
    long_gop = h264(tmp_path / "long.mp4", frames)
    every_frame_a_key = write_frames(tmp_path / "take.mkv", frames, 24)  # the studio's own takes
    for path, wanted in ((long_gop, True), (every_frame_a_key, False)):
        with VideoSource(path, W, H, FrameCache(0)) as source:
            assert scrub_copy.wanted(source, probe(path)) is wanted, path.name


def test_a_copy_that_differs_from_its_file_is_thrown_away(project_folder: Path, monkeypatch):
    clip = h264(project_folder / "media" / "camera.mp4", moving_frames())
    other = h264(project_folder / "media" / "other.mp4", moving_frames()[::-1].copy())
    real_encode = scrub_copy._encode
    monkeypatch.setattr(scrub_copy, "_encode", lambda path, dest, stop: real_encode(other, dest, stop))
    cache = project_folder / "cache" / "scrub"
    with pytest.raises(MediaError, match="frame 0 differs"):
        scrub_copy.make(clip, cache, project_folder)
    assert list(cache.iterdir()) == []


def test_a_cache_folder_leading_out_of_the_project_is_not_written(project_folder: Path, tmp_path: Path):
    clip = h264(project_folder / "media" / "camera.mp4", moving_frames(30))
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (project_folder / "cache").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ProjectError, match="outside the project folder"):
        scrub_copy.make(clip, project_folder / "cache" / "scrub", project_folder)
    assert list(outside.iterdir()) == []


def test_a_changed_file_gets_a_new_copy_and_its_old_one_goes(project_folder: Path):
    clip = h264(project_folder / "media" / "camera.mp4", moving_frames(30))
    cache = project_folder / "cache" / "scrub"
    first = scrub_copy.make(clip, cache, project_folder)
    h264(clip, moving_frames(40))
    os.utime(clip, ns=(time.time_ns(), time.time_ns() + 10**9))  # a new change time even on a coarse clock
    second = scrub_copy.make(clip, cache, project_folder)
    assert second != first and sorted(cache.iterdir()) == [second]
    assert probe(second).frames == 40


def test_a_stopped_copy_leaves_nothing(project_folder: Path):
    clip = h264(project_folder / "media" / "camera.mp4", moving_frames(30))
    stop = threading.Event()
    stop.set()
    cache = project_folder / "cache" / "scrub"
    with pytest.raises(MediaError, match="stopped"):
        scrub_copy.make(clip, cache, project_folder, stop)
    assert list(cache.iterdir()) == []


def test_the_viewers_frames_come_from_the_copy_once_made_and_are_the_same(project_folder: Path):
    clip = h264(project_folder / "media" / "camera.mp4", moving_frames())
    project = Project(name="film")
    project.folder = project_folder
    project.media["m"] = MediaItem("m", str(clip), MediaKind.VIDEO, fps=FrameRate(24))
    track = Track("v1", TrackKind.VIDEO, "V1", [Clip("c", "m", 0, 0, COUNT)])
    project.sequences = [Sequence("s", fps=FrameRate(24), width=W, height=H, tracks=[track])]
    cache = project_folder / "cache" / "scrub"
    with SequenceFrames(project) as plain, SequenceFrames(project, scrub_copies=cache) as viewer:
        assert np.array_equal(viewer.frame_at(30), plain.frame_at(30))  # the file itself, while the copy is made
        copies = viewer.scrub_copies
        assert copies is not None
        deadline = time.monotonic() + 60
        while copies.find(clip) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        copy = copies.find(clip)
        assert copy is not None and copy.parent == cache
        for t in (45, 3, 59, 12):
            assert np.array_equal(viewer.frame_at(t), plain.frame_at(t)), t
        assert [key[-1] for key in viewer._sources] == [copy]  # read from the copy, the file's decoder closed


def test_a_file_whose_copy_failed_is_not_tried_again_while_the_project_is_open(project_folder: Path, monkeypatch):
    clip = h264(project_folder / "media" / "camera.mp4", moving_frames(30))
    tries = []

    def failing(path: Path, dest: Path, stop) -> None:
        tries.append(path)
        raise MediaError(f"{path.name}: no scrub copy: the disk is full")

    monkeypatch.setattr(scrub_copy, "_encode", failing)
    copies = ScrubCopies(project_folder / "cache" / "scrub", project_folder)
    try:
        for _ in range(3):
            copies.request(clip)
            deadline = time.monotonic() + 30
            while copies.busy and time.monotonic() < deadline:
                time.sleep(0.02)
        assert tries == [clip] and copies.find(clip) is None
    finally:
        copies.close()


def test_a_file_too_long_for_a_copy_gets_none(project_folder: Path, monkeypatch):
    clip = h264(project_folder / "media" / "camera.mp4", moving_frames(30))
    monkeypatch.setattr(scrub_copy, "MAX_COPY_BYTES", 30 * W * H)  # as if it ran for hours
    cache = project_folder / "cache" / "scrub"
    with pytest.raises(MediaError, match="too long"):
        scrub_copy.make(clip, cache, project_folder)
    assert list(cache.iterdir()) == []
