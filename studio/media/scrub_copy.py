"""Scrub copies: a long-GOP video (camera or phone H.264, a delivery file) copied, in the background,
into the project's cache with every frame a keyframe, so the viewer jumps to any frame by decoding
one frame instead of a GOP's reference frames (a 720p H.264 jump: 30-55 ms; on its copy: a fifth).

The copy is lossless (FFV1, the file's own pixel format and size), so it decodes to the same
pixels as the file: the viewer shows it in the file's place at once, not as a proxy to swap out,
and it is checked before it is used (the same frame count, the first, middle and last frames the
same to the bit) or thrown away. It keeps the file's tags, so a copy of a generated file is marked
as one, as the file is. Export and thumbnails read the files themselves.

Copies are named by the file's absolute path, size and change time: a changed file gets a new copy
and its old ones are removed. Only files whose keyframes are at least GOP_FRAMES apart, no bigger
than MAX_PIXELS (1080p; a 4K lossless copy would be 4x the disk for a smaller gain) and no longer
than MAX_COPY_BYTES allows get one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from ..core.errors import StudioError
from ..core.store import write_target
from . import ffmpeg
from .decode import FrameCache, VideoSource
from .probe import MediaError, MediaInfo, probe

log = logging.getLogger(__name__)

GOP_FRAMES = 8  # keyframes this far apart on average or more: a jump decodes enough to be worth a copy
MAX_PIXELS = 1920 * 1088
FREE_MARGIN = 2 * 1024**3  # bytes of disk left free after a copy, at its largest estimate
STALE_SECONDS = 3600  # a half-made copy this old is no other studio's work in progress
BYTES_A_PIXEL = 1.5  # a lossless copy's size at worst: the raw 4:2:0 frame (FFV1 packs real footage to about half)
MAX_COPY_BYTES = 16 * 1024**3  # at that worst: a longer file (over ~4 min of 1080p, ~8 of 720p) is read itself


def wanted(source: VideoSource, info: MediaInfo) -> bool:
    """Whether a file open for decoding is worth a scrub copy."""
    return source.keyframe_interval >= GOP_FRAMES and info.width * info.height <= MAX_PIXELS


def copy_prefix(path: Path) -> str:
    """What the name of every copy of a file at this path starts with (the file need not exist)."""
    return hashlib.sha1(os.path.abspath(path).encode()).hexdigest()[:20]


def copy_name(path: Path, stat: os.stat_result | None = None) -> tuple[str, str]:
    """(the prefix every copy of this path shares, this version's file name); stat: the file's, if
    the caller has it already."""
    stat = stat or Path(path).stat()
    prefix = copy_prefix(path)
    version = hashlib.sha1(f"{stat.st_mtime_ns}|{stat.st_size}".encode()).hexdigest()[:10]
    return prefix, f"{prefix}-{version}.mkv"


def make(path: Path, folder: Path, project_folder: Path, stop: threading.Event | None = None) -> Path:
    """Make and check the scrub copy of a file in folder (which must lie inside project_folder).
    Returns the copy's path; raises MediaError saying why there is none (nothing is left behind)."""
    path = Path(path)
    prefix, name = copy_name(path)
    write_target(project_folder, folder)  # a cache folder that leads out of the project is not written
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / name
    if done.exists():
        return done
    info = probe(path)
    estimate = info.frames * info.width * info.height * BYTES_A_PIXEL
    if estimate > MAX_COPY_BYTES:
        raise MediaError(f"{path.name}: no scrub copy, the file is too long for one (up to {estimate / 1e9:.0f} GB)")
    free = shutil.disk_usage(folder).free
    if free < estimate + FREE_MARGIN:
        raise MediaError(f"{path.name}: no scrub copy, {free / 1e9:.1f} GB free is too little for it")
    for stale in folder.glob(f".{prefix}-*.tmp.mkv"):  # left by a studio that stopped while making one
        if time.time() - stale.stat().st_mtime > STALE_SECONDS:
            stale.unlink(missing_ok=True)
    tmp = folder / f".{name}.{secrets.token_hex(4)}.tmp.mkv"
    try:
        _encode(path, tmp, stop)
        _check(path, info, tmp)
        os.replace(tmp, done)
    finally:
        tmp.unlink(missing_ok=True)
    for old in folder.glob(f"{prefix}-*.mkv"):  # copies of the file as it was before it changed
        if old != done:
            old.unlink(missing_ok=True)
    return done


def _encode(path: Path, dest: Path, stop: threading.Event | None) -> None:
    if stop is not None and stop.is_set():
        raise MediaError(f"{path.name}: scrub copy stopped")
    args = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", "-i", str(path)]
    args += ["-map", "0:v:0", "-map_metadata", "0", "-an", "-sn", "-dn", "-fps_mode", "passthrough"]
    args += ["-c:v", "ffv1", "-level", "3", "-g", "1", "-slices", "4", str(dest)]
    # Below the editor's own work: the copy is a nicety, playback is not.
    flags = getattr(subprocess, "BELOW_NORMAL_PRIORITY_CLASS", 0)  # Windows only
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, creationflags=flags)
    if sys.platform != "win32":
        try:
            os.setpriority(os.PRIO_PROCESS, proc.pid, 10)
        except OSError:
            pass  # it ended already, or the system does not allow it: it runs at normal priority
    while True:
        try:
            _, stderr = proc.communicate(timeout=0.2)
            break
        except subprocess.TimeoutExpired:
            if stop is not None and stop.is_set():
                proc.kill()
                proc.communicate()
                raise MediaError(f"{path.name}: scrub copy stopped") from None
    if proc.returncode != 0:
        raise MediaError(f"{path.name}: no scrub copy: {ffmpeg.last_lines(stderr)}")


def _check(path: Path, info: MediaInfo, copy: Path) -> None:
    """The copy holds the file's frames, to the bit, and its tags; else MediaError."""
    width, height = info.width, info.height
    with VideoSource(path, width, height, FrameCache(0)) as original, VideoSource(copy, width, height) as copied:
        count = original.frame_count
        if copied.frame_count != count or copied.keyframe_interval != 1 or not copied.seekable:
            raise MediaError(f"{path.name}: its scrub copy came out with other frames; the file is read itself")
        for index in sorted({0, count // 2, count - 1}):
            if not np.array_equal(original.frame(index), copied.frame(index)):
                raise MediaError(f"{path.name}: its scrub copy's frame {index} differs; the file is read itself")
    if probe(copy).comment != info.comment:
        raise MediaError(f"{path.name}: its scrub copy lost the file's comment tag (its AI-generated mark)")


class ScrubCopies:
    """The scrub copies of one project: found at once, made one at a time on a thread of its own.

    find() is cheap enough for every frame: the disk is looked at once per file version. A copy
    that could not be made is not tried again while this object lives (the project is open).
    """

    def __init__(self, folder: Path, project_folder: Path) -> None:
        self.folder = Path(folder)
        self.project_folder = Path(project_folder)
        self._lock = threading.Condition()
        self._found: dict[str, Path | None] = {}  # a version's file name: its copy, or None (none yet)
        self._failed: set[str] = set()
        self._queue: list[tuple[str, Path]] = []
        self._making = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def find(self, path: Path, stat: os.stat_result | None = None) -> Path | None:
        """The checked copy of a file as it is now (stat: the file's, if the caller has it), or None."""
        try:
            _, name = copy_name(path, stat)
        except OSError:
            return None
        with self._lock:
            if name not in self._found:
                self._found[name] = self.folder / name if (self.folder / name).is_file() else None
            return self._found[name]

    def request(self, path: Path) -> None:
        """Make a copy of a file in the background, unless it has one or could not have one."""
        try:
            _, name = copy_name(path)
        except OSError:
            return
        with self._lock:
            queued = any(name == other for other, _ in self._queue)
            if self._stop.is_set() or self._found.get(name) is not None or name in self._failed or queued:
                return
            self._queue.append((name, Path(path)))
            self._lock.notify()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="scrub copies", daemon=True)
                self._thread.start()

    @property
    def busy(self) -> bool:
        """Whether copies are queued or being made."""
        with self._lock:
            return bool(self._queue) or self._making

    def close(self) -> None:
        """Stop making copies (a copy half made is removed)."""
        with self._lock:
            self._stop.set()
            self._queue.clear()
            self._lock.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(2)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._stop.is_set():
                    self._lock.wait()
                if self._stop.is_set():
                    return
                name, path = self._queue.pop(0)
                self._making = True
            copy: Path | None = None
            try:
                copy = make(path, self.folder, self.project_folder, self._stop)
                log.info("scrub copy of %s made: %s", path.name, copy.name)
            except (StudioError, OSError) as exc:  # the file, the disk or a cache folder leading out
                if not self._stop.is_set():
                    log.warning("%s", exc)
            with self._lock:
                self._making = False
                if copy is None:
                    self._failed.add(name)
                else:
                    self._found[name] = copy


def unused_copies(folder: Path, used: list[Path]) -> list[Path]:
    """The copies in a scrub folder of files other than `used` (removed, purged or moved away)."""
    if not folder.is_dir():
        return []
    keep = {copy_prefix(path) for path in used}
    return sorted(copy for copy in folder.glob("*.mkv") if copy.name.split("-")[0] not in keep)
