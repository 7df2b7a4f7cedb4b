"""Render a sequence to an H.264 MP4, frame by frame through the same compositor the viewer uses.

Frames go to ffmpeg's stdin as raw RGB at the sequence's exact rational rate, so the file holds
exactly sequence.duration frames. ffmpeg writes a temporary file beside the target, which is
renamed over it only once complete and checked: a cancelled or failed export leaves nothing new
behind, and an older file at the target stays as it was.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from ..core.project import Project, Sequence
from . import ffmpeg
from .audio import CHANNELS, SAMPLE_RATE, SequenceAudio
from .compose import SequenceFrames
from .probe import MediaError, probe

Progress = Callable[[int, int], None]
Cancel = threading.Event | Callable[[], bool]


class ExportError(MediaError):
    """An export that failed, with the reason (ffmpeg's own message when ffmpeg failed)."""


class ExportCancelled(Exception):
    """The export was cancelled; nothing was written."""


def export_sequence(
    project: Project,
    sequence: Sequence,
    out_path: str | os.PathLike[str],
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    *,
    crf: int = 18,
    preset: str = "medium",
    allow_offline: bool = False,
) -> Path:
    """Write the sequence to an H.264 MP4 (yuv420p, BT.709) at out_path and return the path.

    progress(done, total) is called after every frame; cancel (a threading.Event or a function
    returning True) is checked before every frame. Raises ExportCancelled when cancelled and
    ExportError when the export cannot be made. Clips whose media is offline are refused unless
    allow_offline, in which case they render as the viewer shows them (marked MEDIA OFFLINE).
    """
    out_path = Path(out_path)
    total = sequence.duration
    if total <= 0:
        raise ExportError(f"sequence {sequence.name!r} is empty: put a clip on the timeline to export it")
    if not out_path.parent.is_dir():
        raise ExportError(f"cannot write {out_path}: the folder {out_path.parent} does not exist")
    if not allow_offline:
        _check_online(project, sequence)
    is_cancelled = _cancel_check(cancel)
    # Reserve a fresh name (this also proves the folder writable before any work is done);
    # ffmpeg then writes over it. Not mkstemp: its owner-only mode would stay on the export.
    tmp = out_path.with_name(f".{out_path.stem}.{secrets.token_hex(4)}.part.mp4")
    try:
        os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except OSError as exc:
        raise ExportError(f"cannot write in {out_path.parent}: {exc.strerror or exc}") from exc
    sound = tmp.with_name(f"{tmp.stem}.sound.wav") if SequenceAudio(project, sequence).audible() else None
    try:
        if sound is not None:
            _mix_sound(project, sequence, sound, total, is_cancelled)
        _render(project, sequence, tmp, out_path, total, progress, is_cancelled, crf, preset, sound)
        _check_output(tmp, sequence, total)
        os.replace(tmp, out_path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        if sound is not None:
            sound.unlink(missing_ok=True)
    return out_path


def _mix_sound(project: Project, sequence: Sequence, path: Path, total: int, is_cancelled: Callable[[], bool]) -> None:
    """The audio tracks' mix for the whole sequence, exactly its length, as a float WAV, a second at a time."""
    mix = SequenceAudio(project, sequence)
    args = [ffmpeg.executable(), "-v", "error", "-y", "-f", "f32le", "-ar", str(SAMPLE_RATE), "-ac", str(CHANNELS),
            "-i", "pipe:0", "-c:a", "pcm_f32le", str(path)]
    step = max(1, round(float(sequence.fps)))
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            for first in range(0, total, step):
                if is_cancelled():
                    raise ExportCancelled(f"export of {sequence.name!r} cancelled while mixing its sound")
                proc.stdin.write(mix.samples(first, min(step, total - first)).tobytes())
            proc.stdin.close()
            if proc.wait() != 0:
                stderr.seek(0)
                raise ExportError(f"could not mix the sound: {ffmpeg.summary(stderr.read())}")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _render(project: Project, sequence: Sequence, tmp: Path, out_path: Path, total: int,
            progress: Progress | None, is_cancelled: Callable[[], bool], crf: int, preset: str,
            sound: Path | None = None) -> None:
    width, height, rate = sequence.width, sequence.height, str(sequence.fps)
    # yuv420p needs even sides: an odd one gets a black line rather than losing a line of picture.
    # Tagged BT.709 and converted with its matrix, so players show the colours the viewer shows.
    vf = "pad=ceil(iw/2)*2:ceil(ih/2)*2,scale=out_color_matrix=bt709:out_range=tv,format=yuv420p"
    args = [ffmpeg.executable(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", rate,
            "-i", "pipe:0", *(["-i", str(sound), "-map", "0:v", "-map", "1:a", "-c:a", "aac", "-b:a", "256k"]
                              if sound is not None else ["-an"]),
            "-vf", vf, "-c:v", "libx264", "-preset", preset, "-crf", str(crf),
            "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv",
            "-r", rate, "-fps_mode", "cfr", "-frames:v", str(total), "-movflags", "+faststart",
            "-f", "mp4", str(tmp)]
    frames = SequenceFrames(project, sequence, cache_bytes=64 * 1024 * 1024)
    with tempfile.TemporaryFile() as stderr, frames:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            for t in range(total):
                if is_cancelled():
                    raise ExportCancelled(f"export of {sequence.name!r} cancelled at frame {t} of {total}")
                try:
                    proc.stdin.write(frames.frame_at(t).tobytes())
                except BrokenPipeError:
                    break  # ffmpeg stopped: its exit status and message say why
                if progress is not None:
                    progress(t + 1, total)
            try:
                proc.stdin.close()
            except BrokenPipeError:
                pass
            if proc.wait() != 0:
                stderr.seek(0)
                raise ExportError(f"ffmpeg could not write {out_path}: {ffmpeg.summary(stderr.read())}")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stdin and not proc.stdin.closed:
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    pass


def _check_output(tmp: Path, sequence: Sequence, total: int) -> None:
    """Trust but verify: the file must hold every frame at the sequence's rate."""
    try:
        info = probe(tmp)
    except MediaError as exc:
        raise ExportError(f"the exported file cannot be read back: {exc}") from exc
    if info.frames != total or info.fps != sequence.fps:
        raise ExportError(f"the exported file has {info.frames} frames at {info.fps} fps, "
                          f"expected {total} at {sequence.fps}")


def _check_online(project: Project, sequence: Sequence) -> None:
    missing = []
    for track in sequence.video_tracks():
        for clip in track.clips if not track.hidden else []:  # a hidden track is not exported
            item = project.media.get(clip.media_id)
            if item is None:
                missing.append(f"media {clip.media_id} (not in the project)")
            elif project.is_offline(item):
                missing.append(str(project.media_path(item)))
    if missing:
        shown = ", ".join(sorted(set(missing))[:5])
        raise ExportError(f"media offline: {shown}; relink or remove those clips, or export with "
                          f"offline frames allowed")


def _cancel_check(cancel: Cancel | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel
