"""What the editor keeps between sessions (studio.ini in the settings folder; each test has its own):
the models folder, the window's size and dock layout, the last export folder. Each is set in one window,
that window is closed, and a new window has it back."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QDockWidget, QFileDialog

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.media.takes import write_frames


@pytest.fixture(autouse=True)
def no_models_folder_from_the_environment(monkeypatch):
    monkeypatch.delenv("STUDIO_MODELS", raising=False)


def project_with_a_clip(tmp_path, name: str = "Keep") -> Project:
    project = Project.new(name)
    store.save(project, tmp_path / f"{name}.studio")
    write_frames(project.folder / "media" / "c.mkv", np.full((6, 32, 48, 3), 70, np.uint8), 24)
    project.media["c"] = MediaItem(id="c", path="media/c.mkv", frames=6, width=48, height=32, name="c")
    project.sequence.width, project.sequence.height = 48, 32
    project.sequence.tracks[0].clips = [Clip("k", "c", 0, 0, 6)]
    store.save(project)
    return project


def close(window) -> None:
    window.document.undo_stack.setClean()
    window.close()


def docks(window) -> dict[str, tuple]:
    """Each dock's area and whether it floats: what a changed layout changes."""
    return {d.objectName(): (window.dockWidgetArea(d), d.isFloating()) for d in window.findChildren(QDockWidget)}


def test_the_models_folder_comes_back_after_a_restart(qtbot, open_window, tmp_path, monkeypatch):
    chosen = tmp_path / "my models"
    chosen.mkdir()
    window = open_window(project_with_a_clip(tmp_path))
    assert window.service.models_dir is None
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(chosen))
    window.show_models()
    choose = next(
        b
        for b in window.model_manager.findChildren(type(window.model_manager.download_button))
        if b.text() == "Choose…"
    )
    qtbot.mouseClick(choose, Qt.MouseButton.LeftButton)
    assert window.service.models_dir == str(chosen)
    window.model_manager.close()
    close(window)

    again = open_window(store.load(tmp_path / "Keep.studio"))
    assert again.service.models_dir == str(chosen)  # so its shots can be extended and remixed again
    again.show_models()
    assert again.model_manager.folder.text() == str(chosen)
    again.model_manager.close()


def test_window_state_and_dock_layout_come_back_and_reset_layout_restores_the_default(qtbot, open_window, tmp_path):
    window = open_window(project_with_a_clip(tmp_path))
    default = docks(window)
    assert not window.isMaximized()
    window.showMaximized()  # (the test screen is smaller than the window's least size: a size would be clamped)
    qtbot.waitUntil(window.isMaximized)
    shot = window.findChild(QDockWidget, "Shot")
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, shot)  # as a drag of its title bar does
    changed = docks(window)
    assert changed != default
    close(window)

    again = open_window(project_with_a_clip(tmp_path, "Other"))
    assert again.isMaximized()
    assert docks(again) == changed

    view = next(a.menu() for a in again.menuBar().actions() if a.text() == "&View")
    reset = next(a for a in view.actions() if a.text() == "&Reset Layout")
    view.popup(again.mapToGlobal(QPoint(0, 0)))
    qtbot.waitExposed(view)
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=view.actionGeometry(reset).center())
    assert docks(again) == default


def test_the_export_dialog_starts_in_the_last_export_folder(qtbot, open_window, tmp_path):
    out = tmp_path / "deliveries"
    out.mkdir()
    window = open_window(project_with_a_clip(tmp_path))
    window.files.export()
    dialog = window.files.export_dialog
    assert not dialog.path.text().startswith(str(out))
    dialog.path.setText(str(out / "cut.mp4"))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=60_000)
    assert dialog.state == "done", dialog.message
    dialog.close()
    close(window)

    again = open_window(store.load(tmp_path / "Keep.studio"))
    again.files.export()
    assert again.files.export_dialog.path.text() == str(out / "Keep.mp4")
    again.files.export_dialog.close()


def test_a_remembered_models_folder_that_is_gone_is_said_not_used(qtbot, open_window, tmp_path):
    from studio.ui.ui_settings import UiSettings

    UiSettings().models_dir = tmp_path / "unplugged drive"
    window = open_window(project_with_a_clip(tmp_path))
    assert window.service.models_dir is None
    assert "unplugged drive is gone" in window.statusBar().currentMessage()


def test_on_a_first_start_the_jobs_and_inspector_get_more_of_the_column_than_the_bin(qtbot, open_window, tmp_path):
    """Half each, a clip's facts and its takes showed a line or two apiece (journey 4: switching takes)."""
    window = open_window(project_with_a_clip(tmp_path))
    upper, lower = window.findChild(QDockWidget, "Jobs"), window.findChild(QDockWidget, "Media")
    qtbot.waitUntil(lambda: window._share_column is None, timeout=5000)
    qtbot.waitUntil(lambda: upper.height() > 1.3 * lower.height(), timeout=5000)
    total = upper.height() + lower.height()
    window.restoreState(window._default_layout)  # View → Reset Layout goes back to the same share
    qtbot.waitUntil(lambda: abs(upper.height() - total * 3 // 5) < 20, timeout=5000)


def test_a_first_window_fits_its_screen_with_generate_in_sight(qtbot, open_window, tmp_path):
    """On a screen shorter than the Shot panel's rows (a 1366 x 768 laptop; the test screen, 800 x 800, is shorter
    still) the first window is no taller than the screen: the rows scroll, and Generate stays in sight below them."""
    from PySide6.QtWidgets import QScrollArea

    window = open_window(project_with_a_clip(tmp_path))
    room = window.screen().availableGeometry()
    assert window.height() <= room.height()
    window.resize(window.width(), 480)  # a short screen's window (the test screen's fonts fit 800 lines)
    qtbot.waitUntil(lambda: window.height() == 480)
    panel = window.prompt_panel
    scroll = next(s for s in window.findChildren(QScrollArea) if s.widget() is panel)
    assert panel.minimumSizeHint().height() > scroll.viewport().height()  # more rows than room: they scroll
    assert scroll.verticalScrollBar().maximum() > 0
    button = panel.generate_button
    top_left = button.mapTo(window, button.rect().topLeft())
    assert button.isVisible() and window.rect().contains(top_left + button.rect().bottomRight())
