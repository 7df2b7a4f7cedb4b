from __future__ import annotations

from fractions import Fraction

import pytest

from studio.core.timebase import FrameRate


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (24, FrameRate(24)),
        ("24", FrameRate(24)),
        ("25/1", FrameRate(25)),
        ("30000/1001", FrameRate(30000, 1001)),
        (23.976, FrameRate(24000, 1001)),
        ("29.97", FrameRate(30000, 1001)),
        (59.94, FrameRate(60000, 1001)),
        (12.5, FrameRate(25, 2)),
        (Fraction(48, 2), FrameRate(24)),
        ("48/2", FrameRate(24)),
        (FrameRate(30), FrameRate(30)),
    ],
)
def test_parse(value: object, expected: FrameRate) -> None:
    rate = FrameRate.parse(value)
    assert rate == expected
    assert FrameRate.parse(str(rate)) == rate  # what the project file stores reads back the same


@pytest.mark.parametrize("value", ["0", "-24", "24/0", "abc", 0.0])
def test_parse_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        FrameRate.parse(value)


def test_str_and_float() -> None:
    assert str(FrameRate(24)) == "24"
    assert str(FrameRate(30000, 1001)) == "30000/1001"
    assert float(FrameRate(30000, 1001)) == pytest.approx(29.97002997)


def test_equal_rates_are_equal_and_ordered_by_value() -> None:
    assert FrameRate(48, 2) == FrameRate(24)
    assert hash(FrameRate(48, 2)) == hash(FrameRate(24))
    assert FrameRate(24000, 1001) < FrameRate(24) < FrameRate(25) < FrameRate(30000, 1001) < FrameRate(30)
    assert max(FrameRate(30), FrameRate(30000, 1001)) == FrameRate(30)


def test_seconds_and_frames() -> None:
    ntsc = FrameRate(30000, 1001)
    assert ntsc.seconds(30000) == Fraction(1001)
    assert ntsc.frames(Fraction(1001)) == 30000
    assert ntsc.frames(ntsc.seconds(12345)) == 12345
    assert FrameRate(24).frames(1.5) == 36


@pytest.mark.parametrize(
    ("rate", "frame", "code"),
    [
        (FrameRate(24), 0, "00:00:00:00"),
        (FrameRate(24), 23, "00:00:00:23"),
        (FrameRate(24), 24, "00:00:01:00"),
        (FrameRate(24), 24 * 3661 + 5, "01:01:01:05"),
        (FrameRate(25), -26, "-00:00:01:01"),
        (FrameRate(30000, 1001), 30 * 60, "00:01:00:00"),  # non-drop-frame: counts at nominal 30
        (FrameRate(1, 2), 3, "00:00:03:00"),  # slower than one frame a second
    ],
)
def test_timecode(rate: FrameRate, frame: int, code: str) -> None:
    assert rate.timecode(frame) == code
