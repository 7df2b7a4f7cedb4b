"""The export dialog: a format or preset chosen from its list sets the file's extension and how it
is rendered."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.media.probe import probe
from studio.media.takes import write_frames


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Out")
    store.save(project, tmp_path / "Out.studio")
    write_frames(project.folder / "media" / "c.mkv", np.full((6, 32, 48, 3), 70, np.uint8), 24)
    project.media["c"] = MediaItem(id="c", path="media/c.mkv", frames=6, width=48, height=32, name="c")
    project.sequence.width, project.sequence.height = 48, 32
    project.sequence.tracks[0].clips = [Clip("k", "c", 0, 0, 6)]
    return open_window(project)


def choose(dialog, text_start):
    index = next(i for i in range(dialog.format.count()) if dialog.format.itemText(i).startswith(text_start))
    dialog.format.setCurrentIndex(index)


def test_a_png_sequence_from_the_format_list(qtbot, window, tmp_path):
    window.export()
    dialog = window.export_dialog
    dialog.path.setText(str(tmp_path / "stills.mp4"))
    choose(dialog, "PNG image sequence")
    assert dialog.path.text() == str(tmp_path / "stills")  # a folder: the extension goes
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=60_000)
    assert dialog.state == "done", dialog.message
    assert len(list((tmp_path / "stills").glob("stills_*.png"))) == 6


def test_a_preset_from_the_list_renders_at_its_size(qtbot, window, tmp_path):
    window.export()
    dialog = window.export_dialog
    dialog.path.setText(str(tmp_path / "film.mp4"))
    choose(dialog, "ProRes 422 HQ master")
    assert dialog.path.text().endswith("film.mov")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=60_000)
    assert dialog.state == "done", dialog.message
    info = probe(tmp_path / "film.mov")
    assert (info.video_codec, info.frames, info.width) == ("prores", 6, 48)
    dialog.path.setText(str(tmp_path / "film.mp4"))  # the wrong extension for ProRes: said, not started
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.status.text() == "Choose a name ending in .mov"
