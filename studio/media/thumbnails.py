"""Small pictures of one frame of a media file, for bins and the timeline.

With a cache folder (the project's cache/ dir) a thumbnail is decoded once and kept as a PNG
named by a hash of the file's absolute path, its modification time and size, the frame index
and the requested size, so a changed file gets fresh thumbnails and the cache is safe to delete.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import numpy as np
from PIL import Image

from ..core.project import MediaKind
from .compose import fit
from .decode import ImageSource, VideoSource
from .probe import MediaError, probe
from .provenance import png_text, save_png

Size = int | tuple[int, int]


def thumbnail(
    path: str | os.PathLike[str],
    frame_index: int = 0,
    max_size: Size = 160,
    cache_dir: str | os.PathLike[str] | None = None,
) -> np.ndarray:
    """One frame as uint8 RGB (h, w, 3), scaled down to fit max_size (an int for the longest
    side, or (width, height)) keeping its aspect ratio; never scaled up. Stills ignore
    frame_index. Raises MediaError for a missing or unreadable file or a frame it lacks."""
    if cache_dir is None:
        return _decode(Path(path), frame_index, max_size)[0]
    try:
        cached = thumbnail_file(path, frame_index, max_size, cache_dir)
    except OSError:  # a cache that cannot be written (a full disk): the picture is shown all the same
        return _decode(Path(path), frame_index, max_size)[0]
    with Image.open(cached) as image:
        return np.asarray(image.convert("RGB"))


def thumbnail_file(
    path: str | os.PathLike[str], frame_index: int, max_size: Size, cache_dir: str | os.PathLike[str]
) -> Path:
    """The cached PNG of a thumbnail, made first if missing. Safe to call from several threads
    or processes: the PNG is written to a temporary name and renamed into place."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as exc:
        raise MediaError(f"{path}: file not found") from exc
    key = f"{path.absolute()}|{stat.st_mtime_ns}|{stat.st_size}|{frame_index}|{max_size}"
    cache_dir = Path(cache_dir)
    png = cache_dir / f"{hashlib.sha1(key.encode()).hexdigest()}.png"
    if png.exists():
        return png
    picture, comment = _decode(path, frame_index, max_size)
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = png.with_name(f".{png.stem}.{secrets.token_hex(4)}.tmp.png")
    try:
        save_png(picture, tmp, png_text(comment=comment))  # a generated take's thumbnail says so too
        os.replace(tmp, png)
    finally:
        tmp.unlink(missing_ok=True)
    return png


def _decode(path: Path, frame_index: int, max_size: Size) -> tuple[np.ndarray, str | None]:
    """The frame, and the file's comment tag (which says whether it is generated)."""
    info = probe(path)
    if info.kind is MediaKind.AUDIO:
        raise MediaError(f"{path}: an audio file has no picture")
    box_w, box_h = (max_size, max_size) if isinstance(max_size, int) else max_size
    # Fit inside the box but never enlarge a picture smaller than it.
    _, _, w, h = fit(info.width, info.height, min(box_w, info.width), min(box_h, info.height))
    if info.kind is MediaKind.IMAGE:
        return np.array(ImageSource(path, w, h).frame(0)), info.comment
    source = VideoSource(path, w, h)
    try:
        return np.array(source.frame(frame_index)), info.comment
    finally:
        source.close()
