"""The jobs panel: every generation job with its state, a progress bar and a cancel button."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
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


class JobRow(QFrame):
    cancel_requested = Signal(str)

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
        bottom = QHBoxLayout()
        bottom.addWidget(self.progress, 1)
        bottom.addWidget(self.cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(self.name)
        layout.addWidget(self.state)
        layout.addLayout(bottom)

    def set_progress(self, step: int, total: int, elapsed: float) -> None:
        self.state.setText(f"step {step}/{total} · {elapsed:.1f}s")
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(step)

    def finish(self, state: str, tooltip: str = "") -> None:
        self.state.setText(state)
        self.state.setToolTip(tooltip)
        self.cancel.setEnabled(False)
        if state == "done":
            self.progress.setValue(self.progress.maximum())


class JobsPanel(QScrollArea):
    cancel_requested = Signal(str)

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
        self.rows[job_id] = row
        self._empty.hide()
        self._layout.insertWidget(0, row)
        return row
