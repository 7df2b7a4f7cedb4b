"""A plain cut handed to ffmpeg whole: when nothing in an export's range needs composing, ffmpeg
decodes, cuts and scales the sources itself instead of the compositor piping every frame to it as
raw RGB (export.py). That leaves out, per frame, a decode into Python, the copies of the picture in
numpy and the pipe's 3 bytes a pixel; what is left is what ffmpeg alone would do.

A range is a plain cut when at each of its frames the picture is one clip's media frame as it is:
the topmost visible clip, a video file of the sequence's rate whose picture fills the frame exactly
(the same size, or the same shape, scaled), no fade, no live transition on a visible video track in
the range, every frame it uses inside the file. Gaps are black. Anything else (a fade, a dissolve,
another rate, bars around a picture, a still, an offline clip) renders through the compositor.

The pixels are the compositor's: each piece is cut by frame number (ffmpeg's trim filter counts the
decoder's frames, as decode.py counts them, so an in point on a non-keyframe is exact) and turned
into RGB by the same filters decode.py runs (scale, bicubic; rgb24) before the export's own chain.
ffmpeg decodes a file from its start up to the in point (the trim drops those frames), which costs
a decode of the head of each clip, not an encode. At most MAX_PIECES files are opened at once (one
ffmpeg input each), so a longer cut renders through the compositor.
"""

from __future__ import annotations

import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..core.project import MediaKind, Project, Sequence
from .compose import place
from .probe import MediaError, MediaInfo, probe

MAX_PIECES = 16  # files opened at once: each is an ffmpeg input with its own demuxer and decoder
DECODER_THREADS = "2"  # per input: bounded, as every input's decoder is open from the start


@dataclass(frozen=True)
class Piece:
    """A run of the range: `count` frames of one file from its frame `first`, or black (path None)."""

    path: Path | None
    first: int
    count: int


def plain_pieces(project: Project, sequence: Sequence, first: int, end: int) -> list[Piece] | None:
    """The range [first, end) as pieces ffmpeg can cut without composing, or None when some frame
    in it needs the compositor."""
    tracks = [track for track in reversed(sequence.video_tracks()) if not track.hidden]  # topmost first
    for track in tracks:
        for transition, _, _, cut in track.live_transitions():
            start, stop = transition.window(cut)
            if start < end and first < stop:
                return None
    infos: dict[Path, MediaInfo | None] = {}
    pieces: list[Piece] = []
    t = first
    while t < end:
        level, clip = len(tracks), None
        for i, track in enumerate(tracks):
            clip = track.clip_at(t)
            if clip is not None:
                level = i
                break
        # The run ends where its clip ends or a clip on a track above it begins.
        stop = min([end, *(c.start for track in tracks[:level] for c in track.clips if t < c.start < end)])
        if clip is None:
            stop = min([stop, *(c.start for track in tracks for c in track.clips if t < c.start)])
            pieces.append(Piece(None, 0, stop - t))
            t = stop
            continue
        stop = min(stop, clip.end)
        if (clip.fade_in and t < clip.start + clip.fade_in) or (clip.fade_out and stop > clip.end - clip.fade_out):
            return None
        item = project.media.get(clip.media_id)
        if item is None or item.kind is not MediaKind.VIDEO or item.fps != sequence.fps:
            return None
        path = project.media_path(item)
        if path not in infos:
            infos[path] = _probe(path)
        info = infos[path]
        if info is None or info.kind is not MediaKind.VIDEO:
            return None
        if place(info.width, info.height, sequence.width, sequence.height, clip.fit) != (
            0,
            0,
            sequence.width,
            sequence.height,
        ):
            return None  # bars or a crop around the picture: the compositor places it
        source = clip.source_frame(t)
        if source < 0 or source + stop - t > info.frames:
            return None  # frames the file does not hold show MEDIA OFFLINE in the compositor
        last = pieces[-1] if pieces else None
        if last is not None and last.path == path and last.first + last.count == source:
            pieces[-1] = Piece(path, last.first, last.count + stop - t)  # a split clip: one piece again
        else:
            pieces.append(Piece(path, source, stop - t))
        t = stop
    if sum(piece.path is not None for piece in pieces) > MAX_PIECES:
        return None
    return pieces


def _probe(path: Path) -> MediaInfo | None:
    try:
        return probe(path)
    except MediaError:
        return None


def cut_inputs(pieces: list[Piece], sequence: Sequence) -> tuple[list[str], str, int]:
    """ffmpeg's input options for the pieces' files, the filter graph that cuts them into one stream
    of rgb24 frames at the sequence's size labelled [cut] (its frame n at time n / rate), and the
    number of inputs."""
    width, height, rate = sequence.width, sequence.height, sequence.fps
    inputs: list[str] = []
    chains = []
    files = 0
    for n, piece in enumerate(pieces):
        if piece.path is None:
            source = f"color=c=black:s={width}x{height}:r={rate},trim=end_frame={piece.count}"
        else:
            # file: so that no name is read as another protocol (a "concat:" or "http:" prefix)
            inputs += ["-threads", DECODER_THREADS, "-i", f"file:{piece.path.absolute()}"]
            start, stop = piece.first, piece.first + piece.count
            files += 1
            source = f"[{files - 1}:v:0]trim=start_frame={start}:end_frame={stop},scale={width}:{height}:flags=bicubic"
        chains.append(f"{source},format=rgb24,setsar=1,setpts=PTS-STARTPTS[p{n}]")
    joined = "".join(f"[p{n}]" for n in range(len(pieces)))
    # Renumbered: frame n at n / rate exactly, so the constant-rate output neither drops nor repeats.
    graph = ";".join(chains) + f";{joined}concat=n={len(pieces)}:v=1:a=0,settb={rate.den}/{rate.num},setpts=N[cut]"
    return inputs, graph, files


def run_with_progress(
    args: list[str],
    total: int,
    progress: Callable[[int, int], None] | None,
    is_cancelled: Callable[[], bool],
    on_cancel: Callable[[int], BaseException],
    on_failure: Callable[[bytes], BaseException],
) -> None:
    """Run ffmpeg (args asking for `-progress pipe:1`), reporting the frames it has written as it
    reports them and stopping it when cancelled: raises on_cancel(frames done) or on_failure(its
    stderr)."""
    reports: queue.Queue[int | None] = queue.Queue()
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
        assert proc.stdout is not None  # stdout=PIPE
        reader = threading.Thread(target=_read_progress, args=(proc.stdout, reports), daemon=True)
        reader.start()
        done = 0
        try:
            while True:
                if is_cancelled():
                    raise on_cancel(done)
                try:
                    frames = reports.get(timeout=0.1)
                except queue.Empty:
                    continue
                if frames is None:  # ffmpeg closed its output: it has ended
                    break
                if min(frames, total) > done:
                    done = min(frames, total)
                    if progress is not None:
                        progress(done, total)
            if proc.wait() != 0:
                stderr.seek(0)
                raise on_failure(stderr.read())
            if done < total and progress is not None:
                progress(total, total)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            reader.join()
            proc.stdout.close()


def _read_progress(stdout: IO[bytes], reports: queue.Queue[int | None]) -> None:
    """ffmpeg's -progress lines (key=value): each frame= count, then None at the end."""
    try:
        for line in stdout:
            key, _, value = line.decode(errors="replace").strip().partition("=")
            if key == "frame" and value.isdigit():
                reports.put(int(value))
    finally:
        reports.put(None)
