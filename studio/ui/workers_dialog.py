"""Generate → Workers…: where jobs run — one worker, every GPU, chosen GPUs, N CPU workers, or a Ray
cluster — chosen, checked (off the Qt thread: joining a cluster takes seconds) and put to use."""

from __future__ import annotations

import logging

from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from ..core.errors import StudioError
from ..engine.workers import MAX_LOCAL_WORKERS, choose_workers
from . import aio

log = logging.getLogger(__name__)


def describe(choice: dict[str, str]) -> str:
    """The choice in a few words, for the status bar."""
    if "cluster" in choice:
        return f"the Ray cluster at {choice['cluster']}"
    if choice.get("gpus") == "all":
        return "every GPU, a worker each"
    if "gpus" in choice:
        return f"GPUs {choice['gpus']}, a worker each"
    if "workers" in choice:
        return f"{choice['workers']} workers on the CPU"
    return "one worker"


class WorkersDialog(QDialog):
    def __init__(self, choice: dict[str, str], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Workers")
        self.one = QRadioButton("One worker (the first GPU, or the CPU)")
        self.every = QRadioButton("Every GPU of this computer, a worker each")
        self.some = QRadioButton("These GPUs:")
        self.gpus = QLineEdit(choice.get("gpus", "") if choice.get("gpus") != "all" else "")
        self.gpus.setPlaceholderText("0,2")
        self.cpu = QRadioButton("Workers on the CPU:")
        self.cpu_count = QSpinBox(minimum=1, maximum=MAX_LOCAL_WORKERS, value=int(choice.get("workers", "2") or 2))
        self.cluster = QRadioButton("A Ray cluster:")
        self.address = QLineEdit(choice.get("cluster", ""))
        self.address.setPlaceholderText("ray://HEAD:10001, or auto on a node of the cluster")
        group = QButtonGroup(self)
        for button in (self.one, self.every, self.some, self.cpu, self.cluster):
            group.addButton(button)
        if "cluster" in choice:
            self.cluster.setChecked(True)
        elif choice.get("gpus") == "all":
            self.every.setChecked(True)
        elif "gpus" in choice:
            self.some.setChecked(True)
        elif "workers" in choice:
            self.cpu.setChecked(True)
        else:
            self.one.setChecked(True)
        grid = QGridLayout()
        grid.addWidget(self.one, 0, 0, 1, 2)
        grid.addWidget(self.every, 1, 0, 1, 2)
        grid.addWidget(self.some, 2, 0)
        grid.addWidget(self.gpus, 2, 1)
        grid.addWidget(self.cpu, 3, 0)
        grid.addWidget(self.cpu_count, 3, 1)
        grid.addWidget(self.cluster, 4, 0)
        grid.addWidget(self.address, 4, 1)
        note = QLabel(
            "Jobs run side by side, one per worker; a job goes to the worker that already holds its model. "
            "A cluster needs the studio's cluster extra and the same project and models folders on every "
            "node (README: More GPUs and render farms). The change applies when no job is running."
        )
        note.setObjectName("hint")
        note.setWordWrap(True)
        self.error = QLabel("")
        self.error.setObjectName("error")
        self.error.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self._check)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def choice(self) -> dict[str, str]:
        if self.every.isChecked():
            return {"gpus": "all"}
        if self.some.isChecked():
            return {"gpus": self.gpus.text().strip()}
        if self.cpu.isChecked():
            return {"workers": str(self.cpu_count.value())}
        if self.cluster.isChecked():
            return {"cluster": self.address.text().strip()}
        return {}

    def _check(self) -> None:
        """Refuse what cannot work before closing (a cluster is joined later, off this thread)."""
        choice = self.choice()
        if "cluster" in choice and not choice["cluster"]:
            self.error.setText("Give the cluster's address, e.g. ray://HEAD:10001.")
            return
        if "cluster" not in choice:
            try:
                slots(choice)
            except StudioError as exc:
                self.error.setText(f"{exc}.")
                return
        self.accept()


def slots(choice: dict[str, str]):
    """choose_workers for a saved choice (the cluster joined here: call it off the Qt thread)."""
    workers = int(choice["workers"]) if "workers" in choice else None
    return choose_workers(choice.get("gpus"), workers, choice.get("cluster"))


async def apply(service, choice: dict[str, str], say) -> bool:
    """Put a choice to use on service (joining a cluster on a thread of its own); say(text) tells how it went."""
    work = aio.ThreadWork(lambda report: slots(choice), name="workers")
    try:
        chosen, launcher = await work.result()
    except StudioError as exc:
        say(f"Jobs stay on the workers they had: {exc}")
        return False
    except Exception as exc:  # a cluster library's own failure: say it, keep working locally
        log.exception("the workers could not be set up")
        say(f"Jobs stay on the workers they had: {exc}")
        return False
    if not service.use_workers(chosen, launcher):
        say("A job is running: the new workers apply once the queue is empty. Choose them again then.")
        return False
    say(f"Jobs now run on {describe(choice)}.")
    return True
