from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.core.project import MediaKind
from studio.core.timebase import FrameRate
from studio.media import ffmpeg
from studio.media.probe import MediaError, frame_times, probe


def test_lossless_take_at_ntsc_rate(media: dict[str, Path]) -> None:
    info = probe(media["mkv"])
    assert info.kind is MediaKind.VIDEO
    assert (info.width, info.height) == (64, 48)
    assert info.fps == FrameRate(30000, 1001)
    assert info.frames == 40
    assert info.duration == pytest.approx(40 * 1001 / 30000)
    assert not info.has_audio and info.audio_codec is None
    assert info.video_codec == "ffv1"


def test_h264_with_b_frames(media: dict[str, Path]) -> None:
    info = probe(media["mp4"])
    assert (info.kind, info.video_codec, info.fps, info.frames) == (MediaKind.VIDEO, "h264", FrameRate(30000, 1001), 40)


def test_video_with_audio(media: dict[str, Path]) -> None:
    info = probe(media["late"])
    assert info.has_audio and info.audio_codec == "aac"
    assert (info.fps, info.frames, info.width, info.height) == (FrameRate(25), 30, 64, 48)


def test_odd_rate_is_exact(tmp_path: Path) -> None:
    # 15000/1001 is no NTSC rate a float could be snapped to: it must come out exact.
    path = tmp_path / "odd.mkv"
    ffmpeg.run(["-f", "lavfi", "-i", "testsrc=size=32x24:rate=15000/1001", "-frames:v", "7", "-c:v", "ffv1", str(path)])
    info = probe(path)
    assert (info.fps, info.frames) == (FrameRate(15000, 1001), 7)


def test_frame_times_start_where_the_video_starts(media: dict[str, Path]) -> None:
    times = frame_times(media["late"])
    assert len(times) == 30
    assert times[0] == pytest.approx(0.37, abs=0.03)
    assert np.diff(times) == pytest.approx([0.04] * 29, abs=1e-6)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_still_images(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"still{suffix}"
    Image.fromarray(np.zeros((30, 50, 3), np.uint8)).save(path)
    info = probe(path)
    assert info.kind is MediaKind.IMAGE
    assert (info.width, info.height, info.fps, info.frames, info.has_audio) == (50, 30, None, 1, False)


def test_audio_only(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    ffmpeg.run(["-f", "lavfi", "-i", "sine=frequency=440:duration=1.5", str(path)])
    info = probe(path)
    assert info.kind is MediaKind.AUDIO
    assert info.has_audio and info.audio_codec == "pcm_s16le"
    assert (info.width, info.height, info.frames, info.video_codec) == (0, 0, 0, None)
    assert info.duration == pytest.approx(1.5)


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match=r"nowhere\.mp4: file not found"):
        probe(tmp_path / "nowhere.mp4")


@pytest.mark.parametrize("name", ["garbage.mp4", "garbage.png"])
def test_unreadable_file_names_it_and_says_why(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"this is not a video" * 10)
    with pytest.raises(MediaError, match=rf"{name}: not a (media file|readable image)"):
        probe(path)


def test_folder_is_not_media(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not a file"):
        probe(tmp_path)


def test_a_cut_off_clip_says_what_ffmpeg_found_not_its_progress(tmp_path: Path) -> None:
    """A clip whose frames were cut off (its header kept) is named with ffmpeg's reason: no progress line
    ("frame=    0 fps=0.0 ..."), no memory address."""
    from studio.media.takes import write_frames

    noise = np.random.default_rng(0).integers(0, 256, (25, 64, 64, 3), np.uint8)  # does not compress: a long file
    whole = write_frames(tmp_path / "whole.mkv", noise, 24)
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(Path(whole).read_bytes()[:2000])
    with pytest.raises(MediaError) as error:
        probe(cut)
    message = str(error.value)
    assert "cut.mkv" in message and "Nothing was written" in message, message
    assert "frame=" not in message and "fps=" not in message and " @ 0x" not in message, message


def test_ffmpeg_messages_leave_out_progress_lines_and_addresses() -> None:
    stderr = (
        b"[matroska,webm @ 0x55d0c0a1b2c0] EBML header parsing failed\r\n"
        b"frame=    0 fps=0.0 q=-1.0 size=       0KiB time=N/A bitrate=N/A speed=N/A\r"
        b"size=N/A time=00:00:01.00 bitrate=N/A speed=1x\n"
        b"Conversion failed!\n"
    )
    assert ffmpeg.last_lines(stderr) == "[matroska,webm] EBML header parsing failed\nConversion failed!"
    assert ffmpeg.summary(stderr) == ffmpeg.last_lines(stderr)


def test_a_full_disk_is_said_once_with_what_to_do_not_as_ffmpegs_lines() -> None:
    stderr = (
        b"[out#0/mp4 @ 0x5581] Could not write header (incorrect codec parameters ?): No space left on device\n"
        b"[fc#0 @ 0x5582] Error sending frames to consumers: No space left on device\n"
        b"[fc#0 @ 0x5582] Task finished with error code: -28 (No space left on device)\n"
    )
    assert ffmpeg.summary(stderr) == ffmpeg.DISK_FULL  # an export's message read "incorrect codec parameters ?"
    assert ffmpeg.DISK_FULL.startswith("the disk is full") and "free some space" in ffmpeg.DISK_FULL
