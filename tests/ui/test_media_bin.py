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
