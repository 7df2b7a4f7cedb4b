"""The renderer's formats, presets, ranges, output sizes and rates, checked frame by frame against
the compositor the viewer uses."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.core import store
from studio.core.project import Clip, MediaItem
from studio.core.timebase import FrameRate
from studio.media.compose import SequenceFrames
from studio.media.export import (
    CODECS,
    ExportCancelled,
    ExportError,
    OfflineMediaError,
    RenderSettings,
    export_sequence,
    load_presets,
    offline_media,
)
from studio.media.probe import probe
from studio.media.takes import read_frames, write_frames

from .conftest import read_index
from .test_compose import edit


def viewer_frames(project, first=0, end=None):
    with SequenceFrames(project) as view:
        return [view.frame_at(t) for t in range(first, project.sequence.duration if end is None else end)]


@pytest.mark.parametrize(
    ("codec", "suffix", "ffmpeg_codec"),
    [
        ("h265", ".mp4", "hevc"),
        ("av1", ".mp4", "av1"),
        ("prores_422hq", ".mov", "prores"),
        ("prores_4444", ".mov", "prores"),
    ],
)
def test_each_video_codec_writes_every_frame_as_the_viewer_shows_it(media, tmp_path, codec, suffix, ffmpeg_codec):
    project = edit(media)
    out = export_sequence(project, project.sequence, tmp_path / f"film{suffix}", settings=RenderSettings(codec))
    info = probe(out)
    assert (info.frames, info.fps, info.video_codec) == (40, FrameRate(30000, 1001), ffmpeg_codec)
    for t, (written, shown) in enumerate(zip(read_frames(out), viewer_frames(project), strict=True)):
        assert read_index(written[20:28, 24:40]) == read_index(shown[20:28, 24:40]), f"frame {t}"
    assert [p.name for p in tmp_path.iterdir()] == [f"film{suffix}"]


def test_a_png_sequence_is_a_folder_of_the_exact_frames_of_a_range(media, tmp_path):
    project = edit(media)
    out = export_sequence(
        project, project.sequence, tmp_path / "shots", settings=RenderSettings("png"), frames=(10, 20)
    )
    files = sorted(out.iterdir())
    assert [f.name for f in files] == [f"shots_{t:06d}.png" for t in range(10, 20)]  # named by timeline frame
    for file, shown in zip(files, viewer_frames(project, 10, 20), strict=True):
        assert np.array_equal(np.asarray(Image.open(file).convert("RGB")), shown)  # lossless: exact
    with pytest.raises(ExportError, match="exists: choose a new folder"):
        export_sequence(project, project.sequence, out, settings=RenderSettings("png"))


def test_a_range_renders_only_those_frames(media, tmp_path):
    project = edit(media)
    out = export_sequence(project, project.sequence, tmp_path / "part.mp4", frames=(15, 25))
    written = read_frames(out)
    assert len(written) == 10
    for got, shown in zip(written, viewer_frames(project, 15, 25), strict=True):
        assert read_index(got[20:28, 24:40]) == read_index(shown[20:28, 24:40])
    with pytest.raises(ExportError, match="not inside the sequence"):
        export_sequence(project, project.sequence, tmp_path / "x.mp4", frames=(30, 50))


@pytest.mark.parametrize(
    ("fit", "top_is_black", "wider"), [("fit", True, False), ("fill", False, False), ("stretch", False, True)]
)
def test_another_size_fits_fills_or_stretches(media, tmp_path, fit, top_is_black, wider):
    project = edit(media)
    settings = RenderSettings("h264", width=128, height=128, fit=fit)
    out = export_sequence(project, project.sequence, tmp_path / f"{fit}.mp4", settings=settings, frames=(0, 5))
    frame = read_frames(out)[2]  # index frame 2: one flat colour over the whole 64x48 picture
    assert frame.shape == (128, 128, 3)
    assert (frame[4, 64].max() < 20) == top_is_black  # 4:3 into a square: bars above and below
    assert frame[64, 2].max() > 20  # the picture reaches the sides in every case
    colour = frame[64, 64].astype(int)
    assert np.abs(colour - viewer_frames(project, 2, 3)[0][24, 32]).max() <= 8
    if wider:
        assert frame[2, 64].max() > 20  # stretched: no bars anywhere


def test_another_rate_drops_frames_nearest_in_time(media, tmp_path):
    project = edit(media)
    half = FrameRate(30000, 2002)  # 14.985 fps: every other frame
    out = export_sequence(
        project, project.sequence, tmp_path / "half.mp4", settings=RenderSettings(fps=half), frames=(0, 10)
    )
    info = probe(out)
    assert (info.frames, info.fps) == (5, half)
    shown = viewer_frames(project, 0, 10)
    for i, got in enumerate(read_frames(out)):
        assert read_index(got[20:28, 24:40]) == read_index(shown[2 * i][20:28, 24:40])


def test_a_wav_needs_sound_and_a_wrong_suffix_is_named(media, tmp_path):
    project = edit(media)
    with pytest.raises(ExportError, match="no sound to write"):
        export_sequence(project, project.sequence, tmp_path / "s.wav", settings=RenderSettings("wav"))
    with pytest.raises(ExportError, match="ProRes 422 HQ MOV is written as .mov: name the file film.mov"):
        export_sequence(project, project.sequence, tmp_path / "film.mp4", settings=RenderSettings("prores_422hq"))
    with pytest.raises(ExportError, match="unknown codec"):
        export_sequence(project, project.sequence, tmp_path / "film.mp4", settings=RenderSettings("mpeg1"))
    assert list(tmp_path.iterdir()) == []


def test_a_cancelled_png_sequence_leaves_no_folder(media, tmp_path):
    project = edit(media)
    calls = []

    def cancel():
        calls.append(1)
        return len(calls) > 5

    with pytest.raises(ExportCancelled):
        export_sequence(project, project.sequence, tmp_path / "shots", settings=RenderSettings("png"), cancel=cancel)
    assert list(tmp_path.iterdir()) == []


def test_every_preset_is_valid_and_the_usual_ones_are_there():
    presets = load_presets()
    assert {"web-1080p", "vertical-1080x1920", "square-1080", "dci-2k-scope", "prores-master"} <= set(presets)
    assert (presets["vertical-1080x1920"].width, presets["vertical-1080x1920"].height) == (1080, 1920)
    assert presets["dci-2k-scope"].codec == "prores_422hq" and presets["dci-2k-scope"].fps == FrameRate(24)
    assert all(p.codec in CODECS and p.name for p in presets.values())


def test_a_preset_renders_at_its_size(media, tmp_path):
    project = edit(media)
    out = export_sequence(
        project, project.sequence, tmp_path / "square.mp4", settings=load_presets()["square-1080"], frames=(0, 3)
    )
    info = probe(out)
    assert (info.width, info.height, info.frames) == (1080, 1080, 3)
    assert Path(out).exists()


def test_a_pixel_format_can_be_chosen_and_a_wrong_name_is_refused(media, tmp_path):
    project = edit(media)
    default = export_sequence(project, project.sequence, tmp_path / "default.mp4", settings=RenderSettings("h264"))
    assert probe(default).pixel_format == "yuv420p"
    full = export_sequence(
        project, project.sequence, tmp_path / "full.mp4", settings=RenderSettings("h264", pix_fmt="yuv444p")
    )
    assert probe(full).pixel_format == "yuv444p"
    with pytest.raises(ExportError, match="not a pixel format name"):
        RenderSettings("h264", pix_fmt="yuv 444").check()


def _project_with_broken_media(folder: Path):
    """Four clips: one good take, one cut short on disk, one that is not video at all, one whose file is gone."""
    project = store.create(folder)
    media = project.folder / "media"
    for name in ("good", "short", "garbage", "gone"):
        write_frames(media / f"{name}.mkv", np.full((12, 48, 64, 3), 90, np.uint8), 24)
        project.media[name] = MediaItem(
            id=name, path=f"media/{name}.mkv", width=64, height=48, fps=FrameRate(24), frames=12, name=name
        )
    os.truncate(media / "short.mkv", (media / "short.mkv").stat().st_size // 2)
    (media / "garbage.mkv").write_bytes(b"not a video" * 100)
    (media / "gone.mkv").unlink()
    project.sequence.width, project.sequence.height = 64, 48
    project.sequence.video_tracks()[0].clips += [
        Clip(name, name, 12 * i, 0, 12) for i, name in enumerate(("good", "short", "garbage", "gone"))
    ]
    return project


def test_missing_truncated_or_unreadable_media_fails_the_render_and_writes_nothing(tmp_path):
    project = _project_with_broken_media(tmp_path / "Film")
    with pytest.raises(OfflineMediaError) as caught:
        export_sequence(project, project.sequence, tmp_path / "film.mp4")
    problems = {p.name: p for p in caught.value.problems}
    assert set(problems) == {"short", "garbage", "gone"}
    assert "truncated: it holds" in problems["short"].why and "the clips use 12" in problems["short"].why
    assert problems["garbage"].why.startswith("cannot be read")
    assert problems["gone"].why == "file not found" and problems["gone"].path == project.folder / "media" / "gone.mkv"
    assert str(caught.value).startswith("media offline: 3 clip(s) use media that is missing or broken: ")
    assert "--allow-offline" in str(caught.value)
    assert [p.name for p in tmp_path.iterdir()] == ["Film.studio"]  # nothing written beside it
    # A range that only holds the good clip renders; asking for offline frames renders them all.
    assert probe(export_sequence(project, project.sequence, tmp_path / "good.mp4", frames=(0, 12))).frames == 12
    out = export_sequence(project, project.sequence, tmp_path / "film.mp4", allow_offline=True)
    assert probe(out).frames == 48


def test_the_offline_check_probes_and_does_not_decode(tmp_path, monkeypatch):
    project = _project_with_broken_media(tmp_path / "Film")
    import studio.media.compose as compose

    def no_decoding(*args, **kwargs):
        raise AssertionError("the offline check decoded frames")

    monkeypatch.setattr(compose.VideoSource, "frame", no_decoding)
    assert {p.name for p in offline_media(project, project.sequence)} == {"short", "garbage", "gone"}
    assert offline_media(project, project.sequence, (0, 12)) == []
