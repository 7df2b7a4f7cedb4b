"""The Edit and Timeline menus' actions: split, delete, ripple delete, the clipboard, tracks, markers,
transitions and fades. Each turns the selection and the playhead into core commands and pushes them
on the document (one undo step); a refused edit is said in the status bar."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QMessageBox, QWidget

from ..core.commands import (
    AddClip,
    AddMarker,
    AddTrack,
    AddTransition,
    ClearRange,
    DeleteMarker,
    EditClip,
    EditError,
    EditMarker,
    EditTrack,
    RemoveTrack,
    RemoveTransition,
    RippleDelete,
    SplitClip,
    cut_near,
    longest_transition,
)
from ..core.commands import DeleteClip as DeleteClipCommand
from ..core.project import Clip, Marker, Track, TrackKind, Transition, TransitionKind, new_id
from .document import Document
from .timeline import TimelineWidget


class EditActions(QObject):
    message = Signal(str)

    def __init__(self, document: Document, timeline: TimelineWidget, window: QWidget) -> None:
        super().__init__(window)
        self.document = document
        self.timeline = timeline
        self.window = window  # the dialogs' parent
        self._clipboard: list[tuple[str, TrackKind, Clip]] = []  # (track id, its kind, clip at offset from 0)
        self._transition_frames: int | None = None  # Timeline → Transition Length; None: one second
        timeline.track_rename_requested.connect(self.rename_track)

    def split_at_playhead(self) -> None:
        """Cut what is under the playhead, as Resolve and Kdenlive do: the selected clips there; else the
        clip there on the selected track (the selected clips' or the clicked header's); with nothing
        selected, every unlocked track, so a shot's picture and its sound stay cut together."""
        seq = self.document.project.sequence
        frame = self.timeline.playhead
        selected = self._selected_clips()
        chosen = [(t, c) for t, c in selected if c.start < frame < c.end]
        if not chosen:
            if selected:
                tracks = list({t.id: t for t, _ in selected}.values())
            elif self.timeline.selected_track:
                tracks = [self.timeline.current_track()]
            else:
                tracks = list(seq.tracks)
            chosen = [(t, c) for t in tracks if (c := t.clip_at(frame)) is not None and c.start < frame]
        unlocked = [c for t, c in chosen if not t.locked]
        if not unlocked:
            self.message.emit(
                "The clips under the playhead are on locked tracks"
                if chosen
                else "Put the playhead inside a clip to split it (not on its first frame)"
            )
            return
        text = "Split clip" if len(unlocked) == 1 else f"Split {len(unlocked)} clips"
        try:
            self.document.push([SplitClip(c.id, frame, new_id()) for c in unlocked], text)
        except EditError as exc:
            self.message.emit(str(exc))
            return
        self.message.emit(f"{text} at {seq.fps.timecode(frame)}")  # replaces whatever hint was showing

    def add_track(self, kind: TrackKind) -> None:
        letter = "V" if kind is TrackKind.VIDEO else "A"
        names = {t.name for t in self.document.project.sequence.tracks}
        number = next(n for n in range(1, len(names) + 2) if f"{letter}{n}" not in names)
        track = Track(new_id(), kind, f"{letter}{number}")
        self._push(AddTrack(track))
        self.timeline.select_track(track.id)

    def rename_track(self, track_id: str | None = None) -> None:
        track = self.document.project.sequence.track(track_id) if track_id else self.timeline.current_track()
        name, ok = QInputDialog.getText(self.window, "Rename Track", "Name:", text=track.name)
        if ok and name.strip() and name.strip() != track.name:
            self._push(EditTrack(track.id, name=name.strip()))

    def toggle_track_lock(self) -> None:
        track = self.timeline.current_track()
        self._push(EditTrack(track.id, locked=not track.locked))

    def delete_track(self) -> None:
        track = self.timeline.current_track()
        if track.clips:
            question = f"Delete track {track.name} and its {len(track.clips)} clips? (Undo brings them back.)"
            answer = QMessageBox.question(self.window, "Delete Track", question)
            if answer != QMessageBox.StandardButton.Yes:
                return
        self._push(RemoveTrack(track.id))

    def add_marker(self) -> None:
        frame = self.timeline.playhead
        number = len(self.document.project.sequence.markers) + 1
        self._push(AddMarker(Marker(new_id(), frame, f"Marker {number}")))

    def rename_marker(self) -> None:
        marker = self.document.project.sequence.marker_at(self.timeline.playhead)
        if marker is None:
            self.message.emit("Put the playhead on a marker to rename it (Shift+Up/Down go to the markers)")
            return
        name, ok = QInputDialog.getText(self.window, "Rename Marker", "Name:", text=marker.name)
        if ok and name.strip() != marker.name:
            self._push(EditMarker(marker.id, name=name.strip()))

    def delete_marker(self) -> None:
        marker = self.document.project.sequence.marker_at(self.timeline.playhead)
        if marker is None:
            self.message.emit("Put the playhead on a marker to delete it (Shift+Up/Down go to the markers)")
            return
        self._push(DeleteMarker(marker.id))

    def go_to_marker(self, direction: int) -> None:
        frames = [m.frame for m in self.document.project.sequence.markers]
        here = self.timeline.playhead
        ahead = [f for f in frames if f > here] if direction > 0 else [f for f in frames if f < here]
        if not ahead:
            self.message.emit("No marker " + ("after" if direction > 0 else "before") + " the playhead")
            return
        self.timeline.set_playhead(min(ahead) if direction > 0 else max(ahead))

    def transition_length(self) -> int:
        """Frames a new transition or fade lasts: as set, else one second of the sequence."""
        return self._transition_frames or max(1, round(float(self.document.project.sequence.fps)))

    def ask_transition_length(self) -> None:
        frames, ok = QInputDialog.getInt(
            self.window,
            "Transition length",
            "Frames for new transitions and fades:",
            self.transition_length(),
            1,
            100_000,
        )
        if ok:
            self._transition_frames = frames

    def add_transition(self, kind: TransitionKind) -> None:
        """A transition on the cut nearest the playhead on the selected track, as long as set (shortened
        to what the clips around the cut can cover)."""
        track = self.timeline.current_track()
        pair = cut_near(track, self.timeline.playhead)
        if pair is None:
            self.message.emit(f"Track {track.name} has no cut between two touching clips for a transition")
            return
        left, right = pair
        frames = min(self.transition_length(), longest_transition(left, right))
        transition = Transition(new_id(), kind, left.id, right.id, frames)
        name = "Cross-dissolve" if kind is TransitionKind.DISSOLVE else "Dip to black"
        self._push(AddTransition(track.id, transition), f"Add {name.lower()}")
        if track.find_transition(transition.id) is not None:
            self.timeline.select_transition(track.id, transition.id)
            shortened = " (shortened to fit the clips)" if frames < self.transition_length() else ""
            self.message.emit(
                f"{name} of {frames} frames at {self.document.project.sequence.fps.timecode(left.end)}{shortened}"
            )

    def remove_transition(self) -> None:
        chosen = self.timeline.selected_transition
        if chosen is None:
            self.message.emit("Click a transition on the timeline to select it, then remove it")
            return
        self._push(RemoveTransition(*chosen))

    def add_fade(self, which: str) -> None:
        """Fade the selected clip in or out over the transition length (at most the whole clip)."""
        clip_id = self.timeline.selected
        if clip_id is None:
            self.message.emit(f"Select a clip to fade it {which}")
            return
        _, clip = self.document.project.sequence.find_clip(clip_id)
        frames = min(self.transition_length(), clip.duration)
        change = {"fade_in": frames} if which == "in" else {"fade_out": frames}
        if self._push(EditClip(clip_id, **change), f"Fade {which}"):  # the status bar says what the timeline shows
            whole = " (the whole clip)" if frames == clip.duration else ""
            self.message.emit(f"Fade {which} over {frames} frames{whole}")

    def _selected_clips(self) -> list[tuple[Track, Clip]]:
        seq = self.document.project.sequence
        return sorted((seq.find_clip(i) for i in self.timeline.selection), key=lambda tc: tc[1].start)

    def delete_selected(self) -> None:
        """Lift the selected clips (their places stay empty); a selected gap is closed, a selected
        transition removed."""
        if self.timeline.selected_transition is not None:
            self.remove_transition()
            return
        if self.timeline.selected_gap is not None:
            self.ripple_delete()
            return
        chosen = self._selected_clips()
        if not chosen:
            self.message.emit("Select a clip (or click a gap) to delete")
            return
        self._push(
            [DeleteClipCommand(c.id) for _, c in chosen],
            "Delete clip" if len(chosen) == 1 else f"Delete {len(chosen)} clips",
        )

    def ripple_delete(self) -> None:
        """Remove the selected clips or gap and close up the track behind them."""
        if self.timeline.selected_gap is not None:
            track_id, start, end = self.timeline.selected_gap
            self._push(RippleDelete(track_id, start, end), "Close gap")
            return
        chosen = self._selected_clips()
        if not chosen:
            self.message.emit("Select a clip or click a gap to ripple-delete")
            return
        # From the last clip back, so each removal leaves the earlier clips' places as they were.
        commands = [RippleDelete(t.id, c.start, c.end) for t, c in reversed(chosen)]
        self._push(commands, "Ripple delete" if len(chosen) == 1 else f"Ripple delete {len(chosen)} clips")

    def copy(self) -> bool:
        chosen = self._selected_clips()
        if not chosen:
            self.message.emit("Select the clips to copy")
            return False
        first = chosen[0][1].start
        self._clipboard = [
            (t.id, t.kind, dataclasses.replace(c, start=c.start - first, takes=list(c.takes))) for t, c in chosen
        ]
        return True

    def cut(self) -> None:
        if self.copy():
            self.delete_selected()

    def paste(self, at: int | None = None) -> None:
        """The copied clips at the playhead (or `at`), on the tracks they came from, over whatever is
        there; the pasted clips end selected and the playhead after them."""
        if not self._clipboard:
            self.message.emit("Nothing to paste: copy (Ctrl+C) or cut (Ctrl+X) clips first")
            return
        seq = self.document.project.sequence
        at = self.timeline.playhead if at is None else at
        commands, pasted = [], []
        for track_id, kind, clip in self._clipboard:
            track = next((t for t in seq.tracks if t.id == track_id), None)
            if track is None:  # its track is gone: the first track of the same kind
                track = next((t for t in seq.tracks if t.kind is kind), None)
            if track is None:
                continue
            new = dataclasses.replace(clip, id=new_id(), start=at + clip.start, takes=list(clip.takes))
            commands += [ClearRange(track.id, new.start, new.end), AddClip(track.id, new)]
            pasted.append(new)
        if not commands:
            self.message.emit("There is no track of the right kind to paste onto")
            return
        try:
            self.document.push(commands, "Paste" if len(pasted) == 1 else f"Paste {len(pasted)} clips")
        except EditError as exc:
            self.message.emit(str(exc))
            return
        self.timeline.select_clips(c.id for c in pasted)
        self.timeline.set_playhead(max(c.end for c in pasted))

    def duplicate(self) -> None:
        chosen = self._selected_clips()
        if self.copy():
            self.paste(at=max(c.end for _, c in chosen))

    def select_all(self) -> None:
        self.timeline.select_clips(c.id for t in self.document.project.sequence.tracks for c in t.clips)

    def _push(self, command, text: str | None = None) -> bool:
        """Push an edit; a refused one is said in the status bar. Whether it was made."""
        try:
            self.document.push(command, text)
        except EditError as exc:
            self.message.emit(str(exc))
            return False
        return True
