"""Sound: a file's audio as samples, a sequence's audio tracks mixed, and waveform peaks to draw.

All audio is handled as float32 stereo at SAMPLE_RATE. A timeline frame f starts at sample
round(f * SAMPLE_RATE / fps), the same rule for the viewer's playback and for export, so sound
and picture meet at every frame boundary (within half a sample).

Audio comes from clips on audio tracks that are not muted; a video clip's own sound reaches the
mix through the audio clip laid beside it when it was put on the timeline, as in other editors.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from ..core.project import MediaKind, Project, Sequence, TrackKind, TransitionKind
from ..core.timebase import FrameRate
from . import ffmpeg
from .probe import MediaError

SAMPLE_RATE = 48_000
CHANNELS = 2


def read_audio(path: str | os.PathLike[str], sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """The whole audio stream of a file as float32 (samples, 2), resampled; empty if it has none."""
    path = Path(path)
    if not path.is_file():
        raise MediaError(f"{path}: file not found")
    args = [
        ffmpeg.executable(),
        "-v",
        "error",
        "-nostdin",
        "-i",
        str(path),
        "-vn",
        "-map",
        "0:a:0?",
        "-ac",
        str(CHANNELS),
        "-ar",
        str(sample_rate),
        "-f",
        "f32le",
        "-",
    ]
    result = subprocess.run(args, capture_output=True, check=False)
    if result.returncode != 0:
        raise MediaError(f"{path}: cannot read its audio: {ffmpeg.last_lines(result.stderr)}")
    return np.frombuffer(result.stdout, np.float32).reshape(-1, CHANNELS).copy()


def write_audio(path: str | os.PathLike[str], samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> Path:
    """float32 (samples, 2) as a file whose kind follows its suffix (.wav: 32-bit float PCM, exact)."""
    path = Path(path)
    codec = ["-c:a", "pcm_f32le"] if path.suffix.lower() == ".wav" else []
    args = [
        ffmpeg.executable(),
        "-v",
        "error",
        "-y",
        "-f",
        "f32le",
        "-ar",
        str(sample_rate),
        "-ac",
        str(CHANNELS),
        "-i",
        "-",
        *codec,
        str(path),
    ]
    data = np.ascontiguousarray(samples, np.float32).tobytes()
    result = subprocess.run(args, input=data, capture_output=True, check=False)
    if result.returncode != 0:
        raise MediaError(f"{path}: cannot write audio: {ffmpeg.last_lines(result.stderr)}")
    return path


def frame_sample(frame: int, fps: FrameRate, sample_rate: int = SAMPLE_RATE) -> int:
    """The first sample of a timeline frame, rounded to the nearest, in integers so it is exact for
    rational rates such as 30000/1001 at any length."""
    return (2 * frame * sample_rate * fps.den + fps.num) // (2 * fps.num)


class AudioCache:
    """Decoded audio of media files, least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int = 512 * 1024 * 1024) -> None:
        self.max_bytes = max_bytes
        self._items: OrderedDict[tuple[str, int], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, path: Path) -> np.ndarray:
        key = (str(path.absolute()), path.stat().st_mtime_ns)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        samples = read_audio(path)
        with self._lock:
            self._items[key] = samples
            while sum(a.nbytes for a in self._items.values()) > self.max_bytes and len(self._items) > 1:
                self._items.popitem(last=False)
        return samples


class SequenceAudio:
    """The mix of a sequence's audible audio tracks, read a stretch of frames at a time. Reads the
    sequence on every call, so edits need no new one."""

    def __init__(self, project: Project, sequence: Sequence | None = None, cache: AudioCache | None = None) -> None:
        self.project = project
        self.sequence = sequence or project.sequence
        self.cache = cache or AudioCache()

    def audible(self) -> bool:
        """Whether any unmuted audio track has a clip."""
        return any(t.kind is TrackKind.AUDIO and not t.muted and t.clips for t in self.sequence.tracks)

    def samples(self, first_frame: int, frames: int) -> np.ndarray:
        """float32 (samples, 2) for timeline frames [first_frame, first_frame + frames), clipped to ±1.
        Offline or unreadable media is silence, as black is for pictures."""
        fps = self.sequence.fps
        start = frame_sample(first_frame, fps)
        end = frame_sample(first_frame + frames, fps)
        mix = np.zeros((end - start, CHANNELS), np.float32)
        for track in self.sequence.tracks:
            if track.kind is not TrackKind.AUDIO or track.muted:
                continue
            joins = track.live_transitions()
            for clip in track.clips:
                item = self.project.media.get(clip.media_id)
                if item is None or item.kind is MediaKind.IMAGE or self.project.is_offline(item):
                    continue
                # The clip's stretch on the timeline in samples (a cross-fade reaches past its cut), its
                # gain ramps (fades, cross-fades), and where it starts in its media: source_in counts
                # frames at the sequence's rate on the media's clock (see Clip), so sound and a
                # conformed picture of another rate stay together.
                span, ramps = _span_and_ramps(clip, joins, fps)
                lo, hi = max(start, span[0]), min(end, span[1])
                if lo >= hi:
                    continue
                try:
                    source = self.cache.get(self.project.media_path(item))
                except MediaError:
                    continue
                clip_start = frame_sample(clip.start, fps)
                offset = frame_sample(clip.source_in, fps)
                if not ramps and lo >= clip_start:  # the plain case: one slice of the media
                    src_lo = offset + (lo - clip_start)
                    piece = source[src_lo : src_lo + (hi - lo)]
                    mix[lo - start : lo - start + len(piece)] += piece
                    continue
                t = np.arange(lo, hi)
                src = offset + (t - clip_start)
                inside = (src >= 0) & (src < len(source))  # beyond the media's ends: silence
                piece = np.zeros((hi - lo, CHANNELS), np.float32)
                piece[inside] = source[src[inside]]
                gain = np.ones(hi - lo, np.float32)
                for a, b, rising in ramps:
                    level = ((t - a + 0.5) if rising else (b - t - 0.5)) / (b - a)
                    gain *= np.clip(level, 0.0, 1.0).astype(np.float32)
                mix[lo - start : hi - start] += piece * gain[:, None]
        np.clip(mix, -1.0, 1.0, out=mix)
        return mix


def _span_and_ramps(clip, joins, fps: FrameRate) -> tuple[tuple[int, int], list[tuple[int, int, bool]]]:
    """A clip's sound on the timeline, in samples: its span, and its gain ramps (start, end, rising).
    A fade ramps from or to silence at the clip's edge. A cross-dissolve with the next or previous
    clip runs the sound on over the transition's frames, the outgoing clip ramping down while the
    incoming one ramps up (past a media's end it is silence); a dip to black ramps each side to
    silence at the cut."""

    def at(frame: int) -> int:
        return frame_sample(frame, fps)

    first, end = at(clip.start), at(clip.end)
    ramps: list[tuple[int, int, bool]] = []
    if clip.fade_in:
        ramps.append((first, at(clip.start + clip.fade_in), True))
    if clip.fade_out:
        ramps.append((at(clip.end - clip.fade_out), end, False))
    for transition, left, right, cut in joins:
        if clip.id not in (left.id, right.id):
            continue
        window_start, window_end = (at(f) for f in transition.window(cut))
        outgoing = clip.id == left.id
        if transition.kind is TransitionKind.DIP:
            ramps.append((window_start, at(cut), False) if outgoing else (at(cut), window_end, True))
        elif outgoing:
            end = max(end, window_end)
            ramps.append((window_start, window_end, False))
        else:
            first = min(first, window_start)
            ramps.append((window_start, window_end, True))
    return (first, end), ramps


def peaks(
    path: str | os.PathLike[str], per_second: int = 200, cache_dir: str | os.PathLike[str] | None = None
) -> np.ndarray:
    """A waveform to draw: the largest absolute sample (of either channel) in each 1/per_second of a
    second, float32 in [0, 1]; cached as .npy in cache_dir, keyed by the file and its change time."""
    path = Path(path)
    cached = None
    if cache_dir is not None:
        stat = path.stat()
        key = f"{path.absolute()}|{stat.st_mtime_ns}|{stat.st_size}|{per_second}"
        cached = Path(cache_dir) / f"{hashlib.sha1(key.encode()).hexdigest()}.npy"
        if cached.exists():
            return np.load(cached)
    samples = np.abs(read_audio(path)).max(axis=1) if path.exists() else np.zeros(0, np.float32)
    bucket = SAMPLE_RATE // per_second
    count = -(-len(samples) // bucket)
    padded = np.zeros(count * bucket, np.float32)
    padded[: len(samples)] = samples
    result = padded.reshape(count, bucket).max(axis=1) if count else np.zeros(0, np.float32)
    if cached is not None:
        tmp = cached.with_name(f".{cached.stem}.{os.getpid()}.tmp.npy")
        try:
            cached.parent.mkdir(parents=True, exist_ok=True)
            np.save(tmp, result)
            os.replace(tmp, cached)
        except OSError:  # a cache that cannot be written (a full disk): the peaks are drawn all the same
            tmp.unlink(missing_ok=True)
    return result
