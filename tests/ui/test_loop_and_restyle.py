"""Generate → Make Seamless Loop and Restyle Clip on a clip through the real window, engine worker and
tiny model: the take replaces what the clip shows, keeping its exact frames (a loop adds frames after
them; a restyle at strength 0 remakes nothing), as one undoable edit."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from studio.core import store
from studio.core.project import Clip, MediaItem, Project
from studio.core.recipe import Mode
from studio.media.takes import read_frames, write_frames
from studio.ui.remix_dialog import RemixDialog

CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


@pytest.fixture
def window(open_window, tmp_path, tiny_ltx):
    project = Project.new("Loop")
    store.save(project, tmp_path / "Loop.studio")
    frames = np.zeros((9, 64, 64, 3), np.uint8)
    frames[..., 0] = (np.arange(9) * 25).astype(np.uint8)[:, None, None]
    write_frames(project.folder / "media" / "waves.mkv", frames, 24)
    project.media["w"] = MediaItem(id="w", path="media/waves.mkv", frames=9, width=64, height=64, name="waves")
    project.sequence.width = project.sequence.height = 64
    project.sequence.tracks[0].clips = [Clip("c", "w", 0, 0, 9)]
    window = open_window(project)
    window.prompt_panel.set_model(str(tiny_ltx))
    window.prompt_panel.prompt.setPlainText("waves roll in")
    window.timeline.select("c")
    window.timeline.setFocus()
    return window


def shown(window):
    clip = window.document.project.sequence.tracks[0].clips[0]
    return clip, window.document.project.media[clip.media_id]


def test_a_clip_becomes_a_seamless_loop(qtbot, window):
    window.prompt_panel.seconds.setValue(0.2)  # about 5 new frames
    original = read_frames(window.document.project.media_path(shown(window)[1]))
    qtbot.keyClick(window.timeline, Qt.Key.Key_L, CTRL_SHIFT)
    (row,) = window.jobs_panel.rows.values()
    qtbot.waitUntil(lambda: shown(window)[0].media_id != "w" or row.outcome in ("failed", "cancelled"), timeout=180_000)
    clip, take = shown(window)
    assert take.recipe.mode is Mode.LOOP and take.frames > 9
    assert (clip.start, clip.source_in, clip.source_out) == (0, 0, take.frames)  # the clip and its way back
    assert np.array_equal(read_frames(window.document.project.media_path(take))[:9], original)
    window.document.undo_stack.undo()
    assert shown(window)[0].media_id == "w" and shown(window)[0].duration == 9


def test_a_clip_is_restyled_by_a_prompt_and_a_strength(qtbot, window, monkeypatch):
    def accept_at_strength_zero(dialog):
        assert dialog.windowTitle() == "Restyle clip" and dialog.strength.isVisibleTo(dialog)
        dialog.strength.setValue(0.0)
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(RemixDialog, "exec", accept_at_strength_zero)
    original = read_frames(window.document.project.media_path(shown(window)[1]))
    qtbot.keyClick(window.timeline, Qt.Key.Key_Y, CTRL_SHIFT)
    (row,) = window.jobs_panel.rows.values()
    qtbot.waitUntil(lambda: shown(window)[0].media_id != "w" or row.outcome in ("failed", "cancelled"), timeout=180_000)
    clip, take = shown(window)
    assert take.recipe.mode is Mode.VIDEO_TO_VIDEO and take.recipe.strength == 0.0
    assert clip.duration == 9 and np.array_equal(read_frames(window.document.project.media_path(take)), original)
