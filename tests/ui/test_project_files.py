"""Opening and saving projects through the real window when the files or the disk misbehave: a damaged
project.json is refused with one line and the editor keeps running; a failed Save As keeps the project
where it was."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from studio.core import store
from studio.core.project import Project


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def warnings(monkeypatch) -> list[tuple[str, str]]:
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox, "warning", staticmethod(lambda parent, title, text, *a: shown.append((title, text)))
    )
    return shown


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda d: d["sequences"][0].update(fps=float("inf")),
            "sequences[0].fps: must be a positive finite frame rate (0.01 to 1000), got Infinity",
        ),
        (lambda d: d["media"].append({"id": "m", "path": None}), "media[0].path: must be non-empty text, got null"),
        (
            lambda d: d["media"].append({"id": "m", "path": "a.mkv", "recipe": "a boat"}),
            'media[0].recipe: must be an object, got "a boat"',
        ),
        (
            lambda d: d["sequences"][0].update(width=10**5000),
            "sequences[0].width: must be a whole number from 1 to 16384",
        ),
    ],
)
def test_a_damaged_project_is_refused_and_the_editor_keeps_running(open_window, tmp_path, warnings, change, reason):
    window = open_window(store.load(store.save(Project.new("Open"), tmp_path / "Open.studio")))
    before = window.document.project
    bad = store.save(Project.new("Bad"), tmp_path / "Bad.studio")
    data = store.to_json(store.load(bad))
    change(data)
    sys.set_int_max_str_digits(0)  # to write the 5,000-digit number
    try:
        (bad / "project.json").write_text(json.dumps(data))
    finally:
        sys.set_int_max_str_digits(4300)
    on_disk = snapshot(bad)

    window.files.open_project(str(bad))
    ((title, text),) = warnings
    assert title == "Cannot open project"
    assert text.startswith(f"{bad / 'project.json'}: {reason}") and "\n" not in text
    assert window.document.project is before and window.isVisible()
    assert snapshot(bad) == on_disk


def test_a_failed_save_as_keeps_the_project_where_it_was(open_window, tmp_path, warnings, monkeypatch):
    original = store.save(Project.new("Film"), tmp_path / "Film.studio")
    window = open_window(store.load(original))
    write_atomic = store.write_atomic

    def disk_full_there(path, data):
        if "Copy.studio" in str(path):
            raise OSError(28, "No space left on device")
        write_atomic(path, data)

    monkeypatch.setattr(store, "write_atomic", disk_full_there)
    assert not window.files.save_to(str(tmp_path / "Copy.studio"))
    ((title, text),) = warnings
    assert title == "Cannot save project"
    assert f"No space left on device; the project is still saved at {original}" in text
    assert window.document.folder == original and window.document.project.name == "Film"
    assert window.windowTitle().startswith("Film")

    window.document.project.sequence.name = "Act 1"
    assert window.files.save()  # the next Save goes to the original
    assert json.loads((original / "project.json").read_text())["sequences"][0]["name"] == "Act 1"
