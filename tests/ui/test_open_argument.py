"""What the studio opens from its command line (`python main.py PATH`, and the launcher's file
associations): a .studio folder as the project, an .otio timeline imported as a new project."""

from __future__ import annotations

import textwrap

from studio.core.project import Clip, MediaItem, Project
from studio.media.interchange import write_timeline
from tests.conftest import editor_session

# Once the window is up: say what it holds, then close it.
SESSION = textwrap.dedent("""
    import sys
    from PySide6.QtCore import QTimer
    from studio.ui import main_window
    from studio.ui.app import main

    shown = main_window.MainWindow.show

    def show(window):
        shown(window)

        def report():
            clips = sum(len(track.clips) for track in window.document.project.sequence.tracks)
            print("clips", clips, "untitled", window.document.untitled, flush=True)
            window.close()

        QTimer.singleShot(200, report)

    main_window.MainWindow.show = show
    sys.exit(main(sys.argv[:2]))
""")


def test_a_timeline_file_given_on_the_command_line_opens_as_a_new_project(tmp_path):
    project = Project.new("Cut")
    project.media["m"] = MediaItem(id="m", path=str(tmp_path / "shot.mkv"), frames=24, width=32, height=32, name="m")
    project.sequence.tracks[0].clips = [Clip("k", "m", 0, 0, 24), Clip("l", "m", 24, 0, 12)]
    timeline = write_timeline(project, tmp_path / "cut.otio")
    done = editor_session(SESSION, [str(timeline)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "clips 2 untitled True" in done.stdout
