"""File → Export Timeline and Import Timeline in the real window."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtWidgets import QFileDialog

from studio.core import store
from studio.core.project import Clip, Marker, MediaItem, Project
from studio.core.recipe import Mode, Recipe
from studio.media.takes import write_frames


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Trade")
    store.save(project, tmp_path / "Trade.studio")
    write_frames(project.folder / "media" / "shot.mkv", np.full((24, 32, 32, 3), 120, np.uint8), 24)
    project.media["s"] = MediaItem(
        id="s",
        path="media/shot.mkv",
        frames=24,
        width=32,
        height=32,
        name="shot",
        recipe=Recipe(Mode.TEXT_TO_VIDEO, "tiny", "a lighthouse", seed=9),
    )
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("c", "s", 6, 2, 20)]
    project.sequence.markers = [Marker("m", 10, "beam")]
    return open_window(project)


def menu_action(window, menu_text, text):
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == menu_text)
    return next(a for a in menu.actions() if a.text().replace("&", "") == text)


def test_export_then_import_a_timeline_through_the_file_menu(qtbot, window, tmp_path, monkeypatch):
    target = tmp_path / "trade.xml"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    menu_action(window, "&File", "Export Timeline…").trigger()
    assert target.exists() and "Timeline written" in window.statusBar().currentMessage()

    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(target), ""))
    menu_action(window, "&File", "Import Timeline…").trigger()
    project = window.document.project
    assert window.document.untitled and project.folder != tmp_path / "Trade.studio"
    (clip,) = project.sequence.tracks[0].clips
    assert (clip.start, clip.source_in, clip.source_out) == (6, 2, 20)
    assert project.media[clip.media_id].recipe.prompt == "a lighthouse"
    assert "Imported 1 clips" in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.viewer.view.image is not None, timeout=5000)


def test_a_timeline_that_cannot_be_read_is_a_message_not_a_crash(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    broken = tmp_path / "broken.edl"
    broken.write_text("this is not an EDL\x00")
    warned = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warned.append(a[2]))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(broken), ""))
    before = window.document.project
    menu_action(window, "&File", "Import Timeline…").trigger()
    assert warned and "broken.edl" in warned[0]
    assert window.document.project is before  # the open project is untouched
