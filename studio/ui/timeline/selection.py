"""What is selected on the timeline: clips (one of them inspected), or a gap, or a transition, and
the track whose header was clicked. Kept valid as the model changes under it.
"""

from __future__ import annotations

from PySide6.QtCore import QRect

from ...core.project import Track
from .geometry import HEADER_WIDTH


def is_gap(track: Track, start: int, end: int) -> bool:
    """Whether [start, end) is still exactly an empty stretch ended by a clip."""
    before = max((c.end for c in track.clips if c.end <= start), default=0)
    return before == start and any(c.start == end for c in track.clips)


class TimelineSelection:
    """The timeline widget's selection. A base of TimelineWidget (these are its public methods); the
    signals it emits are declared there."""

    selected_track: str | None  # the track whose header was clicked last
    selected: str | None  # the clip clicked last (the inspector shows it)
    selection: set[str]  # every selected clip; includes `selected`
    selected_gap: tuple[str, int, int] | None  # (track id, start, end) of a clicked gap
    selected_transition: tuple[str, str] | None  # (track id, transition id) clicked last

    def select(self, clip_id: str | None, add: bool = False) -> None:
        """Select one clip (None: nothing); with add, toggle it in the selection (shift-click)."""
        if add and clip_id is not None:
            if clip_id in self.selection:
                self.selection.discard(clip_id)
                clip_id = self.selected if self.selected in self.selection else next(iter(self.selection), None)
            else:
                self.selection.add(clip_id)
            self._set_selection(self.selection, clip_id)
        else:
            self._set_selection({clip_id} if clip_id else set(), clip_id)

    def select_clips(self, clip_ids) -> None:
        """Select several clips at once (rubber band, select all, paste)."""
        ids = set(clip_ids)
        first = min(ids, key=lambda i: self.sequence.find_clip(i)[1].start) if ids else None
        self._set_selection(ids, first)

    def select_transition(self, track_id: str, transition_id: str) -> None:
        """Select one transition (Delete removes it); clips and gaps are deselected."""
        self._set_selection(set(), None)
        self.selected_transition = (track_id, transition_id)
        self.update()

    def _set_selection(self, ids: set[str], primary: str | None) -> None:
        changed = primary != self.selected
        had_gap = self.selected_gap is not None
        self.selected_transition = None
        self.selection, self.selected, self.selected_gap = set(ids), primary, None
        self.update()
        if changed:
            self.selection_changed.emit(primary)
        if had_gap:
            self.gap_selected.emit(None)

    def select_gap(self, track: Track, frame: int) -> bool:
        """Select the empty stretch of a track around a frame, between two clips (or the start and a
        clip); False where there is no clip after it."""
        if track.clip_at(frame) is not None:
            return False
        before = max((c.end for c in track.clips if c.end <= frame), default=0)
        after = min((c.start for c in track.clips if c.start > frame), default=None)
        if after is None:
            return False
        self._set_selection(set(), None)
        self.selected_gap = (track.id, before, after)
        self.gap_selected.emit(self.selected_gap)
        return True

    def select_track(self, track_id: str | None) -> None:
        if track_id != self.selected_track:
            self.selected_track = track_id
            self.update(QRect(0, 0, HEADER_WIDTH, self.height()))

    def current_track(self) -> Track:
        """The track track commands act on: the clicked header's, else the selected clip's, else V1."""
        for track_id in (self.selected_track, self.selected and self.sequence.find_clip(self.selected)[0].id):
            if track_id:
                try:
                    return self.sequence.track(track_id)
                except KeyError:
                    pass
        return self.sequence.video_tracks()[0]

    def _prune_selection(self) -> None:
        """After an edit: drop whatever the edit removed from the selection (a deleted clip, a track,
        a transition whose cut is gone, a gap that has been filled)."""
        if self.selected_track and all(t.id != self.selected_track for t in self.sequence.tracks):
            self.selected_track = None
        present = {c.id for t in self.sequence.tracks for c in t.clips}
        if not self.selection <= present:
            kept = self.selection & present
            self._set_selection(kept, self.selected if self.selected in kept else next(iter(kept), None))
        if self.selected_transition is not None:
            track_id, transition_id = self.selected_transition
            track = next((t for t in self.sequence.tracks if t.id == track_id), None)
            transition = track.find_transition(transition_id) if track is not None else None
            if transition is None or track.cut_of(transition) is None:
                self.selected_transition = None
        if self.selected_gap is not None:
            track_id, start, end = self.selected_gap
            track = next((t for t in self.sequence.tracks if t.id == track_id), None)
            if track is None or track.overlaps(start, end) or not is_gap(track, start, end):
                self.selected_gap = None
                self.gap_selected.emit(None)

    def _clear_selection_state(self) -> None:
        """A different project was opened: nothing of the old one stays selected (no signals; the
        caller's _on_changed tells the rest)."""
        self.selected = None
        self.selection = set()
        self.selected_gap = None
        self.selected_transition = None
        self.selected_track = None
