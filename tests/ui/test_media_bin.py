"""The media bin: import by dropping files from the file manager, search, and drag to the timeline."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from studio.core import store
from studio.core.project import Project
from studio.media.takes import write_frames
from studio.ui.media_bin import MEDIA_MIME
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT


@pytest.fixture
def window(open_window, tmp_path):
    project = Project.new("Bin")
    store.save(project, tmp_path / "Bin.studio")
    return open_window(project)


@pytest.fixture
def files(tmp_path):
    clip = tmp_path / "harbour.mkv"
    write_frames(clip, np.full((12, 48, 64, 3), (20, 120, 200), np.uint8), 24)
    still = tmp_path / "poster.png"
    Image.fromarray(np.full((40, 40, 3), 200, np.uint8)).save(still)
    broken = tmp_path / "notes.txt"
    broken.write_text("not a video")
    return clip, still, broken


def send_drop(widget, mime: QMimeData, pos: QPoint) -> None:
    enter = QDragEnterEvent(
        pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(
        widget,
        QDropEvent(
            QPointF(pos), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
        ),
    )


def test_dropped_files_are_probed_and_imported_as_one_undo_step(qtbot, window, files):
    clip, still, broken = files
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in files])
    send_drop(window.media_bin.list.viewport(), mime, QPoint(10, 10))
    media = window.document.project.media
    qtbot.waitUntil(lambda: len(media) == 2, timeout=10_000)
    by_name = {m.name: m for m in media.values()}
    assert (by_name["harbour.mkv"].frames, by_name["harbour.mkv"].width) == (12, 64)
    assert by_name["poster.png"].kind == "image"
    assert "notes.txt" in window.statusBar().currentMessage()  # the unreadable one is named
    assert window.media_bin.list.count() == 2
    window.document.undo_stack.undo()
    assert media == {}


def test_search_filters_the_bin(qtbot, window, files):
    window.media_bin.import_files(list(files[:2]))
    qtbot.waitUntil(lambda: window.media_bin.list.count() == 2, timeout=10_000)
    qtbot.keyClicks(window.media_bin.search, "harb")
    visible = [window.media_bin.list.item(i).text() for i in range(2) if not window.media_bin.list.item(i).isHidden()]
    assert len(visible) == 1 and visible[0].startswith("harbour.mkv")


def test_bin_items_dragged_to_the_timeline_become_clips_where_dropped(qtbot, window, files):
    window.media_bin.import_files(list(files[:2]))
    media = window.document.project.media
    qtbot.waitUntil(lambda: len(media) == 2, timeout=10_000)
    ids = [m.id for m in sorted(media.values(), key=lambda m: m.name)]  # harbour.mkv, poster.png
    bin_list = window.media_bin.list
    rows = [bin_list.item(i) for i in range(bin_list.count())]
    mime = bin_list.mimeData(sorted(rows, key=lambda r: ids.index(r.data(Qt.ItemDataRole.UserRole))))
    timeline = window.timeline
    drop_at = QPoint(timeline.frame_to_x(10), RULER_HEIGHT + TRACK_HEIGHT // 2)
    send_drop(timeline, mime, drop_at)
    clips = window.document.project.sequence.tracks[0].clips
    # The clip at the drop frame, the still after it for five seconds.
    assert [(c.media_id, c.start, c.duration) for c in clips] == [(ids[0], 10, 12), (ids[1], 22, 120)]
    assert window.document.undo_stack.undoText() == "Add clips"
    window.viewer.seek(15)
    qtbot.waitUntil(lambda: window.viewer.shown_frame == 15, timeout=5000)
    image = window.viewer.view.image  # the clip, fitted into the 768x512 sequence frame
    centre = image.pixelColor(image.width() // 2, image.height() // 2)
    assert abs(centre.blue() - 200) < 4 and abs(centre.green() - 120) < 4


def test_a_sound_file_imports_with_its_length_and_drops_onto_an_audio_track(qtbot, window, tmp_path):
    from studio.media.audio import write_audio

    sound = tmp_path / "rain.wav"
    write_audio(sound, np.zeros((int(2.5 * 48000), 2), np.float32))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(sound))])
    send_drop(window.media_bin.list.viewport(), mime, QPoint(10, 10))
    media = window.document.project.media
    qtbot.waitUntil(lambda: len(media) == 1, timeout=10_000)
    (item,) = media.values()
    assert (item.kind, item.frames) == ("audio", 60)  # 2.5 s at the sequence's 24 fps
    timeline = window.timeline
    drag = QMimeData()
    drag.setData(MEDIA_MIME, item.id.encode())
    send_drop(timeline, drag, QPoint(timeline.frame_to_x(0) + 5, RULER_HEIGHT + TRACK_HEIGHT // 2))
    audio = window.document.project.sequence.tracks[1]
    assert [(c.media_id, c.duration) for c in audio.clips] == [(item.id, 60)]


def drop_refused(widget, mime: QMimeData) -> bool:
    enter = QDragEnterEvent(
        QPoint(5, 5), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(widget, enter)
    return not enter.isAccepted()


def test_stills_dragged_from_the_bin_fill_the_shot_panels_image_slots_and_animate(qtbot, window, files, tmp_path):
    """Journey 5: "drag from the bin into the Shot panel's frame slots". The slots took only files from the
    file manager, and refused what the bin drags (its media ids)."""
    clip, still, _ = files
    end = tmp_path / "end.png"
    Image.fromarray(np.full((40, 40, 3), 90, np.uint8)).save(end)
    window.media_bin.import_files([clip, still, end])
    media = window.document.project.media
    qtbot.waitUntil(lambda: len(media) == 3, timeout=10_000)
    by_name = {m.name: m for m in media.values()}
    bin_list = window.media_bin.list
    row = {bin_list.item(i).data(Qt.ItemDataRole.UserRole): bin_list.item(i) for i in range(bin_list.count())}
    panel = window.prompt_panel

    send_drop(panel.first_frame, bin_list.mimeData([row[by_name["poster.png"].id]]), QPoint(5, 5))
    send_drop(panel.last_frame, bin_list.mimeData([row[by_name["end.png"].id]]), QPoint(5, 5))
    project = window.document.project
    assert panel.first_frame.value() == str(project.media_path(by_name["poster.png"]))
    assert panel.last_frame.value() == str(project.media_path(by_name["end.png"]))
    assert drop_refused(panel.first_frame, bin_list.mimeData([row[by_name["harbour.mkv"].id]]))  # a video is no still
    two = bin_list.mimeData([row[by_name["poster.png"].id], row[by_name["end.png"].id]])
    assert drop_refused(panel.first_frame, two)  # one slot, one still
    send_drop(panel.references, two, QPoint(5, 5))  # (shown for models that take references)
    assert len(panel.references.paths()) == 2
    panel.references.list.clear()

    assert panel.model_value() == "demo"
    panel.prompt.setPlainText("a red circle moves right on a blue background")
    qtbot.mouseClick(panel.generate_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(media) == 4, timeout=120_000)
    (take,) = [m for m in media.values() if m.recipe is not None]
    assert [c.frame_index for c in take.recipe.conditions] == [0, take.recipe.frames - 1]  # first and last frame
