"""Transitions on the cut between two touching clips: the checks, adding and removing one, and the
helpers the timeline and interchange use to find a cut and its longest transition."""

from __future__ import annotations

from dataclasses import dataclass, field

from .command_base import Command, EditError, _check_unlocked, recorded
from .project import Clip, Project, Track, Transition, TransitionKind


def check_transition(track: Track, transition: Transition) -> None:
    """Refuse a transition that cannot be: unknown kind, no frames, clips that do not touch, or
    longer than the clips on either side of the cut can cover."""
    if transition.kind not in tuple(TransitionKind):
        raise EditError(f"unknown transition {transition.kind!r}")
    if transition.frames <= 0:
        raise EditError("a transition needs at least one frame")
    found = track.cut_of(transition)
    if found is None:
        raise EditError("a transition goes on a cut between two clips that touch on one track")
    left, right, cut = found
    first, end = transition.window(cut)
    if first < left.start or end > right.end:
        longest = longest_transition(left, right)
        raise EditError(
            f"a {transition.frames}-frame transition is longer than the clips around the cut allow "
            f"(at most {longest} frames here); make it shorter"
        )


@dataclass
class AddTransition(Command):
    """Put a transition on the cut between two touching clips; one already on that cut is replaced."""

    track_id: str
    transition: Transition
    text = "Add transition"
    _replaced: list[tuple[int, Transition]] = field(default_factory=list, init=False, repr=False)

    def apply(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        _check_unlocked(track)
        check_transition(track, self.transition)
        self._replaced = [
            (i, t)
            for i, t in enumerate(track.transitions)
            if (t.left_id, t.right_id) == (self.transition.left_id, self.transition.right_id)
        ]
        for _, old in self._replaced:
            track.transitions.remove(old)
        track.transitions.append(self.transition)

    def revert(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        track.transitions.remove(self.transition)
        for index, old in self._replaced:
            track.transitions.insert(index, old)


@dataclass
class RemoveTransition(Command):
    track_id: str
    transition_id: str
    text = "Remove transition"
    _removed: tuple[int, Transition] | None = field(default=None, init=False, repr=False)

    def apply(self, project: Project) -> None:
        track = project.sequence.track(self.track_id)
        _check_unlocked(track)
        transition = track.find_transition(self.transition_id)
        if transition is None:
            raise EditError(f"no transition {self.transition_id} on track {track.name or track.id}")
        self._removed = (track.transitions.index(transition), transition)
        track.transitions.remove(transition)

    def revert(self, project: Project) -> None:
        index, transition = recorded(self._removed)
        project.sequence.track(self.track_id).transitions.insert(index, transition)


def longest_transition(left: Clip, right: Clip) -> int:
    """The most frames a transition centred on the cut between two clips can cover while staying
    over them: frames // 2 before the cut, the rest from it on."""
    return min(2 * left.duration + 1, 2 * right.duration)


def cut_near(track: Track, frame: int) -> tuple[Clip, Clip] | None:
    """The two touching clips whose cut is nearest a frame (the later cut on a tie); None if the
    track has no cut between touching clips."""
    clips = sorted(track.clips, key=lambda c: c.start)
    cuts = [(a, b) for a, b in zip(clips, clips[1:], strict=False) if a.end == b.start]
    if not cuts:
        return None
    return min(cuts, key=lambda pair: (abs(pair[0].end - frame), -pair[0].end))
