"""Decoded frames of one media file at one size, for the viewer, export and thumbnails alike.

A VideoSource decodes in-process with PyAV and keeps its container open, so a jump costs a seek,
not a new ffmpeg process (an editor scrubs at screen rate). A frame ahead within the GOP the
decoder stands in decodes on from there. A jump seeks to the keyframe at or before the wanted
frame and decodes forward to it, each frame known by its own timestamp in the file's packet
list, never by rounding a time; only the frame asked for is scaled and converted. A step back
decodes a run ending at the wanted frame into the cache (back to the GOP's keyframe, or half the
way in a long GOP), so stepping on backwards does not seek for every frame. Frames are scaled and
turned into RGB by the same ffmpeg filters (scale, bicubic; then rgb24) as the ffmpeg command
line used before, so the pixels are the same.

Frame index i is the i-th frame in display order, counted from the start of the file. Files that
PyAV's own libraries cannot decode are read through an ffmpeg pipe instead (pipe.py).
"""

from __future__ import annotations

import bisect
import itertools
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageOps

from .pipe import BACK_RUN, PipeSource
from .probe import MediaError

# Seeks tried before giving up: by display time, then by decode time, then from earlier
# keyframes, while a demuxer's seek lands past the wanted frame or on a frame that is no keyframe.
SEEK_TRIES = 4


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
    """Frames of one video file as uint8 RGB (height, width, 3), scaled to the size asked.

    Use from one thread at a time (the compositor holds a lock around it).
    """

    def __init__(self, path: str | os.PathLike[str], width: int, height: int, cache: FrameCache | None = None) -> None:
        self.path = Path(path)
        self.width, self.height = width, height
        self.cache = cache if cache is not None else FrameCache(64 * 1024 * 1024)
        self._container: av.container.InputContainer | None = None
        self._pipe: PipeSource | None = None
        self._threads = "AUTO"
        self._finalizer = weakref.finalize(self, _close, None)
        try:
            self._open_container()
            self._pts, self._keys, self._seek_to = self._scan()
            # A file with GOPs keeps FFmpeg's threads: on 2 shared cores a jump took 0.94x the time
            # without any, but reading on (playback, export) 1.03-1.21x (results.md, scrubbing).
            if len(self._keys) == len(self._pts):
                # Every frame a keyframe: a jump decodes one frame, and frame threads would only
                # add their start-up after each seek (a third of the time of a 720p FFV1 jump here).
                self._threads = "SLICE"
                self._stream.thread_type = "SLICE"
        except (av.FFmpegError, MediaError):
            # A codec or format only the ffmpeg binary has (it raises MediaError itself if it cannot either).
            self.close()
            self._pipe = PipeSource(self.path, width, height, self.cache)
            self._pts, self._keys, self._seek_to = [], [], []
        if self._pipe is None and not self._pts:
            raise MediaError(f"{self.path} has a video stream without any frames")
        self._index = {pts: i for i, pts in enumerate(self._pts)} if self._pts and self._pts[0] is not None else None
        self._key = (str(self.path.absolute()), self.path.stat().st_mtime_ns, width, height)
        self._decoded: Iterator[av.VideoFrame] | None = None
        self._pending: tuple[int, av.VideoFrame] | None = None  # decoded by a seek's check, not yet used
        self._next = 0  # the index of the frame the decoder will deliver next
        self._last: int | None = None  # the frame asked for last: where the playhead stood
        self._count = 0  # frames decoded since the start: the index where a file has no timestamps
        self._wanted_from: int | None = None  # the timestamp of the first frame a caller will look at
        self._graph: tuple[tuple, av.filter.Graph] | None = None
        # An MP4's index lands a seek by a keyframe's decode time on the keyframe before it (a whole
        # GOP more to decode); MPEG-TS searches by decode time and lands past one sought by display
        # time. Display time first, then decode time for good once a seek has landed past its frame.
        self._seek_by_display = True

    @property
    def frame_count(self) -> int:
        return self._pipe.frame_count if self._pipe is not None else len(self._pts)

    @property
    def keyframe_interval(self) -> float:
        """Frames a keyframe on average: 1 where every frame is one; what a jump decodes grows with it."""
        return len(self._pts) / len(self._keys) if self._pts and self._index is not None else 1.0

    @property
    def seekable(self) -> bool:
        """Whether a jump seeks (the file has timestamps), rather than decoding from the start."""
        return self._pipe is None and self._index is not None

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def key(self) -> tuple:
        """What names this file at this size in a frame cache."""
        return self._key

    def frame(self, index: int) -> np.ndarray:
        """The frame at an index, from the cache or decoded. Raises MediaError outside the file."""
        if self._pipe is not None:
            return self._pipe.frame(index)
        if not 0 <= index < len(self._pts):
            raise MediaError(f"{self.path}: no frame {index} (the file has {len(self._pts)} frames)")
        last, self._last = self._last, index
        cached = self.cache.get((*self._key, index))
        if cached is not None:
            return cached
        first = index  # frames before it are decoded but not scaled: nobody asked for them
        if self._decoded is None or index < self._next:
            # Only a step back from the frame shown gets a run into the cache, for the steps back
            # to come: a far jump back scrubs on somewhere else.
            stepping = last is not None and index < last <= index + BACK_RUN
            first = self._back_run_start(index) if stepping else index
            self._wanted_from = self._pts[first]
            self._open(first)
        elif self._keyframe_before(index) > self._next:
            self._wanted_from = self._pts[index]
            self._open(index)  # a keyframe lies between: decoding from it skips the frames before
        else:
            self._wanted_from = self._pts[index]
        while True:
            number, decoded = self._decode()
            if number < first:
                continue
            key = (*self._key, number)
            frame = self.cache.get(key) if number < index else None
            if frame is None:
                frame = self.cache.put(key, self._convert(decoded))
            if number == index:
                return frame
            if number > index:
                raise MediaError(f"{self.path}: cannot decode frame {index}: the decoder skipped it")

    def _back_run_start(self, index: int) -> int:
        """Where the run of frames decoded into the cache for a step back to a frame begins.

        Every frame of the run decodes in full, while the frames before it decode only where
        others refer to them, so a run back to the keyframe costs about as much as half of one
        that starts midway, and leaves every frame to the keyframe in the cache. A run covers
        the way back to the keyframe when that is short, else half of it (at least BACK_RUN
        frames): two runs take a scrub back through a GOP. A run fills a quarter of the cache
        at most, so it does not push out the frames around it.
        """
        keyframe = self._keyframe_before(index)
        span = index - keyframe + 1
        run = span if span <= 2 * BACK_RUN else max(BACK_RUN, (span + 1) // 2)
        fits = self.cache.max_bytes // (4 * self.width * self.height * 3)
        return index - max(1, min(run, fits)) + 1

    def close(self) -> None:
        self._finalizer()
        self._container = self._decoded = self._pending = self._graph = None
        if self._pipe is not None:
            self._pipe.close()

    def _open_container(self) -> None:
        try:
            container = av.open(str(self.path), "r", metadata_errors="replace")
        except FileNotFoundError as exc:
            raise MediaError(f"{self.path}: file not found") from exc
        if not container.streams.video:
            container.close()
            raise MediaError(f"{self.path}: no video stream")
        stream = container.streams.video[0]
        stream.thread_type = self._threads
        self._container, self._stream = container, stream
        self._finalizer = weakref.finalize(self, _close, container)

    def _scan(self) -> tuple[list, list[int], list[int]]:
        """Every frame's timestamp in display order, the keyframes' indices and the timestamp to seek
        to each by, from the packets alone (no decoding), as probe counts them. Timestamps are None
        where the file has none (a raw stream)."""
        assert self._container is not None
        pts: list[int] = []
        keyframes: dict[int, int] = {}  # a keyframe's display time: the time to seek to it by
        count = 0
        for packet in self._container.demux(self._stream):
            if packet.size == 0:
                continue  # the demuxer's flush packet at the end
            count += 1
            if packet.pts is not None:
                pts.append(packet.pts)
                # The decode time to seek by where the demuxer searches by it (MPEG-TS): sought by
                # its display time, which comes later, a keyframe would be passed.
                if packet.is_keyframe:
                    keyframes[packet.pts] = packet.pts if packet.dts is None else min(packet.pts, packet.dts)
        self._rewind()
        if len(pts) < count or len(set(pts)) < count:
            return [None] * count, [0], [0]
        pts.sort()
        at = {p: i for i, p in enumerate(pts)}
        keys = sorted((at[p], seek) for p, seek in keyframes.items())
        return pts, [i for i, _ in keys], [t for _, t in keys]

    def _rewind(self) -> None:
        """Back to the first frame; a stream that cannot seek (a raw H.264 file) is opened again."""
        assert self._container is not None
        try:
            self._container.seek(0, stream=self._stream)
        except av.FFmpegError:
            self.close()
            self._open_container()

    def _keyframe_before(self, index: int) -> int:
        """The index of the last keyframe at or before a frame: where decoding it must start."""
        return self._keys[max(0, bisect.bisect_right(self._keys, index) - 1)] if self._keys else 0

    def _open(self, start: int) -> None:
        """Seek so that the decoder's next frames lead to frame start."""
        if self._container is None:
            self._open_container()
        assert self._container is not None
        self._pending = None
        if self._index is None:
            start = 0  # no timestamps to seek by: decode again from the beginning
        key = bisect.bisect_right(self._keys, start) - 1
        for _ in range(SEEK_TRIES):
            target = None
            if key >= 0 and start > 0:
                target = self._pts[self._keys[key]] if self._seek_by_display else self._seek_to[key]
            if target is None:
                self._rewind()
            else:
                self._container.seek(target, stream=self._stream, backward=True, any_frame=False)
            packets = self._container.demux(self._stream)
            first = next(packets, None)
            if target is not None and not self._keyframe_at_or_before(first, start):
                landed = False  # a demuxer that seeks by decode time can land on a frame that is no keyframe
            else:
                self._decoded = self._frames(itertools.chain([first] if first else [], packets))
                self._count = 0
                self._next = 0 if target is None else start
                self._pending = self._decode()
                landed = self._pending[0] <= start or target is None
            if landed:
                return
            if self._seek_by_display:
                self._seek_by_display = False  # this demuxer searches by decode time: seek by that from now on
            else:
                key -= 1  # the seek landed past the wanted frame: start from the keyframe before
        raise MediaError(f"{self.path}: cannot seek to frame {start}")

    def _keyframe_at_or_before(self, packet: av.Packet | None, start: int) -> bool:
        """Whether a seek's first packet is a keyframe that decoding frame start may begin at."""
        if packet is None or not packet.is_keyframe:
            return False
        return packet.pts is None or self._index is None or self._index.get(packet.pts, start + 1) <= start

    def _frames(self, packets: Iterator[av.Packet]) -> Iterator[av.VideoFrame]:
        """The decoder's frames of the packets from where the container stands. Frames before the
        first one wanted that no other frame refers to (most B-frames) are not decoded at all: half
        the work of a jump into a long H.264 GOP. Every other frame decodes in full, so the pixels
        are the same."""
        context = self._stream.codec_context
        for packet in packets:
            wanted = self._wanted_from
            unseen = packet.pts is not None and wanted is not None and packet.pts < wanted
            context.skip_frame = "NONREF" if unseen else "DEFAULT"
            yield from packet.decode()

    def _decode(self) -> tuple[int, av.VideoFrame]:
        """The decoder's next frame with its index in the file."""
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self._next = pending[0] + 1
            return pending
        assert self._decoded is not None
        try:
            for decoded in self._decoded:
                if self._index is None:
                    number = self._count
                else:
                    found = self._index.get(decoded.pts)
                    if found is None:
                        continue  # a frame the packet list does not count (discarded by the file's edit list)
                    number = found
                self._count += 1
                self._next = number + 1
                return number, decoded
        except av.FFmpegError as exc:
            self._decoded = None
            raise MediaError(f"{self.path}: cannot decode frame {self._next}: {exc}") from exc
        index = self._next
        self._decoded = None
        raise MediaError(f"{self.path}: cannot decode frame {index}: the file ended early")

    def _convert(self, decoded: av.VideoFrame) -> np.ndarray:
        """Scale and convert through the filters the ffmpeg command line used: the same pixels."""
        shape = (decoded.width, decoded.height, decoded.format.name, decoded.colorspace, decoded.color_range)
        if self._graph is None or self._graph[0] != shape:
            graph = av.filter.Graph()
            source = graph.add(
                "buffer",
                video_size=f"{decoded.width}x{decoded.height}",
                pix_fmt=decoded.format.name,
                time_base=str(self._stream.time_base or "1/1000"),
                pixel_aspect="1/1",
                colorspace=str(int(decoded.colorspace)),
                range=str(int(decoded.color_range)),
            )
            scale = graph.add("scale", f"{self.width}:{self.height}:flags=bicubic")
            rgb = graph.add("format", "rgb24")
            sink = graph.add("buffersink")
            source.link_to(scale)
            scale.link_to(rgb)
            rgb.link_to(sink)
            graph.configure()
            self._graph = (shape, graph)
        graph = self._graph[1]
        graph.push(decoded)
        return np.ascontiguousarray(graph.pull().to_ndarray())


def _close(container: av.container.InputContainer | None) -> None:
    if container is not None:
        container.close()


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
