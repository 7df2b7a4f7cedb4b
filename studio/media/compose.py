"""The picture of a sequence at a timeline frame: the one function the viewer and export share,
so the frame the viewer shows at t is the frame export writes at t.

Layering: the first video track in sequence.tracks is V1, at the bottom; each later video track
lies above it. At each frame the topmost track with a clip there shows that clip alone (no
blending yet), fitted whole into the sequence frame with black bars where the aspect ratios
differ. Gaps are black. A clip whose media is missing or unreadable shows a dark red frame
marked MEDIA OFFLINE instead of raising, so a lost file never stops playback.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from pathlib import Path

import cv2
import numpy as np

from ..core.project import Clip, MediaItem, MediaKind, Project, Sequence
from .decode import FrameCache, ImageSource, VideoSource
from .probe import MediaError, MediaInfo, probe

log = logging.getLogger(__name__)

OFFLINE_COLOUR = (96, 0, 0)


def fit(width: int, height: int, box_width: int, box_height: int) -> tuple[int, int, int, int]:
    """Where a width x height picture goes inside a box, scaled to fit whole and centred:
    (x, y, w, h)."""
    scale = min(box_width / width, box_height / height)
    w = min(box_width, max(1, round(width * scale)))
    h = min(box_height, max(1, round(height * scale)))
    return (box_width - w) // 2, (box_height - h) // 2, w, h


def offline_frame(width: int, height: int, label: str = "") -> np.ndarray:
    """A dark red frame marked MEDIA OFFLINE, with the missing file's name under it."""
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
    cv2.putText(frame, text, (max(0, (frame.shape[1] - w) // 2), baseline), font, scale, (255, 255, 255),
                thickness, cv2.LINE_AA)
    return scale


class SequenceFrames:
    """Renders frames of one sequence of a project as uint8 RGB (height, width, 3).

    It reads the sequence afresh on every call, so edits show at once. Decoded frames live in a
    cache bounded in bytes; at most `max_open` media files keep a decoder (an ffmpeg process)
    open. Safe to call from one background thread at a time; a lock serialises stray calls.
    Close it (or use it as a context manager) to stop the decoders.
    """

    def __init__(self, project: Project, sequence: Sequence | None = None, *,
                 cache_bytes: int = 256 * 1024 * 1024, max_open: int = 4) -> None:
        self.project = project
        self.sequence = sequence if sequence is not None else project.sequence
        self.cache = FrameCache(cache_bytes)
        self.max_open = max_open
        self._sources: OrderedDict[tuple, VideoSource | ImageSource] = OrderedDict()
        self._infos: dict[tuple, MediaInfo] = {}
        self._lock = threading.Lock()
        self._warned: set[Path] = set()

    @property
    def width(self) -> int:
        return self.sequence.width

    @property
    def height(self) -> int:
        return self.sequence.height

    def clip_at(self, frame: int) -> Clip | None:
        """The clip that shows at a timeline frame: the topmost video track's clip there."""
        for track in reversed(self.sequence.video_tracks()):
            if track.hidden:
                continue
            clip = track.clip_at(frame)
            if clip is not None:
                return clip
        return None

    def frame_at(self, frame: int) -> np.ndarray:
        """The picture at a timeline frame, a new array the caller may change."""
        with self._lock:
            canvas = np.zeros((self.height, self.width, 3), np.uint8)
            clip = self.clip_at(frame)
            if clip is None:
                return canvas
            item = self.project.media.get(clip.media_id)
            if item is None:
                return offline_frame(self.width, self.height, f"media {clip.media_id} is not in the project")
            path = self.project.media_path(item)
            try:
                picture, (x, y) = self._media_frame(item, path, clip.source_frame(frame))
            except MediaError as exc:
                if path not in self._warned:  # once per file, not once per frame of playback
                    self._warned.add(path)
                    log.warning("showing media offline: %s", exc)
                return offline_frame(self.width, self.height, path.name)
            canvas[y:y + picture.shape[0], x:x + picture.shape[1]] = picture
            return canvas

    def close(self) -> None:
        with self._lock:
            for source in self._sources.values():
                source.close()
            self._sources.clear()
            self.cache.clear()

    def __enter__(self) -> SequenceFrames:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _media_frame(self, item: MediaItem, path: Path, index: int) -> tuple[np.ndarray, tuple[int, int]]:
        try:
            stat = os.stat(path)
        except OSError as exc:
            raise MediaError(f"{path}: file not found") from exc
        file_key = (str(path), stat.st_mtime_ns, stat.st_size)
        info = self._infos.get(file_key)
        if info is None:
            info = self._infos[file_key] = probe(path)
        x, y, w, h = fit(info.width, info.height, self.width, self.height)
        key = (*file_key, w, h)
        source = self._sources.get(key)
        if source is None:
            if info.kind is MediaKind.IMAGE:
                source = ImageSource(path, w, h)
            elif info.kind is MediaKind.VIDEO:
                source = VideoSource(path, w, h, self.cache)
            else:
                raise MediaError(f"{path}: an audio file has no picture")
            self._sources[key] = source
            while len(self._sources) > self.max_open:
                _, oldest = self._sources.popitem(last=False)
                oldest.close()
        self._sources.move_to_end(key)
        return source.frame(index), (x, y)
