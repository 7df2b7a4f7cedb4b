"""The timeline widget: its state, its signals, zoom and scroll, the playhead, and Qt's events
handed on to the modules that deal with them (painting, interaction, drops)."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QWidget

from ..document import Document
from ..thumbnail_loader import ThumbnailLoader, WaveformLoader
from . import drops, interaction, painting
from .geometry import HEADER_WIDTH, MAX_PX_PER_FRAME, MIN_PX_PER_FRAME, RULER_HEIGHT, TRACK_HEIGHT, TimelineGeometry
from .headers import on_toggle
from .interaction import Drag
from .placeholders import Placeholder, placeholder_rect
from .selection import TimelineSelection


class TimelineWidget(TimelineGeometry, TimelineSelection, QWidget):
    """Tracks drawn to scale under a time ruler, with a playhead. Where things are is in
    geometry.py, what is selected in selection.py (both bases of this class)."""

    playhead_moved = Signal(int)
    selection_changed = Signal(object)  # clip id or None
    edit_refused = Signal(str)
    track_rename_requested = Signal(str)  # track id: its name was double-clicked
    gap_selected = Signal(object)  # (track id, start, end) of a clicked gap, or None when it is deselected
    extend_requested = Signal(str, str, int)  # clip id, "left" or "right", frames beyond its media
    animate_requested = Signal(list, int)  # still image paths (first, optional last), timeline frame
    readout = Signal(str)  # while a clip is dragged: how far and how long ("" when the drag ends)

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.px_per_frame = 4.0
        self.scroll_frames = 0.0  # the frame at the left edge of the track area
        self.scroll_y = 0  # pixels the tracks are scrolled up under the ruler (Shift+wheel)
        self.selected_track: str | None = None  # the track whose header was clicked last
        self.playhead = 0
        self.selected: str | None = None  # the clip clicked last (the inspector shows it)
        self.selection: set[str] = set()  # every selected clip; includes `selected`
        self.selected_gap: tuple[str, int, int] | None = None  # (track id, start, end) of a clicked gap
        self.selected_transition: tuple[str, str] | None = None  # (track id, transition id) clicked last
        self.drag: Drag | None = None  # the mouse drag under way (see interaction.py)
        self.readout_text = ""  # the dragged clip's offset and length, drawn by the pointer
        self.placeholders: dict[str, Placeholder] = {}  # job id -> where its shot will land
        self.marks: tuple[int | None, int | None] = (None, None)  # the viewer's in and out points
        self.thumbnails = ThumbnailLoader(parent=self)
        self.thumbnails.cache_dir = document.cache_dir / "thumbnails"
        self.thumbnails.ready.connect(self.update)
        self.waveforms = WaveformLoader(max_images=200, parent=self)
        self.waveforms.cache_dir = document.cache_dir / "waveforms"
        self.waveforms.ready.connect(self.update)
        self.show_thumbnails = True
        self.snapping = True  # drags snap to the playhead, marks and clip edges (View → Snapping)
        self.setMouseTracking(True)
        self.setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(RULER_HEIGHT + 2 * TRACK_HEIGHT + 8)
        self.setToolTip(
            "Click to select (Shift: add) · drag to move · drag an edge to trim (Ctrl: ripple, "
            "Alt: roll) · Alt+drag a clip to slip · Ctrl+wheel to zoom"
        )
        document.changed.connect(self._on_changed)
        document.replaced.connect(self._on_replaced)

    def sizeHint(self) -> QSize:
        return QSize(900, RULER_HEIGHT + len(self.sequence.tracks) * TRACK_HEIGHT + 8)

    # Zoom, scroll, playhead and marks

    def set_zoom(self, px_per_frame: float, anchor_frame: float | None = None) -> None:
        anchor = self.playhead if anchor_frame is None else anchor_frame
        anchor_x = self.frame_to_x(anchor)
        self.px_per_frame = min(MAX_PX_PER_FRAME, max(MIN_PX_PER_FRAME, px_per_frame))
        self.scroll_frames = max(0.0, anchor - (anchor_x - HEADER_WIDTH) / self.px_per_frame)
        self.update()

    def zoom_in(self) -> None:
        self.set_zoom(self.px_per_frame * 1.5)

    def zoom_out(self) -> None:
        self.set_zoom(self.px_per_frame / 1.5)

    def zoom_to_fit(self) -> None:
        duration = max(self.sequence.duration, int(float(self.sequence.fps) * 5))
        self.scroll_frames = 0.0
        self.set_zoom((self.width() - HEADER_WIDTH - 20) / duration, 0)

    def set_playhead(self, frame: int) -> None:
        frame = max(0, int(frame))
        if frame == self.playhead:
            return
        old_x, self.playhead = self.frame_to_x(self.playhead), frame
        new_x = self.frame_to_x(frame)
        # Only the two thin strips where the playhead was and is now need painting.
        self.update(QRect(old_x - 6, 0, 13, self.height()))
        self.update(QRect(new_x - 6, 0, 13, self.height()))
        self.playhead_moved.emit(frame)

    def set_marks(self, mark_in: int | None, mark_out: int | None) -> None:
        self.marks = (mark_in, mark_out)
        self.update(QRect(0, 0, self.width(), RULER_HEIGHT))

    def show_frames(self, track_id: str, start: int, end: int) -> None:
        """Scroll so frames start..end of a track are in view (a shot on its way, or one that landed);
        its start shows first when it is wider than the view. Not in the middle of a drag."""
        if self.drag is not None:
            return
        visible = max(1.0, (self.width() - HEADER_WIDTH) / self.px_per_frame)
        if start < self.scroll_frames or end > self.scroll_frames + visible:
            self.scroll_frames = max(0.0, start - visible / 10)
        index = self.row_of(track_id)
        if index is not None:
            top = RULER_HEIGHT + index * TRACK_HEIGHT - self.scroll_y
            if top < RULER_HEIGHT or top + TRACK_HEIGHT > self.height():
                self.scroll_y = max(0, min(self._max_scroll_y(), index * TRACK_HEIGHT))
        self.update()

    # Placeholders: shots being generated (drawn by placeholders.py)

    def add_placeholder(self, job_id: str, placeholder: Placeholder) -> None:
        self.placeholders[job_id] = placeholder
        self.update()

    def update_placeholder(self, job_id: str, progress: float, state: str) -> None:
        placeholder = self.placeholders.get(job_id)
        if placeholder is None:
            return
        placeholder.progress, placeholder.state = progress, state
        self._update_placeholder_area(placeholder)

    def set_placeholder_preview(self, job_id: str, image: QImage) -> None:
        placeholder = self.placeholders.get(job_id)
        if placeholder is None:
            return
        placeholder.preview = image
        self._update_placeholder_area(placeholder)

    def _update_placeholder_area(self, placeholder: Placeholder) -> None:
        rect = placeholder_rect(self, placeholder)
        if rect is not None:
            self.update(rect.adjusted(-2, -2, 2, 2))  # only the placeholder needs repainting

    def remove_placeholder(self, job_id: str) -> Placeholder | None:
        placeholder = self.placeholders.pop(job_id, None)
        self.update()
        return placeholder

    # Model changes

    def _on_changed(self) -> None:
        self.scroll_y = min(self.scroll_y, self._max_scroll_y())
        self._prune_selection()
        self.updateGeometry()
        self.update()

    def _on_replaced(self) -> None:
        self.thumbnails.cache_dir = self.document.cache_dir / "thumbnails"
        self.waveforms.cache_dir = self.document.cache_dir / "waveforms"
        self._clear_selection_state()
        self.scroll_y = 0
        self.playhead = 0
        self.scroll_frames = 0
        self._on_changed()
        self.playhead_moved.emit(0)

    # Qt events

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painting.paint(self, painter, event.rect())

    def mousePressEvent(self, event: QMouseEvent) -> None:
        interaction.press(self, event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        interaction.move(self, event.position().toPoint())

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        interaction.release(self)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """A double-click on a track's name (not its toggles) asks to rename the track."""
        pos = event.position().toPoint()
        index = self.track_at(pos.y())
        if pos.x() < HEADER_WIDTH and index is not None and not on_toggle(self, index, pos):
            self.track_rename_requested.emit(self.rows()[index].id)
            return
        super().mouseDoubleClickEvent(event)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if drops.accepts(event.mimeData()):
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if drops.accepts(event.mimeData()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        drops.drop(self, event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        """Ctrl: zoom about the pointer; Shift: up and down the tracks; else along the timeline."""
        steps = event.angleDelta().y() / 120
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            anchor = self.x_to_frame(event.position().x())
            self.set_zoom(self.px_per_frame * (1.25**steps), anchor)
        elif event.modifiers() & Qt.KeyboardModifier.ShiftModifier:
            self.scroll_y = max(0, min(self._max_scroll_y(), self.scroll_y - round(steps * TRACK_HEIGHT / 2)))
            self.update()
        else:
            self.scroll_frames = max(0.0, self.scroll_frames - steps * 60 / self.px_per_frame)
            self.update()
        event.accept()
