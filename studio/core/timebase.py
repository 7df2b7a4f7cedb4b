"""Frame and timecode math. Time in the studio is an integer frame count at a rational rate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import total_ordering


@total_ordering
@dataclass(frozen=True)
class FrameRate:
    """A rational frame rate such as 24/1 or 30000/1001, kept in lowest terms and ordered by value."""

    num: int
    den: int = 1

    def __post_init__(self) -> None:
        if self.num <= 0 or self.den <= 0:
            raise ValueError(f"frame rate must be positive, got {self.num}/{self.den}")
        # Lowest terms, so that 48/2 and 24 compare, hash and print the same.
        divisor = math.gcd(self.num, self.den)
        object.__setattr__(self, "num", self.num // divisor)
        object.__setattr__(self, "den", self.den // divisor)

    def __lt__(self, other: object) -> bool:
        # By value: the field-wise order a dataclass would give puts 30000/1001 above 30.
        if not isinstance(other, FrameRate):
            return NotImplemented
        return self.fraction < other.fraction

    @classmethod
    def parse(cls, value: str | float | int | Fraction | FrameRate) -> FrameRate:
        """Accept 24, 23.976, '30000/1001', Fraction(24, 1) or a FrameRate."""
        if isinstance(value, FrameRate):
            return value
        if isinstance(value, str) and "/" in value:
            num, den = value.split("/", 1)
            return cls(int(num), int(den))
        frac = Fraction(value).limit_denominator(1001)
        # 23.976 and 29.97 are NTSC rates: snap to their exact /1001 form.
        for nominal in (24, 30, 60):
            ntsc = Fraction(nominal * 1000, 1001)
            if abs(frac - ntsc) < Fraction(1, 500):
                return cls(ntsc.numerator, ntsc.denominator)
        return cls(frac.numerator, frac.denominator)

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.num, self.den)

    def __float__(self) -> float:
        return self.num / self.den

    def __str__(self) -> str:
        return str(self.num) if self.den == 1 else f"{self.num}/{self.den}"

    def seconds(self, frames: int) -> Fraction:
        return frames / self.fraction

    def frames(self, seconds: float | Fraction) -> int:
        """The nearest whole number of frames for a duration in seconds."""
        return round(Fraction(seconds) * self.fraction)

    def timecode(self, frame: int) -> str:
        """Non-drop-frame SMPTE timecode HH:MM:SS:FF at the rate's nominal integer fps."""
        fps = max(1, round(float(self)))
        sign = "-" if frame < 0 else ""
        frame = abs(frame)
        ff = frame % fps
        total_seconds = frame // fps
        return f"{sign}{total_seconds // 3600:02d}:{total_seconds // 60 % 60:02d}:{total_seconds % 60:02d}:{ff:02d}"


def duration_text(seconds: float) -> str:
    """A time taken as a person says it: "8 s", "1 m 12 s", "2 h 5 m"."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} m {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} m"
