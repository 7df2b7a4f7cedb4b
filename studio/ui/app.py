"""Starts the desktop studio: Qt with asyncio on its event loop (qasync), the engine service,
and the main window. This process never imports torch; generation runs in worker processes."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.logs import start_logging
from ..core.presets import RESOURCES
from ..engine.service import EngineService
from .main_window import MainWindow

log = logging.getLogger(__name__)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv if argv is None else argv
    try:
        start_logging("editor")
        log.info("the editor starts (python %s)", sys.version.split()[0])
    except OSError:  # a logs folder not ours: the editor works without its log (the engine says why)
        pass
    app = QApplication.instance() or QApplication(argv)
    app.setApplicationName("Studio")
    app.setOrganizationName("Studio")
    app.setStyleSheet((RESOURCES / "style.qss").read_text(encoding="utf-8"))
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)  # the one loop: ui/aio.py's tasks run on it once it runs, below

    service = EngineService()
    window = MainWindow(service)

    def open_at_start() -> None:
        """What the command line names, then work left by a studio that stopped without closing; with
        neither, the project open last time. Each may ask a question: asked once the loop runs, because a
        dialog's own loop before it ran stepped the editor's tasks with no running loop, which killed the
        job events (no job ever finished)."""
        if len(argv) > 1:  # a project folder, or a timeline (the launcher opens .otio files here) as a new project
            if Path(argv[1]).suffix.lower() in (".otio", ".otioz"):
                window.files.import_timeline(argv[1])
            else:
                window.files.open_project(argv[1])
            window.autosaver.recover_previous_session()
        elif not window.autosaver.recover_previous_session():
            window.files.reopen_at_start(window.recent.last())

    window.show()
    QTimer.singleShot(0, open_at_start)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    try:
        with loop:
            loop.run_until_complete(closed.wait())
    except Exception as exc:  # last resort: tell the person, never a bare traceback
        log.exception("the editor stopped")
        QMessageBox.critical(None, "Studio stopped", str(exc))
        raise
    finally:
        service.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
