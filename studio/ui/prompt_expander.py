"""The prompt panel's Expand: a local text model rewrites the prompt, in a child process of its own,
whose end a task on the Qt loop awaits (ui/aio.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from PySide6.QtCore import QProcess, QProcessEnvironment
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from ..engine.child import engine_child
from . import aio


class PromptExpander(QWidget):
    """Expand: the local text model rewrites the prompt into a detailed one, in its own process
    (`python -m studio.engine.runtime.expand`), into an editable box whose text the recipe keeps."""

    def __init__(self, prompt: QPlainTextEdit, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._prompt = prompt
        self._folder: Path | None = None
        self._process: QProcess | None = None
        self.button = QPushButton("Expand")
        self.button.setToolTip("Have the local text model rewrite the prompt into a detailed shot description")
        self.button.clicked.connect(self.start)
        self.status = QLabel("")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText(
            "Expanded prompt: what the model is given instead of the prompt above "
            "(editable; clear it to use the prompt as written)"
        )
        self.text.setMaximumHeight(90)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.button)
        row.addWidget(self.status, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.text)
        self._expanded_from = ""
        prompt.textChanged.connect(self._prompt_changed)
        self.set_model(None)

    def _prompt_changed(self) -> None:
        if self.value() and self._expanded_from and self._prompt.toPlainText().strip() != self._expanded_from:
            self.status.setText("The prompt changed after it was expanded: Expand again, or edit the expansion.")

    def set_model(self, folder: Path | None) -> None:
        """The expander's text model folder, or None when none is installed."""
        self._folder = folder
        self.button.setEnabled(folder is not None and self._process is None)
        self.status.setText("" if folder else "No prompt expander installed: README → Prompt expansion")

    def running(self) -> bool:
        return self._process is not None

    def start(self) -> None:
        prompt = self._prompt.toPlainText().strip()
        if self._folder is None or self._process is not None:
            return
        if not prompt:
            self.status.setText("Write a few words first, then expand them.")
            return
        try:
            child = engine_child("studio.engine.runtime.expand", str(self._folder.absolute()))
        except OSError as exc:  # its folder cannot be made, or is another user's
            self.status.setText(f"The expander cannot start: {exc}")
            return
        process = QProcess(self)
        environment = QProcessEnvironment()
        for key, value in child.env.items():
            environment.insert(key, value)
        process.setProcessEnvironment(environment)
        process.setWorkingDirectory(child.cwd)
        ended = aio.process_ended(process)
        self._process = process
        self.button.setEnabled(False)
        self.status.setText("Expanding…")
        self._expanded_from = prompt
        process.start(child.program, child.args)
        process.write(prompt.encode())
        process.closeWriteChannel()
        aio.spawn(self, self._answer(process, ended), name="expand")

    async def _answer(self, process: QProcess, ended: asyncio.Future[None]) -> None:
        await ended
        self._process = None
        if process.error() == QProcess.ProcessError.FailedToStart:  # Qt says no finished then: said here
            process.deleteLater()
            self.button.setEnabled(self._folder is not None)
            self.status.setText(f"The expander cannot start: {process.errorString()}")
            return
        output = bytes(process.readAllStandardOutput()).decode(errors="replace").strip().splitlines()
        process.deleteLater()
        self.button.setEnabled(self._folder is not None)
        try:
            answer = json.loads(output[-1]) if output else {}
        except json.JSONDecodeError:
            answer = {}
        if "expanded" in answer:
            self.text.setPlainText(answer["expanded"])
            self.status.setText("Expanded: edit it below, or clear it to use your prompt.")
        else:
            self.status.setText(answer.get("error") or "The expander stopped without an answer.")

    def value(self) -> str:
        return self.text.toPlainText().strip()
