"""The ffmpeg binary the studio uses: the one imageio-ffmpeg ships, so every machine has the same."""

from __future__ import annotations

import re
import subprocess

import imageio_ffmpeg

from ..core.errors import StudioError


class FFmpegError(StudioError, RuntimeError):
    """ffmpeg failed; the message carries ffmpeg's own last lines."""


def executable() -> str:
    return imageio_ffmpeg.get_ffmpeg_exe()


def run(args: list[str]) -> subprocess.CompletedProcess[bytes]:
    """Run ffmpeg to completion; raise FFmpegError with its message on failure."""
    proc = subprocess.run([executable(), "-hide_banner", "-nostdin", *args], capture_output=True)
    if proc.returncode != 0:
        raise FFmpegError(last_lines(proc.stderr))
    return proc


# ffmpeg's progress line ("frame=    0 fps=0.0 ... time=N/A ... elapsed=0:00:00.00"): says nothing of a failure
PROGRESS = re.compile(r"^\s*(frame|size)=.*\b(time|elapsed)=")
ADDRESS = re.compile(r" @ 0x[0-9a-f]+\]")  # "[matroska,webm @ 0x55d0c0]": the part's name is enough


def message_lines(stderr: bytes) -> list[str]:
    """ffmpeg's message lines for a person: its progress lines left out, no memory addresses."""
    lines = stderr.decode(errors="replace").splitlines()
    return [ADDRESS.sub("]", line) for line in lines if line.strip() and not PROGRESS.match(line)]


def last_lines(stderr: bytes, count: int = 4) -> str:
    lines = message_lines(stderr)
    return "\n".join(lines[-count:]) or "ffmpeg failed without a message"


NO_SPACE = "No space left on device"  # ffmpeg's (the C library's) words for a full disk
DISK_FULL = f"the disk is full ({NO_SPACE}): free some space there, or write elsewhere"


def summary(stderr: bytes, count: int = 6) -> str:
    """ffmpeg's message cut to a readable length. The first lines name the cause (an encoder
    that would not open, say); the last say how it ended; the ones between are consequences."""
    lines = message_lines(stderr)
    if any(NO_SPACE in line for line in lines):  # one cause, said once, with what to do
        return DISK_FULL
    if len(lines) > count:
        lines = [*lines[: count // 2], "...", *lines[-(count - count // 2) :]]
    return "\n".join(lines) or "ffmpeg failed without a message"
