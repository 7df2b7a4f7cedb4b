"""The whole round as a person does it: type a prompt, press Generate, watch the job, find the
shot on the timeline, play it, export it — through the real window, engine worker and ffmpeg."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from studio.core import store
from studio.core.commands import MoveClip, TrimClip
from studio.core.project import Project
from studio.media.compose import SequenceFrames
from studio.media.probe import probe
from studio.media.takes import read_frames

ROOT = Path(__file__).resolve().parents[2]


def qimage_to_array(image: QImage) -> np.ndarray:
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    w, h = image.width(), image.height()
    data = np.frombuffer(image.constBits(), np.uint8, count=image.bytesPerLine() * h)
    return data.reshape(h, image.bytesPerLine())[:, : 3 * w].reshape(h, w, 3).copy()


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Round")
    store.save(project, tmp_path / "Round.studio")
    return open_window(project)


def choose(combo, text: str) -> None:
    index = combo.findText(text)
    assert index >= 0, f"{text!r} not offered"
    combo.setCurrentIndex(index)


def test_prompt_to_timeline_to_viewer_to_export(qtbot, window, tiny_ltx, tmp_path):
    panel = window.prompt_panel
    panel.set_model(str(tiny_ltx))
    qtbot.keyClicks(panel.prompt, "a lighthouse at dusk, waves breaking")
    choose(panel.aspect, "1:1 square")
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.selectAll()
    qtbot.keyClicks(panel.seconds, "0.5")
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)

    assert len(window.jobs_panel.rows) == 1
    row = next(iter(window.jobs_panel.rows.values()))
    seq = window.document.project.sequence
    qtbot.waitUntil(lambda: seq.duration > 0 or row.outcome in ("failed", "cancelled"), timeout=180_000)
    assert row.state.text() == "done", row.state.toolTip()
    assert row.progress.value() == row.progress.maximum()

    # The take is a media item with its recipe, and a clip on V1 at the playhead.
    (item,) = window.document.project.media.values()
    assert item.recipe.prompt == "a lighthouse at dusk, waves breaking"
    assert (item.width, item.height) == (128, 128)
    assert item.frames == 13  # 0.5 s at 24 fps is 12 frames; the tiny model makes 4k+1
    (clip,) = seq.tracks[0].clips
    assert (clip.start, clip.duration) == (0, 13)
    assert (seq.width, seq.height) == (128, 128)
    window.document.undo_stack.undo()
    assert seq.duration == 0 and window.document.project.media == {}
    assert window.document.project.media_path(item).exists()  # undo never deletes generated media
    window.document.undo_stack.redo()

    # Play from the start with the Space key; the viewer runs to the last frame and stops.
    window.viewer.seek(0)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    assert window.viewer.playing
    qtbot.waitUntil(lambda: not window.viewer.playing, timeout=10_000)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == 12, timeout=5_000)
    assert window.timeline.playhead == 12
    shown = qimage_to_array(window.viewer.view.image)
    expected = SequenceFrames(window.document.project, seq).frame_at(12)
    assert np.array_equal(shown, expected)
    assert shown.std() > 1  # a real picture, not a blank frame

    # Export through the dialog.
    window.files.export()
    dialog = window.files.export_dialog
    out = tmp_path / "round.mp4"
    dialog.path.setText(str(out))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.state != "running", timeout=60_000)
    assert dialog.state == "done", dialog.message
    info = probe(out)
    assert (info.frames, info.width, info.height) == (13, 128, 128)
    assert info.fps == seq.fps
    exported = read_frames(out)
    original = read_frames(window.document.project.media_path(item))
    # The tiny model makes near-noise, which H.264 keeps only roughly: still, every exported frame
    # must be nearer its own generated frame than any other frame of the take.
    distance = np.abs(exported[:, None].astype(np.int16) - original[None].astype(np.int16)).mean(axis=(2, 3, 4))
    assert (distance.argmin(axis=1) == np.arange(13)).all(), distance.round(1)


def test_gui_process_never_imports_torch(tiny_ltx, tmp_path):
    """The same round in a fresh process: after generating and exporting, torch was never loaded there."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("gui_round.py")), str(tiny_ltx), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "frames=13" in proc.stdout
    assert "torch-loaded=False" in proc.stdout


def test_cancel_buttons_stop_a_running_and_a_queued_job(qtbot, window, tiny_ltx):
    panel = window.prompt_panel
    panel.set_model(str(tiny_ltx))
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.setValue(1.0)
    for prompt in ("first shot", "second shot"):
        panel.prompt.setPlainText(prompt)
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    running, queued = (window.jobs_panel.rows[job.id] for job in window.service.jobs())
    qtbot.mouseClick(queued.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: queued.state.text() == "cancelled", timeout=5_000)
    qtbot.mouseClick(running.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: running.state.text() == "cancelled", timeout=120_000)
    assert window.document.project.sequence.duration == 0
    assert list(window.document.media_dir.iterdir()) == []  # no take, not even a partial one


def test_a_cancelled_job_is_retried_from_its_row_and_shows_previews(qtbot, window, tiny_ltx):
    panel = window.prompt_panel
    panel.set_model(str(tiny_ltx))
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.setValue(0.5)
    panel.prompt.setPlainText("a lamp flickers")
    window.timeline.set_playhead(24)
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    (job,) = window.service.jobs()
    row = window.jobs_panel.rows[job.id]
    qtbot.mouseClick(row.cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: row.state.text() == "cancelled", timeout=120_000)
    assert row.retry.isVisible() and not window.timeline.placeholders
    qtbot.mouseClick(row.retry, Qt.MouseButton.LeftButton)
    (placeholder,) = window.timeline.placeholders.values()
    assert placeholder.start == 24  # where the first attempt was to land
    retried = window.jobs_panel.rows[next(j.id for j in window.service.jobs() if j.id != job.id)]
    qtbot.waitUntil(lambda: window.document.project.sequence.duration > 0, timeout=180_000)
    (clip,) = window.document.project.sequence.tracks[0].clips
    assert clip.start == 24
    assert retried.preview.pixmap() is not None and not retried.preview.pixmap().isNull()  # from the latents
    assert window.document.project.media[clip.media_id].recipe.prompt == "a lamp flickers"


def drop_files(widget, paths: list[Path], pos: QPoint | None = None) -> None:
    """Files dragged from the file manager and dropped on a widget: enter, then drop."""
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path)) for path in paths])
    pos = widget.rect().center() if pos is None else pos
    enter = QDragEnterEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted(), f"{widget} refused {[p.name for p in paths]}"
    drop = QDropEvent(
        QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, drop)


def test_dropped_stills_animate_from_first_to_last_frame(qtbot, window, tiny_ltx, still_images):
    first, last = still_images
    panel = window.prompt_panel
    panel.set_model(str(tiny_ltx))
    assert panel.first_frame.isEnabled()  # the tiny LTX card lists image_to_video
    panel.prompt.setPlainText("the gradient turns into a red field")
    choose(panel.aspect, "1:1 square")
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.setValue(0.5)
    drop_files(panel.first_frame, [first])
    drop_files(panel.last_frame, [last])
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    seq = window.document.project.sequence
    qtbot.waitUntil(lambda: seq.duration > 0, timeout=180_000)
    (item,) = window.document.project.media.values()
    assert item.recipe.mode == "image_to_video"
    assert [(Path(c.path), c.frame_index) for c in item.recipe.conditions] == [(first, 0), (last, 12)]
    assert item.frames == 13


def test_stills_are_not_offered_for_a_model_that_cannot_animate_them(qtbot, window, tiny_ltx, tmp_path):
    text_only = tmp_path / "text-only"
    shutil.copytree(tiny_ltx, text_only)
    card = text_only / "studio-card.toml"
    card.write_text(re.sub(r"^modes = .*$", 'modes = ["text_to_video"]', card.read_text(), flags=re.MULTILINE))
    panel = window.prompt_panel
    panel.set_model(str(text_only))
    assert not panel.first_frame.isEnabled() and not panel.last_frame.isEnabled()
    assert "cannot animate stills" in panel.images_hint.text()
    panel.set_model(str(tiny_ltx))
    assert panel.first_frame.isEnabled()


def test_shots_wait_on_the_timeline_as_placeholders_and_land_where_they_stood(qtbot, window, tiny_ltx):
    panel = window.prompt_panel
    panel.set_model(str(tiny_ltx))
    choose(panel.aspect, "1:1 square")
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.setValue(0.5)
    window.timeline.set_playhead(24)
    for prompt in ("a door opens", "a figure steps out"):
        panel.prompt.setPlainText(prompt)
        qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    first, second = window.service.jobs()
    placeholders = window.timeline.placeholders
    assert [(p.start, p.frames) for p in placeholders.values()] == [(24, 13), (37, 13)]  # queued one after the other
    progress = []
    window.bridge.event.connect(lambda e: first.id in placeholders and progress.append(placeholders[first.id].progress))
    qtbot.waitUntil(lambda: not placeholders, timeout=240_000)
    assert progress and max(progress) == 1.0  # the placeholder followed the denoising steps
    clips = window.document.project.sequence.tracks[0].clips
    assert [(c.start, c.duration) for c in clips] == [(24, 13), (37, 13)]
    assert [window.document.project.media[c.media_id].recipe.prompt for c in clips] == [
        "a door opens",
        "a figure steps out",
    ]


def test_a_worker_that_dies_fails_its_job_and_the_editor_carries_on(qtbot, window, tiny_ltx):
    panel = window.prompt_panel
    panel.set_model(str(tiny_ltx))
    choose(panel.aspect, "1:1 square")
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.setValue(0.5)
    panel.prompt.setPlainText("a shot the worker will not finish")
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.service.worker_pid is not None, timeout=30_000)
    os.kill(window.service.worker_pid, 9)  # as the kernel does when memory runs out
    (row,) = window.jobs_panel.rows.values()
    qtbot.waitUntil(lambda: row.outcome == "failed", timeout=60_000)
    assert "stopped unexpectedly" in row.state.toolTip()
    assert row.state.text() == f"failed: {row.state.toolTip()}"  # why, in sight, not only on hover
    assert not window.timeline.placeholders and window.document.project.sequence.duration == 0
    # The next shot gets a fresh worker and lands.
    panel.prompt.setPlainText("the next shot")
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.document.project.sequence.duration == 13, timeout=180_000)


def generate_one(qtbot, window, tiny_ltx, prompt: str) -> None:
    panel = window.prompt_panel
    panel.set_model(str(tiny_ltx))
    choose(panel.aspect, "1:1 square")
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.setValue(0.5)
    panel.prompt.setPlainText(prompt)
    before = len(window.document.project.media)
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.document.project.media) > before, timeout=180_000)


def drag_edge(qtbot, timeline, from_frame: int, to_frame: int) -> None:
    from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT

    y = RULER_HEIGHT + TRACK_HEIGHT // 2
    start, end = QPoint(timeline.frame_to_x(from_frame), y), QPoint(timeline.frame_to_x(to_frame), y)
    qtbot.mousePress(timeline, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(timeline, (start + end) / 2)
    qtbot.mouseMove(timeline, end)
    qtbot.mouseRelease(timeline, Qt.MouseButton.LeftButton, pos=end)


@pytest.mark.parametrize("edge", ["right", "left"])
def test_dragging_a_generated_clips_edge_past_its_media_extends_it(qtbot, window, tiny_ltx, edge):
    generate_one(qtbot, window, tiny_ltx, "a boat drifts")
    project = window.document.project
    (clip,) = project.sequence.tracks[0].clips
    original = project.media[clip.media_id]
    if edge == "left":  # room on the left to grow into
        window.document.push(MoveClip(clip.id, 20))
    window.timeline.set_zoom(8.0, 0)
    old_frames = read_frames(project.media_path(original))
    edge_frame = clip.end if edge == "right" else clip.start
    drag_edge(qtbot, window.timeline, edge_frame, edge_frame + (6 if edge == "right" else -6))
    assert len(window.timeline.placeholders) == 1  # the extension waits on the timeline
    (placeholder,) = window.timeline.placeholders.values()
    assert placeholder.frames == 6
    qtbot.waitUntil(lambda: not window.timeline.placeholders, timeout=180_000)
    assert clip.media_id != original.id and clip.takes == [original.id, clip.media_id]
    assert clip.duration == 19  # 13 frames and the 6 dragged past them
    extended = read_frames(project.media_path(project.media[clip.media_id]))
    # The original take's frames are in the extension exactly, and the clip shows them where it did.
    if edge == "right":
        assert clip.start == 0 and np.array_equal(extended[:13], old_frames)
    else:
        added = len(extended) - 13
        assert clip.start == 14 and np.array_equal(extended[added:], old_frames)
        assert clip.source_in == added - 6
    assert project.media[clip.media_id].recipe.mode == ("extend_forward" if edge == "right" else "extend_backward")
    window.document.undo_stack.undo()
    assert clip.media_id == original.id and clip.duration == 13


def test_stills_dropped_on_the_timeline_are_animated_where_they_land(qtbot, window, tiny_ltx, still_images):
    first, last = still_images
    panel = window.prompt_panel
    panel.set_model(str(tiny_ltx))
    choose(panel.aspect, "1:1 square")
    choose(panel.resolution, "Tiny (128p)")
    panel.seconds.setValue(0.5)
    panel.prompt.setPlainText("the gradient slides into red")
    timeline = window.timeline
    from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT

    drop_files(timeline, [first, last], QPoint(timeline.frame_to_x(30), RULER_HEIGHT + TRACK_HEIGHT // 2))
    assert [p.start for p in timeline.placeholders.values()] == [30], window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: window.document.project.sequence.duration > 0, timeout=180_000)
    (clip,) = window.document.project.sequence.tracks[0].clips
    recipe = window.document.project.media[clip.media_id].recipe
    assert clip.start == 30 and recipe.mode == "image_to_video"
    assert [Path(c.path) for c in recipe.conditions] == [first, last]


def test_a_selected_gap_is_filled_with_a_bridge_exactly_its_length(qtbot, window, tiny_ltx):
    generate_one(qtbot, window, tiny_ltx, "a boat drifts")
    window.timeline.set_playhead(13)
    generate_one(qtbot, window, tiny_ltx, "the boat reaches the shore")
    project = window.document.project
    first, second = project.sequence.tracks[0].clips
    window.document.push(MoveClip(second.id, 19))  # a 6-frame gap: no 4k+1 bridge is 6 frames long
    window.timeline.set_zoom(8.0, 0)
    from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT

    gap_point = QPoint(window.timeline.frame_to_x(15), RULER_HEIGHT + TRACK_HEIGHT // 2)
    qtbot.mouseClick(window.timeline, Qt.MouseButton.LeftButton, pos=gap_point)
    panel = window.prompt_panel
    assert panel.generate_button.text() == "Fill Gap (6 frames)"
    panel.prompt.setPlainText("the boat glides on")
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    (placeholder,) = window.timeline.placeholders.values()
    assert (placeholder.start, placeholder.frames) == (13, 6)
    said = window.statusBar().currentMessage()  # the service's note on the length, as a sentence
    assert said.startswith("Filling the gap. The bridge is made ") and said.endswith(" thinned evenly to 6."), said
    qtbot.waitUntil(lambda: not window.timeline.placeholders, timeout=180_000)
    bridge = next(c for c in project.sequence.tracks[0].clips if c.id not in (first.id, second.id))
    assert (bridge.start, bridge.end) == (13, 19)  # fills the gap, touching both clips
    item = project.media[bridge.media_id]
    assert item.recipe.mode == "connect" and item.recipe.bridge_frames == 6 and item.frames == 6
    assert [c.media_id for c in item.recipe.conditions] == [first.media_id, second.media_id]
    assert panel.generate_button.text() == "Generate"  # the gap is gone
    window.timeline.set_playhead(16)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == 16, timeout=10_000)
    shown = qimage_to_array(window.viewer.view.image)
    assert np.array_equal(shown, read_frames(project.media_path(item))[3])  # the viewer shows the bridge


def test_takes_from_the_prompt_panel_land_as_one_clip_with_every_variation(qtbot, window, tiny_ltx):
    window.prompt_panel.takes.setValue(3)
    window.prompt_panel.seed.setValue(40)
    generate_one(qtbot, window, tiny_ltx, "a kite in the wind")
    assert len(window.timeline.placeholders) <= 1  # one shot waits on the timeline, not three
    project = window.document.project
    qtbot.waitUntil(lambda: len(project.media) == 3 and not window.timeline.placeholders, timeout=180_000)
    (clip,) = project.sequence.tracks[0].clips
    qtbot.waitUntil(lambda: len(clip.takes) == 3, timeout=10_000)
    assert sorted(project.media[m].recipe.seed for m in clip.takes) == [40, 41, 42]
    window.timeline.select(clip.id)
    assert window.inspector.takes.count() == 3


def test_remix_from_the_inspector_adds_a_take_and_shows_it(qtbot, window, tiny_ltx):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QDialogButtonBox

    generate_one(qtbot, window, tiny_ltx, "a boat drifts")
    project = window.document.project
    (clip,) = project.sequence.tracks[0].clips
    original = clip.media_id
    window.timeline.select(clip.id)

    def fill_in_the_dialog():
        dialog = QApplication.activeModalWidget()
        dialog.prompt.selectAll()
        qtbot.keyClicks(dialog.prompt, "a boat drifts at night")
        dialog.seed.setValue(7)
        ok = dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok)
        qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)

    QTimer.singleShot(200, fill_in_the_dialog)
    qtbot.mouseClick(window.inspector.remix_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: clip.media_id != original, timeout=180_000)
    remix = project.media[clip.media_id].recipe
    assert (remix.prompt, remix.seed) == ("a boat drifts at night", 7)
    assert clip.takes == [original, clip.media_id]
    window.document.undo_stack.undo()
    assert clip.media_id == original and clip.takes == [original]


def test_continue_starts_a_new_shot_from_the_clips_last_frame_right_after_it(qtbot, window, tiny_ltx):
    from PySide6.QtGui import QImage

    generate_one(qtbot, window, tiny_ltx, "a boat drifts")
    project = window.document.project
    (clip,) = project.sequence.tracks[0].clips
    window.document.push(TrimClip(clip.id, "right", 10))  # the last frame shown is now frame 9
    window.timeline.select(clip.id)
    window.timeline.setFocus()
    ctrl_shift = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(window.timeline, Qt.Key.Key_C, ctrl_shift)
    (placeholder,) = window.timeline.placeholders.values()
    assert placeholder.start == 10
    qtbot.waitUntil(lambda: len(project.sequence.tracks[0].clips) == 2, timeout=180_000)
    after = project.sequence.tracks[0].clips[1]
    assert (after.start, after.source_in) == (10, 1)  # its first frame is the clip's last: not shown twice
    item = project.media[after.media_id]
    (still,) = item.recipe.conditions
    shown_last = read_frames(project.media_path(project.media[clip.media_id]))[9]
    picture = qimage_to_array(QImage(str(project.folder / still.path)))
    assert np.array_equal(picture, shown_last)  # the trimmed clip's last frame, exactly
    # A still from a generated clip is generated material: it says so, with the clip's recipe.
    marked = QImage(str(project.folder / still.path))
    assert marked.text("Comment").startswith("AI-generated (studio): ") and '"a boat drifts"' in marked.text("Comment")
    assert '"ai_generated":true' in marked.text("Description")
