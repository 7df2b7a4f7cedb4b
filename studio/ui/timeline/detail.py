"""Level of detail for a zoomed-out timeline: what is too small to draw one by one. Clips narrower
than a few pixels have no room for an outline, fades or a name, so runs of them are drawn as one
block; markers' flags that would sit on each other are drawn once. Pure arithmetic on frames and
pixels, so tests can count what a paint would draw without painting."""

from __future__ import annotations

from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ...core.project import Clip
from .geometry import HEADER_WIDTH

TINY_CLIP_PX = 4  # a clip narrower than this is drawn within a merged run
MARKER_SPACING_PX = 12  # flags are 8 px wide: nearer than this they would overlap

T = TypeVar("T")


@dataclass(frozen=True)
class Run:
    """Adjacent tiny clips drawn as one block from pixel `left` to `right`."""

    left: int
    right: int
    count: int


def clip_runs(
    clips: Sequence[Clip], px_per_frame: float, scroll_frames: float, keep: Container[str] = ()
) -> list[Clip | Run]:
    """The clips in order, with each stretch of tiny clips no more than a pixel apart merged into a
    Run (a lone tiny clip is a Run of one, so all tiny clips look alike). A clip in `keep` (the
    selection) is never merged, so it is always drawn, and outlined, on its own."""

    def x(frame: float) -> int:
        # TimelineGeometry.frame_to_x, inlined: it runs twice for every clip in view at fit-all
        return HEADER_WIDTH + round((frame - scroll_frames) * px_per_frame)

    out: list[Clip | Run] = []
    pending: list[Clip] = []  # the tiny clips of the run being gathered
    left = right = 0

    def close() -> None:
        if pending:
            out.append(Run(left, right, len(pending)))
        pending.clear()

    for clip in clips:
        start, end = x(clip.start), x(clip.end)
        if end - start >= TINY_CLIP_PX or clip.id in keep:
            close()
            out.append(clip)
            continue
        if pending and start > right + 1:
            close()  # a gap you can see stays visible
        if not pending:
            left = start
        pending.append(clip)
        right = end
    close()
    return out


def spaced(items: Iterable[T], x_of: Callable[[T], int], spacing: int = MARKER_SPACING_PX) -> list[T]:
    """The items (in x order) that are at least `spacing` pixels right of the last one kept."""
    kept: list[T] = []
    last = None
    for item in items:
        x = x_of(item)
        if last is None or x - last >= spacing:
            kept.append(item)
            last = x
    return kept
