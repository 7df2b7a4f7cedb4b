"""The jobs panel: every generation job with its thumbnail (an input still, then the latest preview,
then a frame of the finished take),
state, progress, elapsed and remaining time, and the time a finished one took; Cancel (running or
queued), Run next / Run last (queued), Retry (failed or cancelled) or Resume (interrupted by a
restart); Resume All and Clear Finished; over several jobs, how many are done. Rows fit the dock: long
titles end in "…", whole in the tooltip."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ..core.timebase import duration_text
from .desktop import open_with_system
from .thumbnail_loader import ThumbnailLoader

PREVIEW_HEIGHT = 54


class ElidedLabel(QLabel):
    """One line of text that ends in "…" where the label is too narrow for it, instead of being cut
    off; text() is the whole text, shown_text() what is drawn."""

    def __init__(self, text: str = "") -> None:
        super().__init__()
        self._text = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._text = text
        self._elide()

    def text(self) -> str:
        return self._text

    def shown_text(self) -> str:
        return super().text()

    def sizeHint(self) -> QSize:
        return QSize(self.fontMetrics().horizontalAdvance(self._text) + 2, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        return QSize(0, super().minimumSizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        super().setText(self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, self.width()))


class JobRow(QFrame):
    cancel_requested = Signal(str)
    retry_requested = Signal(str)
    move_requested = Signal(str, int)  # job id, 0 (run next) or -1 (run last)

    def __init__(self, job_id: str, name: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.setObjectName("jobRow")
        self.name = ElidedLabel(name)  # a long prompt ends in "…", not the panel widened
        self.name.setToolTip(name)
        self.state = ElidedLabel("queued")
        self.state.setObjectName("hint")
        self.progress = QProgressBar()
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.progress.setTextVisible(True)
        self.cancel = QPushButton("Cancel")
        self.cancel.setToolTip("Stop this job (the others carry on)")
        self.cancel.clicked.connect(lambda: self.cancel_requested.emit(self.job_id))
        self.retry = QPushButton("Retry")
        self.retry.setToolTip("Run this job again with the same recipe")
        self.retry.clicked.connect(lambda: self.retry_requested.emit(self.job_id))
        self.retry.hide()
        self.run_next = QPushButton("⤒")
        self.run_next.setFixedWidth(30)
        self.run_next.setToolTip("Run next: move this job to the front of the queue")
        self.run_next.clicked.connect(lambda: self.move_requested.emit(self.job_id, 0))
        self.run_last = QPushButton("⤓")
        self.run_last.setFixedWidth(30)
        self.run_last.setToolTip("Run last: move this job to the back of the queue")
        self.run_last.clicked.connect(lambda: self.move_requested.emit(self.job_id, -1))
        self.play_so_far = QPushButton("Play so far")
        self.play_so_far.setToolTip("A long shot: open the windows made so far in the system's video player")
        self.play_so_far.clicked.connect(self._play_so_far)
        self.play_so_far.hide()
        self.partial: str | None = None
        self.outcome: str | None = None  # done, failed, cancelled or interrupted, once finished
        self.window = ""  # "window 2/6 · " while a long shot is made
        self.made = (0, 0)  # a long shot: the windows its take so far holds, of all
        self.where = ""  # "GPU 1 · " when the pool has several workers
        self.preview = QLabel()  # the latest picture from the latents, then the take's
        self.preview.setFixedSize(PREVIEW_HEIGHT * 16 // 9, PREVIEW_HEIGHT)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setObjectName("jobPreview")
        # Buttons on a line of their own, under the progress bar, so the row fits a narrow dock.
        buttons = QHBoxLayout()
        buttons.addWidget(self.play_so_far)
        buttons.addWidget(self.run_next)
        buttons.addWidget(self.run_last)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.retry)
        text = QVBoxLayout()
        text.addWidget(self.name)
        text.addWidget(self.state)
        text.addWidget(self.progress)
        text.addLayout(buttons)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.preview)
        layout.addLayout(text, 1)

    @property
    def finished(self) -> bool:
        return not self.cancel.isEnabled()

    def set_queued(self, queued: bool) -> None:
        """Run next / Run last go with a job that waits in the queue."""
        self.run_next.setVisible(queued)
        self.run_last.setVisible(queued)

    def set_thumbnail(self, image_file: str) -> None:
        """A still that stands for the job until it has a preview (its input image, or a saved preview)."""
        pixmap = QPixmap(image_file)
        if not pixmap.isNull():
            self._show(pixmap)

    def set_progress(self, step: int, total: int, elapsed: float) -> None:
        left = f" · about {elapsed / step * (total - step):.0f}s left" if 0 < step < total else ""
        self.state.setText(f"{self.where}{self.window}step {step}/{total} · {elapsed:.1f}s{left}")
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(step)

    def set_partial(self, output: str, frames: int, window: int, windows: int) -> None:
        """A long shot finished a window: its take so far can be played."""
        self.partial = output
        self.made = (window, windows)
        self.window = f"window {min(window + 1, windows)}/{windows} · "
        self.state.setText(f"{window} of {windows} windows made ({frames} frames)")
        self.play_so_far.setVisible(window < windows)

    def _play_so_far(self) -> None:
        if self.partial:
            failed = open_with_system(self.partial)
            if failed:
                self.state.setText(failed)

    def set_preview(self, png: bytes) -> None:
        pixmap = QPixmap()
        if pixmap.loadFromData(png):
            self._show(pixmap)

    def set_picture(self, image: QImage) -> None:
        self._show(QPixmap.fromImage(image))

    def _show(self, pixmap: QPixmap) -> None:
        self.preview.setPixmap(
            pixmap.scaled(
                self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )

    def started(self, worker: str = "") -> None:
        """The job left the queue, for `worker` (named when there are several: "GPU 1"); a failed or
        cancelled one then says how long it ran."""
        self._started_at = time.monotonic()
        self.where = f"{worker} · " if worker and worker != "worker" else ""
        self.set_queued(False)

    def finish(self, state: str, tooltip: str = "", elapsed: float | None = None) -> None:
        """done, failed, cancelled, or interrupted (queued or running when the studio stopped); the bar
        of a job that ran says how long it took ("done in 1 m 12 s", "failed after 8 s")."""
        self.outcome = state
        text = state
        self.state.setToolTip(tooltip)
        finished, of = self.made
        if state in ("failed", "cancelled", "interrupted") and 0 < finished < of:  # its take so far is kept
            text += f" · {finished} of {of} windows made"
            again = "Resume" if state == "interrupted" else "Retry"
            self.state.setToolTip(f"{tooltip}\n{again} goes on from the {finished} windows made".strip())
        if state == "failed" and tooltip:  # why, in sight (elided; whole in the tooltip): not only on hover
            text += f": {tooltip}"
        self.state.setText(text)
        started = getattr(self, "_started_at", None)
        if elapsed is None and started is not None and state in ("failed", "cancelled"):
            elapsed = time.monotonic() - started
        if elapsed is not None:
            took = (
                f"{state} in {duration_text(elapsed)}" if state == "done" else f"{state} after {duration_text(elapsed)}"
            )
            self.progress.setFormat(took)
            self.progress.setToolTip(f"{self.name.text()}: {took}")
        if state == "done" and elapsed is not None:
            self.state.hide()  # the bar says it
        self.cancel.setEnabled(False)
        self.cancel.hide()
        self.play_so_far.hide()
        self.set_queued(False)
        self.retry.setText("Resume" if state == "interrupted" else "Retry")
        self.retry.setVisible(state in ("failed", "cancelled", "interrupted"))
        if state == "done":
            self.progress.setValue(self.progress.maximum())


class JobsPanel(QScrollArea):
    added = Signal(str)  # a job's row was added (a job was queued, or restored from the last session)
    cancel_requested = Signal(str)
    retry_requested = Signal(str)
    move_requested = Signal(str, int)
    resume_all_requested = Signal()
    clear_requested = Signal()  # forget the finished jobs

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, JobRow] = {}
        # A finished job's row shows its take's middle frame: the last preview is only the latents'
        # rough picture (a noisy one in the first steps of a fast model). Decoded off the Qt thread, by
        # a loader (a thread) made when the first job finishes, not at start.
        self._thumbnails: ThumbnailLoader | None = None
        self._takes: dict[str, tuple[Path, int]] = {}
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(260)
        inner = QWidget()
        self._layout = QVBoxLayout(inner)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._empty = QLabel("No jobs yet. Write a prompt and press Generate.")
        self._empty.setObjectName("hint")
        self.resume_all = QPushButton("Resume All")
        self.resume_all.setToolTip("Queue again every job the studio was running or about to run when it stopped")
        self.resume_all.clicked.connect(self.resume_all_requested)
        self.clear = QPushButton("Clear Finished")
        self.clear.setToolTip("Remove done, failed and cancelled jobs from the list")
        self.clear.clicked.connect(self.clear_requested)
        self.overall = QLabel()  # a batch's progress: "3 of 12 done"
        self.overall.setObjectName("hint")
        header = QHBoxLayout()
        header.addWidget(self.resume_all)
        header.addWidget(self.overall)
        header.addStretch(1)
        header.addWidget(self.clear)
        self._layout.addLayout(header)
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.setWidget(inner)
        self.update_header()

    def add(self, job_id: str, name: str) -> JobRow:
        """A row for a new job, at the top (the newest first); it waits in the queue."""
        row = JobRow(job_id, name)
        row.cancel_requested.connect(self.cancel_requested)
        row.retry_requested.connect(self.retry_requested)
        row.move_requested.connect(self.move_requested)
        self.rows[job_id] = row
        self._layout.insertWidget(1, row)  # under the header
        self.update_header()
        self.added.emit(job_id)
        return row

    def show_take(self, job_id: str, path: str | Path, frame: int) -> None:
        """The row of a finished job shows this frame of its take once it is decoded."""
        if self._thumbnails is None:
            self._thumbnails = ThumbnailLoader(parent=self)
            self._thumbnails.ready.connect(self._show_takes)
        self._takes[job_id] = (Path(path), frame)
        self._show_takes()

    def _show_takes(self) -> None:
        assert self._thumbnails is not None  # made by show_take before anything is asked of it
        for job_id, (path, frame) in list(self._takes.items()):
            row = self.rows.get(job_id)
            image = self._thumbnails.get(path, frame, PREVIEW_HEIGHT) if row is not None else None
            if row is None or image is not None:
                del self._takes[job_id]
            if row is not None and image is not None:
                row.set_picture(image)

    def show_queue_order(self, waiting: list[str]) -> None:
        """Put the waiting jobs' rows in the order they will run, the last to run on top, under the header."""
        for rank, job_id in enumerate(reversed(waiting)):
            row = self.rows.get(job_id)
            if row is not None:
                self._layout.removeWidget(row)
                self._layout.insertWidget(1 + rank, row)

    def remove(self, job_id: str) -> None:
        row = self.rows.pop(job_id, None)
        if row is not None:
            row.setParent(None)
            row.deleteLater()
        self.update_header()

    def update_header(self) -> None:
        rows = self.rows.values()
        self._empty.setVisible(not self.rows)
        self.resume_all.setVisible(any(r.retry.text() == "Resume" and not r.retry.isHidden() for r in rows))
        self.clear.setVisible(any(r.finished for r in rows))
        outcomes = [r.outcome for r in rows]
        done, failed = outcomes.count("done"), outcomes.count("failed")
        self.overall.setText(
            f"{done} of {len(outcomes)} done" + (f" · {failed} failed" if failed else "") if len(outcomes) > 1 else ""
        )
