"""Decoded frames of one media file at one size, for the viewer, export and thumbnails alike.

A VideoSource keeps one ffmpeg rawvideo pipe open and reads on while frames are asked for in
order (playback, export). A jump starts a new pipe with an input seek (`-ss` before `-i`, which
ffmpeg makes frame-accurate by decoding from the keyframe before it and dropping frames up to
the seek point). The seek point is the midpoint between the wanted frame's timestamp and the
one before, taken from the file's own packet list, so rounded container timestamps can never
land it on a neighbour. Stepping backwards decodes a short run before the wanted frame into the
cache, so stepping on backwards does not start a process for every frame.

Frame index i is the i-th frame in display order, counted from the start of the file.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageOps

from . import ffmpeg
from .probe import MediaError, frame_times

# A forward jump up to this many frames reads through instead of seeking (a seek on long-GOP
# H.264 decodes from the keyframe anyway, and starting ffmpeg costs tens of milliseconds).
READ_THROUGH = 48
# Stepping backwards to a frame not in the cache decodes this many frames ending at it.
BACK_RUN = 12


class FrameCache:
    """A least-recently-used store of decoded frames, bounded by their total size in bytes.

    Frames are stored read-only, so a caller cannot change what the next caller gets.
    """

    def __init__(self, max_bytes: int = 256 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._frames: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def nbytes(self) -> int:
        return self._bytes

    def __len__(self) -> int:
        return len(self._frames)

    def get(self, key: Hashable) -> np.ndarray | None:
        with self._lock:
            frame = self._frames.get(key)
            if frame is not None:
                self._frames.move_to_end(key)
            return frame

    def put(self, key: Hashable, frame: np.ndarray) -> np.ndarray:
        frame.setflags(write=False)
        if frame.nbytes > self.max_bytes:
            return frame  # larger than the whole cache: hand it on without keeping it
        with self._lock:
            old = self._frames.pop(key, None)
            if old is not None:
                self._bytes -= old.nbytes
            self._frames[key] = frame
            self._bytes += frame.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._frames.popitem(last=False)
                self._bytes -= dropped.nbytes
        return frame

    def clear(self) -> None:
        with self._lock:
            self._frames.clear()
            self._bytes = 0


class VideoSource:
    """Frames of one video file as uint8 RGB (height, width, 3), scaled by ffmpeg to the size asked.

    Use from one thread at a time (the compositor holds a lock around it).
    """

    def __init__(self, path: str | os.PathLike[str], width: int, height: int, cache: FrameCache | None = None) -> None:
        self.path = Path(path)
        self.width, self.height = width, height
        self.cache = cache if cache is not None else FrameCache(64 * 1024 * 1024)
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


class ImageSource:
    """A still, scaled once to the size asked; every frame index shows it."""

    def __init__(self, path: str | os.PathLike[str], width: int, height: int) -> None:
        self.path = Path(path)
        self.width, self.height = width, height
        try:
            with Image.open(self.path) as opened:
                image = ImageOps.exif_transpose(opened).convert("RGB")
                if image.size != (width, height):
                    image = image.resize((width, height), Image.Resampling.BICUBIC, reducing_gap=3.0)
                self._frame = np.asarray(image, np.uint8).copy()
        except OSError as exc:
            raise MediaError(f"{self.path}: cannot read the image ({exc})") from exc
        self._frame.setflags(write=False)

    def frame(self, index: int) -> np.ndarray:
        return self._frame

    def close(self) -> None:
        pass
