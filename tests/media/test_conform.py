"""Transitions, fades, per-clip fit and frame-rate conform, checked on every output frame of
synthetic lossless clips whose colours are known."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from studio.core.project import (
    Clip,
    MediaItem,
    Project,
    Sequence,
    Track,
    TrackKind,
    Transition,
    TransitionKind,
    nearest_media_frame,
)
from studio.core.timebase import FrameRate
from studio.media.compose import SequenceFrames, place
from studio.media.export import RenderSettings, export_sequence
from studio.media.takes import write_frames

from .conftest import index_colour, index_frames, read_index

RED, BLUE = (255, 0, 0), (0, 0, 255)
F24 = FrameRate(24)


def _solid(path: Path, colour: tuple[int, int, int], count: int = 20, fps: FrameRate = F24) -> Path:
    return write_frames(path, np.full((count, 48, 64, 3), colour, np.uint8), fps)


def _project(
    tmp_path: Path,
    files: dict[str, tuple[Path, FrameRate, int]],
    clips: list[Clip],
    fps: FrameRate = F24,
    transitions: list[Transition] = (),
) -> Project:
    project = Project(name="t", folder=tmp_path)
    for key, (path, rate, frames) in files.items():
        project.media[key] = MediaItem(key, str(path), fps=rate, frames=frames)
    track = Track("v1", TrackKind.VIDEO, "V1", clips, transitions=list(transitions))
    project.sequences = [Sequence("s", fps=fps, width=64, height=48, tracks=[track])]
    return project


def _mix(a: tuple[int, ...], b: tuple[int, ...], p: Fraction) -> tuple[int, ...]:
    return tuple(int(np.rint(x * float(1 - p) + y * float(p))) for x, y in zip(a, b, strict=True))


def _level(colour: tuple[int, ...], level: Fraction) -> tuple[int, ...]:
    return tuple(int(np.rint(x * float(level))) for x in colour)


def _solid_colour(frame: np.ndarray) -> tuple[int, ...]:
    assert (frame == frame[0, 0]).all(), "the frame should be one colour"
    return tuple(int(v) for v in frame[0, 0])


def test_red_dissolves_into_blue_on_an_exact_linear_ramp(tmp_path: Path) -> None:
    files = {"r": (_solid(tmp_path / "r.mkv", RED), F24, 20), "b": (_solid(tmp_path / "b.mkv", BLUE), F24, 20)}
    project = _project(
        tmp_path,
        files,
        [Clip("a", "r", 0, 0, 20), Clip("c", "b", 20, 0, 20)],
        transitions=[Transition("x", TransitionKind.DISSOLVE, "a", "c", 10)],
    )
    with SequenceFrames(project) as view:
        for t in range(40):  # the window is [15, 25): frame 15 is all red, frame 24 nine tenths blue
            p = Fraction(min(max(t - 15, 0), 10), 10)
            expected = RED if t < 15 else BLUE if t >= 25 else _mix(RED, BLUE, p)
            assert _solid_colour(view.frame_at(t)) == expected, f"frame {t}"


@pytest.mark.parametrize("handles", [True, False])
def test_a_dissolve_uses_the_media_handles_or_holds_the_edge_frames(tmp_path: Path, handles: bool) -> None:
    """Index clips: each frame a known colour. With handles the outgoing clip runs on into its
    media after its out-point and the incoming one starts before its in-point; without, each holds
    its edge frame."""
    a = write_frames(tmp_path / "a.mkv", index_frames(30, 100), F24)
    b = write_frames(tmp_path / "b.mkv", index_frames(30, 200), F24)
    # With handles: a shows [5, 15), b shows [10, 20). Without: a shows [20, 30), b shows [0, 10).
    a_in, b_in = (5, 10) if handles else (20, 0)
    project = _project(
        tmp_path,
        {"a": (a, F24, 30), "b": (b, F24, 30)},
        [Clip("a", "a", 0, a_in, a_in + 10), Clip("b", "b", 10, b_in, b_in + 10)],
        transitions=[Transition("x", TransitionKind.DISSOLVE, "a", "b", 8)],
    )
    with SequenceFrames(project) as view:
        for t in range(20):
            a_frame = min(a_in + t, 29)
            b_frame = max(b_in + t - 10, 0)
            if 6 <= t < 14:
                expected = _mix(index_colour(a_frame, 100), index_colour(b_frame, 200), Fraction(t - 6, 8))
            else:
                expected = index_colour(a_frame, 100) if t < 10 else index_colour(b_frame, 200)
            assert _solid_colour(view.frame_at(t)) == expected, f"frame {t}"


def test_dip_to_black_passes_through_black_at_the_cut(tmp_path: Path) -> None:
    files = {"r": (_solid(tmp_path / "r.mkv", RED), F24, 20), "b": (_solid(tmp_path / "b.mkv", BLUE), F24, 20)}
    project = _project(
        tmp_path,
        files,
        [Clip("a", "r", 0, 0, 20), Clip("c", "b", 20, 0, 20)],
        transitions=[Transition("x", TransitionKind.DIP, "a", "c", 10)],
    )
    with SequenceFrames(project) as view:
        shown = [_solid_colour(view.frame_at(t)) for t in range(15, 25)]
    assert shown[5] == (0, 0, 0)  # frame 20, the cut
    assert shown == [_level(RED, Fraction(10 - 2 * k, 10)) for k in range(5)] + [
        _level(BLUE, Fraction(2 * k - 10, 10)) for k in range(5, 10)
    ]


def test_fade_in_and_fade_out(tmp_path: Path) -> None:
    files = {"r": (_solid(tmp_path / "r.mkv", RED), F24, 20)}
    project = _project(tmp_path, files, [Clip("a", "r", 2, 0, 20, fade_in=4, fade_out=5)])
    with SequenceFrames(project) as view:
        shown = [_solid_colour(view.frame_at(t)) for t in range(2, 22)]
    levels = [Fraction(k, 4) for k in range(4)] + [Fraction(1)] * 11 + [1 - Fraction(k, 5) for k in range(5)]
    assert shown == [_level(RED, level) for level in levels]
    assert shown[0] == (0, 0, 0) and shown[-1] == _level(RED, Fraction(1, 5))


def _bands(path: Path, width: int = 96, height: int = 16) -> Path:
    """Three vertical bands, red | green | blue."""
    frame = np.zeros((height, width, 3), np.uint8)
    third = width // 3
    frame[:, :third], frame[:, third : 2 * third], frame[:, 2 * third :] = RED, (0, 255, 0), BLUE
    return write_frames(path, np.stack([frame, frame]), F24)


def test_place() -> None:
    assert place(96, 16, 64, 48, "fit") == (0, 18, 64, 11)
    assert place(96, 16, 64, 48, "fill") == (-112, 0, 288, 48)
    assert place(96, 16, 64, 48, "stretch") == (0, 0, 64, 48)
    assert place(24, 48, 64, 48, "fill") == (0, -40, 64, 128)


def _near(pixel: np.ndarray, colour: tuple[int, int, int]) -> bool:
    return bool(np.abs(pixel.astype(int) - colour).max() <= 8)


@pytest.mark.parametrize("mode", ["fit", "fill", "stretch"])
def test_fit_fill_and_stretch_put_the_colours_where_expected(tmp_path: Path, mode: str) -> None:
    """A 6:1 picture of three bands in a 4:3 sequence frame."""
    project = _project(tmp_path, {"w": (_bands(tmp_path / "w.mkv"), F24, 2)}, [Clip("a", "w", 0, 0, 2, fit=mode)])
    with SequenceFrames(project) as view:
        frame = view.frame_at(0)
    if mode == "fit":  # 64x11 at row 18: black bars above and below, all three bands across
        assert not frame[:18].any() and not frame[29:].any()
        row = frame[24]
        assert _near(row[5], RED) and _near(row[32], (0, 255, 0)) and _near(row[58], BLUE)
    elif mode == "fill":  # scaled to 288x48, the middle 64 columns kept: all green, edge to edge
        assert all(_near(p, (0, 255, 0)) for p in frame.reshape(-1, 3))
    else:  # every row shows the three bands across the whole frame
        for y in (0, 24, 47):
            assert _near(frame[y, 5], RED) and _near(frame[y, 32], (0, 255, 0)) and _near(frame[y, 58], BLUE)


@pytest.mark.parametrize(
    ("media_rate", "sequence_rate", "shown"),
    [
        (30, 24, [0, 1, 3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16, 18, 19]),  # drops every fifth frame
        (24, 30, [0, 1, 2, 2, 3, 4, 5, 6, 6, 7, 8, 9, 10, 10, 11, 12]),  # repeats every fifth
    ],
)
def test_another_rate_repeats_or_drops_the_nearest_frames(
    tmp_path: Path, media_rate: int, sequence_rate: int, shown: list[int]
) -> None:
    path = write_frames(tmp_path / "m.mkv", index_frames(40, 100), FrameRate(media_rate))
    project = _project(
        tmp_path, {"m": (path, FrameRate(media_rate), 40)}, [Clip("a", "m", 0, 0, 16)], fps=FrameRate(sequence_rate)
    )
    assert shown == [nearest_media_frame(k, FrameRate(media_rate), FrameRate(sequence_rate)) for k in range(16)]
    with SequenceFrames(project) as view:
        assert [read_index(view.frame_at(t))[0] for t in range(16)] == shown


def test_a_trimmed_clip_of_another_rate_starts_at_its_time(tmp_path: Path) -> None:
    """source_in 10 at 24 fps is 10/24 s into a 30 fps media: its frame 12.5, nearest 13."""
    path = write_frames(tmp_path / "m.mkv", index_frames(40, 100), FrameRate(30))
    project = _project(tmp_path, {"m": (path, FrameRate(30), 40)}, [Clip("a", "m", 0, 10, 14)])
    with SequenceFrames(project) as view:
        assert [read_index(view.frame_at(t))[0] for t in range(4)] == [13, 14, 15, 16]


def _square_frames(count: int, step: int) -> np.ndarray:
    """A textured 16x16 square moving right `step` pixels a frame on a dark ground, 96x64."""
    rng = np.random.default_rng(1)
    texture = rng.integers(120, 255, (16, 16, 3)).astype(np.uint8)
    frames = np.full((count, 64, 96, 3), 20, np.uint8)
    for i in range(count):
        frames[i, 24:40, 10 + i * step : 26 + i * step] = texture
    return frames


def _square_x(frame: np.ndarray) -> tuple[float, int]:
    """The square's mean column and its area in pixels."""
    mask = frame.astype(int).mean(axis=2) > 80
    return float(np.nonzero(mask)[1].mean()), int(mask.sum())


@pytest.mark.parametrize("retime", ["frames", "flow"])
def test_optical_flow_lands_a_moving_square_in_between(tmp_path: Path, retime: str) -> None:
    """12 fps media on a 24 fps sequence: every other frame falls half way between two media
    frames. Frame repeat/drop shows the nearest media frame (a half rounds up, to the later); optical flow
    puts the square half way, whole."""
    path = write_frames(tmp_path / "sq.mkv", _square_frames(5, 8), FrameRate(12))
    project = _project(tmp_path, {"m": (path, FrameRate(12), 5)}, [Clip("a", "m", 0, 0, 8, retime=retime)])
    project.sequence.width, project.sequence.height = 96, 64
    with SequenceFrames(project) as view:
        for t in range(8):
            x, area = _square_x(view.frame_at(t))
            media = t / 2
            if t % 2 == 0 or retime == "flow":
                expected = 17.5 + 8 * media
            else:
                expected = 17.5 + 8 * (media + 0.5)  # the nearest, halves up
            assert abs(x - expected) <= 0.5, f"frame {t}: square at {x}, expected {expected}"
            assert abs(area - 256) <= 12, f"frame {t}: the square is not whole ({area} pixels)"


def test_the_export_is_the_viewer_frame_for_frame(tmp_path: Path) -> None:
    """A PNG sequence is lossless: every exported frame equals the viewer's, through a dissolve,
    a dip, fades, a filled clip and a clip of another rate with optical flow."""
    a = write_frames(tmp_path / "a.mkv", index_frames(30, 100), FrameRate(30))
    b = _bands(tmp_path / "b.mkv")
    c = write_frames(tmp_path / "c.mkv", _square_frames(5, 8), FrameRate(12))
    project = _project(
        tmp_path,
        {"a": (a, FrameRate(30), 30), "b": (b, F24, 2), "c": (c, FrameRate(12), 5)},
        [
            Clip("a", "a", 0, 0, 10, fade_in=3),
            Clip("b", "b", 10, 0, 2, fit="fill"),
            Clip("c", "c", 12, 0, 8, retime="flow", fit="fit", fade_out=3),
        ],
        transitions=[
            Transition("x", TransitionKind.DISSOLVE, "a", "b", 4),
            Transition("y", TransitionKind.DIP, "b", "c", 2),
        ],
    )
    out = export_sequence(project, project.sequence, tmp_path / "frames", settings=RenderSettings(codec="png"))
    files = sorted(out.iterdir())
    assert len(files) == 20
    with SequenceFrames(project) as view:
        for t, file in enumerate(files):
            assert np.array_equal(np.asarray(Image.open(file).convert("RGB")), view.frame_at(t)), f"frame {t}"
