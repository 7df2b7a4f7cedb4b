"""UI test set-up: a modal message box would wait forever for a click no test makes, so any
one that a test did not expect fails the test with its text instead."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QEvent, QSettings
from PySide6.QtWidgets import QApplication, QMessageBox


@pytest.fixture(autouse=True)
def no_modal_message_boxes(monkeypatch):
    def refuse(kind):
        def show(parent, title, text, *args, **kwargs):
            pytest.fail(f"unexpected {kind} message box: {title}: {text}")

        return show

    for kind in ("warning", "critical", "question", "information"):
        monkeypatch.setattr(QMessageBox, kind, staticmethod(refuse(kind)))


@pytest.fixture(autouse=True)
def own_settings_and_app_data(monkeypatch, tmp_path):
    """Recent projects, session records and the trash go to this test's folder, not the user's."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "xdg-config"))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "xdg-config"))
    # The editor's studio.ini (models folder, window layout, export folder) too: no test sees another's.
    monkeypatch.setattr("studio.ui.ui_settings.settings_dir", lambda: tmp_path / "studio-config")


@pytest.fixture
def open_window(qtbot, tmp_path):
    """open_window(project) shows the real main window on a saved project, with its own engine
    service; every window opened is closed after the test (marked clean first, so closing does
    not stop at the unsaved-changes question)."""
    from studio.engine.service import EngineService
    from studio.ui.document import Document
    from studio.ui.main_window import MainWindow

    windows = []

    def open_(project):
        window = MainWindow(EngineService(log_dir=tmp_path / "logs"), Document(project))
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return window

    yield open_
    for window in windows:
        window.document.undo_stack.setClean()
        window.close()
        window.deleteLater()
    # Delete them now, while Qt is whole: left to Python's exit, a window's children are torn down
    # after the application object and the process crashes on the way out.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
