"""The viewer: shows the sequence's frame at the playhead, plays it at its frame rate.

Frames come from media.compose, the same code that export uses, so the viewer's frame at a time
is the exported frame at that time. Decoding runs on a background thread; a request superseded
by a newer one before it starts is dropped.
"""

from __future__ import annotations

import math
import threading
import time

import numpy as np
from PySide6.QtCore import QObject, QPoint, QRect, QSize, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QImage, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStyle, QVBoxLayout, QWidget

from ..media.compose import SequenceFrames
from .audio_player import AudioPlayer
from .document import Document


class _FrameServer(QObject):
    """Lives on a worker thread; turns frame numbers into images."""

    frame_ready = Signal(int, int, QImage)  # frame, the viewer's edit generation it was asked in, picture
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._frames: SequenceFrames | None = None
        self._latest = (-1, 0)

    def set_source(self, frames: SequenceFrames | None) -> None:
        with self._lock:
            old, self._frames = self._frames, frames
        if old is not None:
            old.close()  # ends its ffmpeg decoders now rather than at garbage collection

    def want(self, frame: int, generation: int) -> None:
        """Called on the Qt thread before queueing `render`, so older queued requests can be skipped."""
        self._latest = (frame, generation)

    @Slot(int, int)
    def render(self, frame: int, generation: int) -> None:
        if (frame, generation) != self._latest:
            return  # superseded while waiting
        with self._lock:
            frames = self._frames
        if frames is None:
            return
        try:
            rgb = frames.frame_at(frame)
        except Exception as exc:  # a decoding failure must not take the editor down
            self.failed.emit(f"could not show frame {frame}: {exc}")
            return
        self.frame_ready.emit(frame, generation, to_qimage(rgb))


def to_qimage(rgb: np.ndarray) -> QImage:
    rgb = np.ascontiguousarray(rgb)
    h, w, _ = rgb.shape
    return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


# Aspect guides an editor checks a frame against: cinema scope and flat, TV, the social formats.
ASPECT_GUIDES = {"2.39:1": 2.39, "1.85:1": 1.85, "16:9": 16 / 9, "4:3": 4 / 3, "1:1": 1.0, "4:5": 0.8, "9:16": 9 / 16}
ACTION_SAFE = 0.90  # the broadcast action-safe and title-safe areas, as a fraction of width and height
TITLE_SAFE = 0.80


class FrameView(QWidget):
    """Paints the current frame, fitted, on black, with optional safe-area and aspect guides."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image: QImage | None = None
        self.safe_areas = False
        self.aspect_guide: str | None = None  # a key of ASPECT_GUIDES
        self.setMinimumSize(320, 180)

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    def picture_rect(self) -> QRect:
        """Where the frame is drawn: fitted to the widget, centred."""
        if self.image is None:
            return QRect()
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        target = QRect(0, 0, size.width(), size.height())
        target.moveCenter(self.rect().center())
        return target

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        if self.image is None:
            return
        target = self.picture_rect()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawImage(target, self.image)
        if self.aspect_guide is not None:
            self._paint_aspect_guide(painter, target, ASPECT_GUIDES[self.aspect_guide])
        if self.safe_areas:
            self._paint_safe_areas(painter, target)

    @staticmethod
    def guide_rect(target: QRect, ratio: float) -> QRect:
        """The part of the picture a frame of `ratio` (width / height) keeps, centred."""
        if target.width() / target.height() > ratio:
            width, height = round(target.height() * ratio), target.height()
        else:
            width, height = target.width(), round(target.width() / ratio)
        rect = QRect(0, 0, width, height)
        rect.moveCenter(target.center())
        return rect

    def _paint_aspect_guide(self, painter: QPainter, target: QRect, ratio: float) -> None:
        keep = self.guide_rect(target, ratio)
        shade = QColor(0, 0, 0, 150)  # dims what the other format would crop, but leaves it visible
        painter.fillRect(QRect(target.topLeft(), QPoint(target.right(), keep.top() - 1)), shade)
        painter.fillRect(QRect(QPoint(target.left(), keep.bottom() + 1), target.bottomRight()), shade)
        painter.fillRect(QRect(QPoint(target.left(), keep.top()), QPoint(keep.left() - 1, keep.bottom())), shade)
        painter.fillRect(QRect(QPoint(keep.right() + 1, keep.top()), QPoint(target.right(), keep.bottom())), shade)
        painter.setPen(QPen(QColor(255, 200, 0, 220), 1))
        painter.drawRect(keep.adjusted(0, 0, -1, -1))

    @staticmethod
    def _paint_safe_areas(painter: QPainter, target: QRect) -> None:
        for fraction in (ACTION_SAFE, TITLE_SAFE):
            rect = QRect(0, 0, round(target.width() * fraction), round(target.height() * fraction))
            rect.moveCenter(target.center())
            painter.setPen(QPen(QColor(255, 255, 255, 200), 1, Qt.PenStyle.DashLine))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))


MAX_SHUTTLE = 8  # J/L speed limit, times the frame rate


class ViewerWidget(QWidget):
    frame_changed = Signal(int)  # the viewer moved the playhead (playback, buttons)
    marks_changed = Signal(object, object)  # in and out frames, each None when unset
    _request = Signal(int, int)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.frame = 0
        self.shown_frame = -1
        self._generation = 0  # bumped by every edit, so a picture rendered before it is never shown after
        self.playing = False
        self.speed = 1
        self.loop = False
        self.mark_in: int | None = None
        self.mark_out: int | None = None
        self._play_origin = (0.0, 0)  # (wall clock, frame) when playback started
        self.audio = AudioPlayer(document, parent=self)
        self._audio_clock = False  # the picture follows the sound card while sound plays

        self.view = FrameView()
        self.timecode = QLabel("00:00:00:00")
        self.timecode.setObjectName("timecode")
        style = self.style()
        self.play_button = self._button(
            style.standardIcon(QStyle.StandardPixmap.SP_MediaPlay), "Play / pause (Space)", self.toggle_play
        )
        buttons = [
            self._button(
                style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipBackward),
                "Go to start (Home)",
                lambda: self.seek(0),
            ),
            self._button(
                style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekBackward),
                "Previous frame (Left)",
                lambda: self.step(-1),
            ),
            self.play_button,
            self._button(
                style.standardIcon(QStyle.StandardPixmap.SP_MediaSeekForward),
                "Next frame (Right)",
                lambda: self.step(1),
            ),
            self._button(
                style.standardIcon(QStyle.StandardPixmap.SP_MediaSkipForward),
                "Go to end (End)",
                lambda: self.seek(max(0, self.sequence.duration - 1)),
            ),
        ]
        transport = QHBoxLayout()
        transport.addWidget(self.timecode)
        transport.addStretch(1)
        for button in buttons:
            transport.addWidget(button)
        transport.addStretch(1)
        self.duration_label = QLabel()
        transport.addWidget(self.duration_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(transport)

        self._thread = QThread(self)
        self._thread.setObjectName("viewer-frames")
        self._server = _FrameServer()
        self._server.moveToThread(self._thread)
        self._request.connect(self._server.render, Qt.ConnectionType.QueuedConnection)
        self._server.frame_ready.connect(self._on_frame)
        self._thread.start()

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)

        document.changed.connect(self.refresh)
        document.replaced.connect(self._on_replaced)
        self._on_replaced()

    def set_safe_areas(self, on: bool) -> None:
        """Show the action-safe (90%) and title-safe (80%) frames over the picture."""
        self.view.safe_areas = on
        self.view.update()

    def set_aspect_guide(self, name: str | None) -> None:
        """Dim what a frame of another aspect (a key of ASPECT_GUIDES) would crop; None hides it."""
        if name is not None and name not in ASPECT_GUIDES:
            raise ValueError(f"unknown aspect guide {name!r}")
        self.view.aspect_guide = name
        self.view.update()

    def _button(self, icon, tip: str, slot) -> QPushButton:
        button = QPushButton(icon, "")
        button.setToolTip(tip)
        button.setFlat(True)
        button.clicked.connect(slot)
        return button

    @property
    def sequence(self):
        return self.document.project.sequence

    def _on_replaced(self) -> None:
        # SequenceFrames reads the sequence on every frame, so edits need no new one; a new
        # project does (and the old one's decoders are closed).
        frames = SequenceFrames(self.document.project, self.sequence, scrub_copies=self.document.cache_dir / "scrub")
        self._server.set_source(frames)
        self.refresh()

    def refresh(self) -> None:
        """The project changed: show the current frame as it now is."""
        self.duration_label.setText(self.sequence.fps.timecode(self.sequence.duration))
        self.shown_frame = -1
        self._generation += 1
        self._show(self.frame)

    def seek(self, frame: int) -> None:
        """Go to a frame (a person's seek: playback, if running, carries on from there)."""
        frame = max(0, int(frame))
        if self.playing and frame != self.frame:
            self._start_clock(frame)
        self._go(frame)

    def _go(self, frame: int) -> None:
        self._show(frame)
        self.frame_changed.emit(frame)

    def step(self, delta: int) -> None:
        self.pause()
        self.seek(self.frame + delta)

    def toggle_play(self) -> None:
        self.pause() if self.playing else self.play()

    def play(self, speed: int = 1) -> None:
        """Play at `speed` times the frame rate; negative plays backwards."""
        if self.sequence.duration == 0:
            return
        first, last = self._play_range()
        start = self.frame
        if speed > 0 and not first <= start < last:
            start = first  # at (or past) the end: play from the start again
        elif speed < 0 and not first < start <= last:
            start = last
        self.speed = speed
        self.playing = True
        self._start_clock(start)
        self._go(start)
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPause))
        self._timer.start(max(1, int(500 / (float(self.sequence.fps) * abs(speed)))))

    def _start_clock(self, frame: int) -> None:
        """Playback's time origin: the sound from this frame at normal speed forwards, else the wall clock."""
        self._play_origin = (time.monotonic(), frame)
        self._audio_clock = self.speed == 1 and self.audio.start(frame)
        if not self._audio_clock:
            self.audio.stop()

    def pause(self) -> None:
        self.playing = False
        self.speed = 1
        self.audio.stop()
        self._audio_clock = False
        self._timer.stop()
        self.play_button.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))

    def shuttle(self, direction: int) -> None:
        """J/L: play backwards/forwards; each further press in the same direction doubles the speed."""
        if self.playing and (self.speed > 0) == (direction > 0):
            self.play(max(-MAX_SHUTTLE, min(MAX_SHUTTLE, self.speed * 2)))
        else:
            self.play(direction)

    def set_mark_in(self) -> None:
        self.mark_in = self.frame
        if self.mark_out is not None and self.mark_out < self.mark_in:
            self.mark_out = None
        self.marks_changed.emit(self.mark_in, self.mark_out)

    def set_mark_out(self) -> None:
        self.mark_out = self.frame
        if self.mark_in is not None and self.mark_in > self.mark_out:
            self.mark_in = None
        self.marks_changed.emit(self.mark_in, self.mark_out)

    def clear_marks(self) -> None:
        self.mark_in = self.mark_out = None
        self.marks_changed.emit(None, None)

    def _play_range(self) -> tuple[int, int]:
        """First and last frame playback runs over: the marks when looping between them, else all."""
        last = max(0, self.sequence.duration - 1)
        if self.loop:
            return (self.mark_in or 0), min(last, self.mark_out if self.mark_out is not None else last)
        return 0, last

    def _tick(self) -> None:
        started, origin = self._play_origin
        fps = float(self.sequence.fps)
        elapsed = self.audio.played_seconds() if self._audio_clock else time.monotonic() - started
        frame = origin + math.floor(elapsed * fps * self.speed)
        first, last = self._play_range()
        if first <= frame <= last:
            if frame != self.frame:
                self._go(frame)  # not seek(): the clock's origin stays put, so playback never drifts
            return
        if self.loop:
            restart = first if self.speed > 0 else last
            self._start_clock(restart)
            self._go(restart)
        else:
            self._go(last if self.speed > 0 else first)
            self.pause()

    def _show(self, frame: int) -> None:
        self.frame = frame
        self.timecode.setText(self.sequence.fps.timecode(frame))
        if frame != self.shown_frame:
            self._server.want(frame, self._generation)
            self._request.emit(frame, self._generation)

    def _on_frame(self, frame: int, generation: int, image: QImage) -> None:
        if generation != self._generation:
            return  # drawn from the sequence as it was before an edit
        self.shown_frame = frame
        self.view.image = image
        self.view.update()

    def shutdown(self) -> None:
        self.pause()
        self._thread.quit()
        self._thread.wait(3000)
        self._server.set_source(None)
