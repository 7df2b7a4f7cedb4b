"""Decoded frames through an ffmpeg rawvideo pipe: the fallback for files PyAV cannot decode.

decode.VideoSource decodes in-process with PyAV. The ffmpeg binary the studio ships (imageio-ffmpeg's)
has a few decoders and demuxers PyAV's own libraries lack (AVS2/AVS3, JPEG XL, animated WebP, DVD-Video,
IMF); such a file is read here, as every file was before. benchmarks/scrub.py also measures it.

A PipeSource keeps one ffmpeg rawvideo pipe open and reads on while frames are asked for in
order. A jump starts a new pipe with an input seek (`-ss` before `-i`, which ffmpeg makes
frame-accurate by decoding from the keyframe before it and dropping frames up to the seek
point). The seek point is the midpoint between the wanted frame's timestamp and the one before,
taken from the file's own packet list, so rounded container timestamps can never land it on a
neighbour. Stepping backwards decodes a short run before the wanted frame into the cache.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import weakref
from pathlib import Path
from typing import IO, TYPE_CHECKING

import numpy as np

from . import ffmpeg
from .probe import MediaError, frame_times

if TYPE_CHECKING:
    from .decode import FrameCache

# A forward jump up to this many frames reads through instead of seeking (a seek on long-GOP
# H.264 decodes from the keyframe anyway, and starting ffmpeg costs tens of milliseconds).
READ_THROUGH = 48
# Stepping backwards to a frame not in the cache decodes this many frames ending at it.
BACK_RUN = 12


class PipeSource:
    """Frames of one video file as uint8 RGB (height, width, 3), scaled by an ffmpeg process to the size asked.

    Use from one thread at a time (the compositor holds a lock around it).
    """

    def __init__(self, path: str | os.PathLike[str], width: int, height: int, cache: FrameCache) -> None:
        self.path = Path(path)
        self.width, self.height = width, height
        self.cache = cache
        self._times = frame_times(self.path)
        self._key = (str(self.path.absolute()), self.path.stat().st_mtime_ns, width, height)
        self._proc: subprocess.Popen[bytes] | None = None
        self._stderr: IO[bytes] | None = None
        self._next = 0  # the index of the frame the open pipe will deliver next
        self._finalizer = weakref.finalize(self, _stop, None, None)

    @property
    def frame_count(self) -> int:
        return len(self._times)

    @property
    def key(self) -> tuple:
        """What names this file at this size in a frame cache."""
        return self._key

    def frame(self, index: int) -> np.ndarray:
        """The frame at an index, from the cache or decoded. Raises MediaError outside the file."""
        if not 0 <= index < len(self._times):
            raise MediaError(f"{self.path}: no frame {index} (the file has {len(self._times)} frames)")
        cached = self.cache.get((*self._key, index))
        if cached is not None:
            return cached
        if self._proc is None or not self._next <= index <= self._next + READ_THROUGH:
            backwards = self._proc is not None and index < self._next
            self._open(max(0, index - BACK_RUN + 1) if backwards else index)
        while True:
            frame = self._read()
            if self._next - 1 == index:
                return frame

    def close(self) -> None:
        self._finalizer()
        self._proc = self._stderr = None

    def _open(self, start: int) -> None:
        self.close()
        seek = []
        if start > 0:
            # Midway between the frame before and the wanted one: robust to rounded timestamps.
            seek = ["-ss", f"{(self._times[start - 1] + self._times[start]) / 2:.6f}"]
        args = [
            ffmpeg.executable(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            *seek,
            "-i",
            str(self.path),
            "-map",
            "0:v:0",
            "-an",
            "-sn",
            "-vf",
            f"scale={self.width}:{self.height}:flags=bicubic",
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "pipe:1",
        ]
        # stderr goes to a file: a pipe nobody reads could fill and stall ffmpeg.
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr)
        self._finalizer = weakref.finalize(self, _stop, self._proc, self._stderr)
        self._next = start

    def _read(self) -> np.ndarray:
        assert self._proc is not None and self._proc.stdout is not None and self._stderr is not None  # _start ran
        size = self.width * self.height * 3
        data = self._proc.stdout.read(size)
        if len(data) < size:
            # The pipe ended: ffmpeg failed, or the file holds fewer frames than its packets said.
            failed = self._proc.wait() != 0
            self._stderr.seek(0)
            message = ffmpeg.last_lines(self._stderr.read(), 2) if failed else "the file ended early"
            index = self._next
            self.close()
            raise MediaError(f"{self.path}: cannot decode frame {index}: {message}")
        frame = np.frombuffer(data, np.uint8).reshape(self.height, self.width, 3)
        frame = self.cache.put((*self._key, self._next), frame)
        self._next += 1
        return frame


def _stop(proc: subprocess.Popen[bytes] | None, stderr) -> None:
    if proc is not None:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    if stderr is not None:
        stderr.close()
