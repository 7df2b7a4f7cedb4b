"""A plain cut goes to ffmpeg whole (plain_cut.py): chosen only when nothing needs composing, frame
for frame the compositor's pictures, with progress, cancel and failures as the composed path has."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.core.project import Clip, MediaItem, Project, Sequence, Track, TrackKind, Transition, TransitionKind
from studio.core.timebase import FrameRate
from studio.media import plain_cut
from studio.media.compose import SequenceFrames
from studio.media.export import ExportCancelled, ExportError, RenderSettings, export_sequence
from studio.media.plain_cut import Piece, plain_pieces
from studio.media.takes import read_frames

NTSC = FrameRate(30000, 1001)


def cut(media: dict[str, Path], folder: Path) -> Project:
    """64x48 at 29.97, on V1: mp4[3:17] | mkv[5:25] | 6 frames of gap | mp4[21:33]. The H.264 file
    has a keyframe every 10 frames and B-frames, so both its in points (3, 21) fall between keyframes."""
    project = Project(name="cut", folder=folder)
    project.media["mp4"] = MediaItem("mp4", str(media["mp4"]), fps=NTSC)
    project.media["mkv"] = MediaItem("mkv", str(media["mkv"]), fps=NTSC)
    clips = [Clip("a", "mp4", 0, 3, 17), Clip("b", "mkv", 14, 5, 25), Clip("c", "mp4", 40, 21, 33)]
    track = Track("v1", TrackKind.VIDEO, clips=clips)
    project.sequences = [Sequence("s", fps=NTSC, width=64, height=48, tracks=[track])]
    return project


def test_a_plain_cut_is_cut_by_ffmpeg(media, tmp_path):
    project = cut(media, tmp_path)
    assert plain_pieces(project, project.sequence, 0, 52) == [
        Piece(media["mp4"], 3, 14),
        Piece(media["mkv"], 5, 20),
        Piece(None, 0, 6),
        Piece(media["mp4"], 21, 12),
    ]
    # A range starts and ends inside clips; a clip split in two without a change is one piece again.
    assert plain_pieces(project, project.sequence, 10, 20) == [Piece(media["mp4"], 13, 4), Piece(media["mkv"], 5, 6)]
    track = project.sequence.tracks[0]
    track.clips[1:2] = [Clip("b1", "mkv", 14, 5, 15), Clip("b2", "mkv", 24, 15, 25)]
    assert plain_pieces(project, project.sequence, 14, 34) == [Piece(media["mkv"], 5, 20)]


@pytest.mark.parametrize(
    "change",
    ["fade in", "fade out", "dissolve", "dip", "offline", "missing file", "another rate", "bars", "still", "past end"],
)
def test_anything_that_needs_composing_is_composed(media, tmp_path, change):
    project = cut(media, tmp_path)
    track = project.sequence.tracks[0]
    a, b, _ = track.clips
    if change == "fade in":
        b.fade_in = 2
    elif change == "fade out":
        a.fade_out = 1
    elif change in ("dissolve", "dip"):
        kind = TransitionKind.DISSOLVE if change == "dissolve" else TransitionKind.DIP
        track.transitions.append(Transition("t", kind, "a", "b", 4))
    elif change == "offline":
        del project.media["mkv"]
    elif change == "missing file":
        missing = tmp_path / "gone.mkv"
        shutil.copy(media["mkv"], missing)
        project.media["mkv"].path = str(missing)
        missing.unlink()
    elif change == "another rate":
        project.media["mkv"].fps = FrameRate(24)
    elif change == "bars":  # a 4:1 picture letterboxed in the 4:3 frame
        project.media["mkv"] = MediaItem("mkv", str(media["wide"]), fps=NTSC)
    elif change == "still":
        project.media["mkv"] = MediaItem("mkv", str(media["png"]), fps=NTSC)
    else:  # frames the 40-frame file does not hold show MEDIA OFFLINE
        b.source_in, b.source_out = 21, 41
    assert plain_pieces(project, project.sequence, 0, project.sequence.duration) is None
    # Outside the change's frames the rest is still plain.
    assert plain_pieces(project, project.sequence, 40, 52) == [Piece(media["mp4"], 21, 12)]


def test_the_topmost_clip_shows_and_a_hidden_track_does_not(media, tmp_path):
    project = cut(media, tmp_path)
    above = Track("v2", TrackKind.VIDEO, clips=[Clip("top", "mkv", 6, 30, 34)])
    project.sequence.tracks.append(above)
    assert plain_pieces(project, project.sequence, 0, 14) == [
        Piece(media["mp4"], 3, 6),
        Piece(media["mkv"], 30, 4),
        Piece(media["mp4"], 13, 4),
    ]
    above.hidden = True
    assert plain_pieces(project, project.sequence, 0, 14) == [Piece(media["mp4"], 3, 14)]


def test_a_plain_cut_is_the_compositors_pictures_exactly(media, tmp_path):
    """Lossless out (PNG): every frame equal to the compositor's, byte for byte: ffmpeg decodes,
    cuts and converts to RGB through the same filters decode.py runs (measured: no difference at
    all, so no tolerance; the benchmark's 768x512 test card, scaled 2:1 too, also came out exact)."""
    project = cut(media, tmp_path)
    out = export_sequence(project, project.sequence, tmp_path / "shots", settings=RenderSettings("png"))
    files = sorted(out.iterdir())
    assert len(files) == 52
    with SequenceFrames(project) as view:
        for t, file in enumerate(files):
            assert np.array_equal(np.asarray(Image.open(file).convert("RGB")), view.frame_at(t)), f"frame {t}"


def test_a_plain_cut_encodes_as_the_composed_path_does(media, tmp_path, monkeypatch):
    """H.264 out: the same frames in, the same encoder, so the same pictures out."""
    project = cut(media, tmp_path)
    fast = read_frames(export_sequence(project, project.sequence, tmp_path / "fast.mp4"))
    monkeypatch.setattr(plain_cut, "plain_pieces", lambda *args: None)
    composed = read_frames(export_sequence(project, project.sequence, tmp_path / "composed.mp4"))
    assert fast.shape == composed.shape == (52, 48, 64, 3)
    assert np.array_equal(fast, composed)


def test_progress_comes_from_ffmpeg_and_ends_at_the_total(media, tmp_path):
    project = cut(media, tmp_path)
    calls: list[tuple[int, int]] = []
    export_sequence(project, project.sequence, tmp_path / "out.mp4", lambda done, total: calls.append((done, total)))
    assert calls and calls[-1] == (52, 52)
    assert all(total == 52 for _, total in calls)
    assert [done for done, _ in calls] == sorted({done for done, _ in calls})  # rising, never repeated


def test_cancel_stops_ffmpeg_and_leaves_nothing(media, tmp_path):
    project = cut(media, tmp_path)
    (tmp_path / "older.mp4").write_bytes(b"the previous export")
    cancel = threading.Event()
    with pytest.raises(ExportCancelled, match=r"cancelled at frame \d+ of 52"):
        export_sequence(project, project.sequence, tmp_path / "out.mp4", lambda done, total: cancel.set(), cancel)
    with pytest.raises(ExportCancelled, match="at frame 0 of 52"):
        export_sequence(project, project.sequence, tmp_path / "older.mp4", cancel=lambda: True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["older.mp4"]
    assert (tmp_path / "older.mp4").read_bytes() == b"the previous export"


def test_ffmpeg_failing_leaves_nothing_and_says_why(media, tmp_path, monkeypatch):
    """A file that breaks after it was checked (what a failing disk does): ffmpeg's own message,
    and nothing written."""
    broken = tmp_path / "broken.mkv"
    shutil.copy(media["mkv"], broken)
    project = cut(media, tmp_path)
    project.media["mkv"].path = str(broken)
    real = plain_cut.plain_pieces

    def chosen_then_broken(*args):
        pieces = real(*args)
        assert pieces is not None
        broken.write_bytes(b"not a video any more")
        return pieces

    monkeypatch.setattr(plain_cut, "plain_pieces", chosen_then_broken)
    with pytest.raises(ExportError, match=r"(?s)could not write .*out\.mp4: .*broken\.mkv"):
        export_sequence(project, project.sequence, tmp_path / "out.mp4")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.mkv"]
