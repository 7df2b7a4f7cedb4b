"""The export dialog: a format or preset chosen from its list sets the file's extension and how it
is rendered; generated shots are marked as AI-generated unless a warning is confirmed."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.core.recipe import Mode, Recipe
from studio.media.probe import probe
from studio.media.provenance import verify
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
    window.files.export()
    dialog = window.files.export_dialog
    dialog.path.setText(str(tmp_path / "stills.mp4"))
    assert dialog.output_label.text() == "Output file"
    choose(dialog, "PNG image sequence")
    assert dialog.path.text() == str(tmp_path / "stills")  # a folder: the extension goes
    assert dialog.output_label.text().startswith("Output folder")  # and the field says so
    assert not dialog.bitrate.isEnabled() and dialog.bitrate.placeholderText() == "none (PNG has no bitrate)"
    dialog.bitrate.setText("20M")  # typed under H.264, then PNG chosen: not passed on
    assert dialog.settings.bitrate is None
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=60_000)
    assert dialog.state == "done", dialog.message
    assert len(list((tmp_path / "stills").glob("stills_*.png"))) == 6


def test_each_format_offers_only_the_settings_it_has(qtbot, window):
    window.files.export()
    dialog = window.files.export_dialog
    picture = (dialog.width, dialog.height, dialog.fit, dialog.rate)
    assert dialog.bitrate.isEnabled() and dialog.quality.isEnabled() and all(w.isEnabled() for w in picture)
    choose(dialog, "ProRes 4444")
    assert not dialog.bitrate.isEnabled() and not dialog.quality.isEnabled() and all(w.isEnabled() for w in picture)
    choose(dialog, "WAV sound")
    assert not any(w.isEnabled() for w in (*picture, dialog.bitrate, dialog.quality, dialog.pixel_format))
    assert dialog.range.isEnabled()
    choose(dialog, "AV1")
    assert dialog.bitrate.isEnabled() and all(w.isEnabled() for w in picture)
    dialog.close()


def test_a_preset_from_the_list_renders_at_its_size(qtbot, window, tmp_path):
    window.files.export()
    dialog = window.files.export_dialog
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


@pytest.fixture
def generated_window(open_window, tmp_path):
    """A sequence holding one generated take."""
    project = Project.new("Gen")
    store.save(project, tmp_path / "Gen.studio")
    write_frames(project.folder / "media" / "g.mkv", np.full((6, 32, 48, 3), 120, np.uint8), 24)
    project.media["g"] = MediaItem(
        id="g",
        path="media/g.mkv",
        frames=6,
        width=48,
        height=32,
        name="g",
        recipe=Recipe(Mode.TEXT_TO_VIDEO, "ltx-video-0.9.5", "a paper boat", seed=5),
    )
    project.sequence.width, project.sequence.height = 48, 32
    project.sequence.tracks[0].clips = [Clip("k", "g", 0, 0, 6)]
    return open_window(project)


def click_box(qtbot, box):
    """A click on the box itself (the widget is as wide as the dialog; its middle may be empty)."""
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))


def export_and_wait(qtbot, dialog, path):
    dialog.path.setText(str(path))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=60_000)
    assert dialog.state == "done", dialog.message


def test_generated_shots_are_marked_unless_the_warning_is_confirmed(qtbot, generated_window, tmp_path, monkeypatch):
    generated_window.files.export()
    dialog = generated_window.files.export_dialog
    assert dialog.provenance.isChecked() and dialog.provenance.text() == "Mark as AI-generated (C2PA)"
    export_and_wait(qtbot, dialog, tmp_path / "marked.mp4")
    verdict = verify(tmp_path / "marked.mp4")
    assert verdict.state == "trusted" and verdict.recipes[0]["prompt"] == "a paper boat"

    asked = []
    answer = {"button": QMessageBox.StandardButton.No}

    def question(parent, title, text, *args):
        asked.append((title, text))
        return answer["button"]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    click_box(qtbot, dialog.provenance)  # untick: warned, and "No" keeps the mark
    assert len(asked) == 1 and "cannot tell that it was made with AI" in asked[0][1]
    assert dialog.provenance.isChecked()

    answer["button"] = QMessageBox.StandardButton.Yes
    click_box(qtbot, dialog.provenance)
    assert len(asked) == 2 and not dialog.provenance.isChecked()
    export_and_wait(qtbot, dialog, tmp_path / "unmarked.mp4")
    assert verify(tmp_path / "unmarked.mp4").state == "missing"

    click_box(qtbot, dialog.provenance)  # ticking it again asks nothing
    assert len(asked) == 2 and dialog.provenance.isChecked()


def test_custom_settings_and_the_in_to_out_range(qtbot, window, tmp_path):
    window.viewer.seek(1)
    window.viewer.set_mark_in()
    window.viewer.seek(4)
    window.viewer.set_mark_out()
    window.files.export()
    dialog = window.files.export_dialog
    assert dialog.range.currentData() == (1, 5)  # the marks are offered, and chosen
    dialog.path.setText(str(tmp_path / "custom.mp4"))
    dialog.width.setValue(96)
    dialog.height.setValue(64)
    dialog.rate.setEditText("25")
    dialog.pixel_format.setEditText("yuv444p")
    dialog.rate.setEditText("fast")  # not a rate: said, and nothing runs
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert dialog.state == "idle" and "not a frame rate" in dialog.status.text()
    dialog.rate.setEditText("24")
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=60_000)
    assert dialog.state == "done", dialog.message
    info = probe(tmp_path / "custom.mp4")
    assert (info.width, info.height, info.frames, info.pixel_format) == (96, 64, 4, "yuv444p")


def test_offline_clips_are_asked_about_before_the_export_runs(qtbot, window, tmp_path, monkeypatch):
    project = window.document.project
    take = project.folder / "media" / "c.mkv"
    os.truncate(take, take.stat().st_size // 2)  # cut short on disk: the clip uses 6 frames
    project.media["g"] = MediaItem(id="g", path="media/gone.mkv", frames=6, width=48, height=32, name="gone")
    project.sequence.tracks[0].clips.append(Clip("k2", "g", 6, 0, 6))
    asked = []
    answer = {"button": QMessageBox.StandardButton.No}

    def question(parent, title, text, *args):
        asked.append(text)
        return answer["button"]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    window.files.export()
    dialog = window.files.export_dialog
    dialog.path.setText(str(tmp_path / "film.mp4"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state == "idle", timeout=30_000)  # checked on the export's thread
    assert len(asked) == 1 and asked[0].startswith("2 clips are offline:\n• ")
    assert "• c (" in asked[0] and "• gone (" in asked[0] and "file not found" in asked[0]
    assert asked[0].endswith("Export with MEDIA OFFLINE frames in their place?")
    assert dialog.state == "idle" and "Not exported: 2 clip(s) offline" in dialog.status.text()
    assert not (tmp_path / "film.mp4").exists()

    answer["button"] = QMessageBox.StandardButton.Yes
    export_and_wait(qtbot, dialog, tmp_path / "film.mp4")
    assert len(asked) == 2 and probe(tmp_path / "film.mp4").frames == 12
