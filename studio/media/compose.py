"""The picture of a sequence at a timeline frame: the one function the viewer and export share,
so the frame the viewer shows at t is the frame export writes at t.

Layering: the first video track in sequence.tracks is V1, at the bottom; each later video track
lies above it. At each frame the topmost track with a clip there shows that track alone (no
blending of tracks yet). Gaps are black. A clip whose media is missing or unreadable shows a dark
red frame marked MEDIA OFFLINE instead of raising, so a lost file never stops playback.

A clip's picture goes into the sequence frame as its `fit` says: whole with black bars (fit),
covering the frame with the overflow cropped (fill), or stretched to it. A clip whose media rate
differs from the sequence's plays at its real speed (see core.project.Clip): each of its frames
shows the media frame nearest in time (retime "frames": repeats or drops), or, with retime
"flow", an optical-flow in-between of the two media frames around that time (retime.py).

Fades and transitions blend the 8-bit RGB values as they are (not in linear light), evaluated at
the start of each frame: over a transition of n frames starting at frame s, frame t is at
p = (t - s) / n. A cross-dissolve shows outgoing·(1 - p) + incoming·p; a dip to black shows the
outgoing clip at level 1 - 2p while p < 1/2 and the incoming one at 2p - 1 after (so an even
length is black on the cut frame). A fade in over f frames shows frame k of the clip at k / f,
a fade out shows the k-th of its last f frames at 1 - k / f. Each result is rounded once.
"""

from __future__ import annotations

import logging
import math
import os
import threading
from collections import OrderedDict
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

from ..core.project import (
    Clip,
    MediaItem,
    MediaKind,
    Project,
    Sequence,
    Track,
    TransitionKind,
    conformed_length,
    media_position,
    nearest_media_frame,
)
from . import scrub_copy
from .decode import FrameCache, ImageSource, VideoSource
from .probe import MediaError, MediaInfo, probe
from .retime import inbetween
from .scrub_copy import ScrubCopies

log = logging.getLogger(__name__)

OFFLINE_COLOUR = (96, 0, 0)


def fit(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int, int, int]:
    """Where a width x height picture goes inside a box, scaled to fit whole and centred:
    (x, y, w, h)."""
    scale = min(box_width / width, box_height / height)
    w = min(box_width, max(1, round(width * scale)))
    h = min(box_height, max(1, round(height * scale)))
    return (box_width - w) // 2, (box_height - h) // 2, w, h


def place(width: int, height: int, box_width: int, box_height: int, mode: str = "fit") -> tuple[int, int, int, int]:
    """Where a width x height picture goes in a box as a clip's fit says: (x, y, w, h), centred.
    fit: whole, inside the box; fill: covering it (x or y negative: the overflow is cropped);
    stretch: the box itself."""
    if mode == "stretch":
        return 0, 0, box_width, box_height
    if mode == "fill":
        scale = max(box_width / width, box_height / height)
        w = max(box_width, round(width * scale))
        h = max(box_height, round(height * scale))
        return (box_width - w) // 2, (box_height - h) // 2, w, h
    return fit(width, height, box_width, box_height)


def offline_frame(width: int, height: int, label: str = "") -> np.ndarray:
    """A dark red frame marked MEDIA OFFLINE, with what is wrong under it (the file's name, and why)."""
    frame = np.empty((height, width, 3), np.uint8)
    frame[:] = OFFLINE_COLOUR
    size = _centred_text(frame, "MEDIA OFFLINE", height // 2, min(width, height) / 300)
    if label:
        _centred_text(frame, label, height // 2 + round(40 * size), size * 0.5)
    return frame


def _centred_text(frame: np.ndarray, text: str, baseline: int, scale: float) -> float:
    """Draw white text centred on a line, shrunk to fit the width; returns the scale used."""
    font = cv2.FONT_HERSHEY_SIMPLEX
    (w, _), _ = cv2.getTextSize(text, font, 1.0, 1)
    scale = max(0.2, min(scale, 0.9 * frame.shape[1] / w))
    thickness = max(1, round(scale * 2))
    (w, _), _ = cv2.getTextSize(text, font, scale, thickness)
    cv2.putText(
        frame, text, (max(0, (frame.shape[1] - w) // 2), baseline), font, scale, (255, 255, 255), thickness, cv2.LINE_AA
    )
    return scale


class SequenceFrames:
    """Renders frames of one sequence of a project as uint8 RGB (height, width, 3).

    It reads the sequence afresh on every call, so edits show at once. Decoded frames live in a
    cache bounded in bytes; at most `max_open` media files keep a decoder (an ffmpeg process)
    open. Safe to call from one background thread at a time; a lock serialises stray calls.
    Close it (or use it as a context manager) to stop the decoders.
    """

    def __init__(
        self,
        project: Project,
        sequence: Sequence | None = None,
        *,
        cache_bytes: int = 256 * 1024 * 1024,
        max_open: int = 4,
        scrub_copies: Path | None = None,
    ) -> None:
        self.project = project
        self.sequence = sequence if sequence is not None else project.sequence
        self.cache = FrameCache(cache_bytes)
        self.max_open = max_open
        self._sources: OrderedDict[tuple, VideoSource | ImageSource] = OrderedDict()
        self._infos: dict[tuple, MediaInfo] = {}
        self._lock = threading.Lock()
        self._offline: dict[Path, str] = {}  # a file that could not be read: what its offline frame says
        # The viewer's: long-GOP files are read from their scrub copies (the same pixels) once made.
        self.scrub_copies = None
        if scrub_copies is not None and project.folder is not None:
            self.scrub_copies = ScrubCopies(scrub_copies, project.folder)

    @property
    def width(self) -> int:
        return self.sequence.width

    @property
    def height(self) -> int:
        return self.sequence.height

    def clip_at(self, frame: int) -> Clip | None:
        """The clip that shows at a timeline frame: the topmost video track's clip there."""
        return self._top(frame)[1]

    def _top(self, frame: int) -> tuple[Track | None, Clip | None]:
        for track in reversed(self.sequence.video_tracks()):
            if track.hidden:
                continue
            clip = track.clip_at(frame)
            if clip is not None:
                return track, clip
        return None, None

    def frame_at(self, frame: int) -> np.ndarray:
        """The picture at a timeline frame, a new array the caller may change."""
        picture = self.picture_at(frame)
        return picture if picture.flags.writeable else picture.copy()

    def picture_at(self, frame: int) -> np.ndarray:
        """The picture at a timeline frame, read-only where it is the frame cache's own (a clip's
        frame that fills the sequence frame as it is): for writing out without a copy."""
        with self._lock:
            track, clip = self._top(frame)
            if track is None or clip is None:
                return np.zeros((self.height, self.width, 3), np.uint8)
            live = track.transition_at(frame)
            if live is None:
                picture, level = self._clip_picture(clip, frame)
                return _scaled(picture, level)
            transition, left, right, cut = live
            first, _ = transition.window(cut)
            p = Fraction(frame - first, transition.frames)
            if transition.kind is TransitionKind.DISSOLVE:
                (a, level_a), (b, level_b) = self._clip_picture(left, frame), self._clip_picture(right, frame)
                return _mixed(a, float(level_a * (1 - p)), b, float(level_b * p))
            if p < Fraction(1, 2):  # dip to black: out to black by the middle, then up from it
                picture, level = self._clip_picture(left, frame)
                return _scaled(picture, level * (1 - 2 * p))
            picture, level = self._clip_picture(right, frame)
            return _scaled(picture, level * (2 * p - 1))

    def _clip_picture(self, clip: Clip, frame: int) -> tuple[np.ndarray, Fraction]:
        """A clip's picture at a timeline frame in the sequence frame (black around it), and the
        level its fades put it at. A frame outside the clip (under a transition) comes from the
        media's handles, or holds the clip's edge frame where the media has none."""
        item = self.project.media.get(clip.media_id)
        if item is None:
            return offline_frame(self.width, self.height, f"media {clip.media_id} is not in the project"), Fraction(1)
        path = self.project.media_path(item)
        try:
            picture, (x, y) = self._media_picture(item, path, clip, frame)
        except MediaError as exc:
            said = self._offline.get(path)
            if said is None:  # once per file, not once per frame of playback
                log.warning("showing media offline: %s", exc)
                # Gone, or there and not a picture (cut short, damaged, another kind of file): which, by its name.
                said = self._offline[path] = f"{path.name}: {'not found' if not path.exists() else 'cannot be read'}"
            return offline_frame(self.width, self.height, said), _fade_level(clip, frame)
        if (x, y) == (0, 0) and picture.shape[:2] == (self.height, self.width):
            return picture, _fade_level(clip, frame)  # it fills the frame: no canvas, no copy
        canvas = np.zeros((self.height, self.width, 3), np.uint8)
        # Paste, cropping what lies outside the frame (a filled clip overflows it).
        x0, y0 = max(x, 0), max(y, 0)
        x1, y1 = min(x + picture.shape[1], self.width), min(y + picture.shape[0], self.height)
        canvas[y0:y1, x0:x1] = picture[y0 - y : y1 - y, x0 - x : x1 - x]
        return canvas, _fade_level(clip, frame)

    def _media_picture(self, item: MediaItem, path: Path, clip: Clip, frame: int) -> tuple[np.ndarray, tuple[int, int]]:
        source, info, origin = self._source(item, path, clip.fit)
        position = clip.source_frame(frame)  # in frames at the sequence's rate (see Clip)
        if item.kind is not MediaKind.VIDEO or info.kind is not MediaKind.VIDEO:
            return source.frame(0), origin
        rate, media_rate = self.sequence.fps, item.fps
        if not clip.start <= frame < clip.end:  # a handle under a transition: the media's, else the edge frame
            last = conformed_length(info.frames, media_rate, rate) - 1
            position = min(max(position, 0), last)
        if clip.retime == "flow" and media_rate != rate:
            exact = media_position(position, media_rate, rate)
            below = math.floor(exact)
            t = exact - below
            if t and 0 <= below and below + 1 < info.frames and isinstance(source, VideoSource):
                return self._inbetween(source, below, t), origin
        return source.frame(nearest_media_frame(position, media_rate, rate)), origin

    def _inbetween(self, source: VideoSource, below: int, t: Fraction) -> np.ndarray:
        key = (*source.key, "flow", below, t)
        picture = self.cache.get(key)
        if picture is None:
            picture = self.cache.put(key, inbetween(source.frame(below), source.frame(below + 1), float(t)))
        return picture

    def close(self) -> None:
        if self.scrub_copies is not None:
            self.scrub_copies.close()
        with self._lock:
            for source in self._sources.values():
                source.close()
            self._sources.clear()
            self.cache.clear()

    def __enter__(self) -> SequenceFrames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _source(
        self, item: MediaItem, path: Path, mode: str
    ) -> tuple[VideoSource | ImageSource, MediaInfo, tuple[int, int]]:
        """The decoder of a file at the size its clip's fit gives it, the file's facts, and where
        its picture's corner goes in the sequence frame."""
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise MediaError(f"{path}: file not found") from exc
        file_key = (str(path), stat.st_mtime_ns, stat.st_size)
        info = self._infos.get(file_key)
        if info is None:
            info = self._infos[file_key] = probe(path)
        x, y, w, h = place(info.width, info.height, self.width, self.height, mode)
        copies = self.scrub_copies if info.kind is MediaKind.VIDEO else None
        copy = copies.find(path, stat) if copies is not None else None  # every frame: the stat above, not another
        key = (*file_key, w, h, copy)
        if copy is not None and (stale := self._sources.pop((*file_key, w, h, None), None)) is not None:
            stale.close()  # the file itself, read until its copy was made
        source = self._sources.get(key)
        if source is None:
            if info.kind is MediaKind.IMAGE:
                source = ImageSource(path, w, h)
            elif info.kind is MediaKind.VIDEO:
                source = VideoSource(copy or path, w, h, self.cache)
                if copy is None and copies is not None and scrub_copy.wanted(source, info):
                    copies.request(path)
            else:
                raise MediaError(f"{path}: an audio file has no picture")
            self._sources[key] = source
            while len(self._sources) > self.max_open:
                _, oldest = self._sources.popitem(last=False)
                oldest.close()
        self._sources.move_to_end(key)
        return source, info, (x, y)


def _fade_level(clip: Clip, frame: int) -> Fraction:
    level = Fraction(1)
    if clip.fade_in and 0 <= frame - clip.start < clip.fade_in:
        level *= Fraction(frame - clip.start, clip.fade_in)
    fade_out_start = clip.end - clip.fade_out
    if clip.fade_out and 0 <= frame - fade_out_start < clip.fade_out:
        level *= 1 - Fraction(frame - fade_out_start, clip.fade_out)
    return level


def _rounded(picture: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(picture), 0, 255).astype(np.uint8)


# Blends through lookup tables: each table entry is the float64 formula for that input value (or
# pair of values), so the result is the formula's to the bit, for a few table lookups a pixel
# instead of a float64 image and its temporaries (a 768x512 dissolve: 6 ms of CPU, was 22).
_LEVELS = np.arange(256, dtype=np.float64)


def _scaled(picture: np.ndarray, level: Fraction) -> np.ndarray:
    """A picture at a level between 0 (black) and 1 (itself), rounded once."""
    if level == 1:
        return picture
    return cv2.LUT(picture, _rounded(_LEVELS * float(level)))


def _mixed(a: np.ndarray, weight_a: float, b: np.ndarray, weight_b: float) -> np.ndarray:
    """a·weight_a + b·weight_b, rounded once, as rint(float64) of each pixel gives it."""
    table = _rounded(_LEVELS[:, None] * weight_a + _LEVELS[None, :] * weight_b).ravel()
    pairs = a.astype(np.uint16)
    pairs <<= 8
    pairs |= b
    return table[pairs]
