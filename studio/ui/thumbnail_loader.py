"""Loads clip thumbnails and waveforms for the timeline in the background.

The timeline asks for what it is about to paint; what is not in memory yet is queued and drawn
when it arrives. The newest requests are served first and requests nobody has asked for again
since the last paint are dropped, so scrolling past a hundred clips decodes only what stays in
view.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from ..media.audio import peaks
from ..media.probe import MediaError
from ..media.thumbnails import thumbnail
from .viewer import to_qimage


class BackgroundLoader(QObject):
    """Loads what paint code asks for on a thread of its own; _load(key) says how.

    The thread never touches Qt: emitting from it raced with the owner's deletion on the GUI thread
    and crashed the process. It only sets a flag; a timer on the GUI thread, running while requests
    are out, turns the flag into `ready`.
    """

    ready = Signal()  # something arrived: repaint

    def __init__(self, max_images: int = 600, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.cache_dir: Path | None = None
        self._images: OrderedDict[tuple, object | None] = OrderedDict()  # None: the file has no such thing
        self._max_images = max_images
        self._wanted: list[tuple] = []
        self._lock = threading.Condition()
        self._stop = _StopFlag(self._lock)
        self._busy = False  # the thread is decoding
        self._arrived = False  # set by the thread, read by _poll on the GUI thread
        self._poll_timer = QTimer(self, interval=POLL_MS)
        self._poll_timer.timeout.connect(self._poll)
        self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
        self._thread.start()
        # When the owning widget goes, stop the thread; the closure holds no reference to self's
        # C++ side, which is gone by then.
        stop = self._stop
        self.destroyed.connect(lambda *_: stop.set())

    def _get(self, key: tuple):
        """The loaded value if there is one; otherwise None, and it is queued."""
        with self._lock:
            if key in self._images:
                self._images.move_to_end(key)
                return self._images[key]
            if key not in self._wanted:
                self._wanted.append(key)
                self._lock.notify()
        if not self._poll_timer.isActive():
            self._poll_timer.start()
        return None

    def _poll(self) -> None:
        with self._lock:
            arrived, self._arrived = self._arrived, False
            idle = not self._wanted and not self._busy
        if idle and not arrived:
            self._poll_timer.stop()
        if arrived:
            self.ready.emit()

    def forget_requests(self) -> None:
        """Called before a full repaint: what the repaint still needs it will ask for again."""
        with self._lock:
            self._wanted.clear()

    def close(self) -> None:
        self._poll_timer.stop()
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._wanted and not self._stop.is_set:
                    self._lock.wait()
                if self._stop.is_set:
                    return
                key = self._wanted.pop()  # newest first: what is on screen now
                cache_dir = self.cache_dir
                self._busy = True
            try:
                image = self._load(key, cache_dir)
            except (MediaError, OSError, ValueError):
                image = None  # offline or unreadable: the clip is drawn without it
            except Exception:  # noqa: BLE001 - e.g. PyAV's AssertionError on a file rewritten as it is read
                # One file's odd failure must not end the thread: every thumbnail after it would wait forever.
                image = None
            with self._lock:
                self._images[key] = image
                while len(self._images) > self._max_images:
                    self._images.popitem(last=False)
                self._arrived = True
                self._busy = False

    def _load(self, key: tuple, cache_dir: Path | None):
        raise NotImplementedError


class ThumbnailLoader(BackgroundLoader):
    def get(self, path: Path, frame: int, height: int) -> QImage | None:
        """The thumbnail if loaded; otherwise None, and it is queued."""
        return self._get((str(path), frame, height))

    def _load(self, key: tuple, cache_dir: Path | None) -> QImage:
        path, frame, height = key
        return to_qimage(thumbnail(path, frame, (height * 4, height), cache_dir))


class WaveformLoader(BackgroundLoader):
    def get(self, path: Path):
        """The file's waveform peaks (media.audio.peaks, PEAKS_PER_SECOND) if loaded, else None."""
        return self._get((str(path),))

    def _load(self, key: tuple, cache_dir: Path | None):
        return peaks(key[0], PEAKS_PER_SECOND, cache_dir)


PEAKS_PER_SECOND = 200
POLL_MS = 30  # how soon a loaded thumbnail is painted


class _StopFlag:
    """Tells the loader thread to end; a plain object, so it still works after the Qt side is gone."""

    def __init__(self, lock: threading.Condition) -> None:
        self._lock = lock
        self.is_set = False

    def set(self) -> None:
        with self._lock:
            self.is_set = True
            self._lock.notify_all()
