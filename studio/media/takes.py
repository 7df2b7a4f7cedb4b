"""Generated takes on disk, stored without loss: frames read back are exactly the frames written.

Takes are FFV1 (lossless) in Matroska, RGB planar, so extending a clip conditions on its exact
frames and no generation ever compounds compression loss. A take from a model that makes sound
(LTX-2) carries it as a second stream, 32-bit float PCM, so the samples too read back exactly.

A generated take is marked as it is written (provenance.py): its tags go in with the frames and,
in an MP4, its manifest is signed before the file gets its name. No generated take is ever on disk
unmarked; one that cannot be marked is not kept.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np

from ..core import temporaries
from ..core.timebase import FrameRate
from . import ffmpeg, provenance
from .probe import probe


def write_frames(
    path: str | os.PathLike[str],
    frames: np.ndarray,
    fps: FrameRate | float | str,
    audio: np.ndarray | None = None,
    sample_rate: int | None = None,
    *,
    mark: provenance.Mark | None = None,
) -> Path:
    """Write uint8 RGB frames shaped (N, H, W, 3) losslessly. Writes to a temporary file, then renames.

    audio, if given, is float32 samples shaped (samples, channels) at sample_rate, stored beside the
    frames as they are (the caller makes it as long as the frames).

    mark, for generated frames, is written into the take before it gets its name: tags, and a signed
    C2PA manifest in an MP4. If it cannot be, ProvenanceError, and nothing is written."""
    path = Path(path)
    frames = np.ascontiguousarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"expected uint8 frames shaped (N, H, W, 3), got {frames.dtype} {frames.shape}")
    if audio is not None:
        audio = np.ascontiguousarray(audio, np.float32)
        if audio.ndim != 2 or not 1 <= audio.shape[1] <= 8 or not sample_rate or sample_rate <= 0:
            raise ValueError(
                f"expected float audio shaped (samples, channels) and a sample rate, got {audio.shape} at {sample_rate}"
            )
    n, h, w, _ = frames.shape
    rate = FrameRate.parse(fps)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.part{path.suffix or '.mkv'}")
    codec = (
        # -g 1: every frame a keyframe, so a scrub to any frame decodes that frame alone (FFV1 carries
        # its context from frame to frame within a GOP; ffmpeg's default GOP is 12).
        ["-c:v", "ffv1", "-level", "3", "-g", "1", "-pix_fmt", "gbrp"]
        if path.suffix.lower() in (".mkv", "")
        else ["-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", "16", "-movflags", "+faststart"]
    )
    if codec[1] == "libx264" and (w % 2 or h % 2):
        raise ValueError(f"H.264 needs an even width and height, got {w}x{h}; write a lossless .mkv instead")
    sound: list[str] = []
    samples = path.with_name(f".{path.stem}.part.f32")  # the frames take stdin; the sound comes from a file
    temporaries.hold(tmp, samples)  # no sweep removes them while this process lives
    if audio is not None:
        samples.write_bytes(audio.tobytes())
        sound = ["-f", "f32le", "-ar", str(sample_rate), "-ac", str(audio.shape[1]), "-i", str(samples)]
        lossless = codec[1] == "ffv1"
        codec += ["-map", "0:v:0", "-map", "1:a:0", "-c:a", "pcm_f32le" if lossless else "aac"]
    # The pipe holds exactly n frames. With sound, no -frames:v: it ends the file at the last frame's
    # start, and the sound's last packet (up to a quarter second of it) would be lost.
    count = [] if audio is not None else ["-frames:v", str(n)]
    try:
        with provenance.metadata_input(mark, 2 if audio is not None else 1) as (tags_in, tags_out):
            args = [
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-s",
                f"{w}x{h}",
                "-r",
                str(rate),
                "-i",
                "pipe:0",
                *sound,
                *tags_in,
                *codec,
                *tags_out,
                "-r",
                str(rate),
                *count,
                str(tmp),
            ]
            proc = subprocess.run(
                [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", *args],
                input=frames.tobytes(),
                capture_output=True,
            )
        if proc.returncode != 0:
            raise ffmpeg.FFmpegError(ffmpeg.last_lines(proc.stderr))
        return provenance.finish(tmp, path, mark)
    except provenance.ProvenanceError as exc:
        raise provenance.ProvenanceError(
            f"{path} could not be marked as AI-generated, so it was not kept: {exc}"
        ) from exc
    finally:
        tmp.unlink(missing_ok=True)
        samples.unlink(missing_ok=True)
        temporaries.release(tmp, samples)


def read_frames(path: str | os.PathLike[str], width: int | None = None, height: int | None = None) -> np.ndarray:
    """Read every frame of a video as uint8 RGB (N, H, W, 3)."""
    info = probe(path)
    w, h = width or info.width, height or info.height
    proc = subprocess.run(
        [
            ffmpeg.executable(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-s",
            f"{w}x{h}",
            "-fps_mode",
            "passthrough",
            "pipe:1",
        ],
        capture_output=True,
    )
    if proc.returncode != 0:
        raise ffmpeg.FFmpegError(ffmpeg.last_lines(proc.stderr))
    return np.frombuffer(proc.stdout, np.uint8).reshape(-1, h, w, 3).copy()
