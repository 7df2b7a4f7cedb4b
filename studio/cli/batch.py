"""`studio batch SHOTS --takes N`: every shot of a shot list (core/shot_list.py) or of a timeline's
placeholders, N takes each, queued at once through the same EngineService as `generate`.

Each shot's recipe is built by generate's own builder (recipe.build_recipe) from the options the shot
stands for, so a shot and a command line are checked alike, and every shot is checked before any
job runs. Each take is written as generate writes it (recipe and provenance), into a folder or
landed in a project. A state file, written atomically as each job finishes, lists every take and
where it got to: run the command again (or with --resume) and the finished takes are skipped.
"""

from __future__ import annotations

import argparse
import json
import queue
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..core.errors import StudioError
from ..core.recipe import Mode, Recipe, variations
from ..core.shot_list import Shot, ShotListError, check_shots, read_shot_list, shot_from_fields
from ..core.timebase import duration_text
from .common import EXIT_FAILED, CommandError, engine_service, say
from .generate import MAX_TAKES, _add_sidecar, _check_writable

STATE_FILE = "batch.json"
STATE_VERSION = 1
CANCEL_WAIT = 60.0  # seconds a running job gets to stop after Ctrl+C


@dataclass
class Take:
    """One job of the batch: a take of a shot, and where it got to (what the state file keeps)."""

    shot: str
    take: int
    fingerprint: str
    seed: int
    output: str  # relative to the batch's folder (the project's with --project)
    state: str = "queued"
    error: str | None = None
    recipe: dict[str, Any] | None = None  # as run, once done
    media_id: str | None = None  # with --project: the take's media item

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class Batch:
    """The state file: every take of the batch, kept as the jobs finish."""

    path: Path
    root: Path  # what the takes' outputs are relative to: the folder, or the project's
    shots: str
    takes: list[Take] = field(default_factory=list)
    groups: dict[str, str] = field(default_factory=dict)  # --project: shot name -> the clip its takes join

    def save(self) -> None:
        from ..core.store import write_atomic

        data = {
            "version": STATE_VERSION,
            "shots": self.shots,
            "takes": [t.to_dict() for t in self.takes],
            "groups": self.groups,
        }
        write_atomic(self.path, json.dumps(data, indent=1).encode())

    def finished(self, shot: Shot, number: int) -> Take | None:
        """The take already made for this shot, if it was made from the shot as it is now."""
        for take in self.takes:
            if (take.shot, take.take) == (shot.name, number) and take.fingerprint == shot.fingerprint():
                if take.state == "done" and (self.root / take.output).is_file():
                    return take
        return None

    def seed_for(self, shot: Shot) -> int | None:
        """An unseeded shot's seed from the run before, so its remaining takes are the ones it queued."""
        return next(
            (t.seed - t.take + 1 for t in self.takes if t.shot == shot.name and t.fingerprint == shot.fingerprint()),
            None,
        )


def load_batch(path: Path, root: Path, shots: Path) -> Batch:
    if not path.is_file():
        return Batch(path, root, str(shots))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != STATE_VERSION:
            raise ValueError(f"version {data.get('version')!r}")
        takes = [Take(**t) for t in data["takes"]]
        groups = dict(data.get("groups", {}))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CommandError(f"{path} cannot be read ({exc}); move it away to start the batch afresh") from exc
    return Batch(path, root, str(shots), takes, groups)


# Reading the shots


def read_shots(path: Path) -> list[Shot]:
    """A .toml shot list, or an .otio timeline's placeholders and generated clips, as shots."""
    try:
        if path.suffix.lower() == ".toml":
            return read_shot_list(path)
        if path.suffix.lower() == ".otio":
            return timeline_shots(path)
    except ShotListError as exc:
        raise CommandError(str(exc)) from exc
    raise CommandError(f"{path.name}: a shot list is a .toml file, or an .otio timeline")


def timeline_shots(path: Path) -> list[Shot]:
    """Each clip of the timeline's video tracks that has no media (a placeholder: its name is its
    prompt, its length the shot's) or that carries a studio recipe (its prompt, model, size…)."""
    import opentimelineio as otio

    if not path.is_file():
        raise ShotListError(f"{path}: no such file")
    try:
        timeline = otio.adapters.read_from_file(str(path), adapter_name="otio_json")
    except (otio.exceptions.OTIOError, ValueError, KeyError) as exc:
        raise ShotListError(f"{path.name}: cannot be read as a timeline ({exc})") from exc
    if not isinstance(timeline, otio.schema.Timeline):
        raise ShotListError(f"{path.name}: holds no timeline")
    shots: list[Shot] = []
    style = dict(timeline.metadata.get("studio", {})).get("style")  # the studio's own export: its sequence's
    clips = [clip for track in timeline.video_tracks() for clip in track.find_clips()]
    for number, clip in enumerate(clips, 1):
        recipe = _clip_recipe(clip)
        placeholder = isinstance(clip.media_reference, otio.schema.MissingReference | otio.schema.GeneratorReference)
        if recipe is None and not placeholder:
            continue  # footage: nothing to generate
        where = f"{path.name}: clip {number} ({clip.name or 'unnamed'})"
        if recipe is not None:
            fields = _recipe_fields(recipe, path, where)
        else:
            duration = clip.duration()
            fields = {"prompt": clip.name, "frames": round(duration.value), "fps": float(duration.rate)}
            if style and isinstance(style, str):
                fields["style"] = style
        shots.append(shot_from_fields(path, len(shots) + 1, {"name": f"clip-{number}", **fields}, where))
    if not shots:
        raise ShotListError(f"{path.name}: no placeholders or generated clips to make")
    return check_shots(shots, path.name)


def _plain(value: Any) -> Any:
    """OTIO's metadata containers as the dicts and lists JSON knows."""
    if hasattr(value, "items"):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple) or type(value).__name__ == "AnyVector":
        return [_plain(v) for v in value]
    return value


def _clip_recipe(clip) -> Recipe | None:
    for metadata in (clip.metadata, getattr(clip.media_reference, "metadata", {})):
        data = _plain(metadata.get("studio", {}))
        if data.get("recipe"):
            return Recipe.from_dict(data["recipe"])
    return None


def _recipe_fields(recipe: Recipe, path: Path, where: str) -> dict[str, Any]:
    """A generated clip's recipe as a shot: a batch makes new shots, from prompts and stills."""
    if recipe.mode not in (Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO):
        raise ShotListError(
            f"{where}: its recipe is a {recipe.mode.label} shot; a batch makes shots from prompts and stills"
        )
    fields: dict[str, Any] = {
        "prompt": recipe.prompt,
        "model": recipe.model,
        "negative": recipe.negative_prompt,
        "width": recipe.width,
        "height": recipe.height,
        "frames": recipe.frames,
        "fps": recipe.fps,
        "seed": recipe.seed,
    }
    if recipe.style:
        fields["style"] = recipe.style
    if recipe.steps is not None:
        fields["steps"] = recipe.steps
    if recipe.guidance is not None:
        fields["guidance"] = recipe.guidance
    stills = sorted(recipe.conditions, key=lambda c: c.frame_index)
    if stills:
        fields["image"] = stills[0].path
    if len(stills) > 1:
        fields["end_image"] = stills[-1].path
    return fields


# Each shot's recipe, by generate's own rules


def shot_recipe(
    shot: Shot, args: argparse.Namespace, where: str, references: list[str] | None = None
) -> tuple[Recipe, list[str]]:
    """The recipe `studio generate` would build for the shot's fields as options (and `references` as
    --reference), checked as it checks them."""
    from . import parser
    from .recipe import build_recipe

    model = shot.model or args.model
    if not model:
        raise CommandError(f"{where} has no model: give -m MODEL, or model = in the shot")
    options = parser().parse_args(["generate", "-p", shot.prompt, "-m", model, "-o", "batch.mkv"])
    options.models_dir = args.models_dir
    for name in ("width", "height", "frames", "seconds", "fps", "seed", "steps", "guidance", "image", "end_image"):
        setattr(options, name, getattr(shot, name))
    options.negative = shot.negative
    options.style = shot.style
    options.draft = shot.draft
    options.reference = references or []
    try:
        return build_recipe(options)
    except StudioError as exc:
        raise CommandError(f"{where}: {exc}") from exc


# The command


def _takes_references(model: str, args: argparse.Namespace) -> bool:
    """Whether the shot's model takes reference images: the sequence's go only to such a model, as the
    editor's Shot panel gives them."""
    from ..engine.requests import resolve_model

    try:
        return resolve_model(model, args.models_dir, require_weights=False).card.references
    except StudioError:
        return False  # the shot's own check says what is wrong with its model


def cmd_batch(args: argparse.Namespace) -> int:
    from ..engine.requests import MAX_SEED

    shots_path = Path(args.shots).absolute()
    if not 1 <= args.takes <= MAX_TAKES:
        raise CommandError(f"--takes must be from 1 to {MAX_TAKES}, not {args.takes}")
    shots = read_shots(shots_path)
    project = _open_project(args.project) if args.project else None
    folder = project.folder if project is not None else Path(args.out or shots_path.with_suffix("")).absolute()
    state_path = folder / "batches" / f"{shots_path.stem}.json" if project is not None else folder / STATE_FILE
    if args.resume and not state_path.is_file():
        raise CommandError(f"nothing to resume: there is no {state_path}")
    batch = load_batch(state_path, folder, shots_path)

    # Everything is checked before anything runs: each shot's recipe, seeds, the folder.
    planned: list[tuple[Take, Recipe]] = []
    skipped = 0
    for shot in shots:
        where = f"{shots_path.name}: shot {shot.number} ({shot.name})"
        if project is not None and not shot.style:  # landing in a sequence: made in its look, as the editor's
            shot = replace(shot, style=project.sequence.style)
        references = None
        if project is not None and project.sequence.references and _takes_references(shot.model or args.model, args):
            # Absolute: the batch's takes are made from the shell's folder, not the project's.
            references = [str(project.resolve(path)) for path in project.sequence.references]
        recipe, notes = shot_recipe(shot, args, where, references)
        for note in notes:
            say(f"{shot.name}: {note}")
        earlier = batch.seed_for(shot) if shot.seed is None else None
        if earlier is not None:
            recipe.seed = earlier
        if recipe.seed + args.takes - 1 > MAX_SEED:
            raise CommandError(
                f"{where}: {args.takes} takes from seed {recipe.seed} go past the largest seed, {MAX_SEED}"
            )
        for number, variation in enumerate(variations(recipe, args.takes), 1):
            if batch.finished(shot, number) is not None:
                skipped += 1
                continue
            output = _output_name(shot, number, project)
            planned.append((Take(shot.name, number, shot.fingerprint(), variation.seed, output), variation))
    if skipped:
        say(f"{skipped} of {len(shots) * args.takes} takes already finished in {folder}: skipped")
    if not planned:
        say("every take is already made")
        return 0
    service = engine_service(args)  # a bad --gpus/--workers/--cluster is refused before anything is written
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _check_writable(folder / planned[0][0].output)
        kept = {(t.shot, t.take) for t, _ in planned}
        batch.takes = [t for t in batch.takes if (t.shot, t.take) not in kept] + [t for t, _ in planned]
        batch.save()
    except BaseException:
        service.shutdown()
        raise
    return _run(service, batch, planned, skipped, project)


def _output_name(shot: Shot, number: int, project) -> str:
    if project is None:
        return f"{shot.name}-{number}.mkv"
    from ..core.project import new_id

    return f"media/{new_id()}.mkv"


def _open_project(path: str):
    from ..core import autosave, store

    try:
        project = store.load(path)
    except store.ProjectError as exc:
        raise CommandError(str(exc)) from exc
    lock = autosave.read_lock(project.folder)
    if lock is not None and not autosave.ended_uncleanly(lock):
        raise CommandError(f"{project.folder} is open in the studio: close it there first, or use --out DIR")
    return project


def _run(service, batch: Batch, planned: list[tuple[Take, Recipe]], skipped: int, project) -> int:
    from ..engine.jobs import JobCancelled, JobDone, JobFailed, JobStarted
    from ..engine.requests import RequestError

    events: queue.Queue = queue.Queue()
    service.add_listener(events.put)
    jobs: dict[str, Take] = {}
    progress = Progress(skipped + len(planned), skipped)
    try:
        for take, recipe in planned:
            job_id = service.submit(
                recipe,
                batch.root / take.output,
                name=_label(take),
                project_folder=project.folder if project is not None else Path.cwd(),
            )
            jobs[job_id] = take
        say(f"queued {len(planned)} jobs of the batch's {progress.total} takes")
        open_jobs = set(jobs)
        try:
            while open_jobs:
                try:
                    event = events.get(timeout=0.5)
                except queue.Empty:
                    continue
                take = jobs.get(event.job_id)
                if take is None:
                    continue
                if isinstance(event, JobStarted):
                    take.state = "running"
                    progress.running += 1
                    say(
                        f"{_label(take)}: running"
                        + (f" on {event.worker}" if event.worker not in ("", "worker") else "")
                    )
                elif isinstance(event, JobDone | JobFailed | JobCancelled):
                    open_jobs.discard(event.job_id)
                    _finished(event, take, batch, project, progress)
                    say(progress.line())
        except KeyboardInterrupt:
            say("cancelling the jobs not finished; the finished takes stay")
            for job_id in open_jobs:
                service.cancel(job_id)
            deadline = time.monotonic() + CANCEL_WAIT
            while open_jobs and time.monotonic() < deadline:
                try:
                    event = events.get(timeout=0.5)
                except queue.Empty:
                    continue
                if event.job_id in open_jobs and isinstance(event, JobDone | JobFailed | JobCancelled):
                    open_jobs.discard(event.job_id)
                    _finished(event, jobs[event.job_id], batch, project, progress)
            say(f"stopped: {progress.done} of {progress.total} takes made; run the same command again for the rest")
            return 130
    except RequestError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        service.shutdown()
    failed = [t for t, _ in planned if t.state == "failed"]
    for take in failed:
        say(f"{_label(take)} failed: {take.error}")
    return EXIT_FAILED if failed else 0


def _label(take: Take) -> str:
    return f"{take.shot} take {take.take}"


def _finished(event, take: Take, batch: Batch, project, progress: Progress) -> None:
    """A job's end: the take kept (a sidecar, or landed in the project), the state file written."""
    from ..engine.jobs import JobCancelled, JobDone

    if take.state == "running":
        progress.running -= 1
    if isinstance(event, JobDone):
        take.recipe = event.recipe.to_dict()
        try:
            kept = _land(event, take, batch, project) if project is not None else _add_sidecar(Path(event.output))
        except StudioError as exc:  # the take is made but could not be put in the project
            kept, take.error = False, f"{event.output} was made but not added to the project: {exc}"
        if kept:
            take.state = "done"
            progress.finished(event.elapsed)
            say(f"{_label(take)}: done in {event.elapsed:.1f} s")
            print(event.output, flush=True)
        else:
            take.state, take.error = "failed", take.error or "the take carries no AI-generated mark"
            progress.failed += 1
    elif isinstance(event, JobCancelled):
        take.state = "cancelled"
    else:
        take.state, take.error = "failed", event.reason
        progress.failed += 1
        say(f"{_label(take)}: failed: {event.reason}")
    batch.save()


def _land(event, take: Take, batch: Batch, project) -> bool:
    """The take in the project as the editor lands one: a new shot, or a further take of its shot."""
    from ..core import store
    from ..core.commands import EditError
    from ..core.landing import NewShot, land, take_item
    from ..core.project import TrackKind

    take_id = Path(take.output).stem
    item = take_item(take_id, project, event)
    tracks = [t for t in project.sequence.tracks if t.kind is TrackKind.VIDEO and not t.locked]
    if not tracks:
        raise CommandError(f"{project.folder} has no unlocked video track for the takes")
    group = f"batch:{take.shot}"
    groups = {group: batch.groups[take.shot]} if take.shot in batch.groups else {}
    landed = land(NewShot(take_id, group=group), item, project, spot=None, default_track=tracks[0].id, groups=groups)
    commands = landed.commands
    try:
        for command in commands:
            command.apply(project)
    except EditError:
        if landed.fallback is None:
            raise
        for command in landed.fallback:
            command.apply(project)
    if landed.group_clip is not None:
        batch.groups[take.shot] = landed.group_clip[1]
    take.media_id = take_id
    store.save(project)
    return True


class Progress:
    """The overall line: done of total, running, failed, and the time left from the jobs finished."""

    def __init__(self, total: int, done: int) -> None:
        self.total, self.done, self.running, self.failed = total, done, 0, 0
        self._times: list[float] = []

    def finished(self, elapsed: float) -> None:
        self.done += 1
        self._times.append(elapsed)

    def line(self) -> str:
        text = f"batch: {self.done}/{self.total} done, {self.running} running, {self.failed} failed"
        left = self.total - self.done - self.failed
        if self._times and left:
            seconds = sum(self._times) / len(self._times) * left / max(1, self.running)
            text += f", about {duration_text(seconds)} left"
        return text
