"""Snapping: a dragged edge that comes near the playhead, an in/out mark, a marker or another clip's
edge jumps onto it (View → Snapping turns it off)."""

from __future__ import annotations

from collections.abc import Iterable

from ...core.project import Sequence

SNAP_PIXELS = 8  # how near an edge must come to a snap target to jump onto it


def snap_targets(sequence: Sequence, playhead: int, marks: Iterable[int | None], ignore: set[str]) -> set[int]:
    """The frames an edge can snap to: the playhead, the marks, the markers and the edges of every
    clip but those being dragged."""
    targets = {playhead, *(m for m in marks if m is not None), *(m.frame for m in sequence.markers)}
    for track in sequence.tracks:
        for other in track.clips:
            if other.id not in ignore:
                targets.update((other.start, other.end))
    return targets


def snap(delta: int, edges: Iterable[int], targets: Iterable[int], px_per_frame: float) -> int:
    """The drag's frame offset, pulled onto the nearest target that one of the moving edges comes
    within SNAP_PIXELS of; unchanged where none is that near."""
    targets = list(targets)
    best = None
    for edge in edges:
        for target in targets:
            distance = abs(edge + delta - target) * px_per_frame
            if distance <= SNAP_PIXELS and (best is None or distance < best[0]):
                best = (distance, target - edge)
    return delta if best is None else best[1]
