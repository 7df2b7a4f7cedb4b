"""Plays the sequence's sound with the viewer, and is the clock the viewer's picture follows.

A thread mixes the audio tracks (media.audio.SequenceAudio) a few frames at a time ahead of the
output; a timer on the Qt thread hands the mixed bytes to the sound card as it takes them. While
sound plays, the viewer shows the frame at the position the sound card has played to, so picture
and sound cannot drift apart; without sound (no audio clips, no sound card, shuttling at other
speeds) the viewer keeps its own clock.
"""

from __future__ import annotations

import queue
import threading

from PySide6.QtCore import QObject, QTimer

from ..media.audio import CHANNELS, SAMPLE_RATE, SequenceAudio
from .document import Document

BYTES_PER_SECOND = SAMPLE_RATE * CHANNELS * 4  # float32 stereo
CHUNK_FRAMES = 4  # frames of sound mixed at a time
AHEAD_CHUNKS = 6  # how far the mixer runs ahead of the sound card


class QtAudioOutput:
    """The default sound card through QAudioSink, in push mode. Qt Multimedia is imported only when
    there is sound to play: it starts the platform's audio services, which an editor without sound
    on its timeline has no use for."""

    def __init__(self) -> None:
        from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices

        fmt = QAudioFormat()
        fmt.setSampleRate(SAMPLE_RATE)
        fmt.setChannelCount(CHANNELS)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Float)
        self.sink = QAudioSink(QMediaDevices.defaultAudioOutput(), fmt)
        self.sink.setBufferSize(BYTES_PER_SECOND // 5)
        self._io = None

    @staticmethod
    def available() -> bool:
        from PySide6.QtMultimedia import QMediaDevices

        return not QMediaDevices.defaultAudioOutput().isNull()

    def start(self) -> None:
        self._io = self.sink.start()

    def write(self, data: bytes) -> int:
        return max(0, self._io.write(data)) if self._io is not None else 0

    def free_bytes(self) -> int:
        return self.sink.bytesFree()

    def played_seconds(self) -> float:
        """What has left the speakers: processed, less what still waits in the sink's buffer."""
        buffered = (self.sink.bufferSize() - self.sink.bytesFree()) / BYTES_PER_SECOND
        return max(0.0, self.sink.processedUSecs() / 1e6 - buffered)

    def stop(self) -> None:
        from PySide6.QtMultimedia import QAudio

        if self.sink.state() != QAudio.State.StoppedState:
            self.sink.stop()
        self._io = None


class AudioPlayer(QObject):
    def __init__(self, document: Document, output_factory=None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.document = document
        self.output_factory = output_factory if output_factory is not None else _default_output
        self.output = None
        self.playing = False
        self._chunks: queue.Queue[bytes] = queue.Queue(AHEAD_CHUNKS)
        self._pending = b""
        self._stop = threading.Event()
        self._mixer: threading.Thread | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(10)
        self._timer.timeout.connect(self._pump)

    def start(self, frame: int) -> bool:
        """Play the mix from a timeline frame; False (and silence) where there is nothing to hear or
        nothing to hear it with."""
        self.stop()
        mix = SequenceAudio(self.document.project)
        if not mix.audible():
            return False
        self.output = self.output_factory()
        if self.output is None:
            return False
        self._stop = threading.Event()
        self._chunks = queue.Queue(AHEAD_CHUNKS)
        self._pending = b""
        self._mixer = threading.Thread(
            target=self._mix, args=(mix, frame, self._stop, self._chunks), name="audio-mix", daemon=True
        )
        self._mixer.start()
        self.output.start()
        self.playing = True
        self._pump()
        self._timer.start()
        return True

    def played_seconds(self) -> float:
        return self.output.played_seconds() if self.playing and self.output is not None else 0.0

    def stop(self) -> None:
        self._timer.stop()
        self._stop.set()
        if self.output is not None:
            self.output.stop()
        self.output = None
        self.playing = False

    @staticmethod
    def _mix(mix: SequenceAudio, frame: int, stop: threading.Event, chunks: queue.Queue[bytes]) -> None:
        while not stop.is_set():
            data = mix.samples(frame, CHUNK_FRAMES).tobytes()
            frame += CHUNK_FRAMES
            while not stop.is_set():
                try:
                    chunks.put(data, timeout=0.05)
                    break
                except queue.Full:
                    continue

    def _pump(self) -> None:
        """Hand the sound card as many mixed bytes as it will take now."""
        output = self.output
        if output is None:
            return
        while True:
            if not self._pending:
                try:
                    self._pending = self._chunks.get_nowait()
                except queue.Empty:
                    return
            free = output.free_bytes()
            if free <= 0:
                return
            taken = output.write(self._pending[: free - free % 8])  # whole stereo float frames only
            self._pending = self._pending[taken:]
            if taken == 0:
                return


def _default_output():
    return QtAudioOutput() if QtAudioOutput.available() else None
