"""Never lose work, as a person meets it: autosaves while editing, recovery after a real crash,
File → Open Recent, the unsaved-changes question on close, and File → Purge Unused Media…"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from studio.core import autosave, store
from studio.core.commands import AddClip, AddMedia
from studio.core.jobfile import load_jobs
from studio.core.project import Clip, MediaItem, Project, new_id
from studio.core.timebase import FrameRate
from studio.engine.service import EngineService
from studio.media import scrub_copy
from studio.media.takes import write_frames
from studio.ui.autosave import Answer
from studio.ui.document import Document
from studio.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]


def make_project(folder: Path, name: str = "Film") -> Project:
    project = Project.new(name)
    store.save(project, folder / f"{name}.studio")
    write_frames(project.folder / "media" / "ramp.mkv", np.zeros((24, 32, 32, 3), np.uint8), 24)
    project.media["ramp"] = MediaItem(id="ramp", path="media/ramp.mkv", frames=24, width=32, height=32, name="ramp")
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("c1", "ramp", 0, 0, 24)]
    store.save(project)
    return project


def clip_spans(window: MainWindow) -> list[tuple[int, int]]:
    return [(c.start, c.end) for c in window.document.project.sequence.tracks[0].clips]


@pytest.fixture
def open_window(qtbot, tmp_path):
    windows = []

    def open_(project: Project | None = None) -> MainWindow:
        service = EngineService(log_dir=tmp_path / "logs")
        win = MainWindow(service, Document(project) if project else None)
        win.show()
        qtbot.waitExposed(win)
        win.activateWindow()
        qtbot.waitUntil(win.isActiveWindow)  # keys reach the window's shortcuts only once it is active
        windows.append(win)
        return win

    yield open_
    for win in windows:
        win.document.undo_stack.setClean()  # closing must not stop at the unsaved-changes question
        win.close()
        win.deleteLater()
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # see conftest.open_window


def split_with_keys(qtbot, window: MainWindow, frame: int) -> None:
    window.timeline.set_playhead(frame)
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)


# Autosave


def test_autosaves_only_unsaved_changes_and_never_touches_project_json(qtbot, open_window, tmp_path):
    project = make_project(tmp_path)
    saved = (project.folder / "project.json").read_bytes()
    window = open_window(project)
    window.autosaver.timer.setInterval(30)
    qtbot.wait(150)
    assert autosave.autosaves(project.folder) == []  # nothing changed: nothing written

    split_with_keys(qtbot, window, 10)
    qtbot.waitUntil(lambda: len(autosave.autosaves(project.folder)) == 1, timeout=3000)
    qtbot.wait(150)
    (written,) = autosave.autosaves(project.folder)  # one per change, not one per tick
    data = json.loads(written.read_text())
    assert len(data["sequences"][0]["tracks"][0]["clips"]) == 2
    assert (project.folder / "project.json").read_bytes() == saved
    assert "Autosaved" in window.statusBar().currentMessage()

    qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(150)  # undone back to the saved state: no unsaved changes, nothing to autosave
    assert len(autosave.autosaves(project.folder)) == 1

    split_with_keys(qtbot, window, 5)
    window.files.save()
    qtbot.wait(150)  # saved: nothing to autosave
    assert len(autosave.autosaves(project.folder)) == 1


def test_autosaves_rotate_keeping_the_last_five(qtbot, open_window, tmp_path):
    project = make_project(tmp_path)
    window = open_window(project)
    for frame in range(2, 16, 2):
        split_with_keys(qtbot, window, frame)
        assert window.autosaver.autosave_now() is not None
    assert len(clip_spans(window)) == 8, window.statusBar().currentMessage()
    files = autosave.autosaves(project.folder)
    assert len(files) == 5
    newest = json.loads(files[0].read_text())
    assert len(newest["sequences"][0]["tracks"][0]["clips"]) == 8


def test_interval_and_rotation_come_from_the_settings(qtbot, open_window):
    assert open_window().autosaver.timer.interval() == 60_000
    settings = QSettings()
    settings.setValue("autosave/intervalSeconds", 0.5)
    settings.setValue("autosave/keep", 3)
    window = open_window()
    assert (window.autosaver.timer.interval(), window.autosaver.keep) == (500, 3)


def test_an_untitled_project_autosaves_into_its_scratch_folder(qtbot, open_window, tmp_path):
    window = open_window()
    assert window.document.untitled
    write_frames(window.document.media_dir / "take.mkv", np.zeros((12, 32, 32, 3), np.uint8), 24)
    item = MediaItem(new_id(), "media/take.mkv", frames=12, width=32, height=32)  # as a finished job adds it
    track = window.document.project.sequence.tracks[0]
    window.document.push([AddMedia(item), AddClip(track.id, Clip(new_id(), item.id, 0, 0, 12))], "Generate shot")
    window.autosaver.timer.setInterval(30)
    qtbot.waitUntil(lambda: len(autosave.autosaves(window.document.folder)) == 1, timeout=3000)


# Crash recovery

CRASH = textwrap.dedent("""
    import os, sys
    from pathlib import Path
    from PySide6.QtWidgets import QApplication
    from studio.core.commands import SetSequenceFormat
    from studio.core.timebase import FrameRate
    from studio.engine.service import EngineService
    from studio.ui.main_window import MainWindow

    app = QApplication([])
    app.setOrganizationName(sys.argv[3])  # the same application as the test's, so the same app-data
    app.setApplicationName(sys.argv[4])
    window = MainWindow(EngineService(log_dir=Path(sys.argv[2])))
    window.show()
    if sys.argv[1] == "untitled":
        window.document.push(SetSequenceFormat(64, 48, FrameRate(25)))
    else:
        window.files.open_project(sys.argv[1])
        window.timeline.set_playhead(10)
        window.edits.split_at_playhead()
    assert window.autosaver.autosave_now() is not None
    print(window.document.folder, flush=True)
    os._exit(3)  # the studio dies: no close, no clean-up
""")


def crash_studio(tmp_path: Path, project: str) -> Path:
    """Run a real studio process that edits, autosaves and dies. Returns its project folder."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            CRASH,
            project,
            str(tmp_path / "crash-logs"),
            QApplication.organizationName(),
            QApplication.applicationName(),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3, result.stderr
    return Path(result.stdout.strip().splitlines()[-1])


def test_opening_a_project_after_a_crash_offers_its_autosave(qtbot, open_window, tmp_path):
    project = make_project(tmp_path)
    saved = (project.folder / "project.json").read_bytes()
    crash_studio(tmp_path, str(project.folder))
    assert autosave.ended_uncleanly(autosave.read_lock(project.folder))

    window = open_window()
    asked = []
    window.autosaver.ask = lambda folder, path: asked.append((folder, path)) or Answer.RECOVER
    window.files.open_project(str(project.folder))
    assert asked and asked[0][0] == project.folder
    assert clip_spans(window) == [(0, 10), (10, 24)]  # the split made before the crash
    assert window.document.is_modified() and window.windowTitle().startswith("Film •")
    assert (project.folder / "project.json").read_bytes() == saved  # the person decides to save
    assert autosave.read_lock(project.folder)["pid"] == os.getpid()  # the lock is ours now

    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert clip_spans(window) == [(0, 24)]  # undo goes back to the project as saved
    assert not window.document.is_modified()

    window.close()  # a clean close: no lock, nothing offered next time
    assert not autosave.lock_path(project.folder).exists()
    window = open_window()
    window.autosaver.ask = lambda folder, path: pytest.fail("a clean close left nothing to recover")
    window.files.open_project(str(project.folder))


def test_a_take_that_lands_is_autosaved_at_once_and_recovered_after_a_crash(qtbot, open_window, tmp_path):
    """Journey 7: a shot lands and the studio dies before the minute's autosave. The take left jobs.json as
    it landed, so the autosave written at once is its only record: the next open recovers it."""
    project = make_project(tmp_path)
    window = open_window(project)
    assert window.prompt_panel.model_value() == "demo"
    window.prompt_panel.prompt.setPlainText("a red circle moves right on a blue background")
    window.timeline.set_playhead(24)
    queued_when_autosaved = []  # jobs.json as the autosave is written: no moment when neither holds the take
    window.autosaver.autosaved.connect(lambda _: queued_when_autosaved.append(len(load_jobs(project.folder)[0])))
    qtbot.mouseClick(window.prompt_panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.document.project.media) == 2, timeout=120_000)
    (take,) = [m for m in window.document.project.media if m != "ramp"]
    assert window.autosaver.timer.remainingTime() > 10_000  # the timer has not written it
    (written,) = autosave.autosaves(project.folder)
    data = json.loads(written.read_text())
    assert take in [m["id"] for m in data["media"]]
    assert [c["media_id"] for c in data["sequences"][0]["tracks"][0]["clips"]] == ["ramp", take]
    assert queued_when_autosaved == [1] and load_jobs(project.folder) == ([], None)  # then it left the queue
    assert window.statusBar().currentMessage().startswith("Shot ready")  # the landing's word, not the autosave's

    # The studio "dies" (no Save); the project opened again after a crash offers the take back.
    window.document.undo_stack.setClean()
    again = open_window()
    again.autosaver.ask = lambda folder, path: Answer.RECOVER
    assert again.autosaver.open(project.folder, crashed=True)
    assert [c.media_id for c in again.document.project.sequence.tracks[0].clips] == ["ramp", take]


def test_the_next_start_offers_an_untitled_project_lost_in_a_crash(qtbot, open_window, tmp_path):
    folder = crash_studio(tmp_path, "untitled")
    window = open_window()
    window.autosaver.ask = lambda folder, path: Answer.RECOVER
    assert window.autosaver.recover_previous_session()
    assert window.document.folder == folder
    sequence = window.document.project.sequence
    assert (sequence.width, sequence.height, sequence.fps) == (64, 48, FrameRate(25))
    assert window.document.is_modified()
    assert window.document.untitled  # Save still asks where

    # The crash record is used up: the next start offers nothing.
    window.document.undo_stack.setClean()
    window.close()
    window = open_window()
    window.autosaver.ask = lambda folder, path: pytest.fail("offered twice")
    assert not window.autosaver.recover_previous_session()


def find_button(text: str):
    box = QApplication.activeModalWidget()
    if isinstance(box, QMessageBox):
        return next((b for b in box.buttons() if b.text().replace("&", "") == text), None)
    return None


def click_when_shown(qtbot, text: str) -> None:
    """Click a button of the modal box that is about to appear, as a person would."""

    def click() -> None:
        button = find_button(text)
        if button is None:
            QTimer.singleShot(20, click)
        else:
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    QTimer.singleShot(20, click)


def test_the_recovery_question_open_saved_and_cancel(qtbot, open_window, tmp_path):
    project = make_project(tmp_path)
    crash_studio(tmp_path, str(project.folder))
    window = open_window()
    before = window.document.project

    click_when_shown(qtbot, "Cancel")
    window.files.open_project(str(project.folder))
    assert window.document.project is before  # cancelled: nothing opened
    assert autosave.ended_uncleanly(autosave.read_lock(project.folder))  # still offered next time

    click_when_shown(qtbot, "Open Saved")
    window.files.open_project(str(project.folder))
    assert window.document.folder == project.folder
    assert clip_spans(window) == [(0, 24)] and not window.document.is_modified()
    assert len(autosave.autosaves(project.folder)) == 1  # the autosave stays in autosave/


def test_damaged_autosaves_are_skipped_with_a_message(qtbot, open_window, tmp_path):
    project = make_project(tmp_path)
    crash_studio(tmp_path, str(project.folder))
    (good,) = autosave.autosaves(project.folder)
    damaged = good.with_name("project-29991231-235959.json")
    damaged.write_text("{ cut off")
    window = open_window()
    window.autosaver.ask = lambda folder, path: Answer.RECOVER if path == good else pytest.fail(str(path))
    window.files.open_project(str(project.folder))
    assert clip_spans(window) == [(0, 10), (10, 24)]

    # Nothing loadable at all: the project opens as saved, with a message, and no question.
    window.document.undo_stack.setClean()
    window.files.new_project()
    good.write_text(json.dumps({"schema": 99}))
    autosave.lock_path(project.folder).write_text("{ a lock from a studio that died mid-write")
    messages = []
    window.autosaver.message.connect(messages.append)
    window.files.open_project(str(project.folder))
    assert clip_spans(window) == [(0, 24)] and not window.document.is_modified()
    assert any("newer studio" in m for m in messages) and any("damaged" in m for m in messages)


def test_the_lock_follows_the_open_project_and_goes_on_close(qtbot, open_window, tmp_path):
    first, second = make_project(tmp_path, "First"), make_project(tmp_path, "Second")
    window = open_window(first)
    assert autosave.read_lock(first.folder)["pid"] == os.getpid()
    window.files.open_project(str(second.folder))
    assert not autosave.lock_path(first.folder).exists()
    assert autosave.lock_path(second.folder).exists()
    sessions = list(window.autosaver.sessions.glob("*.json"))
    assert [json.loads(p.read_text())["folder"] for p in sessions] == [str(second.folder)]
    window.close()
    assert not autosave.lock_path(second.folder).exists()
    assert not list(window.autosaver.sessions.glob("*.json"))


def test_opening_a_project_another_studio_has_open_says_so(qtbot, open_window, tmp_path):
    project = make_project(tmp_path)
    first = open_window(project)
    second = open_window()
    second.autosaver.ask = lambda folder, path: pytest.fail("a running studio has not crashed")
    second.files.open_project(str(project.folder))
    assert "also open in another studio" in second.statusBar().currentMessage()
    first.close()  # the lock is the second studio's now: the first one's close leaves it
    assert autosave.read_lock(project.folder)["token"] == second.autosaver._token


# Open Recent


def recent_titles(window: MainWindow) -> list[str]:
    return [a.text() for a in window.recent_menu.actions()]


def test_open_recent_lists_opened_and_saved_projects_most_recent_first(qtbot, open_window, tmp_path, monkeypatch):
    projects = [make_project(tmp_path, f"P{n}") for n in range(12)]
    window = open_window()
    assert not window.recent_menu.isEnabled()
    for project in projects:
        window.files.open_project(str(project.folder))
    titles = recent_titles(window)
    assert len(titles) == 10
    assert titles[0] == "&1 P11" and titles[-1] == "&0 P2"

    split_with_keys(qtbot, window, 6)
    monkeypatch.setattr(
        "studio.ui.file_actions.QFileDialog.getSaveFileName", lambda *a, **k: (str(tmp_path / "Copy.studio"), "")
    )
    window.files.save_as()
    assert recent_titles(window)[:2] == ["&1 Copy", "&2 P11"]

    second = open_window()  # another window, or the next start, sees the same list
    assert recent_titles(second)[:2] == ["&1 Copy", "&2 P11"]
    p5 = next(a for a in second.recent_menu.actions() if a.text().endswith("P5"))
    p5.trigger()
    assert second.document.project.name == "P5"
    assert recent_titles(second)[0] == "&1 P5"


def test_a_recent_project_that_is_gone_is_dropped_with_a_message(qtbot, open_window, tmp_path):
    gone = make_project(tmp_path, "Gone")
    window = open_window()
    window.files.open_project(str(gone.folder))
    window.files.new_project()
    gone.folder.rename(tmp_path / "Moved.studio")  # the person moved it away
    window.recent_menu.actions()[0].trigger()
    assert recent_titles(window) == []
    assert "no longer there" in window.statusBar().currentMessage()
    assert window.document.untitled


# Closing with unsaved changes


def test_closing_with_changes_asks_and_cancel_keeps_the_window(qtbot, open_window, tmp_path, monkeypatch):
    project = make_project(tmp_path)
    window = open_window(project)
    split_with_keys(qtbot, window, 10)
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    asked = []
    monkeypatch.setattr(
        "studio.ui.file_actions.QMessageBox.question",
        lambda parent, title, text, *a: asked.append(title) or answers.pop(0),
    )
    window.close()
    assert asked == ["Unsaved changes"]
    assert window.isVisible() and autosave.lock_path(project.folder).exists()
    window.close()
    assert asked == ["Unsaved changes"] * 2
    assert not window.isVisible()
    assert not autosave.lock_path(project.folder).exists()
    assert (
        json.loads((project.folder / "project.json").read_text())["sequences"][0]["tracks"][0]["clips"][0]["source_out"]
        == 24
    )  # discarded, not saved


# Purge unused media


def purge_action(window: MainWindow):
    file_menu = window.menuBar().actions()[0].menu()
    return next(a for a in file_menu.actions() if a.text() == "&Purge Unused Media…")


def test_purge_unused_media_removes_only_what_nothing_uses(qtbot, open_window, tmp_path, monkeypatch):
    project = make_project(tmp_path)
    media = project.folder / "media"
    (media / "orphan.mkv").write_bytes(b"an old take")
    window = open_window(project)
    # A take that arrived and was undone: its file stays (undo never deletes media) until purged.
    (media / "undone.mkv").write_bytes(b"undone take")
    window.document.push(AddMedia(MediaItem("undone", "media/undone.mkv", frames=12)))
    window.document.undo_stack.undo()
    assert (media / "undone.mkv").exists()

    questions = []
    answer = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(
        "studio.ui.purge.QMessageBox.question", lambda parent, title, text, *a: questions.append(text) or answer[0]
    )
    purge_action(window).trigger()
    assert "orphan.mkv" in questions[0] and "undone.mkv" in questions[0] and "ramp.mkv" not in questions[0]
    assert (media / "orphan.mkv").exists()  # cancelled

    # The cache's files for what goes: a purged draft's latents, a scrub copy of a file no item uses.
    cache = project.folder / "cache"
    (cache / "latents").mkdir(parents=True)
    (cache / "latents" / "undone.safetensors").write_bytes(b"latents")
    (cache / "latents" / "ramp.safetensors").write_bytes(b"latents of a take in use")
    (cache / "scrub").mkdir()
    in_use = scrub_copy.copy_prefix(media / "ramp.mkv") + "-0123456789.mkv"
    gone = scrub_copy.copy_prefix(media / "orphan.mkv") + "-0123456789.mkv"
    for name in (in_use, gone):
        (cache / "scrub" / name).write_bytes(b"a copy")

    answer[0] = QMessageBox.StandardButton.Yes
    purge_action(window).trigger()
    assert sorted(p.name for p in media.iterdir()) == ["ramp.mkv"]
    assert "Purged 2" in window.statusBar().currentMessage()
    assert [p.name for p in (cache / "latents").iterdir()] == ["ramp.safetensors"]
    assert [p.name for p in (cache / "scrub").iterdir()] == [in_use]

    infos = []
    monkeypatch.setattr("studio.ui.purge.QMessageBox.information", lambda parent, title, text: infos.append(text))
    purge_action(window).trigger()
    assert infos == ["Every file in media/ is in use."]


def test_purge_never_touches_files_a_symlinked_media_folder_leads_to(qtbot, open_window, tmp_path, monkeypatch):
    project = make_project(tmp_path)
    footage = tmp_path / "footage"
    (project.folder / "media").rename(footage)  # media/ now lives elsewhere, behind a link
    (project.folder / "media").symlink_to(footage, target_is_directory=True)
    (footage / "someone-elses.mov").write_bytes(b"not the project's")
    window = open_window(project)

    infos = []
    monkeypatch.setattr("studio.ui.purge.QMessageBox.information", lambda parent, title, text: infos.append(text))
    monkeypatch.setattr("studio.ui.purge.QMessageBox.question", lambda *a: QMessageBox.StandardButton.Yes)
    purge_action(window).trigger()
    assert infos == ["Every file in media/ is in use."]
    assert sorted(p.name for p in footage.iterdir()) == ["ramp.mkv", "someone-elses.mov"]


def test_an_autosave_on_a_full_disk_says_what_to_do(qtbot, open_window, tmp_path, monkeypatch):
    project = make_project(tmp_path)
    window = open_window(project)

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device", str(project.folder / "autosave" / "x.json"))

    monkeypatch.setattr(autosave, "write_autosave", full)
    split_with_keys(qtbot, window, 10)
    assert window.autosaver.autosave_now() is None
    assert window.statusBar().currentMessage() == (
        "Autosave failed: the disk is full. Free some space, or Save As elsewhere."
    )  # not "[Errno 28] … Save the project", which would fail the same way
