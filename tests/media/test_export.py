from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from studio.core.project import Clip, MediaItem, Project, Sequence, Track, TrackKind
from studio.core.timebase import FrameRate
from studio.media import compose
from studio.media.compose import SequenceFrames
from studio.media.export import ExportCancelled, ExportError, export_sequence
from studio.media.probe import probe
from studio.media.takes import read_frames, write_frames

from .conftest import read_index
from .test_compose import edit


def test_frames_rate_and_pictures_match_the_viewer(media: dict[str, Path], tmp_path: Path) -> None:
    project = edit(media)
    calls: list[tuple[int, int]] = []
    out = export_sequence(
        project, project.sequence, tmp_path / "film.mp4", progress=lambda done, total: calls.append((done, total))
    )
    assert out == tmp_path / "film.mp4"
    info = probe(out)
    assert (info.frames, info.fps) == (40, FrameRate(30000, 1001))
    assert (info.width, info.height, info.video_codec, info.has_audio) == (64, 48, "h264", False)
    assert calls == [(i, 40) for i in range(1, 41)]

    exported = read_frames(out)
    with SequenceFrames(project) as view:
        for t in range(40):
            shown = view.frame_at(t).astype(int)
            # H.264 at CRF 18 on flat colours: small errors; 4:2:0 chroma bleeds a little more
            # along the edges of the bars.
            error = np.abs(exported[t] - shown)
            assert error.mean() < 2.5 and error.max() <= 12, f"frame {t}"
            assert read_index(exported[t, 20:28, 24:40]) == read_index(shown[20:28, 24:40]), f"frame {t}"
    assert [p.name for p in tmp_path.iterdir()] == ["film.mp4"]
    umask = os.umask(0o22)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


FILM = FrameRate(24)


def _solid_project(
    tmp_path: Path, colours: list[tuple[int, int, int]], width: int = 64, height: int = 48, fps: FrameRate = FILM
) -> Project:
    frames = np.array([np.full((height, width, 3), c, np.uint8) for c in colours])
    write_frames(tmp_path / "solid.mkv", frames, fps)
    project = Project(name="t", folder=tmp_path)
    project.media["m"] = MediaItem("m", "solid.mkv", frames=len(colours))
    project.sequences = [
        Sequence(
            "s",
            fps=fps,
            width=width,
            height=height,
            tracks=[Track("v1", TrackKind.VIDEO, clips=[Clip("a", "m", 0, 0, len(colours))])],
        )
    ]
    return project


def test_saturated_colours_survive(tmp_path: Path) -> None:
    # A wrong colour matrix between encoding and tagging shifts these by 10 to 40 levels.
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0), (200, 150, 30)]
    project = _solid_project(tmp_path, colours)
    out = export_sequence(project, project.sequence, tmp_path / "out.mp4")
    centre = read_frames(out)[:, 24, 32].astype(int)
    assert np.abs(centre - np.array(colours)).max() <= 6


def test_odd_size_gets_an_even_frame(tmp_path: Path) -> None:
    project = _solid_project(tmp_path, [(90, 120, 200)] * 3, width=63, height=47, fps=FrameRate(25))
    info = probe(export_sequence(project, project.sequence, tmp_path / "out.mp4"))
    assert (info.width, info.height, info.frames, info.fps) == (64, 48, 3, FrameRate(25))


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix != ".mkv")


def _composed(project: Project) -> Project:
    """A one-frame fade out at the end: the compositor renders every frame and pipes it to ffmpeg
    (a plain cut goes to ffmpeg whole: test_plain_cut.py has its cancel and failures)."""
    project.sequence.tracks[0].clips[0].fade_out = 1
    return project


def test_cancel_leaves_nothing(tmp_path: Path) -> None:
    project = _composed(_solid_project(tmp_path, [(10, 20, 30)] * 20))
    cancel = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 3:
            cancel.set()

    with pytest.raises(ExportCancelled, match="at frame 3 of 20"):
        export_sequence(project, project.sequence, tmp_path / "out.mp4", progress, cancel)
    assert _leftovers(tmp_path) == []


def test_cancel_keeps_an_older_file(tmp_path: Path) -> None:
    project = _solid_project(tmp_path, [(10, 20, 30)] * 5)
    (tmp_path / "out.mp4").write_bytes(b"the previous export")
    with pytest.raises(ExportCancelled):
        export_sequence(project, project.sequence, tmp_path / "out.mp4", cancel=lambda: True)
    assert (tmp_path / "out.mp4").read_bytes() == b"the previous export"
    assert _leftovers(tmp_path) == ["out.mp4"]


def test_ffmpeg_failure_carries_its_message(tmp_path: Path) -> None:
    project = _solid_project(tmp_path, [(10, 20, 30)] * 5)
    with pytest.raises(ExportError, match=r"(?s)could not write .*out\.mp4.*invalid preset 'nonsense'"):
        export_sequence(project, project.sequence, tmp_path / "out.mp4", preset="nonsense")
    assert _leftovers(tmp_path) == []


def test_failure_midway_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _composed(_solid_project(tmp_path, [(10, 20, 30)] * 10))
    real = compose.SequenceFrames.picture_at

    def failing(self: SequenceFrames, t: int) -> np.ndarray:
        if t == 6:
            raise OSError("disk gone")
        return real(self, t)

    monkeypatch.setattr(compose.SequenceFrames, "picture_at", failing)
    with pytest.raises(OSError, match="disk gone"):
        export_sequence(project, project.sequence, tmp_path / "out.mp4")
    assert _leftovers(tmp_path) == []


def test_folder_that_does_not_exist(tmp_path: Path) -> None:
    project = _solid_project(tmp_path, [(10, 20, 30)] * 2)
    with pytest.raises(ExportError, match="does not exist"):
        export_sequence(project, project.sequence, tmp_path / "nowhere" / "out.mp4")
    assert not (tmp_path / "nowhere").exists()
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ExportError, match="does not exist"):
        export_sequence(project, project.sequence, tmp_path / "afile" / "out.mp4")


def test_unwritable_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _solid_project(tmp_path, [(10, 20, 30)] * 2)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if not _writable(locked):
            with pytest.raises(ExportError, match="cannot write in .*locked"):
                export_sequence(project, project.sequence, locked / "out.mp4")
        else:  # running as root: permissions do not stop us, so make the folder refuse instead
            real_open = os.open

            def refuse(path: str, *args: object, **kwargs: object) -> int:
                if str(path).startswith(str(locked)):
                    raise PermissionError(13, "Permission denied")
                return real_open(path, *args, **kwargs)

            monkeypatch.setattr(os, "open", refuse)
            with pytest.raises(ExportError, match="cannot write in .*locked: Permission denied"):
                export_sequence(project, project.sequence, locked / "out.mp4")
        assert list(locked.iterdir()) == []
    finally:
        locked.chmod(0o700)


def _writable(folder: Path) -> bool:
    try:
        (folder / ".probe").touch()
    except PermissionError:
        return False
    (folder / ".probe").unlink()
    return True


def test_empty_sequence(tmp_path: Path) -> None:
    project = Project.new("t")
    with pytest.raises(ExportError, match="empty"):
        export_sequence(project, project.sequence, tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []


def test_offline_media_is_refused_unless_allowed(tmp_path: Path) -> None:
    project = _solid_project(tmp_path, [(10, 20, 30)] * 4)
    (tmp_path / "solid.mkv").unlink()
    with pytest.raises(ExportError, match=r"media offline: .*solid\.mkv"):
        export_sequence(project, project.sequence, tmp_path / "out.mp4")
    assert list(tmp_path.iterdir()) == []
    out = export_sequence(project, project.sequence, tmp_path / "out.mp4", allow_offline=True)
    frame = read_frames(out)[2]
    assert abs(int(frame[2, 2, 0]) - compose.OFFLINE_COLOUR[0]) <= 6 and frame[2, 2, 1] <= 6


def test_the_audio_tracks_mix_goes_into_the_export_and_ends_with_the_picture(tmp_path: Path) -> None:
    from studio.core import store
    from studio.media.audio import SequenceAudio, read_audio, write_audio

    project = Project.new("sound")
    store.save(project, tmp_path / "sound.studio")
    media = project.folder / "media"
    write_frames(media / "grey.mkv", np.full((48, 32, 32, 3), 90, np.uint8), 24)
    t = np.arange(3 * 48000) / 48000
    tone = (0.5 * np.sin(2 * np.pi * 330 * t) * (t < 1.5)).astype(np.float32)  # sound, then silence
    write_audio(media / "tone.wav", np.stack([tone, tone], 1))
    project.media["g"] = MediaItem("g", "media/grey.mkv", frames=48, width=32, height=32)
    project.media["t"] = MediaItem("t", "media/tone.wav", kind="audio", frames=72)
    project.sequence.width = project.sequence.height = 32
    project.sequence.tracks[0].clips = [Clip("v", "g", 0, 0, 48)]
    project.sequence.tracks[1].clips = [Clip("a", "t", 12, 0, 36)]  # from half a second in to the end
    out = export_sequence(project, project.sequence, tmp_path / "film.mp4")
    info = probe(out)
    assert info.frames == 48 and info.audio_codec == "aac"
    sound = read_audio(out)
    assert abs(len(sound) - 2 * 48000) <= 2000  # ends within one frame (2000 samples) of the picture
    expected = SequenceAudio(project).samples(0, 48)
    n = min(len(sound), len(expected))
    # AAC is lossy: the same signal, in the same place (a shift of even a few samples of 330 Hz
    # would drop the correlation far below this)
    correlation = np.corrcoef(sound[:n, 0], expected[:n, 0])[0, 1]
    assert correlation > 0.99
    assert np.abs(sound[: 12 * 2000 - 2000]).max() < 0.01  # silence before the clip starts
    assert sorted(p.name for p in tmp_path.iterdir()) == ["film.mp4", "sound.studio"]  # no temporary left
