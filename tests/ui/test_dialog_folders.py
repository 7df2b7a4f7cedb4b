"""Where the file dialogs open: the folder a file of that kind was last chosen from, remembered between
sessions while it is there; before any, the desktop's folder for the kind or home; never the folder the
studio happened to be started from (Qt's dialogs open an empty start folder there)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QPushButton

from studio.core import store
from studio.core.project import Project
from studio.media.takes import write_frames


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A home of the test's own, with no Pictures, Videos or Documents folder in it yet; the studio started
    from another folder."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))  # no user-dirs.dirs: the default names
    started_in = tmp_path / "started-in"
    started_in.mkdir()
    monkeypatch.chdir(started_in)
    return home


@pytest.fixture
def dialogs(monkeypatch):
    """Each file dialog's start folder, in order; each answers with the next path of `answers`."""
    seen: list[str] = []
    answers: list[str] = []

    def one(_parent, _title, start="", *_rest, **_kw):
        seen.append(start)
        return (answers.pop(0), "")

    def many(_parent, _title, start="", *_rest, **_kw):
        seen.append(start)
        answer = answers.pop(0)
        return ([answer] if answer else [], "")

    def folder(_parent, _title, start="", *_rest, **_kw):
        seen.append(start)
        return answers.pop(0)

    monkeypatch.setattr(QFileDialog, "getOpenFileName", one)
    monkeypatch.setattr(QFileDialog, "getSaveFileName", one)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", many)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", folder)
    return seen, answers


def saved_project(tmp_path) -> Project:
    project = Project.new("Folders")
    store.save(project, tmp_path / "work" / "Folders.studio")
    return project


def browse(qtbot, widget, tip: str) -> None:
    (button,) = [b for b in widget.findChildren(QPushButton) if b.toolTip() == tip]
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_an_image_is_first_looked_for_in_pictures_then_where_the_last_one_was(
    qtbot, open_window, tmp_path, home, dialogs
):
    seen, answers = dialogs
    window = open_window(saved_project(tmp_path))
    panel = window.prompt_panel
    stills = tmp_path / "stills"
    stills.mkdir()
    (stills / "hero.png").write_bytes(b"")  # the dialog is faked: only its being there counts

    answers.append("")  # cancelled: nothing remembered
    browse(qtbot, panel.first_frame, "Choose an image")
    assert seen[-1] == str(home) != os.getcwd()

    (home / "Pictures").mkdir()
    answers.append(str(stills / "hero.png"))
    browse(qtbot, panel.first_frame, "Choose an image")
    assert seen[-1] == str(home / "Pictures")
    assert panel.first_frame.value() == str(stills / "hero.png")

    # The last frame and the reference images open where the first frame was found, as does a new window.
    answers.append("")
    browse(qtbot, panel.last_frame, "Choose an image")
    assert seen[-1] == str(stills)
    again = open_window(saved_project(tmp_path / "b"))
    answers.append(str(stills / "face.png"))
    again.prompt_panel.references._browse()
    assert seen[-1] == str(stills)

    # A slot that holds an image opens on it; a folder that is gone is not offered.
    answers.append("")
    browse(qtbot, panel.first_frame, "Choose an image")
    assert seen[-1] == str(stills / "hero.png")
    (stills / "hero.png").unlink()
    stills.rmdir()
    answers.append("")
    browse(qtbot, panel.last_frame, "Choose an image")
    assert seen[-1] == str(home / "Pictures")


def test_projects_timelines_and_media_each_open_where_their_kind_was_last_chosen(
    qtbot, open_window, tmp_path, home, dialogs
):
    seen, answers = dialogs
    window = open_window(saved_project(tmp_path))
    other = saved_project(tmp_path / "elsewhere")

    answers.append(str(other.folder))
    window.files.open_project()
    assert seen[-1] == str(home)
    assert window.document.folder == other.folder

    answers.append("")
    window.files.open_project()
    assert seen[-1] == str(other.folder.parent)  # the folder holding the .studio, not the project itself

    answers.append("")
    window.files.save_as()
    assert seen[-1] == str(other.folder.parent / "Folders.studio")

    (home / "Videos").mkdir()
    footage = tmp_path / "footage"
    footage.mkdir()
    write_frames(footage / "plate.mkv", np.full((4, 32, 48, 3), 90, np.uint8), 24)
    answers.append(str(footage / "plate.mkv"))
    window.media_bin.import_dialog()
    assert seen[-1] == str(home / "Videos")
    qtbot.waitUntil(lambda: len(window.document.project.media) == 1, timeout=10_000)
    answers.append("")
    window.media_bin.import_dialog()
    assert seen[-1] == str(footage)

    window.document.undo_stack.setClean()  # the import is an edit: no "save first?" question
    answers.append("")
    window.files.import_timeline()
    assert seen[-1] == str(home)  # timelines are their own kind: not the media's folder


def test_a_model_folder_is_looked_for_in_the_models_folder(qtbot, open_window, tmp_path, home, dialogs):
    from studio.ui.ui_settings import UiSettings

    seen, answers = dialogs
    window = open_window(saved_project(tmp_path))
    answers.append("")
    window.prompt_panel._browse_model()
    assert seen[-1] == str(home)
    models = tmp_path / "models"
    models.mkdir()
    UiSettings().models_dir = models
    answers.append("")
    window.prompt_panel._browse_model()
    assert seen[-1] == str(models)
