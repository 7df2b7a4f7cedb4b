"""A question asked as the studio starts (recovering an unclosed session's autosave, a project that
cannot be opened) leaves the editor hearing its jobs: such a dialog, shown before the asyncio loop ran,
once stepped the job events task with no running loop, which killed it, and no job ever finished in the
window (found walking journey 7 under Xvfb)."""

from __future__ import annotations

import textwrap

from tests.conftest import editor_session

SESSION = textwrap.dedent("""
    import asyncio
    import sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox
    from studio.ui import autosave, main_window
    from studio.ui.app import main

    def answer():  # the person answers the question
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(50, answer)
            return
        box.close()

    def ask(self):  # as an unclosed session's recovery asks
        QTimer.singleShot(300, answer)
        QMessageBox.question(None, "Recover?", "The studio did not close properly. Recover?")
        return False

    autosave.Autosaver.recover_previous_session = ask
    shown = main_window.MainWindow.show

    def show(window):
        shown(window)

        def check():
            tasks = [t for t in asyncio.all_tasks() if t.get_name() == "job events"]
            print("job events heard", bool(tasks) and not tasks[0].done(), flush=True)
            window.close()

        QTimer.singleShot(1500, check)

    main_window.MainWindow.show = show
    sys.exit(main(sys.argv[:1]))
""")


def test_a_question_at_start_leaves_the_editor_hearing_its_jobs(tmp_path):
    done = editor_session(SESSION, [], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "job events heard True" in done.stdout, done.stdout + done.stderr
    log = (tmp_path / "config" / "logs" / "editor.log").read_text()
    assert "failed" not in log, log
