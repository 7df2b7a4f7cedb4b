"""Sound in the editor: playback hands the sound card the mix from the playhead and the picture
follows the sound card's clock; audio clips show their waveform; imported sound lands on A1."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from studio.core import store
from studio.core.project import Clip, MediaItem, MediaKind, Project
from studio.media.audio import SequenceAudio, write_audio
from studio.media.takes import write_frames
from studio.ui.audio_player import BYTES_PER_SECOND
from studio.ui.timeline import RULER_HEIGHT, TRACK_HEIGHT


class RealTimeOutput:
    """A sound card that plays at real speed and keeps every byte it was given."""

    def __init__(self, buffer_seconds: float = 0.2) -> None:
        self.capacity = int(BYTES_PER_SECOND * buffer_seconds)
        self.received = bytearray()
        self.started: float | None = None

    def start(self) -> None:
        self.started = time.monotonic()

    def _played(self) -> int:
        elapsed = int((time.monotonic() - self.started) * BYTES_PER_SECOND) if self.started else 0
        return min(len(self.received), elapsed - elapsed % 8)

    def write(self, data: bytes) -> int:
        room = self.free_bytes()
        taken = max(0, min(len(data), room - room % 8))
        self.received += data[:taken]
        return taken

    def free_bytes(self) -> int:
        return self.capacity - (len(self.received) - self._played())

    def played_seconds(self) -> float:
        return self._played() / BYTES_PER_SECOND

    def stop(self) -> None:
        self.started = None


@pytest.fixture
def window(open_window, tmp_path):
    """A grey picture on V1 for 3 s and, on A1, a 3 s tone whose level rises each second."""
    project = Project.new("Sound")
    store.save(project, tmp_path / "Sound.studio")
    write_frames(project.folder / "media" / "grey.mkv", np.full((72, 32, 32, 3), 90, np.uint8), 24)
    tone = np.sin(np.arange(3 * 48000) * 2 * np.pi * 440 / 48000)[:, None] * np.repeat([0.2, 0.5, 0.8], 48000)[:, None]
    write_audio(project.folder / "media" / "tone.wav", np.repeat(tone, 2, 1).astype(np.float32))
    project.media["g"] = MediaItem(id="g", path="media/grey.mkv", frames=72, width=32, height=32, name="grey")
    project.media["t"] = MediaItem(id="t", path="media/tone.wav", kind=MediaKind.AUDIO, frames=72, name="tone")
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("v", "g", 0, 0, 72)]
    project.sequence.tracks[1].clips = [Clip("a", "t", 0, 0, 72)]
    window = open_window(project)
    window.timeline.px_per_frame = 4.0
    return window


def test_playback_sends_the_mix_from_the_playhead_and_the_picture_follows_the_sound(qtbot, window):
    outputs = []
    window.viewer.audio.output_factory = lambda: outputs.append(RealTimeOutput()) or outputs[-1]
    window.timeline.set_playhead(12)
    window.timeline.setFocus()
    qtbot.keyClick(window.timeline, Qt.Key.Key_Space)
    qtbot.wait(600)
    output = outputs[0]
    played = output.played_seconds()
    frame = window.viewer.frame
    qtbot.keyClick(window.timeline, Qt.Key.Key_Space)
    assert not window.viewer.audio.playing
    assert 0.3 < played < 1.5
    # the picture is where the sound is (12 frames in, plus what has been heard), within two frames
    assert abs(frame - (12 + played * 24)) <= 2
    received = np.frombuffer(bytes(output.received), np.float32).reshape(-1, 2)
    expected = SequenceAudio(window.document.project).samples(12, 60)
    assert len(received) > 0.3 * 48000
    assert np.array_equal(received, expected[: len(received)])  # exactly the mix from frame 12 on


def test_a_muted_track_or_no_sound_card_leaves_playback_on_its_own_clock(qtbot, window):
    window.viewer.audio.output_factory = lambda: None  # no sound card
    window.viewer.play()
    qtbot.wait(300)
    assert window.viewer.playing and not window.viewer.audio.playing and window.viewer.frame > 0
    window.viewer.pause()
    given = []
    window.viewer.audio.output_factory = lambda: given.append(1) or RealTimeOutput()
    window.document.project.sequence.tracks[1].muted = True
    window.viewer.play()
    qtbot.wait(100)
    window.viewer.pause()
    assert given == []  # nothing to hear: no sound card was even opened


def test_an_audio_clip_shows_its_waveform_louder_where_the_sound_is_louder(qtbot, window):
    window.resize(1400, 860)  # the test screen is small, and a first window fits its screen: the A1 row in view
    qtbot.waitUntil(lambda: window.height() == 860)
    timeline = window.timeline
    timeline.zoom_to_fit()
    row = timeline.track_rect(timeline.row_of(window.document.project.sequence.tracks[1].id))

    def bar_height(frame: int) -> int:
        image = timeline.grab().toImage()
        x = timeline.frame_to_x(frame)
        return sum(1 for y in range(row.top(), row.bottom()) if image.pixelColor(x, y).green() > 200)

    qtbot.waitUntil(lambda: bar_height(6) > 0, timeout=10_000)
    quiet, loud = bar_height(6), bar_height(60)
    assert loud > quiet * 2  # 0.8 against 0.2


def test_a_dropped_video_with_sound_brings_its_sound_onto_an_audio_track(qtbot, window, tmp_path):
    from PySide6.QtCore import QMimeData

    from studio.ui.media_bin import MEDIA_MIME

    project = window.document.project
    project.media["g"].has_audio = True
    project.sequence.tracks[0].clips.clear()
    project.sequence.tracks[1].clips.clear()
    mime = QMimeData()
    mime.setData(MEDIA_MIME, b"g")
    timeline = window.timeline
    from PySide6.QtCore import QPointF
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    point = QPoint(timeline.frame_to_x(10), RULER_HEIGHT + TRACK_HEIGHT // 2)
    enter = QDragEnterEvent(
        point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(timeline, enter)
    drop = QDropEvent(
        QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    )
    QApplication.sendEvent(timeline, drop)
    video, audio = project.sequence.tracks[0].clips, project.sequence.tracks[1].clips
    assert [(c.media_id, c.start, c.duration) for c in video] == [("g", 10, 72)]
    assert [(c.media_id, c.start, c.duration) for c in audio] == [("g", 10, 72)]
