"""The window a first start shows: "Setting up Studio", what it is downloading and how much is left, a
progress bar and Cancel; on failure the reason in one sentence, Try again (which resumes: uv's cache keeps
what was downloaded) and where the log is. The work runs in a thread and reports through a queued Qt
signal, so the window never waits. Also: the "Repair installation" offer when the editor cannot start.

Under QT_QPA_PLATFORM=offscreen nobody can press a button, so a failure closes the window (the reason goes
to stderr) instead of waiting for Try again.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
)

from . import LauncherError
from .icon import draw_icon
from .provision import Provisioner, Report
from .uv_runner import Cancelled

Work = Callable[[Provisioner], Any]


@dataclass(frozen=True)
class Outcome:
    ok: bool
    result: Any = None
    message: str = ""  # the failure's reason, or what the work said it did


def application() -> QApplication:
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        app = QApplication(sys.argv[:1])
        app.setApplicationName("Studio")
        app.setWindowIcon(QIcon(QPixmap.fromImage(draw_icon(64))))
    return app


def unattended() -> bool:
    return os.environ.get("QT_QPA_PLATFORM") == "offscreen"


class _Bridge(QObject):
    reported = Signal(object)
    finished = Signal(object)


class SetupWindow(QDialog):
    """Runs work(provisioner) in a thread with its progress shown; outcome holds how it ended."""

    def __init__(self, make_provisioner: Callable[[Callable[[Report], None]], Provisioner], work: Work, title: str):
        super().__init__()
        self.make_provisioner, self.work = make_provisioner, work
        self.outcome = Outcome(False, message="closed before it finished")
        self.provisioner: Provisioner | None = None
        self.setWindowTitle(title)
        self.setMinimumWidth(560)
        self.heading = QLabel(title)
        self.heading.setStyleSheet("font-size: 16pt; font-weight: 600;")
        self.step = QLabel("Starting…")
        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 1000)
        self.log = QLabel("")
        self.log.setWordWrap(True)
        self.log.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.log.hide()
        self.cancel_button = QPushButton("Cancel")
        self.retry_button = QPushButton("Try again")
        self.close_button = QPushButton("Close")
        self.retry_button.hide()
        self.close_button.hide()
        buttons = QHBoxLayout()
        buttons.addStretch()
        for button in (self.retry_button, self.close_button, self.cancel_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        for widget in (self.heading, self.step, self.bar, self.detail, self.log):
            layout.addWidget(widget)
        layout.addLayout(buttons)
        self.bridge = _Bridge()
        self.bridge.reported.connect(self._show_report)
        self.bridge.finished.connect(self._finished)
        self.cancel_button.clicked.connect(self._cancel)
        self.retry_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.reject)

    def start(self) -> None:
        self.retry_button.hide()
        self.close_button.hide()
        self.log.hide()
        self.cancel_button.show()
        self.cancel_button.setEnabled(True)
        self.detail.setText("")
        try:
            self.provisioner = self.make_provisioner(self.bridge.reported.emit)
        except LauncherError as exc:
            self._finished(Outcome(False, message=str(exc)))
            return
        provisioner = self.provisioner

        def run() -> None:
            try:
                result = self.work(provisioner)
                self.bridge.finished.emit(Outcome(True, result, result if isinstance(result, str) else ""))
            except Cancelled:
                self.bridge.finished.emit(Outcome(False, message="cancelled"))
            except LauncherError as exc:
                self.bridge.finished.emit(Outcome(False, message=str(exc)))
            except Exception as exc:  # a bug of ours: said, not a bare traceback; the log has the rest
                self.bridge.finished.emit(Outcome(False, message=f"Setting up stopped unexpectedly: {exc!r}"))

        threading.Thread(target=run, name="studio-setup", daemon=True).start()

    def _show_report(self, report: Report) -> None:
        self.step.setText(
            f"{report.title} (step {report.step} of {report.steps})" if report.steps > 1 else report.title
        )
        self.detail.setText(report.detail)
        self.bar.setValue(int(report.fraction * 1000))

    def _cancel(self) -> None:
        self.cancel_button.setEnabled(False)
        self.step.setText("Stopping…")
        if self.provisioner is not None:
            self.provisioner.cancel()

    def _finished(self, outcome: Outcome) -> None:
        self.outcome = outcome
        if outcome.ok:
            if outcome.message:  # a repair's result: the person reads it, then closes
                self.step.setText("Done")
                self.detail.setText(outcome.message)
                self.bar.setValue(1000)
                self.cancel_button.hide()
                self.close_button.show()
                if unattended():
                    self.accept()
                return
            self.accept()
            return
        if outcome.message == "cancelled":
            self.reject()
            return
        print(outcome.message, file=sys.stderr)
        self.step.setText("Setting up did not finish")
        self.detail.setText(outcome.message)
        if self.provisioner is not None:
            self.log.setText(f"The details are in {self.provisioner.log_path}")
            self.log.show()
        self.cancel_button.hide()
        self.retry_button.show()
        self.close_button.show()
        if unattended():
            self.reject()

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self.provisioner is not None and self.cancel_button.isVisible():
            self.provisioner.cancel()  # closing the window mid-way is Cancel
        super().closeEvent(event)


def run_with_window(
    make_provisioner: Callable[[Callable[[Report], None]], Provisioner], work: Work, title: str
) -> Outcome:
    application()
    window = SetupWindow(make_provisioner, work, title)
    window.show()
    window.start()
    window.exec()
    return window.outcome


def run_in_terminal(make_provisioner: Callable[[Callable[[Report], None]], Provisioner], work: Work) -> Outcome:
    """The same work with its progress as lines on stdout (--no-window, --cli)."""
    last = [""]

    def say(report: Report) -> None:
        line = f"[{report.step}/{report.steps}] {report.title}: {report.detail}" if report.steps > 1 else report.detail
        if line != last[0]:
            print(line, flush=True)
            last[0] = line

    try:
        result = work(make_provisioner(say))
        return Outcome(True, result, result if isinstance(result, str) else "")
    except LauncherError as exc:
        return Outcome(False, message=str(exc))


def offer_repair(reason: str, log: str) -> bool:
    """Ask whether to repair the installation after the editor failed to start; True for Repair."""
    if unattended():
        return False
    application()
    box = QMessageBox(QMessageBox.Icon.Warning, "Studio could not start", f"Studio stopped while starting: {reason}")
    box.setInformativeText(
        f"Repair installation checks every installed file and reinstalls what is damaged.\nLog: {log}"
    )
    repair = box.addButton("Repair installation", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Close)
    box.exec()
    return box.clickedButton() is repair


def tell(title: str, text: str) -> None:
    """A message for someone who started the launcher without a terminal (uninstall, errors)."""
    print(text)
    if unattended():
        return
    application()
    QMessageBox.information(None, title, text)
