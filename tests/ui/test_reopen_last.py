"""A studio started with nothing to open reopens the project it last had, as an editor's tool does: not when
File → Reopen Last Project at Start is off, not a project that is gone (a sentence says where it was), and not
one another studio running now has open. Each a fresh editor process (studio.ui.app.main)."""

from __future__ import annotations

import shutil
import textwrap

from studio.core import autosave, store
from studio.core.project import Project
from tests.conftest import editor_session

# Once the window is up: say what it has open and what the status bar says, then close it.
SESSION = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from studio.ui import main_window
    from studio.ui.app import main

    shown = main_window.MainWindow.show

    def show(window):
        shown(window)

        def report():
            document = window.document
            print("open", "untitled" if document.untitled else document.folder.name, flush=True)
            print("status", window.statusBar().currentMessage(), flush=True)
            window.close()

        QTimer.singleShot(400, report)

    main_window.MainWindow.show = show
    sys.exit(main(sys.argv[:2]))
""")


def start(home, *args: str) -> str:
    done = editor_session(SESSION, list(args), home)
    assert done.returncode == 0, done.stderr
    return done.stdout


def saved_project(tmp_path) -> str:
    return str(store.save(Project.new("Reel"), tmp_path / "Reel.studio"))


def test_the_last_project_reopens_at_start(tmp_path):
    folder = saved_project(tmp_path)
    assert "open untitled" in start(tmp_path)  # a first start: nothing was open before
    assert "open Reel.studio" in start(tmp_path, folder)
    assert "open Reel.studio" in start(tmp_path)  # nothing named: the project open last time


def test_not_when_turned_off_in_the_file_menu(tmp_path):
    folder = saved_project(tmp_path)
    start(tmp_path, folder)
    ini = tmp_path / "config" / "studio.ini"
    ini.write_text(ini.read_text() + "\n[start]\nreopenLastProject=false\n")
    assert "open untitled" in start(tmp_path)


def test_a_project_gone_since_is_said_and_not_opened(tmp_path):
    folder = saved_project(tmp_path)
    start(tmp_path, folder)
    shutil.move(folder, tmp_path / "elsewhere")
    out = start(tmp_path)
    assert "open untitled" in out
    assert f"Reel.studio, the project open last time, is no longer at {folder}" in out


def test_a_project_another_running_studio_has_open_is_left_to_it(tmp_path):
    folder = saved_project(tmp_path)
    start(tmp_path, folder)
    autosave.write_lock(store.project_folder(folder), "another studio")  # held by this test's process, running
    out = start(tmp_path)
    assert "open untitled" in out
    assert "Reel.studio is open in another studio: not reopened here" in out
