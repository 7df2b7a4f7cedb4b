"""Generate → Workers…: the choice, its refusal of what cannot work, and putting it to use in the window."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog

from studio.core import store
from studio.core.project import Project
from studio.ui.ui_settings import UiSettings
from studio.ui.workers_dialog import WorkersDialog

from .test_interchange_menu import menu_action


@pytest.mark.parametrize(
    "choice", [{}, {"gpus": "all"}, {"gpus": "0,2"}, {"workers": "3"}, {"cluster": "ray://head:10001"}]
)
def test_the_dialog_opens_on_the_saved_choice_and_gives_it_back(qtbot, choice):
    dialog = WorkersDialog(choice)
    qtbot.addWidget(dialog)
    assert dialog.choice() == choice


def test_gpus_that_are_not_numbers_are_refused_in_the_dialog(qtbot):
    dialog = WorkersDialog({})
    qtbot.addWidget(dialog)
    dialog.some.setChecked(True)
    dialog.gpus.setText("0,x")
    dialog._check()
    assert "GPU numbers such as 0,2" in dialog.error.text()
    assert dialog.result() != QDialog.DialogCode.Accepted


def test_a_cluster_needs_an_address(qtbot):
    dialog = WorkersDialog({})
    qtbot.addWidget(dialog)
    dialog.cluster.setChecked(True)
    dialog._check()
    assert "cluster's address" in dialog.error.text()


def test_the_choice_is_kept_for_the_next_session():
    UiSettings().workers = {"workers": "2"}
    assert UiSettings().workers == {"workers": "2"}
    UiSettings().workers = {}
    assert UiSettings().workers == {}


def test_choosing_cpu_workers_in_the_window_puts_them_to_use(qtbot, open_window, monkeypatch, tmp_path):
    project = Project.new("Pool")
    store.save(project, tmp_path / "Pool.studio")
    window = open_window(project)
    assert [w.name for w in window.service.workers()] == ["worker"]
    monkeypatch.setattr(WorkersDialog, "exec", lambda self: (self.cpu.setChecked(True), 1)[1])
    menu_action(window, "&Generate", "Workers…").trigger()
    qtbot.waitUntil(lambda: [w.name for w in window.service.workers()] == ["CPU 1", "CPU 2"], timeout=10_000)
    assert window.statusBar().currentMessage() == "Jobs now run on 2 workers on the CPU."
    assert UiSettings().workers == {"workers": "2"}
