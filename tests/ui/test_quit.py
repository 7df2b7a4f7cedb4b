"""Quitting is quiet: a fresh studio process (studio.ui.app.main, as `python main.py PROJECT` runs it)
that opens a project with a job in its queue, exports it, shows the shortcuts, cuts a clip and quits
without saving (Ctrl+Q, Discard) prints no traceback and no Qt warning."""

from __future__ import annotations

import os
import stat
import textwrap

import numpy as np

from studio.core import store
from studio.core.jobfile import SavedJob, save_jobs
from studio.core.project import Clip, MediaItem, Project
from studio.core.recipe import Mode, Recipe
from studio.media.takes import write_frames
from tests.conftest import editor_session

# What the test platform itself says (the offscreen plugin cannot size windows to their hints): not ours.
PLATFORM_NOISE = ("This plugin does not support propagateSizeHints()",)

SESSION = textwrap.dedent("""
    import sys
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMessageBox
    from studio.ui import main_window
    from studio.ui.app import main

    shown = main_window.MainWindow.show

    def discard():  # the person answers the unsaved-changes question with Discard
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, discard)
            return
        box.button(QMessageBox.StandardButton.Discard).click()

    def show(window):  # once the window is up: export, show the shortcuts, cut a clip, then quit
        shown(window)

        def work():
            window.activateWindow()
            window.timeline.set_playhead(3)
            window.timeline.setFocus()
            QTest.keyClick(window.timeline, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
            assert window.document.is_modified(), "the cut was not made"
            window.files.export()
            dialog = window.files.export_dialog
            dialog.path.setText(sys.argv[2])
            dialog.export_button.click()
            dialog.wait()
            window.show_shortcuts()
            QTimer.singleShot(100, discard)
            window.close()  # File > Quit

        QTimer.singleShot(300, work)

    main_window.MainWindow.show = show
    sys.exit(main(sys.argv[:2]))
""")


def test_opening_exporting_editing_and_quitting_prints_nothing(tmp_path):
    project = Project.new("Quiet")
    folder = store.save(project, tmp_path / "Quiet.studio")
    write_frames(folder / "media" / "c.mkv", np.full((6, 32, 48, 3), 70, np.uint8), 24)
    project.media["c"] = MediaItem(id="c", path="media/c.mkv", frames=6, width=48, height=32, name="c")
    project.sequence.width, project.sequence.height = 48, 32
    project.sequence.tracks[0].clips = [Clip("k", "c", 0, 0, 6)]
    store.save(project)
    recipe = Recipe(Mode.TEXT_TO_VIDEO, "tiny-ltx", "a kite", frames=9, width=64, height=64)
    save_jobs(
        folder,
        [
            SavedJob(
                "j1",
                "a kite",
                recipe,
                "media/j1.mkv",
                "queued",
                placeholder={"track_id": project.sequence.tracks[0].id, "start": 6, "frames": 9, "label": "a kite"},
            )
        ],
    )
    done = editor_session(SESSION, [str(folder), str(tmp_path / "out.mp4")], tmp_path)
    said = [line for line in done.stderr.splitlines() if line.strip() and line.strip() not in PLATFORM_NOISE]
    assert done.returncode == 0 and said == [], done.stderr
    assert (tmp_path / "out.mp4").stat().st_size > 0  # it did export
    assert (tmp_path / "config" / "studio.ini").exists()  # and closed through its close, keeping the layout
    log = tmp_path / "config" / "logs" / "editor.log"  # the editor keeps a log of its own, the user's alone
    assert "INFO studio.ui.app: the editor starts" in log.read_text()
    assert os.name == "nt" or stat.S_IMODE(log.stat().st_mode) == 0o600


def test_a_closed_window_does_not_hear_its_document_being_torn_down(qtbot, tmp_path, monkeypatch):
    """At exit Python frees the window's document (and its undo stack) in no set order; a stack with
    changes that were not saved says it is clean again as it goes, and the window used to answer by
    asking the deleted stack whether it was modified: 'QUndoStack already deleted' on quit."""
    import shiboken6
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from studio.engine.service import EngineService
    from studio.ui.document import Document
    from studio.ui.main_window import MainWindow

    project = Project.new("Teardown")
    store.save(project, tmp_path / "Teardown.studio")
    project.media["m"] = MediaItem(id="m", path="media/missing.mkv", frames=24, width=32, height=32, name="m")
    project.sequence.tracks[0].clips = [Clip("k", "m", 0, 0, 24)]
    window = MainWindow(EngineService(log_dir=tmp_path / "logs"), Document(project))
    qtbot.addWidget(window)  # deleted after the test
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # the window's keys work in the active window only
    window.timeline.set_playhead(10)
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert window.document.is_modified(), window.statusBar().currentMessage()
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: QMessageBox.StandardButton.Discard))
    window.close()  # quit without saving
    assert not window.isVisible()
    shiboken6.delete(window.document)  # the document goes first, as it may at exit
    assert window.windowTitle().startswith("Teardown")  # the window is still whole and said nothing
