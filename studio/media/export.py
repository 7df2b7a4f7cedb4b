"""Render a sequence to a video file (H.264, H.265, AV1, ProRes), a PNG sequence or a WAV, frame by
frame through the same compositor the viewer uses.

Frames go to ffmpeg's stdin as raw RGB at the sequence's exact rational rate, so the file holds
exactly the sequence's frames (or those of the range asked for); a range that is a plain cut (no
fade, transition, retime or placing) goes to ffmpeg whole instead, which decodes and cuts the files
itself into the same pictures (plain_cut.py). Another output size is fitted
(or filled, or stretched) by ffmpeg's scaler, another rate conformed by dropping or repeating
frames. RenderSettings say how; studio/resources/render_presets.toml names the usual ones.

ffmpeg writes a temporary file (or folder) beside the target, which is renamed over it only once
complete and checked: a cancelled or failed export leaves nothing new behind, and an older file at
the target stays as it was.

An export with generated material in it is marked as AI-generated (provenance.py): tags written by
ffmpeg, then, as the last step, a signed C2PA manifest (MP4, MOV, WAV) or a sidecar recipe file (a
PNG sequence's folder). provenance=False leaves every mark out.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import subprocess
import tempfile
import threading
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..core import temporaries
from ..core.errors import StudioError
from ..core.presets import RESOURCES
from ..core.project import MediaKind, Project, Sequence, TrackKind, nearest_media_frame
from ..core.timebase import FrameRate
from . import ffmpeg, plain_cut
from . import provenance as _provenance  # the name `provenance` is export_sequence's switch
from .audio import CHANNELS, SAMPLE_RATE, SequenceAudio
from .compose import SequenceFrames
from .probe import MediaError, probe

Progress = Callable[[int, int], None]
Cancel = threading.Event | Callable[[], bool]


class ExportError(MediaError):
    """An export that failed, with the reason (ffmpeg's own message when ffmpeg failed)."""


class ExportCancelled(StudioError):
    """The export was cancelled; nothing was written."""


@dataclass(frozen=True)
class Codec:
    label: str
    suffix: str  # the container it is written in; "" for a folder of PNG files
    video: tuple[str, ...]  # ffmpeg's encoder arguments; () for sound only
    pix_fmt: str | None = None
    quality: tuple[str, int] | None = None  # the encoder's quality option and its default
    audio: tuple[str, ...] = ("-c:a", "aac", "-b:a", "256k")


CODECS = {
    "h264": Codec("H.264 MP4", ".mp4", ("-c:v", "libx264", "-preset", "medium"), "yuv420p", ("-crf", 18)),
    "h265": Codec(
        "H.265 (HEVC) MP4",
        ".mp4",
        ("-c:v", "libx265", "-preset", "medium", "-tag:v", "hvc1", "-x265-params", "log-level=error"),
        "yuv420p",
        ("-crf", 20),
    ),
    "av1": Codec("AV1 MP4", ".mp4", ("-c:v", "libsvtav1", "-preset", "8"), "yuv420p", ("-crf", 30)),
    "prores_422hq": Codec(
        "ProRes 422 HQ MOV",
        ".mov",
        ("-c:v", "prores_ks", "-profile:v", "3", "-vendor", "apl0"),
        "yuv422p10le",
        audio=("-c:a", "pcm_s24le"),
    ),
    "prores_4444": Codec(
        "ProRes 4444 MOV",
        ".mov",
        ("-c:v", "prores_ks", "-profile:v", "4", "-vendor", "apl0"),
        "yuv444p10le",
        audio=("-c:a", "pcm_s24le"),
    ),
    "png": Codec("PNG image sequence", "", ("-c:v", "png"), "rgb24", audio=()),
    "wav": Codec("WAV sound (24-bit)", ".wav", (), audio=("-c:a", "pcm_s24le")),
}
FITS = ("fit", "fill", "stretch")


@dataclass(frozen=True)
class RenderSettings:
    """How a sequence is rendered; None means "as the sequence is" (its size, its rate)."""

    codec: str = "h264"
    width: int | None = None
    height: int | None = None
    fps: FrameRate | None = None
    quality: int | None = None  # the codec's quality number (CRF: lower is better); None: its default
    bitrate: str | None = None  # e.g. "20M", instead of quality
    pix_fmt: str | None = None
    fit: str = "fit"  # the sequence's frame in another shape: fit (black bars), fill (crop), stretch
    preset: str = "medium"  # the x264/x265 speed preset
    name: str = field(default="", compare=False)

    def check(self) -> None:
        if self.codec not in CODECS:
            raise ExportError(f"unknown codec {self.codec!r}; the studio writes {', '.join(CODECS)}")
        if self.fit not in FITS:
            raise ExportError(f"unknown fit {self.fit!r}: use fit, fill or stretch")
        if self.pix_fmt is not None and not re.fullmatch(r"[a-z0-9]+", self.pix_fmt):
            raise ExportError(f"{self.pix_fmt!r} is not a pixel format name (ffmpeg's, e.g. yuv420p, yuv444p10le)")
        if (self.width is None) != (self.height is None) or any(
            v is not None and v <= 0 for v in (self.width, self.height)
        ):
            raise ExportError("give both a width and a height, both positive, or neither")


def load_presets(path: str | os.PathLike[str] | None = None) -> dict[str, RenderSettings]:
    """The render presets (studio/resources/render_presets.toml): id -> settings."""
    path = Path(path) if path else RESOURCES / "render_presets.toml"
    with open(path, "rb") as f:
        data = tomllib.load(f)
    presets = {}
    for key, entry in data.items():
        entry = dict(entry)
        if "fps" in entry:
            entry["fps"] = FrameRate.parse(entry["fps"])
        settings = RenderSettings(**entry)
        settings.check()
        presets[key] = settings
    return presets


def output_suffix(settings: RenderSettings) -> str:
    return CODECS[settings.codec].suffix


def export_sequence(
    project: Project,
    sequence: Sequence,
    out_path: str | os.PathLike[str],
    progress: Progress | None = None,
    cancel: Cancel | None = None,
    *,
    crf: int | None = None,
    preset: str | None = None,
    allow_offline: bool = False,
    settings: RenderSettings | None = None,
    frames: tuple[int, int] | None = None,
    provenance: bool = True,
) -> Path:
    """Render the sequence to out_path as settings say (H.264 MP4 at the sequence's size and rate
    by default) and return the path; a PNG sequence is a folder of NAME_000000.png files.

    frames = (first, end) renders only that range. progress(done, total) is called after every
    frame; cancel (a threading.Event or a function returning True) is checked before every frame.
    Raises ExportCancelled when cancelled and ExportError when the export cannot be made; nothing
    is left behind in either case. Clips whose media is offline are refused unless allow_offline,
    in which case they render as the viewer shows them (marked MEDIA OFFLINE). When the rendered
    tracks hold generated media, the file is marked as AI-generated unless provenance is False.
    """
    settings = settings or RenderSettings()
    if crf is not None:
        settings = replace(settings, quality=crf)
    if preset is not None:
        settings = replace(settings, preset=preset)
    settings.check()
    codec = CODECS[settings.codec]
    out_path = Path(out_path)
    first, end = frames if frames is not None else (0, sequence.duration)
    total = end - first
    if sequence.duration <= 0:
        raise ExportError(f"sequence {sequence.name!r} is empty: put a clip on the timeline to export it")
    if not 0 <= first < end <= sequence.duration:
        raise ExportError(f"the range {first}-{end} is not inside the sequence (frames 0-{sequence.duration})")
    if codec.suffix and out_path.suffix.lower() != codec.suffix:
        raise ExportError(f"{codec.label} is written as {codec.suffix}: name the file {out_path.stem}{codec.suffix}")
    if not codec.suffix and out_path.suffix:
        raise ExportError(f"a PNG sequence is a folder of images: give a folder name, not {out_path.name}")
    if not out_path.parent.is_dir():
        raise ExportError(f"cannot write {out_path}: the folder {out_path.parent} does not exist")
    if not codec.suffix and out_path.exists():
        raise ExportError(f"{out_path} exists: choose a new folder name for the PNG sequence")
    if not allow_offline:  # before ffmpeg starts: a refused export leaves nothing behind
        audible = bool(codec.audio) and SequenceAudio(project, sequence).audible()
        problems = offline_media(project, sequence, (first, end), picture=bool(codec.video), sound=audible)
        if problems:
            raise OfflineMediaError(problems)
    is_cancelled = _cancel_check(cancel)
    # Reserve a fresh name (this also proves the folder writable before any work is done);
    # ffmpeg then writes over it. Not mkstemp: its owner-only mode would stay on the export.
    tmp = out_path.with_name(f".{out_path.stem}.{secrets.token_hex(4)}.part{codec.suffix}")
    try:
        if codec.suffix:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        else:
            tmp.mkdir()
    except OSError as exc:
        raise ExportError(f"cannot write in {out_path.parent}: {exc.strerror or exc}") from exc
    audible = bool(codec.audio) and SequenceAudio(project, sequence).audible()
    sound = tmp.with_name(f"{tmp.stem}.sound.wav") if audible else None
    mark = (
        _provenance.mark_for_sequence(project, sequence, first, end, picture=bool(codec.video), sound=audible)
        if provenance
        else None
    )
    signed = tmp.with_name(f"{tmp.stem}.signed{codec.suffix}")
    in_flight = temporaries.hold(tmp, sound, signed)  # no sweep removes them while this process lives
    try:
        if sound is not None:
            _mix_sound(project, sequence, sound, first, end, is_cancelled)
        if codec.video:
            _render(project, sequence, tmp, out_path, first, end, progress, is_cancelled, settings, sound, mark)
            _check_output(tmp, settings.fps or sequence.fps, _frames_out(total, sequence.fps, settings.fps), codec)
        elif sound is not None:  # sound only
            with _provenance.metadata_input(mark, 1) as (tags_in, tags_out):
                ffmpeg.run(["-y", "-i", str(sound), *tags_in, *codec.audio, *tags_out, str(tmp)])
            if progress is not None:
                progress(total, total)
        else:
            raise ExportError("the sequence has no sound to write: its audio tracks are empty or muted")
        if mark is not None and is_cancelled():
            raise ExportCancelled(f"export of {sequence.name!r} cancelled before it was signed")
        if mark is not None and _provenance.can_sign(out_path):  # the last step: sign, then rename
            _provenance.sign(tmp, signed, mark, title=out_path.name)
            os.replace(signed, out_path)
            tmp.unlink()
        else:
            if mark is not None:  # a PNG sequence: the record goes in its folder
                _provenance.write_sidecar(out_path, mark, tmp / f"{out_path.name}.recipe.json")
            os.replace(tmp, out_path)
    except ffmpeg.FFmpegError as exc:
        _remove(tmp)
        raise ExportError(f"ffmpeg could not write {out_path}: {exc}") from exc
    except _provenance.ProvenanceError as exc:
        _remove(tmp)
        raise ExportError(f"{out_path} could not be marked as AI-generated, so it was not written: {exc}") from exc
    except BaseException:
        _remove(tmp)
        raise
    finally:
        temporaries.release(*in_flight)
        signed.unlink(missing_ok=True)
        if sound is not None:
            sound.unlink(missing_ok=True)
    return out_path


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _frames_out(total: int, rate: FrameRate, out_rate: FrameRate | None) -> int:
    """How many frames `total` frames at `rate` become at another rate (dropped or repeated)."""
    if out_rate is None or out_rate == rate:
        return total
    return round(total * out_rate.num * rate.den / (out_rate.den * rate.num))


def _mix_sound(
    project: Project, sequence: Sequence, path: Path, first: int, end: int, is_cancelled: Callable[[], bool]
) -> None:
    """The audio tracks' mix for frames [first, end), exactly that long, as a float WAV, a second at a time."""
    mix = SequenceAudio(project, sequence)
    args = [
        ffmpeg.executable(),
        "-v",
        "error",
        "-y",
        "-f",
        "f32le",
        "-ar",
        str(SAMPLE_RATE),
        "-ac",
        str(CHANNELS),
        "-i",
        "pipe:0",
        "-c:a",
        "pcm_f32le",
        str(path),
    ]
    step = max(1, round(float(sequence.fps)))
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        assert proc.stdin is not None  # stdin=PIPE
        try:
            for at in range(first, end, step):
                if is_cancelled():
                    raise ExportCancelled(f"export of {sequence.name!r} cancelled while mixing its sound")
                proc.stdin.write(mix.samples(at, min(step, end - at)).tobytes())
            proc.stdin.close()
            if proc.wait() != 0:
                stderr.seek(0)
                raise ExportError(f"could not mix the sound: {ffmpeg.summary(stderr.read())}")
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def _filters(settings: RenderSettings, codec: Codec) -> str:
    """ffmpeg's picture chain: into the output size as settings.fit says, then its pixel format."""
    chain = []
    if settings.width is not None:
        w, h = settings.width, settings.height
        if settings.fit == "fit":  # whole, with black bars
            chain += [f"scale={w}:{h}:force_original_aspect_ratio=decrease", f"pad={w}:{h}:(ow-iw)/2:(oh-ih)/2"]
        elif settings.fit == "fill":  # covering the frame, the overflow cropped
            chain += [f"scale={w}:{h}:force_original_aspect_ratio=increase", f"crop={w}:{h}"]
        else:
            chain.append(f"scale={w}:{h}")
        chain.append("setsar=1")
    if settings.fps is not None:
        chain.append(f"fps={settings.fps}")  # another rate: frames dropped or repeated, nearest in time
    pix_fmt = settings.pix_fmt or codec.pix_fmt
    if pix_fmt and pix_fmt.startswith("yuv"):
        # 4:2:x needs even sides: an odd one gets a black line rather than losing a line of picture.
        # Tagged BT.709 and converted with its matrix, so players show the colours the viewer shows.
        chain += ["pad=ceil(iw/2)*2:ceil(ih/2)*2", "scale=out_color_matrix=bt709:out_range=tv"]
    if pix_fmt:
        chain.append(f"format={pix_fmt}")
    return ",".join(chain) or "null"


def _render(
    project: Project,
    sequence: Sequence,
    tmp: Path,
    out_path: Path,
    first: int,
    end: int,
    progress: Progress | None,
    is_cancelled: Callable[[], bool],
    settings: RenderSettings,
    sound: Path | None = None,
    mark: _provenance.Mark | None = None,
) -> None:
    codec = CODECS[settings.codec]
    total = end - first
    width, height, rate = sequence.width, sequence.height, str(sequence.fps)
    out_rate = str(settings.fps or sequence.fps)
    quality: list[str] = []
    if settings.bitrate:
        quality = ["-b:v", settings.bitrate]
    elif codec.quality is not None:
        quality = [codec.quality[0], str(settings.quality if settings.quality is not None else codec.quality[1])]
    video = list(codec.video)
    if "-preset" in video and settings.codec in ("h264", "h265"):
        video[video.index("-preset") + 1] = settings.preset
    colour = (
        ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709", "-color_range", "tv"]
        if (settings.pix_fmt or codec.pix_fmt or "").startswith("yuv")
        else []
    )
    if codec.suffix:
        target = [
            "-frames:v",
            str(_frames_out(total, sequence.fps, settings.fps)),
            *(["-movflags", "+faststart"] if codec.suffix in (".mp4", ".mov") else []),
            str(tmp),
        ]
    else:  # a PNG sequence: numbered files in the folder
        target = ["-start_number", str(first), str(tmp / f"{out_path.name}_%06d.png")]
    # A plain cut: ffmpeg cuts and decodes the files itself; anything else is composed here and piped.
    pieces = plain_cut.plain_pieces(project, sequence, first, end)
    if pieces is not None:
        picture_in, graph, inputs = plain_cut.cut_inputs(pieces, sequence)
        picture_out = ["-filter_complex", f"{graph};[cut]{_filters(settings, codec)}[v]", "-map", "[v]"]
        picture_out += ["-progress", "pipe:1", "-stats_period", "0.25"]
    else:
        picture_in = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", rate]
        picture_in += ["-i", "pipe:0"]
        picture_out, inputs = ["-map", "0:v", "-vf", _filters(settings, codec)], 1
    # The tags come from a metadata file, never the command line: a recipe may be longer than it allows.
    tags = _provenance.metadata_input(mark if codec.suffix else None, inputs + (sound is not None))
    with tags as (tags_in, tags_out):
        args = [
            ffmpeg.executable(),
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-y",
            *picture_in,
            *(["-i", str(sound)] if sound is not None else []),
            *tags_in,
            *picture_out,
            *(["-map", f"{inputs}:a", *codec.audio] if sound is not None else ["-an"]),
            *video,
            *quality,
            *colour,
            *tags_out,
            "-r",
            out_rate,
            "-fps_mode",
            "cfr",
            *target,
        ]
        if pieces is None:
            _encode(project, sequence, args, out_path, first, end, progress, is_cancelled)
            return
        frames_out = max(1, _frames_out(total, sequence.fps, settings.fps))

        def report(done: int, _: int) -> None:  # ffmpeg counts frames written; the caller, sequence frames
            if progress is not None:
                progress(done * total // frames_out, total)

        plain_cut.run_with_progress(
            args,
            frames_out,
            report,
            is_cancelled,
            lambda done: ExportCancelled(
                f"export of {sequence.name!r} cancelled at frame {done * total // frames_out} of {total}"
            ),
            lambda stderr: ExportError(f"ffmpeg could not write {out_path}: {ffmpeg.summary(stderr)}"),
        )


def _encode(
    project: Project,
    sequence: Sequence,
    args: list[str],
    out_path: Path,
    first: int,
    end: int,
    progress: Progress | None,
    is_cancelled: Callable[[], bool],
) -> None:
    """Run ffmpeg with args, feeding it the sequence's frames [first, end) on its stdin."""
    total = end - first
    frames = SequenceFrames(project, sequence, cache_bytes=64 * 1024 * 1024)
    with tempfile.TemporaryFile() as stderr, frames:
        proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        assert proc.stdin is not None  # stdin=PIPE
        try:
            for t in range(first, end):
                if is_cancelled():
                    raise ExportCancelled(f"export of {sequence.name!r} cancelled at frame {t - first} of {total}")
                try:
                    # From the picture's own buffer: often the frame cache's array, never copied.
                    proc.stdin.write(np.ascontiguousarray(frames.picture_at(t)).reshape(-1).data)
                except BrokenPipeError:
                    break  # ffmpeg stopped: its exit status and message say why
                if progress is not None:
                    progress(t - first + 1, total)
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


def _check_output(tmp: Path, rate: FrameRate, total: int, codec: Codec) -> None:
    """Trust but verify: the output must hold every frame at its rate."""
    if not codec.suffix:
        count = len(list(tmp.glob("*.png")))
        if count != total:
            raise ExportError(f"the PNG sequence has {count} images, expected {total}")
        return
    try:
        info = probe(tmp)
    except MediaError as exc:
        raise ExportError(f"the exported file cannot be read back: {exc}") from exc
    if info.frames != total or info.fps != rate:
        raise ExportError(f"the exported file has {info.frames} frames at {info.fps} fps, expected {total} at {rate}")


@dataclass(frozen=True)
class Offline:
    """Media an export cannot read as its clips use it: missing, unreadable, or shorter than used."""

    name: str  # the media item's name, or its id when it is not in the project
    path: Path | None  # its file; None when the media is not in the project
    why: str
    clips: int  # how many clips in the rendered range use it

    def __str__(self) -> str:
        where = f" ({self.path})" if self.path is not None else ""
        return f"{self.name}{where}: {self.why}"


class OfflineMediaError(ExportError):
    """Clips whose media is missing or broken, refused before anything is written."""

    def __init__(self, problems: list[Offline]) -> None:
        self.problems = problems
        clips = sum(p.clips for p in problems)
        listed = "; ".join(map(str, problems))
        super().__init__(
            f"media offline: {clips} clip(s) use media that is missing or broken: {listed}. Relink "
            "or replace it, or allow MEDIA OFFLINE frames (studio render --allow-offline)"
        )


def offline_media(
    project: Project,
    sequence: Sequence,
    frames: tuple[int, int] | None = None,
    *,
    picture: bool = True,
    sound: bool = True,
) -> list[Offline]:
    """The media that clips in the range (the whole sequence by default) cannot be rendered from: not
    in the project, its file missing or unreadable, or holding fewer frames than the clips use. Cheap:
    each file is probed once (packets counted, nothing decoded), never read frame by frame."""
    first, end = frames if frames is not None else (0, sequence.duration)
    used: dict[str, list] = {}  # media id -> the clips in range that use it, picture or sound
    for track in sequence.tracks:
        if (
            not track.enabled
            or (track.kind is TrackKind.VIDEO and not picture)
            or (track.kind is TrackKind.AUDIO and not sound)
        ):
            continue
        for clip in track.clips:
            if clip.start < end and clip.end > first:
                used.setdefault(clip.media_id, []).append(clip)
    problems = []
    for media_id, clips in used.items():
        item = project.media.get(media_id)
        if item is None:
            problems.append(Offline(media_id, None, "not in the project", len(clips)))
            continue
        path = project.media_path(item)
        name = item.name or Path(item.path).name
        if not path.is_file():
            problems.append(Offline(name, path, "file not found", len(clips)))
            continue
        try:
            info = probe(path)
        except MediaError as exc:
            problems.append(Offline(name, path, f"cannot be read ({' '.join(str(exc).split())})", len(clips)))
            continue
        if info.kind is MediaKind.VIDEO:
            media_fps = item.fps or info.fps or sequence.fps
            needed = max(nearest_media_frame(c.source_out - 1, media_fps, sequence.fps) + 1 for c in clips)
            if info.frames < needed:
                problems.append(
                    Offline(
                        name, path, f"truncated: it holds {info.frames} frames and the clips use {needed}", len(clips)
                    )
                )
    return problems


def _cancel_check(cancel: Cancel | None) -> Callable[[], bool]:
    if cancel is None:
        return lambda: False
    if isinstance(cancel, threading.Event):
        return cancel.is_set
    return cancel
