"""Sound: files read back exactly, a sequence's audio tracks mixed sample-accurately at frame
boundaries, mute honoured, and waveform peaks."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from studio.core import store
from studio.core.project import Clip, MediaItem, MediaKind, Project, Track, TrackKind
from studio.core.timebase import FrameRate
from studio.media.audio import SAMPLE_RATE, SequenceAudio, frame_sample, peaks, read_audio, write_audio

SECOND = SAMPLE_RATE


def ramp(seconds: float, level: float) -> np.ndarray:
    """Sample i of the left channel is level * (i mod 1000) / 1000; the right is its negative."""
    n = int(seconds * SAMPLE_RATE)
    left = level * (np.arange(n) % 1000) / 1000
    return np.stack([left, -left], 1).astype(np.float32)


def test_a_wav_reads_back_exactly(tmp_path):
    samples = ramp(0.5, 0.8)
    write_audio(tmp_path / "r.wav", samples)
    assert np.array_equal(read_audio(tmp_path / "r.wav"), samples)


def test_frame_boundaries_are_exact_for_rational_rates():
    ntsc = FrameRate(30000, 1001)
    for frame in (0, 1, 29, 30, 1000, 10**6):
        assert frame_sample(frame, ntsc) == round(Fraction(frame * SAMPLE_RATE * 1001, 30000))
    assert frame_sample(24, FrameRate(24)) == SECOND


@pytest.fixture
def project(tmp_path):
    """A1: a[0:1 s) of ramp 0.5 at frame 0, b (ramp 0.25) from its frame 12 at timeline frame 36;
    A2: c (constant 0.6) at 0 for 2 s. 24 fps, so a frame is 2000 samples."""
    project = Project.new("sound")
    store.save(project, tmp_path / "sound.studio")
    media = project.folder / "media"
    write_audio(media / "a.wav", ramp(1.0, 0.5))
    write_audio(media / "b.wav", ramp(2.0, 0.25))
    write_audio(media / "c.wav", np.full((2 * SECOND, 2), 0.6, np.float32))
    for name, frames in (("a", 24), ("b", 48), ("c", 48)):
        project.media[name] = MediaItem(name, f"media/{name}.wav", MediaKind.AUDIO, frames=frames)
    a1 = project.sequence.tracks[1]
    a1.clips = [Clip("ca", "a", 0, 0, 24), Clip("cb", "b", 36, 12, 48)]
    project.sequence.tracks.append(Track("a2", TrackKind.AUDIO, "A2", [Clip("cc", "c", 0, 0, 48)]))
    return project


def test_clips_play_their_own_samples_at_their_frames(project):
    project.sequence.track("a2").muted = True
    mix = SequenceAudio(project)
    got = mix.samples(0, 72)
    assert got.shape == (72 * 2000, 2)
    assert np.array_equal(got[:SECOND], ramp(1.0, 0.5))  # a, from its first sample
    assert not got[SECOND : 36 * 2000].any()  # the gap is silence
    b = ramp(2.0, 0.25)
    assert np.array_equal(got[36 * 2000 :], b[12 * 2000 : 12 * 2000 + 36 * 2000])  # b from its frame 12
    # a stretch starting mid-clip gives the same samples as the whole
    assert np.array_equal(mix.samples(40, 5), got[40 * 2000 : 45 * 2000])


def test_tracks_add_up_clipped_and_mute_leaves_a_track_out(project):
    mix = SequenceAudio(project)
    both = mix.samples(0, 24)
    assert np.allclose(both, np.clip(ramp(1.0, 0.5) + 0.6, -1, 1), atol=1e-6)
    assert both.max() == pytest.approx(1.0)  # 0.5 + 0.6 clips at full scale
    project.sequence.tracks[1].muted = True
    assert np.allclose(mix.samples(0, 24), 0.6)


def test_offline_media_is_silence(project):
    (project.folder / "media" / "a.wav").unlink()
    project.sequence.track("a2").muted = True
    assert not SequenceAudio(project).samples(0, 24).any()


def test_peaks_follow_the_level_and_are_cached(project, tmp_path):
    path = project.folder / "media" / "a.wav"
    wave = peaks(path, 100, tmp_path / "cache")
    assert len(wave) == 100 and wave.max() == pytest.approx(0.5 * 999 / 1000, abs=1e-6)
    assert list((tmp_path / "cache").glob("*.npy"))
    assert np.array_equal(peaks(path, 100, tmp_path / "cache"), wave)


def constant_clips(tmp_path, levels):
    """A project whose A1 holds one clip per level, each 1 s of a constant 2-second file from its
    frame 12, edge to edge from frame 0 (24 fps: a frame is 2000 samples)."""
    project = Project.new("fades")
    store.save(project, tmp_path / "fades.studio")
    a1 = project.sequence.tracks[1]
    for n, level in enumerate(levels):
        write_audio(project.folder / "media" / f"{n}.wav", np.full((2 * SECOND, 2), level, np.float32))
        project.media[f"m{n}"] = MediaItem(f"m{n}", f"media/{n}.wav", MediaKind.AUDIO, frames=48)
        a1.clips.append(Clip(f"c{n}", f"m{n}", 24 * n, 12, 36))
    return project, a1


def test_fades_ramp_an_audio_clip_from_and_to_silence(tmp_path):
    project, a1 = constant_clips(tmp_path, [0.6])
    a1.clips[0].fade_in, a1.clips[0].fade_out = 12, 6
    left = SequenceAudio(project).samples(0, 24)[:, 0]
    assert left[0] < 0.001 and abs(left[12000] - 0.3) < 0.001 and np.allclose(left[24000:36000], 0.6)
    assert abs(left[-12001] - 0.6) < 0.001 and abs(left[-6000] - 0.3) < 0.001 and left[-1] < 0.001  # 6 frames out
    assert np.all(np.diff(left[:24000]) >= 0)


def test_a_cross_dissolve_between_audio_clips_cross_fades_over_its_frames(tmp_path):
    from studio.core.project import Transition, TransitionKind

    project, a1 = constant_clips(tmp_path, [0.6, 0.2])
    a1.transitions = [Transition("x", TransitionKind.DISSOLVE, "c0", "c1", 12)]  # frames 18-30 around the cut at 24
    left = SequenceAudio(project).samples(0, 48)[:, 0]
    assert np.allclose(left[: 18 * 2000], 0.6) and np.allclose(left[30 * 2000 :], 0.2)
    assert abs(left[24 * 2000] - 0.4) < 0.001  # half of each at the cut, from the media's handles
    a1.transitions = [Transition("d", TransitionKind.DIP, "c0", "c1", 12)]
    left = SequenceAudio(project).samples(0, 48)[:, 0]
    assert left[24 * 2000] < 0.001 and abs(left[21 * 2000] - 0.3) < 0.001 and abs(left[27 * 2000] - 0.1) < 0.001


def test_peaks_are_drawn_when_their_cache_cannot_be_written(project, tmp_path, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "save", full)
    wave = peaks(project.folder / "media" / "a.wav", 100, tmp_path / "cache")
    assert len(wave) == 100 and list((tmp_path / "cache").iterdir()) == []
