"""Export the sequence to a video file, with progress and cancel. The render runs on a thread
over a snapshot of the project, so editing can go on while it runs."""

from __future__ import annotations

import copy
import threading
import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ..core.project import Project
from ..media import export


class ExportDialog(QDialog):
    _progressed = Signal(int, int)
    _finished = Signal(str, str)  # state ("done", "cancelled", "failed"), message

    def __init__(self, project: Project, default_path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export")
        self.setMinimumWidth(520)
        self.project = project
        self.state = "idle"
        self.message = ""
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

        seq = project.sequence
        self.path = QLineEdit(str(default_path))
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        self.summary = QLabel(
            f"H.264 MP4 · {seq.width}×{seq.height} · {seq.fps} fps · {seq.duration} frames "
            f"({seq.fps.timecode(seq.duration)})"
        )
        self.progress = QProgressBar()
        self.progress.setRange(0, max(1, seq.duration))
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.export_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self._cancel_or_close)

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Output file"))
        layout.addLayout(row)
        layout.addWidget(self.summary)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self._progressed.connect(self._on_progress)
        self._finished.connect(self._on_finished)

    def _browse(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), "MP4 video (*.mp4)")
        if path:
            self.path.setText(path if path.lower().endswith(".mp4") else path + ".mp4")

    def start(self) -> None:
        out = Path(self.path.text()).expanduser()
        if out.suffix.lower() != ".mp4":
            self.status.setText("Choose a file name ending in .mp4")
            return
        snapshot = copy.deepcopy(self.project)
        self.state = "running"
        self.export_button.setEnabled(False)
        self._cancel.clear()
        self._started = time.monotonic()
        self.status.setText("Exporting…")
        self._thread = threading.Thread(target=self._run, args=(snapshot, out), name="export", daemon=True)
        self._thread.start()

    def _run(self, project: Project, out: Path) -> None:
        try:
            export.export_sequence(project, project.sequence, out, progress=self._progressed.emit,
                                   cancel=self._cancel)
        except export.ExportCancelled:
            self._finished.emit("cancelled", "Export cancelled; no file was written.")
        except Exception as exc:  # reported in the dialog; the editor carries on
            self._finished.emit("failed", f"Export failed: {exc}")
        else:
            self._finished.emit("done", f"Exported {out}")

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        elapsed = time.monotonic() - self._started
        if done:
            remaining = elapsed / done * (total - done)
            self.status.setText(f"Frame {done} of {total} · about {remaining:.0f}s left")

    def _on_finished(self, state: str, message: str) -> None:
        self.state, self.message = state, message
        self.status.setText(message)
        self.export_button.setEnabled(True)
        self.close_button.setText("Close")

    def _cancel_or_close(self) -> None:
        if self.state == "running":
            self._cancel.set()
        else:
            self.reject()

    def wait(self, timeout: float = 60) -> None:
        """For tests and shutdown: wait for a running export to end."""
        if self._thread is not None:
            self._thread.join(timeout)
