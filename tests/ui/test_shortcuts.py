"""Every key the window answers to: no key is bound twice (Qt fires neither of two actions that share
one, "Ambiguous shortcut overload"), and each key, pressed in the window, fires its own action."""

from __future__ import annotations

import os
import stat
from collections import Counter

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QShortcut

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.core.recipe import DRAFT, Mode, Recipe
from studio.core.settings import logs_dir, settings_dir


@pytest.fixture
def window(qtbot, open_window, tmp_path):
    project = Project.new("Keys")
    store.save(project, tmp_path / "Keys.studio")
    project.media["m"] = MediaItem(id="m", path="media/missing.mkv", frames=48, width=32, height=32, name="m")
    # a draft take, so that Refine Draft (enabled only for a draft) is one of the keys that fire
    project.media["m"].recipe = Recipe(Mode.TEXT_TO_VIDEO, "demo", "a draft", quality=DRAFT, full={"steps": 20})
    project.sequence.tracks[0].clips = [Clip("c1", "m", 0, 0, 48)]
    window = open_window(project)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)  # the window's keys work in the active window only
    return window


def bound_keys(window) -> list[tuple[str, str]]:
    """(key, what it is bound to) for every menu action and widget shortcut in the window."""
    keys = []
    for action in window.findChildren(QAction):
        keys += [(k.toString(), action.text()) for k in action.shortcuts()]
    for shortcut in window.findChildren(QShortcut):
        keys += [(k.toString(), shortcut.objectName() or "a widget shortcut") for k in shortcut.keys()]
    return keys


def test_no_key_is_bound_twice(qtbot, window):
    keys = bound_keys(window)
    assert len(keys) > 40
    twice = {key: [what for k, what in keys if k == key] for key, n in Counter(k for k, _ in keys).items() if n > 1}
    assert twice == {}


def test_redo_is_ctrl_shift_z_and_ctrl_y_on_every_platform(qtbot, window):
    """On Linux the platform's own Redo is Ctrl+Shift+Z: adding it again bound it twice to Redo, and Qt
    then fired nothing. Spelled out, the keys are the same everywhere (the menu shows the first)."""
    redo = next(a for a in window.findChildren(QAction) if a.text() == "&Redo")
    assert [k.toString() for k in redo.shortcuts()] == ["Ctrl+Shift+Z", "Ctrl+Y"]
    window.timeline.set_playhead(10)
    window.timeline.setFocus()
    for key in (Qt.Key.Key_Z, Qt.Key.Key_Y):
        qtbot.keyClick(window.timeline, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)  # split
        qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo
        assert len(window.document.project.sequence.tracks[0].clips) == 1
        modifiers = Qt.KeyboardModifier.ControlModifier | (
            Qt.KeyboardModifier.ShiftModifier if key == Qt.Key.Key_Z else Qt.KeyboardModifier.NoModifier
        )
        qtbot.keyClick(window.timeline, key, modifiers)  # redo
        assert len(window.document.project.sequence.tracks[0].clips) == 2, QKeySequence(key | modifiers).toString()
        qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)


def test_every_menu_key_fires_its_action(qtbot, window):
    window.timeline.set_playhead(10)
    qtbot.keyClick(window.timeline, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    window.timeline.set_playhead(20)
    qtbot.keyClick(window.timeline, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    window.document.undo_stack.undo()  # so both Undo and Redo are enabled, as keys only fire enabled actions
    window.timeline.select("c1")  # a clip showing a draft: Refine Draft is enabled
    fired: list[str] = []
    actions = [a for a in window.findChildren(QAction) if a.shortcuts()]
    for action in actions:
        action.triggered.disconnect()  # only that it fires is tested here: no dialog opens, nothing quits
        action.triggered.connect(lambda _=False, a=action: fired.append(a.text()))
    window.timeline.setFocus()
    for action in actions:
        for key in action.shortcuts():
            combination = key[0]
            fired.clear()
            qtbot.keyClick(window.timeline, combination.key(), combination.keyboardModifiers())
            assert fired == [action.text()], f"{key.toString()} fired {fired}, not {action.text()}"


def test_keyboard_shortcuts_window_fits_the_screen_and_scrolls(qtbot, window):
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    help_menu.popup(window.mapToGlobal(QPoint(0, 0)))
    qtbot.waitExposed(help_menu)
    shortcuts = next(a for a in help_menu.actions() if a.text() == "&Keyboard Shortcuts")
    qtbot.mouseClick(help_menu, Qt.MouseButton.LeftButton, pos=help_menu.actionGeometry(shortcuts).center())
    box = window.shortcuts_box
    qtbot.waitExposed(box)
    screen = box.screen().availableGeometry()
    assert box.frameGeometry().height() <= screen.height()
    table = box.table
    assert table.rowCount() == len(window.shortcut_table())
    table.scrollToBottom()
    last = table.visualItemRect(table.item(table.rowCount() - 1, 1))
    assert table.viewport().rect().contains(last)  # the last command can be scrolled to and read
    assert "Ctrl+B" in box.text()
    box.close()


@pytest.mark.skipif(os.name == "nt", reason="POSIX folder modes")
def test_help_show_log_folder_opens_the_users_private_logs_folder(qtbot, window, monkeypatch):
    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url.toLocalFile()) or True))
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    help_menu.popup(window.mapToGlobal(QPoint(0, 0)))
    qtbot.waitExposed(help_menu)
    action = next(a for a in help_menu.actions() if a.text() == "Show &Log Folder")
    qtbot.mouseClick(help_menu, Qt.MouseButton.LeftButton, pos=help_menu.actionGeometry(action).center())
    assert opened == [str(logs_dir())] and logs_dir().is_relative_to(settings_dir())  # the session's own
    assert stat.S_IMODE(logs_dir().stat().st_mode) == 0o700


def test_remix_dialog_return_starts_a_line_and_ctrl_return_remixes(qtbot):
    """The Remix dialog's prompt box is multi-line like the Shot panel's: Return adds a line there, and
    Ctrl+Return remixes (the Shot panel's Generate key), with the prompt as typed."""
    from studio.ui.remix_dialog import RemixDialog

    dialog = RemixDialog(Recipe(Mode.TEXT_TO_VIDEO, "demo", "a red circle", seed=3))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.prompt.setFocus()
    dialog.prompt.moveCursor(dialog.prompt.textCursor().MoveOperation.End)
    qtbot.keyClicks(dialog.prompt, " moves left")
    qtbot.keyClick(dialog.prompt, Qt.Key.Key_Return)
    assert dialog.prompt.toPlainText() == "a red circle moves left\n" and dialog.isVisible()
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.prompt, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.result() == dialog.DialogCode.Accepted
    assert [r.prompt for r in dialog.recipes()] == ["a red circle moves left"]
