"""`studio refine TAKE`: the full take of a draft (engine/drafts.py), from the recipe the draft carries.

The recipe comes from the project's media item (--project) or from the file's own provenance (its C2PA
manifest, tags or NAME.recipe.json sidecar, as `studio verify` reads them). A refine in a project lands
as a new take of the clips that show the draft, as the editor's Refine does; otherwise it is a file
beside the draft, NAME-refined.EXT, or --out.
"""

from __future__ import annotations

import argparse
import threading
from pathlib import Path

from ..core.recipe import Recipe
from .common import EXIT_FAILED, CommandError, engine_service, say


def _file_recipe(take: Path) -> Recipe:
    """The recipe a take file carries, or a one-line CommandError."""
    from ..media.provenance import ProvenanceError, verify

    try:
        verdict = verify(take)
    except ProvenanceError as exc:
        raise CommandError(str(exc)) from exc
    if verdict.state == "invalid":
        raise CommandError(f"{take} does not match its C2PA manifest, so its recipe cannot be trusted")
    if len(verdict.recipes) != 1:
        raise CommandError(
            f"{take} carries no recipe (it is not a take the studio made)"
            if not verdict.recipes
            else f"{take} holds {len(verdict.recipes)} shots; refine one take at a time"
        )
    return Recipe.from_dict(verdict.recipes[0])


def _project_take(project, take: Path):
    """The project's media item that is this file, or a one-line CommandError."""
    for item in project.media.values():
        if (project.folder / item.path).resolve() == take.resolve():
            if item.recipe is None:
                raise CommandError(f"{take} is not a generated take in {project.folder}: it has no recipe")
            return item
    raise CommandError(f"{take} is not one of {project.folder}'s takes; give the take's file in its media/ folder")


def cmd_refine(args: argparse.Namespace) -> int:
    from ..core.project import new_id
    from ..engine.drafts import DraftError, refine_recipe
    from ..engine.jobs import JobDone, JobProgress
    from ..engine.requests import RequestError, prepare
    from .batch import _open_project
    from .generate import _add_sidecar, _check_writable

    take = Path(args.take).absolute()
    if not take.is_file():
        raise CommandError(f"the take {take} does not exist")
    project = _open_project(args.project) if args.project else None
    if project is not None:
        item = _project_take(project, take)
        draft, draft_path = item.recipe, item.path
        output = project.folder / "media" / f"{new_id()}.mkv"
        folder = project.folder
    else:
        draft, draft_path = _file_recipe(take), str(take)
        output = Path(args.out).absolute() if args.out else take.with_name(f"{take.stem}-refined{take.suffix}")
        if output.suffix.lower() not in (".mp4", ".mkv"):
            raise CommandError(f"the output {output} should end in .mp4 (H.264) or .mkv (lossless)")
        if output.exists():
            raise CommandError(f"{output} already exists; choose another with --out")
        folder = Path.cwd()
    try:
        recipe = refine_recipe(draft, draft_path)
    except DraftError as exc:
        raise CommandError(f"cannot refine {take.name}: {exc}") from exc
    _check_writable(output)
    try:  # said now, before a worker starts: a model or input that has gone since the draft
        prepare(recipe, project_folder=folder, models_dir=args.models_dir)
    except RequestError as exc:
        raise CommandError(f"cannot refine {take.name}: {exc}") from exc

    service = engine_service(args)
    finished: list[JobDone] = []
    done = threading.Event()

    def show(event) -> None:
        if isinstance(event, JobProgress):
            say(f"step {event.step}/{event.total}  {event.elapsed:.1f} s")
        if isinstance(event, JobDone):
            finished.append(event)
            done.set()

    service.add_listener(show)
    try:
        job_id = service.submit(recipe, output, name=f"refine: {recipe.title}", project_folder=folder)
        job = service.wait(job_id)
        if job.state != "done":
            say(f"refine failed: {job.error}" if job.state == "failed" else "refine cancelled")
            return EXIT_FAILED if job.state == "failed" else 130
        done.wait(timeout=10)  # the event reaches listeners a moment after wait() returns
        say(f"refined: {job.recipe.width}x{job.recipe.height}, {job.recipe.steps} steps, in {job.elapsed:.1f} s")
        if project is not None:
            _land(project, item, finished[0])
        elif not _add_sidecar(output):
            return EXIT_FAILED
        print(output, flush=True)
    except RequestError as exc:
        raise CommandError(str(exc)) from exc
    except KeyboardInterrupt:
        return 130
    finally:
        service.shutdown()
    return 0


def _land(project, draft_item, event) -> None:
    """The refine as a new take of every clip that shows the draft, shown there (as the editor's Refine);
    a draft on no clip: the take in the project's media."""
    from ..core import store
    from ..core.commands import AddMedia, AddTake, EditError, SetActiveTake
    from ..core.landing import take_item

    take_id = Path(event.output).stem
    item = take_item(take_id, project, event)
    AddMedia(item).apply(project)
    for track in project.sequence.tracks:
        for clip in track.clips:
            if draft_item.id in clip.takes or clip.media_id == draft_item.id:
                AddTake(clip.id, item.id).apply(project)
                if clip.media_id == draft_item.id:
                    try:
                        SetActiveTake(clip.id, item.id).apply(project)
                    except EditError as exc:
                        say(f"the refined take joins the clip's takes but is not shown: {exc}")
    store.save(project)
