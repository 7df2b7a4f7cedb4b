"""Synthetic media with known pictures, built once per session.

Frame i of an "index" clip is one solid colour that encodes i in coarse steps of red and green
(robust to H.264's small errors), with a blue level that tells the clips apart.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.media import ffmpeg
from studio.media.takes import write_frames

W, H = 64, 48  # every synthetic clip's size unless it says otherwise
STEP = 30


def index_colour(i: int, blue: int) -> tuple[int, int, int]:
    assert 0 <= i < 64
    return (20 + (i % 8) * STEP, 20 + (i // 8) * STEP, blue)


def index_frames(count: int, blue: int, width: int = W, height: int = H) -> np.ndarray:
    frames = np.empty((count, height, width, 3), np.uint8)
    for i in range(count):
        frames[i] = index_colour(i, blue)
    return frames


def read_index(region: np.ndarray) -> tuple[int, int]:
    """(frame index, blue level) of a solid region of an index frame."""
    r, g, b = region.reshape(-1, 3).mean(axis=0)
    return round((r - 20) / STEP) + 8 * round((g - 20) / STEP), round(b / 10) * 10


def encode_h264(frames: np.ndarray, path: Path, rate: str, audio_lead: float | None = None) -> Path:
    """Raw RGB frames through libx264 with B-frames and a keyframe every 10 frames, so seeks
    really seek. With audio_lead, a sine track starts that many seconds before the video."""
    n, h, w, _ = frames.shape
    audio = ["-f", "lavfi", "-i", "sine=frequency=440:duration=2"] if audio_lead is not None else []
    delay = ["-itsoffset", str(audio_lead)] if audio_lead is not None else []
    video_input = "1" if audio else "0"
    args = [
        ffmpeg.executable(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-y",
        *audio,
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{w}x{h}",
        "-framerate",
        rate,
        *delay,
        "-i",
        "pipe:0",
        "-map",
        f"{video_input}:v",
        *(["-map", "0:a", "-c:a", "aac"] if audio else []),
        "-c:v",
        "libx264",
        "-g",
        "10",
        "-bf",
        "3",
        "-crf",
        "12",
        "-pix_fmt",
        "yuv420p",
        str(path),
    ]
    subprocess.run(args, input=frames.tobytes(), check=True)
    return path


@pytest.fixture(scope="session")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Read-only synthetic files; a test that changes one copies it first."""
    folder = tmp_path_factory.mktemp("media")
    files = {
        # 40 lossless frames at NTSC 29.97
        "mkv": write_frames(folder / "index.mkv", index_frames(40, 100), "30000/1001"),
        # the same count as long-GOP H.264 with B-frames
        "mp4": encode_h264(index_frames(40, 200), folder / "index.mp4", "30000/1001"),
        # a 4:1 clip, letterboxed in a 4:3 sequence
        "wide": write_frames(folder / "wide.mkv", index_frames(20, 160, 64, 16), 24),
        # H.264 whose video starts 0.37 s after its audio, at 25 fps
        "late": encode_h264(index_frames(30, 60), folder / "late.mp4", "25", audio_lead=0.37),
    }
    # A 1:2 still, pillarboxed in a 4:3 sequence.
    tall = folder / "tall.png"
    Image.fromarray(np.full((48, 24, 3), (250, 40, 130), np.uint8)).save(tall)
    files["png"] = tall
    return files
