"""The jobs panel: every generation job with its preview, state, progress, elapsed and remaining time,
and Cancel (running or queued) or Retry (failed or cancelled)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

PREVIEW_HEIGHT = 54


class JobRow(QFrame):
    cancel_requested = Signal(str)
    retry_requested = Signal(str)

    def __init__(self, job_id: str, name: str) -> None:
        super().__init__()
        self.job_id = job_id
        self.setObjectName("jobRow")
        self.name = QLabel(name)
        self.name.setToolTip(name)
        self.name.setMinimumWidth(40)  # long prompts are cut, not the panel widened
        self.state = QLabel("queued")
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
        self.play_so_far = QPushButton("Play so far")
        self.play_so_far.setToolTip("A long shot: open the windows made so far in the system's video player")
        self.play_so_far.clicked.connect(self._play_so_far)
        self.play_so_far.hide()
        self.partial: str | None = None
        self.window = ""  # "window 2/6 · " while a long shot is made
        self.preview = QLabel()  # the latest picture from the latents, then the take's
        self.preview.setFixedSize(PREVIEW_HEIGHT * 16 // 9, PREVIEW_HEIGHT)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setObjectName("jobPreview")
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.play_so_far)
        bottom.addWidget(self.cancel)
        bottom.addWidget(self.retry)
        text = QVBoxLayout()
        text.addWidget(self.name)
        text.addWidget(self.state)
        text.addLayout(bottom)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.preview)
        layout.addLayout(text, 1)

    def set_progress(self, step: int, total: int, elapsed: float) -> None:
        left = f" · about {elapsed / step * (total - step):.0f}s left" if 0 < step < total else ""
        self.state.setText(f"{self.window}step {step}/{total} · {elapsed:.1f}s{left}")
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(step)

    def set_partial(self, output: str, frames: int, window: int, windows: int) -> None:
        """A long shot finished a window: its take so far can be played."""
        self.partial = output
        self.window = f"window {min(window + 1, windows)}/{windows} · "
        self.state.setText(f"{window} of {windows} windows made ({frames} frames)")
        self.play_so_far.setVisible(window < windows)

    def _play_so_far(self) -> None:
        if self.partial:
            QDesktopServices.openUrl(QUrl.fromLocalFile(self.partial))

    def set_preview(self, png: bytes) -> None:
        pixmap = QPixmap()
        if pixmap.loadFromData(png):
            self.preview.setPixmap(pixmap.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                                 Qt.TransformationMode.SmoothTransformation))

    def finish(self, state: str, tooltip: str = "") -> None:
        self.state.setText(state)
        self.state.setToolTip(tooltip)
        self.cancel.setEnabled(False)
        self.cancel.setVisible(state == "done")
        self.play_so_far.hide()
        self.retry.setVisible(state in ("failed", "cancelled"))
        if state == "done":
            self.progress.setValue(self.progress.maximum())


class JobsPanel(QScrollArea):
    cancel_requested = Signal(str)
    retry_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: dict[str, JobRow] = {}
        self.setWidgetResizable(True)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setMinimumWidth(260)
        inner = QWidget()
        self._layout = QVBoxLayout(inner)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._empty = QLabel("No jobs yet. Write a prompt and press Generate.")
        self._empty.setObjectName("hint")
        self._layout.addWidget(self._empty)
        self._layout.addStretch(1)
        self.setWidget(inner)

    def add(self, job_id: str, name: str) -> JobRow:
        row = JobRow(job_id, name)
        row.cancel_requested.connect(self.cancel_requested)
        row.retry_requested.connect(self.retry_requested)
        self.rows[job_id] = row
        self._empty.hide()
        self._layout.insertWidget(0, row)
        return row
