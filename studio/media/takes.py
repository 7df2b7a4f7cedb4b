"""Generated takes on disk, stored without loss: frames read back are exactly the frames written.

Takes are FFV1 (lossless) in Matroska, RGB planar, so extending a clip conditions on its exact
frames and no generation ever compounds compression loss.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np

from ..core.timebase import FrameRate
from . import ffmpeg
from .probe import probe


def write_frames(path: str | os.PathLike[str], frames: np.ndarray, fps: FrameRate | float | str) -> Path:
    """Write uint8 RGB frames shaped (N, H, W, 3) losslessly. Writes to a temporary file, then renames."""
    path = Path(path)
    frames = np.ascontiguousarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"expected uint8 frames shaped (N, H, W, 3), got {frames.dtype} {frames.shape}")
    n, h, w, _ = frames.shape
    rate = FrameRate.parse(fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{path.suffix or '.mkv'}")
    codec = ["-c:v", "ffv1", "-level", "3", "-pix_fmt", "gbrp"] if path.suffix.lower() in (".mkv", "") else [
        "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "16", "-movflags", "+faststart"
    ]
    if codec[1] == "libx264" and (w % 2 or h % 2):
        raise ValueError(f"H.264 needs an even width and height, got {w}x{h}; write a lossless .mkv instead")
    args = [
        "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}", "-r", str(rate), "-i", "pipe:0",
        *codec, "-r", str(rate), "-frames:v", str(n), str(tmp),
    ]
    proc = subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", *args],
                          input=frames.tobytes(), capture_output=True)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise ffmpeg.FFmpegError(ffmpeg.last_lines(proc.stderr))
    os.replace(tmp, path)
    return path


def read_frames(path: str | os.PathLike[str], width: int | None = None,
                height: int | None = None) -> np.ndarray:
    """Read every frame of a video as uint8 RGB (N, H, W, 3)."""
    info = probe(path)
    w, h = width or info.width, height or info.height
    proc = subprocess.run(
        [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-i", str(path),
         "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
         "-fps_mode", "passthrough", "pipe:1"],
        capture_output=True,
    )
    if proc.returncode != 0:
        raise ffmpeg.FFmpegError(ffmpeg.last_lines(proc.stderr))
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w, 3).copy()
