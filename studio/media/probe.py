"""What a media file holds: kind, size, exact frame rate, exact frame count, audio.

There is no ffprobe in imageio-ffmpeg, so the facts come from the ffmpeg binary itself: the
stream summary it prints for `ffmpeg -i`, a stream-copy pass that lists every video packet
(exact frame count and timestamps without decoding), and the showinfo filter on the first
decoded frame (the exact rational frame rate; the summary rounds it to two decimals).
Stills are read with Pillow, which is faster than starting a process.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ..core.errors import StudioError
from ..core.project import MediaKind
from ..core.timebase import FrameRate
from . import ffmpeg

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"})


class MediaError(StudioError):
    """A media file that cannot be read, with the file and what is wrong with it."""


@dataclass(frozen=True)
class MediaInfo:
    """Facts about one media file. fps is None for stills and audio; frames is 1 for a still."""

    kind: MediaKind
    width: int
    height: int
    fps: FrameRate | None
    frames: int
    duration: float  # seconds
    has_audio: bool
    video_codec: str | None
    audio_codec: str | None
    pixel_format: str | None = None  # e.g. yuv420p, as ffmpeg names it
    sample_rate: int | None = None  # the first audio stream's, in Hz
    comment: str | None = None  # the file's own comment tag (a generated take's says "AI-generated (studio): …")


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Read a media file's facts. Raises MediaError naming the file when it is missing or unreadable."""
    path = _existing_file(path)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return _probe_image(path)
    header = _header(path)
    if header.video_codec is None:
        if not header.audio_codec:
            raise MediaError(f"{path} holds neither video nor audio that the studio can read")
        return MediaInfo(
            MediaKind.AUDIO,
            0,
            0,
            None,
            0,
            header.duration or 0.0,
            True,
            None,
            header.audio_codec,
            sample_rate=header.sample_rate,
            comment=header.comment,
        )
    if header.is_still:
        return MediaInfo(
            MediaKind.IMAGE,
            header.width,
            header.height,
            None,
            1,
            0.0,
            header.audio_codec is not None,
            header.video_codec,
            header.audio_codec,
            comment=header.comment,
        )
    times, rate = _scan_video(path)
    if not times:
        raise MediaError(f"{path} has a video stream without any frames")
    return MediaInfo(
        kind=MediaKind.VIDEO,
        width=header.width,
        height=header.height,
        fps=rate,
        frames=len(times),
        duration=float(rate.seconds(len(times))),
        has_audio=header.audio_codec is not None,
        video_codec=header.video_codec,
        audio_codec=header.audio_codec,
        pixel_format=header.pixel_format,
        sample_rate=header.sample_rate,
        comment=header.comment,
    )


def frame_times(path: str | os.PathLike[str]) -> list[float]:
    """The presentation time of every video frame in seconds, in display order, measured the way
    ffmpeg's input seeking (`-ss` before `-i`) measures it: from the start of the file."""
    times, _ = _scan_video(_existing_file(path))
    return times


def _existing_file(path: str | os.PathLike[str]) -> Path:
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: file not found")
    if not path.is_file():
        raise MediaError(f"{path}: not a file")
    if not os.access(path, os.R_OK):
        raise MediaError(f"{path}: permission denied (the studio cannot read it)")
    return path


def _probe_image(path: Path) -> MediaInfo:
    try:
        with Image.open(path) as image:
            width, height = image.size
            # EXIF rotation swaps the sides the viewer will show.
            if image.getexif().get(0x0112) in (5, 6, 7, 8):
                width, height = height, width
            codec = (image.format or path.suffix.lstrip(".")).lower()
            comment = image.info.get("Comment")
    except (UnidentifiedImageError, OSError) as exc:
        raise MediaError(f"{path}: not a readable image ({exc})") from exc
    return MediaInfo(
        MediaKind.IMAGE,
        width,
        height,
        None,
        1,
        0.0,
        False,
        codec,
        None,
        comment=comment if isinstance(comment, str) else None,
    )


@dataclass
class _Header:
    width: int = 0
    height: int = 0
    video_codec: str | None = None
    audio_codec: str | None = None
    pixel_format: str | None = None
    sample_rate: int | None = None
    duration: float | None = None
    is_still: bool = False
    comment: str | None = None


_STREAM = re.compile(r"^\s*Stream #\d+:\d+\S*: (Video|Audio): (.*)$")
# A WxH token stands alone between commas or spaces; this skips fourcc codes like "0x31637661)".
_SIZE = re.compile(r"(?:^|[ ,])(\d+)x(\d+)(?=[ ,\[]|$)")
_DURATION = re.compile(r"^\s*Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_INPUT = re.compile(r"^Input #0, ([^ ]+), from")
_COMMENT = re.compile(r"^\s+comment\s*: (.*)$", re.IGNORECASE)


def _header(path: Path) -> _Header:
    """Parse the stream summary `ffmpeg -i` prints (it exits with an error for want of an output)."""
    proc = subprocess.run([ffmpeg.executable(), "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True)
    text = proc.stderr.decode(errors="replace")
    if "Input #0" not in text:
        raise MediaError(f"{path}: not a media file ffmpeg can read ({_reason(text)})")
    header = _Header()
    for line in text.splitlines():
        if match := _INPUT.match(line):
            header.is_still = match.group(1).endswith("_pipe") or match.group(1) == "image2"
        elif match := _DURATION.match(line):
            h, m, s = match.groups()
            header.duration = int(h) * 3600 + int(m) * 60 + float(s)
        elif (
            (match := _COMMENT.match(line))
            and header.comment is None
            and header.video_codec is None
            and header.audio_codec is None
        ):  # the file's own tag, before any stream's
            header.comment = match.group(1).strip()
        elif match := _STREAM.match(line):
            kind, desc = match.groups()
            codec = desc.split(",")[0].split()[0]
            if kind == "Audio" and header.audio_codec is None:
                header.audio_codec = codec
                hertz = re.search(r"(\d+) Hz", desc)
                header.sample_rate = int(hertz.group(1)) if hertz else None
            elif kind == "Video" and header.video_codec is None and "(attached pic)" not in desc:
                size = _SIZE.search(desc)
                if size is None:
                    raise MediaError(f"{path}: ffmpeg reports no picture size for its video stream")
                header.video_codec = codec
                header.width, header.height = int(size.group(1)), int(size.group(2))
                parts = _outside_brackets(desc).split(",")  # codec (profile), pixfmt(range, …), WxH, …
                header.pixel_format = parts[1].split()[0] if len(parts) > 1 and parts[1].strip() else None
    return header


def _outside_brackets(text: str) -> str:
    """The text without its (…) parts, whose commas would split a stream summary in the wrong places."""
    return re.sub(r"\([^()]*\)", "", text)


def _reason(stderr: str) -> str:
    for line in reversed(stderr.splitlines()):
        if "Error opening input:" in line:
            return line.split("Error opening input:", 1)[1].strip()
    return ffmpeg.last_lines(stderr.encode(), 1)


_TB = re.compile(r"^#tb 0: (\d+)/(\d+)")
_RATE = re.compile(r"config in time_base: \d+/\d+, frame_rate: (\d+)/(\d+)")


def _scan_video(path: Path) -> tuple[list[float], FrameRate]:
    """List every packet of the first video stream by stream copy (no decoding), and decode one
    frame through showinfo to learn the exact frame rate."""
    args = [
        ffmpeg.executable(),
        "-hide_banner",
        "-nostdin",
        "-i",
        str(path),
        "-map",
        "0:v:0",
        "-c",
        "copy",
        "-f",
        "framecrc",
        "pipe:1",
        "-map",
        "0:v:0",
        "-frames:v",
        "1",
        "-vf",
        "showinfo",
        "-f",
        "null",
        "-",
    ]
    proc = subprocess.run(args, capture_output=True)
    if proc.returncode != 0:
        raise MediaError(f"{path}: ffmpeg cannot read its video ({ffmpeg.last_lines(proc.stderr, 2)})")
    timebase = Fraction(1, 1)
    pts: list[Fraction | None] = []
    for line in proc.stdout.decode(errors="replace").splitlines():
        if match := _TB.match(line):
            timebase = Fraction(int(match.group(1)), int(match.group(2)))
        elif line and not line.startswith("#"):
            fields = [f.strip() for f in line.split(",")]  # stream, dts, pts, duration, size, hash
            pts.append(Fraction(int(fields[2])) * timebase if fields[2].lstrip("-").isdigit() else None)
    match = _RATE.search(proc.stderr.decode(errors="replace"))
    if match is None or int(match.group(1)) == 0:
        raise MediaError(f"{path}: ffmpeg reports no frame rate for its video")
    rate = FrameRate(int(match.group(1)), int(match.group(2)))
    known = [p for p in pts if p is not None]
    if len(known) < len(pts):
        # A raw elementary stream has no timestamps: frames are evenly spaced from zero.
        step = 1 / rate.fraction
        return [float(i * step) for i in range(len(pts))], rate
    return [float(p) for p in sorted(known)], rate
