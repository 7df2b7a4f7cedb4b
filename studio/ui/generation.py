"""The life of a generation job in the editor: submitted, drawn as a placeholder, followed in the Jobs
panel, kept in the project's jobs.json, retried or resumed, and its take landed (core/landing.py).

GenerationController owns every job the editor queued and where each take will land; the timeline
only draws the placeholders it is given, and the Jobs panel only shows the rows. Every kind of
generation goes through `submit`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from ..core.commands import EditError
from ..core.jobfile import SavedJob, load_jobs, queue_note, save_jobs
from ..core.landing import (
    Continuation,
    Landing,
    NewShot,
    Spot,
    free_start,
    land,
    landing_from_dict,
    landing_to_dict,
    spot_from_dict,
    spot_to_dict,
    take_item,
)
from ..core.project import Track, TrackKind, new_id
from ..core.store import inside
from ..engine import jobs
from ..engine.requests import IMAGE_SUFFIXES, RequestError
from .document import Document
from .jobs_panel import JobsPanel
from .timeline import Placeholder, TimelineWidget


def _placeholder(spot: Spot) -> Placeholder:
    return Placeholder(spot.track_id, spot.start, spot.frames, spot.label)


class GenerationController(QObject):
    message = Signal(str)  # for the status bar
    takes_changed = Signal()  # a clip got a new take (the inspector shows the selected clip's takes)
    landed = Signal()  # a take is in the project, no longer in jobs.json: only unsaved edits hold it now
    warning = Signal(str, str)  # title, text: a refusal that deserves a message box

    def __init__(
        self,
        service,
        document: Document,
        timeline: TimelineWidget,
        jobs_panel: JobsPanel,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.document = document
        self.timeline = timeline
        self.jobs_panel = jobs_panel
        self.pending: dict[str, Landing] = {}  # job id -> where its take lands
        self.spots: dict[str, Spot] = {}  # job id -> its placeholder: the model the timeline draws
        self._groups: dict[str, str] = {}  # variations: group -> the clip their first take landed in
        self._retryable: dict[str, tuple[Landing, Spot | None]] = {}  # failed or cancelled, to run again
        self._restored: dict[str, SavedJob] = {}  # jobs from the project's saved queue, not run again yet
        self._foreign_jobs: list[SavedJob] = []  # another version's: kept in jobs.json as they are
        self._jobs_folder: Path | None = None  # the project folder whose jobs.json the jobs are kept in
        self.closing = False  # the jobs cancelled by a shutdown stay queued in jobs.json, for next time
        jobs_panel.cancel_requested.connect(service.cancel)
        jobs_panel.retry_requested.connect(self.retry_job)
        jobs_panel.move_requested.connect(self.move_job)
        jobs_panel.resume_all_requested.connect(self.resume_all_jobs)
        jobs_panel.clear_requested.connect(self.clear_finished_jobs)
        document.replaced.connect(self._switch_job_queue)
        document.path_changed.connect(self._follow_job_queue)

    # Submitting

    def submit(
        self,
        recipe,
        name: str,
        landing: Callable[[str], Landing],
        *,
        refused: str,
        spot: Callable[[int], Spot | None] | None = None,
        show: bool = False,
        resume_from: Path | None = None,
        warn: bool = False,
    ) -> str | None:
        """Queue one job: its take's landing (made from the take's media id), its row in the Jobs panel
        and, if `spot` gives one for the prepared recipe's frame count, its placeholder (`show`: scrolled
        into view). On a refusal says `refused: why` (`warn`: in a message box too) and returns None."""
        take_id = new_id()
        try:  # the service checks and snaps the request before queueing it
            job_id = self.service.submit(
                recipe,
                self.document.media_dir / f"{take_id}.mkv",
                name=name,
                project_folder=self.document.folder,
                resume_from=resume_from,
            )
        except RequestError as exc:
            self.message.emit(f"{refused}: {exc}")
            if warn:
                self.warning.emit(refused, str(exc))
            return None
        self.pending[job_id] = landing(take_id)
        self.jobs_panel.add(job_id, name)
        where = spot(self.service.job(job_id).recipe.frames) if spot else None
        if where is not None:
            self._add_spot(job_id, where)
            if show:
                self.timeline.show_frames(where.track_id, where.start, where.end)
        return job_id

    def notes(self, job_id: str) -> list[str]:
        """What the service changed in the request (snapped sizes, lengths…), to say with "Queued"."""
        return list(self.service.job(job_id).notes)

    def free_start(self, track: Track, start: int, frames: int) -> int:
        """Where a shot can land on the track, clear of clips and of the shots on their way."""
        return free_start(track, start, frames, self.spots.values())

    def video_track(self) -> Track:
        """Where a generated shot lands: the selected track if it is an unlocked video track, else the
        lowest unlocked video track."""
        current = self.timeline.current_track()
        if current.kind is TrackKind.VIDEO and not current.locked:
            return current
        tracks = self.document.project.sequence.video_tracks()
        return next((t for t in tracks if not t.locked), tracks[0])

    def pending_takes(self) -> list[Path]:
        """The files the running and waiting jobs will write (not unused media, whatever Purge thinks)."""
        return [self.document.media_dir / f"{landing.take_id}.mkv" for landing in self.pending.values()]

    def _add_spot(self, job_id: str, spot: Spot) -> None:
        self.spots[job_id] = spot
        self.timeline.add_placeholder(job_id, _placeholder(spot))

    def _shot_holder(self, group: str | None) -> str | None:
        """The job holding a shot's one placeholder while none of its takes has landed. Takes run side
        by side on a pool and finish in any order: the first to land takes the shot's place."""
        if group is None or group in self._groups:
            return None
        return next(
            (
                job_id
                for job_id, other in self.pending.items()
                if isinstance(other, NewShot) and other.group == group and job_id in self.spots
            ),
            None,
        )

    def _drop_spot(self, job_id: str) -> Spot | None:
        self.timeline.remove_placeholder(job_id)
        return self.spots.pop(job_id, None)

    # Job events

    def on_job_event(self, event) -> None:
        self._show_job_event(event)
        if not isinstance(event, jobs.JobProgress | jobs.JobPreview):
            self.save_jobs()
            self.jobs_panel.update_header()

    def _show_job_event(self, event) -> None:
        row = self.jobs_panel.rows.get(event.job_id)
        if isinstance(event, jobs.JobQueued) and row:
            stills = [c.path for c in event.recipe.conditions if Path(c.path).suffix.lower() in IMAGE_SUFFIXES]
            if stills:  # the job's input still stands for it until the first preview
                row.set_thumbnail(str(self.document.folder / stills[0]))
        elif isinstance(event, jobs.JobProgress) and row:
            row.set_progress(event.step, event.total, event.elapsed)
            self.timeline.update_placeholder(
                event.job_id, event.step / max(1, event.total), f"step {event.step}/{event.total}"
            )
        elif isinstance(event, jobs.JobPreview):
            if row:
                row.set_preview(event.png)
            self.timeline.set_placeholder_preview(event.job_id, QImage.fromData(event.png))
        elif isinstance(event, jobs.JobPartial):
            if row:
                row.set_partial(event.output, event.frames, event.window, event.windows)
            self.timeline.update_placeholder(
                event.job_id, event.window / max(1, event.windows), f"{event.window}/{event.windows} windows"
            )
        elif isinstance(event, jobs.JobStarted) and row:
            row.started(event.worker)
            row.state.setText(f"{row.where}loading model…")
            self.timeline.update_placeholder(event.job_id, 0.0, "loading model…")
        elif isinstance(event, jobs.JobDone):
            if row:
                row.finish("done", elapsed=event.elapsed)
                self.jobs_panel.show_take(event.job_id, event.output, event.frames // 2)
            self._land(event)
        elif isinstance(event, jobs.JobFailed):
            if row:
                row.finish("failed", event.reason)
            self._keep_for_retry(event.job_id)
            self.message.emit(f"Generation failed: {event.reason}")
        elif isinstance(event, jobs.JobCancelled):
            if row:
                row.finish("cancelled")
            self._keep_for_retry(event.job_id)

    def _land(self, event) -> None:
        """A finished take becomes a media item and lands where its landing says (core/landing.py)."""
        landing = self.pending.pop(event.job_id, None)
        spot = self._drop_spot(event.job_id)
        if landing is None:
            return
        others = dict(self.spots)  # the shots still on their way, in the way of this one
        if spot is None and isinstance(landing, NewShot):
            holder = self._shot_holder(landing.group)
            if holder is not None:
                spot = others.pop(holder)  # the shot's place, which its own other take must not push it from
        project = self.document.project
        item = take_item(landing.take_id, project, event)
        # Only a new shot or a continuation whose track is gone needs the generate track.
        default = self.video_track().id if isinstance(landing, NewShot | Continuation) else ""
        landed = land(
            landing,
            item,
            project,
            spot=spot,
            spots=others.values(),
            playhead=self.timeline.playhead,
            default_track=default,
            groups=self._groups,
        )
        try:
            self.document.push(landed.commands, landed.text)
        except EditError as exc:
            if landed.fallback is None:
                raise
            self.document.push(landed.fallback, landed.fallback_text)
            if landed.fallback_message is not None:
                self.landed.emit()
                self.message.emit(f"{landed.fallback_message}{exc}")
                return
        self.landed.emit()
        if landed.select is not None:
            self.timeline.select(landed.select)
        if landed.show is not None:
            self.timeline.show_frames(*landed.show)  # the person may have scrolled away
        if landed.group_clip is not None:
            group, clip_id = landed.group_clip
            self._groups[group] = clip_id
        if landed.takes_changed:
            self.takes_changed.emit()
        if landed.message is not None:
            self.message.emit(landed.message)

    # Retry and resume

    def _keep_for_retry(self, job_id: str) -> None:
        """A failed or cancelled job's shot: where it was to land, should it be retried."""
        landing = self.pending.pop(job_id, None)
        spot = self._drop_spot(job_id)
        if landing is not None:
            self._retryable[job_id] = (landing, spot)

    def retry_job(self, job_id: str) -> None:
        """The same recipe queued again, landing where the first attempt was to land."""
        landing, spot = self._retryable.pop(job_id, (None, None))
        try:
            job = self.service.job(job_id)
        except KeyError:
            job = self._restored.get(job_id)  # from the saved queue: its recipe and name are all it needs
        if job is None or landing is None:
            self.message.emit("That job cannot be retried any more")
            return
        # A long shot that stopped part way left its finished windows in its take: go on from them.
        so_far = self.document.folder / job.output
        resume_from = so_far if so_far.is_file() else None
        row = self.jobs_panel.rows.get(job_id)
        finished, of = row.made if row else (0, 0)
        new_job = self.submit(
            job.recipe,
            job.name,
            lambda take_id: _with_take(landing, take_id),
            refused="Cannot retry",
            spot=lambda _frames: spot,
            resume_from=resume_from,
        )
        if new_job is None:
            self._retryable[job_id] = (landing, spot)
            return
        self._restored.pop(job_id, None)
        self.jobs_panel.remove(job_id)  # the new job's row takes its place
        if resume_from is None:
            self.message.emit(f"Retrying: {job.name}")
        else:
            self.message.emit(
                f"Resuming: {job.name}, from window {finished + 1} of {of}" if of else f"Resuming: {job.name}"
            )

    def move_job(self, job_id: str, position: int) -> None:
        """Run a queued job next (0) or last (-1); the rows follow the queue's order."""
        if not self.service.move(job_id, position):
            self.message.emit("Only a job still waiting in the queue can be moved")
            return
        self.jobs_panel.show_queue_order(self.service.queued())
        self.save_jobs()
        self.message.emit("Runs next" if position == 0 else "Runs last")

    def resume_all_jobs(self) -> None:
        for job_id in [j for j, saved in self._restored.items() if saved.interrupted]:
            self.retry_job(job_id)

    def clear_finished_jobs(self) -> None:
        for job_id, row in list(self.jobs_panel.rows.items()):
            if row.finished:
                self.jobs_panel.remove(job_id)
                self._retryable.pop(job_id, None)
                self._restored.pop(job_id, None)
        self.save_jobs()

    # The job queue, kept in the project folder (core/jobfile.py)

    def _preview_file(self, job_id: str) -> Path:
        return self.document.cache_dir / "jobs" / f"{job_id}.png"

    def _saved_jobs(self) -> list[SavedJob]:
        """The jobs whose takes have not landed: waiting, running, failed, cancelled or restored."""
        project = self.document.project
        saved = list(self._foreign_jobs)  # another version's: kept as they are
        for job_id in [*self.pending, *self._retryable]:
            if job_id in self._restored:
                saved.append(self._restored[job_id])
                continue
            try:
                job = self.service.job(job_id)
            except KeyError:
                continue
            landing, spot = (
                (self.pending[job_id], self.spots.get(job_id)) if job_id in self.pending else self._retryable[job_id]
            )
            saved.append(
                SavedJob(
                    job_id,
                    job.name,
                    job.recipe,
                    project.relative_path(Path(job.output)),
                    str(job.state),
                    landing_to_dict(landing),
                    spot_to_dict(spot),
                    job.error,
                    (job.window, job.windows) if 0 < job.window < job.windows else None,
                )
            )
            if job.preview and inside(project.folder, self._preview_file(job_id)):  # the thumbnail after a restart
                self._preview_file(job_id).parent.mkdir(parents=True, exist_ok=True)
                self._preview_file(job_id).write_bytes(job.preview)
        return saved

    def save_jobs(self) -> None:
        if self.closing or self._jobs_folder is None:
            return
        try:
            save_jobs(self._jobs_folder, self._saved_jobs())
        except OSError as exc:
            self.message.emit(f"Could not keep the job queue in the project: {exc.strerror or exc}")

    def _follow_job_queue(self) -> None:
        """Save As: the queue goes with the project to its new folder."""
        folder = self.document.folder
        if self._jobs_folder is not None and folder != self._jobs_folder:
            save_jobs(self._jobs_folder, [])
        self._jobs_folder = folder
        self.save_jobs()

    def _switch_job_queue(self) -> None:
        """Another project: the old one's unfinished jobs stay in its jobs.json (its running and
        waiting jobs are stopped and kept as interrupted, to resume when it is opened again); the new
        one's saved jobs are listed, to resume."""
        if self._jobs_folder is not None:
            self.save_jobs()
            active = list(self.pending)
            self._jobs_folder = None  # the cancels that follow must not overwrite the saved queue
            for job_id in active:
                self.service.cancel(job_id)
        for job_id in list(self.jobs_panel.rows):
            self.jobs_panel.remove(job_id)
        for job_id in list(self.pending):
            self._drop_spot(job_id)
        self.pending.clear()
        self._retryable.clear()
        self._restored.clear()
        self.restore_jobs()

    def restore_jobs(self) -> None:
        """The project's unfinished jobs from its last session, listed to resume."""
        self._jobs_folder = self.document.folder
        self._foreign_jobs = []
        saved_jobs, warning = load_jobs(self._jobs_folder)
        for saved in saved_jobs:
            try:
                landing, spot = landing_from_dict(saved.landing), spot_from_dict(saved.placeholder)
            except TypeError:  # written by another version of the studio: nothing to land it with
                self._foreign_jobs.append(saved)
                continue
            self._restored[saved.job_id] = saved
            self._retryable[saved.job_id] = (landing, spot)
            row = self.jobs_panel.add(saved.job_id, saved.name)
            row.made = saved.windows_made or row.made
            state = "interrupted" if saved.interrupted else saved.state
            row.finish(
                state,
                saved.error or ("stopped when the studio closed: Resume runs it again" if saved.interrupted else ""),
            )
            row.set_thumbnail(str(self._preview_file(saved.job_id)))
        self.jobs_panel.update_header()
        note = queue_note([s for s in saved_jobs if s.job_id in self._restored], len(self._foreign_jobs), warning)
        if note:
            self.message.emit(note)


def _with_take(landing: Landing, take_id: str) -> Landing:
    return dataclasses.replace(landing, take_id=take_id)
