"""The headless verbs: doctor, models, generate, extend, connect, render, export-timeline, verify.

`generate` runs through the same EngineService and worker process as the editor, so this process
never imports torch for it. A bad request exits non-zero with one line on stderr.

Every file generate, extend and connect write is marked as AI-generated once the job is done
(media/provenance.py): here rather than in the worker, because only here is the file the user's
output and not a take inside a project, and the mark goes on last, over the finished file.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import platform
import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from .core.recipe import Condition, Mode, Recipe, variations
from .core.timebase import FrameRate

if TYPE_CHECKING:
    from .engine.cards import Card

EXIT_FAILED = 1  # the job ran and failed
EXIT_BAD_REQUEST = 2  # nothing ran: the request cannot be made
MAX_TAKES = 100  # variations of one shot in one command
MAX_RENDER_SIDE = 8192  # a render's width or height, in pixels


class CommandError(Exception):
    """A one-line problem with what the user asked for."""


def _say(message: str) -> None:
    print(f"studio: {message}", file=sys.stderr, flush=True)


# -- doctor ---------------------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    print(f"python      {sys.version.split()[0]} ({sys.executable})")
    print(f"platform    {platform.platform()}")
    device = None
    try:
        import torch

        from .engine.loader import pick_device

        device = pick_device()
        print(f"torch       {torch.__version__}")
        line = f"device      {device.name} ({str(device.dtype).removeprefix('torch.')})"
        if device.name == "cuda":
            props = torch.cuda.get_device_properties(device.torch_device)
            free, _ = torch.cuda.mem_get_info(device.torch_device)
            line += f", {props.name}, {props.total_memory / 2**30:.1f} GB ({free / 2**30:.1f} GB free)"
        print(line)
    except Exception as exc:  # a broken torch install is what doctor is for
        print(f"torch       cannot be used: {exc}")
    try:
        from .media import ffmpeg

        exe = ffmpeg.executable()
        version = subprocess.run([exe, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
        print(f"ffmpeg      {exe} ({version})")
    except Exception as exc:
        print(f"ffmpeg      not found: {exc}")
    print(f"display     {_display()}")
    from .engine.cards import CardError, catalogue

    try:
        models = catalogue(args.models_dir)
    except CardError as exc:
        print(f"models      a card is broken: {exc}")
        return EXIT_FAILED
    installed = [m for m in models if m.installed]
    print(f"models      {len(installed)} of {len(models)} installed")
    for entry in installed:
        print(f"  {entry.card.id:30} {entry.folder}")
        if device is not None:
            from .engine.loader import plan_memory
            from .engine.memory import MemoryTierError

            try:
                plan = plan_memory(entry.card, device)
                print(f"  {'':30} memory tier {plan}: {plan.reason}")
            except MemoryTierError as exc:
                print(f"  {'':30} {exc} (from $STUDIO_MEMORY)")
    return 0


def _display() -> str:
    if sys.platform.startswith("linux"):
        shown = [
            f"{name}={os.environ[name]}" for name in ("WAYLAND_DISPLAY", "DISPLAY") if os.environ.get(name)
        ]
        if os.environ.get("QT_QPA_PLATFORM"):
            shown.append(f"QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}")
        return ", ".join(shown) or "none (the editor needs a desktop; the CLI works without one)"
    return f"native ({sys.platform})"


# -- models ---------------------------------------------------------------------------------------


def cmd_models_list(args: argparse.Namespace) -> int:
    from .engine.cards import catalogue
    from .engine.weights import ModelFolderError, check_folder

    models = catalogue(args.models_dir)
    for entry in models:
        card = entry.card
        if entry.installed:
            try:
                check_folder(entry.folder)
                where = f"in {entry.folder}"
            except ModelFolderError as exc:
                where = f"INCOMPLETE: {exc}"
        else:
            where = f"missing (studio models download {card.id})" if card.repo else "missing"
        print(f"{card.id:30} {card.name}")
        print(
            f"{'':30} {card.family}, {card.default_width}x{card.default_height}, {card.frame_step}k+1 frames "
            f"up to {card.max_frames}, {card.default_steps} steps, ~{card.memory_gb:g} GB GPU memory"
        )
        print(f"{'':30} modes: {', '.join(str(m) for m in card.modes)}")
        print(f"{'':30} {where}")
    if not models:
        print("no model cards found")
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    from .engine.cards import load_cards
    from .engine.download import DownloadError, download, plan_download
    from .engine.weights import models_root

    cards = load_cards()
    card = cards.get(args.id) or next((c for c in cards.values() if c.repo == args.id), None)
    if card is None:
        raise CommandError(f"no model card '{args.id}'; the cards are: {', '.join(sorted(cards))}")
    models_dir = Path(args.dir or args.models_dir or models_root()).expanduser()
    on_tty = sys.stderr.isatty()
    shown = {"percent": -1}

    def progress(done: int, total: int, rate: float) -> None:
        percent = done * 100 // max(total, 1)
        if percent != shown["percent"] and (on_tty or percent % 5 == 0):
            shown["percent"] = percent
            line = f"{done / 2**30:.2f} of {total / 2**30:.2f} GB ({percent}%)  {rate / 2**20:.1f} MB/s"
            print(f"\r{line}" if on_tty else line, end="" if on_tty else "\n", file=sys.stderr, flush=True)

    try:
        from huggingface_hub.utils import disable_progress_bars

        disable_progress_bars()  # ours counts every file together
        plan = plan_download(card, models_dir)
        _say(
            f"{card.repo} ({plan.revision}): {len(plan.files)} files, {plan.total_bytes / 2**30:.2f} GB; "
            f"{len(plan.present)} already here, {plan.missing_bytes / 2**30:.2f} GB to fetch into {plan.folder}"
        )
        folder = download(plan, progress=progress)
    except DownloadError as exc:
        raise CommandError(str(exc)) from exc
    if on_tty:
        print(file=sys.stderr)
    if args.dir and Path(args.dir).expanduser().resolve() != models_root().resolve():
        _say(f"downloaded; the studio finds it with --models-dir {args.dir} or STUDIO_MODELS={args.dir}")
    print(folder)
    return 0


def cmd_models_tiny(args: argparse.Namespace) -> int:
    from .engine.tiny import build_tiny

    try:
        folder = build_tiny(args.family, args.dir)
    except (ValueError, FileExistsError) as exc:
        raise CommandError(str(exc)) from exc
    print(folder)
    return 0


# -- generate, extend, connect -------------------------------------------------------------------


def _clip_info(path: str):
    """A clip's size, rate and frame count, or a one-line CommandError."""
    from .media.probe import MediaError, probe

    if not Path(path).is_file():
        raise CommandError(f"the clip {Path(path).absolute()} does not exist")
    try:
        info = probe(path)
    except MediaError as exc:
        raise CommandError(str(exc)) from exc
    if info.fps is None:
        raise CommandError(f"{path} is not a video clip")
    return info


def _frames_asked(args: argparse.Namespace, fps: float, default: int, notes: list[str]) -> int:
    """The frames --seconds or --frames ask for (new frames, for the clip verbs), else default."""
    from .engine.requests import RequestError, check_length, check_seconds

    if args.seconds is not None:
        try:
            check_seconds(args.seconds, allow_long=args.allow_long)
        except RequestError as exc:
            raise CommandError(str(exc)) from exc
        frames = FrameRate.parse(fps).frames(args.seconds)
        notes.append(f"{args.seconds:g} s at {fps:g} fps is {frames} frames")
    else:
        frames = args.frames if args.frames is not None else default
    if frames <= 0:
        raise CommandError(f"the frame count must be positive, not {frames}")
    try:
        check_length(frames, fps, allow_long=args.allow_long)
    except RequestError as exc:
        raise CommandError(str(exc)) from exc
    return frames


def _made_for_new(frames: int, card: Card) -> int:
    """The frames the model makes so that the new ones are at least those asked for (step*n + 1, up)."""
    step = card.frame_step
    return (frames - 1 + step - 1) // step * step + 1


def _keyframe(text: str) -> Condition:
    path, at, index = text.rpartition("@")
    if not at or not path or not index.lstrip("-").isdigit():
        raise CommandError(f"--keyframe {text}: write it as PATH@FRAME, e.g. still.png@24")
    return Condition(path, int(index))


def build_recipe(args: argparse.Namespace) -> tuple[Recipe, list[str]]:
    """The recipe the arguments ask for, with the card's (or the clip's) defaults where they are
    silent, prepared. args.command is generate, extend or connect."""
    from .engine.modes import overlap_frames
    from .engine.requests import check_fps, prepare, resolve_model

    card = resolve_model(args.model, args.models_dir).card
    k = overlap_frames(card)
    notes: list[str] = []
    verb = args.command
    video = getattr(args, "video", None)
    first_clip = {"extend": getattr(args, "clip", None), "connect": getattr(args, "clip_a", None)}.get(verb, video)
    clip = _clip_info(first_clip) if first_clip else None  # its size and rate are the defaults
    fps = args.fps if args.fps is not None else (float(clip.fps) if clip else card.default_fps)
    check_fps(fps)  # before any length is worked out from it
    strength = 1.0
    bridge_frames = None

    if verb == "extend":
        mode = Mode.EXTEND_BACKWARD if args.backward else Mode.EXTEND_FORWARD
        frames = _made_for_new(_frames_asked(args, fps, card.default_frames - k, notes) + k, card)
        conditions = [Condition(args.clip)]
    elif verb == "connect":
        _clip_info(args.clip_b)
        mode = Mode.CONNECT
        asked = _frames_asked(args, fps, card.default_frames - 2 * k, notes)
        frames = _made_for_new(asked + 2 * k, card)
        conditions = [Condition(args.clip_a), Condition(args.clip_b)]
        if args.seconds is not None or args.frames is not None:
            bridge_frames = asked  # exactly the length asked for, thinned from the next one the model makes
    else:
        if args.end_image and not args.image:
            raise CommandError("--end-image needs --image for the first frame")
        if args.loop and not video:
            raise CommandError("--loop needs --video, the clip to loop")
        if args.strength is not None and (not video or args.loop):
            raise CommandError("--strength goes with --video (video to video)")
        if video and (args.image or args.keyframe):
            raise CommandError("--video cannot be combined with --image or --keyframe")
        if args.loop:
            mode = Mode.LOOP
            frames = _made_for_new(_frames_asked(args, fps, card.default_frames - 2 * k, notes) + 2 * k, card)
            conditions = [Condition(video)]
        elif video:
            mode = Mode.VIDEO_TO_VIDEO
            # As many frames as the clip has, down to a count the model can make.
            fitting = (min(clip.frames, card.max_frames) - 1) // card.frame_step * card.frame_step + 1
            frames = _frames_asked(args, fps, fitting, notes)
            strength = 0.6 if args.strength is None else args.strength
            conditions = [Condition(video)]
        else:
            frames = _frames_asked(args, fps, card.default_frames, notes)
            conditions = [Condition(args.image, 0)] if args.image else []
            keyframes = [_keyframe(text) for text in args.keyframe or []]
            if args.end_image:
                conditions.append(Condition(args.end_image, max(frames - 1, 1)))
            if keyframes:
                mode = Mode.KEYFRAMES
                conditions += keyframes
            else:
                mode = Mode.IMAGE_TO_VIDEO if conditions else Mode.TEXT_TO_VIDEO

    prompt = args.prompt
    if prompt is None:
        prompt = {"connect": "a smooth, continuous transition between the two shots"}.get(verb, "the shot continues")
    recipe = Recipe(
        mode=mode,
        model=args.model,
        prompt=prompt,
        negative_prompt=args.negative,
        seed=args.seed if args.seed is not None else random.randrange(2**31),
        steps=args.steps,
        guidance=args.guidance,
        width=args.width if args.width is not None else (clip.width if clip else card.default_width),
        height=args.height if args.height is not None else (clip.height if clip else card.default_height),
        frames=frames,
        fps=float(fps),
        conditions=conditions,
        strength=strength,
        bridge_frames=bridge_frames,
        window_prompts=list(getattr(args, "window_prompt", None) or []),
        references=list(args.reference or []),
    )
    if getattr(args, "expand", False):
        recipe.expanded_prompt = _expanded(prompt, args.expander)
        notes.append(f"expanded prompt: {recipe.expanded_prompt}")
    recipe, more = prepare(recipe, project_folder=Path.cwd(), models_dir=args.models_dir,
                           allow_long=args.allow_long)
    notes += more
    if mode in (Mode.EXTEND_FORWARD, Mode.EXTEND_BACKWARD, Mode.CONNECT, Mode.LOOP):
        from .engine.modes import new_frame_count

        where = {
            Mode.EXTEND_FORWARD: f"the first {k} of them overlap the clip's end",
            Mode.EXTEND_BACKWARD: f"the last {k} of them overlap the clip's start",
            Mode.CONNECT: f"the first {k} overlap the end of A and the last {k} the start of B",
            Mode.LOOP: f"the first {k} overlap the clip's end and the last {k} its start",
        }[mode]
        new = recipe.bridge_frames or new_frame_count(mode, recipe.frames, card)
        notes.append(f"{new} new frames: the model makes {recipe.frames}; {where}")
    return recipe, notes


def _expanded(prompt: str, expander: str | None) -> str:
    from .engine.expand import expand
    from .engine.weights import ExpanderError, find_expander

    try:
        folder = find_expander(expander)
        if folder is None:
            raise ExpanderError("no prompt expander is installed: put a text model (e.g. Qwen/Qwen2.5-0.5B-Instruct) "
                                "in models/expander/, set $STUDIO_EXPANDER, or give --expander FOLDER")
        return expand(prompt, folder)
    except ExpanderError as exc:
        raise CommandError(str(exc)) from exc


def cmd_expand(args: argparse.Namespace) -> int:
    print(_expanded(args.prompt, args.expander))
    return 0


def take_outputs(output: Path, takes: int) -> list[Path]:
    """OUT for one take; NAME-1.EXT … NAME-N.EXT for N."""
    if takes == 1:
        return [output]
    return [output.with_name(f"{output.stem}-{i}{output.suffix}") for i in range(1, takes + 1)]


def cmd_generate(args: argparse.Namespace) -> int:
    from .engine.jobs import JobDone, JobPartial, JobProgress
    from .engine.requests import MAX_SEED, RequestError
    from .engine.service import EngineService

    output = Path(args.output).absolute()
    if output.suffix.lower() not in (".mp4", ".mkv"):
        raise CommandError(f"the output {args.output} should end in .mp4 (H.264) or .mkv (lossless)")
    if args.memory is None:
        from .engine.memory import MemoryTierError, requested_tier

        try:
            requested_tier()
        except MemoryTierError as exc:
            raise CommandError(f"{exc} (in STUDIO_MEMORY)") from exc
    takes = getattr(args, "takes", 1)
    if takes < 1:
        raise CommandError(f"--takes must be at least 1, not {takes}")
    if takes > MAX_TAKES:
        raise CommandError(f"--takes must be at most {MAX_TAKES}, not {takes}: run the command again for more")
    _check_writable(output)
    try:
        recipe, notes = build_recipe(args)
    except RequestError as exc:
        raise CommandError(str(exc)) from exc
    if recipe.seed + takes - 1 > MAX_SEED:
        raise CommandError(f"{takes} takes from seed {recipe.seed} go past the largest seed, {MAX_SEED}; "
                           "choose a smaller --seed")
    for note in notes:
        _say(note)
    if args.seed is None:
        _say(f"seed {recipe.seed}")
    runs = list(zip(variations(recipe, takes), take_outputs(output, takes), strict=True))

    service = EngineService(log_dir=args.log_dir, models_dir=args.models_dir, memory=args.memory)
    on_tty = sys.stderr.isatty()
    print_lock = threading.Lock()
    made: dict[str, int] = {}  # the frames in each finished take (extend and connect differ from the recipe's)
    ran: dict[str, Recipe] = {}  # each finished take's recipe as run (model revision, snapped sizes)
    sound: dict[str, int | None] = {}  # each finished take's sample rate, if it has sound (LTX-2's)
    made_changed = threading.Condition()

    def show(event) -> None:
        if isinstance(event, JobDone):
            with made_changed:
                made[event.job_id] = event.frames
                ran[event.job_id] = event.recipe
                sound[event.job_id] = event.sample_rate if event.audio else None
                made_changed.notify_all()
        if isinstance(event, JobPartial):
            with print_lock:
                line = (f"window {event.window}/{event.windows} done: {event.frames} frames so far in "
                        f"{event.output} (playable)")
                print(f"\r{line}" if on_tty else line, file=sys.stderr, flush=True)
        if isinstance(event, JobProgress):
            with print_lock:
                line = f"step {event.step}/{event.total}  {event.elapsed:.1f} s"
                print(
                    f"\r{line}" if on_tty else line, end="" if on_tty else "\n", file=sys.stderr, flush=True
                )

    service.add_listener(show)
    failed = 0
    try:
        job_ids = [
            service.submit(r, out, name=r.prompt, project_folder=Path.cwd(), allow_long=args.allow_long)
            for r, out in runs
        ]
        for job_id in job_ids:
            try:
                job = service.wait(job_id)
            except KeyboardInterrupt:
                _say("cancelling…")
                for other in job_ids:
                    service.cancel(other)
                job = service.wait(job_id, timeout=60)
                if job.state == "done":  # a long shot keeps its finished windows
                    _say(f"cancelled: kept the finished windows, {job.recipe.frames} frames")
                    _mark_generated(Path(job.output), job.recipe)
                    print(job.output, flush=True)
                return 130
            if on_tty:
                print(file=sys.stderr)
            label = f"seed {job.recipe.seed}: " if takes > 1 else ""
            if job.state == "done":
                with made_changed:  # the event reaches listeners a moment after wait() returns
                    made_changed.wait_for(lambda done=job_id: done in made, timeout=10)
                frames = made.get(job_id, job.recipe.frames)
                _say(
                    f"{label}{frames} frames, {job.recipe.width}x{job.recipe.height} at {job.recipe.fps:g} fps "
                    f"in {job.elapsed:.1f} s" + (f", with sound at {sound[job_id]} Hz" if sound.get(job_id) else "")
                )
                if not _mark_generated(Path(job.output), ran.get(job_id, job.recipe)):
                    failed += 1
                print(job.output, flush=True)
            elif job.state == "cancelled":
                _say(f"{label}cancelled")
                return 130
            else:
                _say(f"{label}generation failed: {job.error}")
                failed += 1
    except RequestError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        service.shutdown()
    return EXIT_FAILED if failed else 0


def _check_writable(output: Path) -> None:
    """The output's folder exists and takes a new file, proved by making one: before any generation,
    not after it."""
    import tempfile

    folder = output.parent
    if not folder.is_dir():
        raise CommandError(f"cannot write {output}: the folder {folder} does not exist")
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".studio-", suffix=".probe"):
            pass
    except OSError as exc:
        raise CommandError(f"cannot write {output}: the folder {folder} is not writable "
                           f"({exc.strerror or exc}); choose another -o") from exc


def _mark_generated(path: Path, recipe: Recipe) -> bool:
    """Mark a finished take as AI-generated: C2PA in MP4, tags and a sidecar in MKV. False (said) if
    it could not be; the take itself is kept."""
    from .media.provenance import ProvenanceError, mark_file, mark_for_recipes, recipe_sources

    try:
        mark_file(path, mark_for_recipes([recipe], recipe_sources(recipe, Path.cwd())))
    except ProvenanceError as exc:
        _say(f"{path} was generated but could not be marked as AI-generated: {exc}")
        return False
    return True


# -- render ---------------------------------------------------------------------------------------


def load_input(path: str, rate: float = 24.0):
    """A project folder, or a timeline file the studio imports (.otio, .otioz, FCP .xml, .edl)."""
    from .core.store import ProjectError, load
    from .media.interchange import ADAPTERS, InterchangeError, read_timeline

    if Path(path).suffix.lower() in ADAPTERS:
        try:
            return read_timeline(path, rate=rate)
        except InterchangeError as exc:
            raise CommandError(str(exc)) from exc
    try:
        return load(path)
    except ProjectError as exc:
        raise CommandError(str(exc)) from exc


def cmd_export_timeline(args: argparse.Namespace) -> int:
    from .media.interchange import InterchangeError, write_timeline

    project = load_input(args.input, args.rate)
    try:
        out = write_timeline(project, args.output)
    except InterchangeError as exc:
        raise CommandError(str(exc)) from exc
    print(out)
    return 0


def _frame_number(text: str, fps: FrameRate) -> int:
    """A frame number, or a timecode HH:MM:SS:FF at the rate's nominal fps."""
    if text.isdigit():
        return int(text)
    parts = text.split(":")
    if len(parts) != 4 or not all(p.isdigit() for p in parts):
        raise CommandError(f"--range: {text!r} is neither a frame number nor a timecode HH:MM:SS:FF")
    h, m, sec, f = map(int, parts)
    return ((h * 60 + m) * 60 + sec) * max(1, round(float(fps))) + f


def _render_settings(args: argparse.Namespace):
    from .media.export import ExportError, RenderSettings, load_presets

    settings = RenderSettings()
    if args.preset:
        presets = load_presets()
        if args.preset not in presets:
            raise CommandError(f"no preset {args.preset!r}; the presets are {', '.join(presets)}")
        settings = presets[args.preset]
    changes = {k: v for k, v in {"codec": args.codec, "width": args.width, "height": args.height,
                                  "quality": args.quality, "bitrate": args.bitrate, "fit": args.fit,
                                  "pix_fmt": args.pix_fmt, "fps": _render_rate(args.fps)}.items() if v is not None}
    for name in ("width", "height"):
        value = getattr(args, name)
        if value is not None and not 1 <= value <= MAX_RENDER_SIDE:
            raise CommandError(f"--{name} must be between 1 and {MAX_RENDER_SIDE} pixels, not {value}")
    if args.quality is not None and not 0 <= args.quality <= 63:
        raise CommandError(f"--quality must be between 0 and 63 (the codecs' CRF scale), not {args.quality}")
    settings = dataclasses.replace(settings, **changes)
    try:
        settings.check()
    except ExportError as exc:
        raise CommandError(str(exc)) from exc
    return settings


def _render_rate(text: str | None) -> FrameRate | None:
    from .engine.requests import FPS_RANGE

    if not text:
        return None
    try:
        fps = FrameRate.parse(text)
    except (ValueError, ZeroDivisionError, OverflowError):
        fps = None
    if fps is None or not FPS_RANGE[0] <= float(fps) <= FPS_RANGE[1]:
        raise CommandError(f"--fps {text}: give a frame rate between {FPS_RANGE[0]} and {FPS_RANGE[1]}, e.g. 25 "
                           "or 30000/1001")
    return fps


def cmd_render(args: argparse.Namespace) -> int:
    from .media.export import ExportCancelled, export_sequence  # written alongside: imported when used

    settings = _render_settings(args)  # numbers first: nothing is read for a request that cannot run
    project = load_input(args.project, args.rate)
    frames = None
    if args.range:
        first, sep, last = args.range.partition("-")
        if not sep:
            raise CommandError(f"--range {args.range}: write it as IN-OUT, e.g. 24-71 or 00:00:01:00-00:00:02:23")
        fps = project.sequence.fps
        frames = (_frame_number(first, fps), _frame_number(last, fps) + 1)  # OUT is the last frame rendered
    on_tty = sys.stderr.isatty()
    shown = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != shown["percent"] and (on_tty or percent % 10 == 0):
            shown["percent"] = percent
            line = f"frame {done}/{total} ({percent}%)"
            print(f"\r{line}" if on_tty else line, end="" if on_tty else "\n", file=sys.stderr, flush=True)

    if args.no_provenance:
        _say("warning: --no-provenance: the file will not be marked as AI-generated (no C2PA manifest, no "
             "tags, no sidecar), though generated shots in it are still generated; whoever receives it cannot "
             "tell. Leave the marks on unless you have a reason.")
    cancel = threading.Event()
    try:
        out = export_sequence(project, project.sequence, args.output, progress=progress, cancel=cancel,
                              settings=settings, frames=frames, provenance=not args.no_provenance,
                              allow_offline=args.allow_offline)
    except KeyboardInterrupt:
        return 130
    except ExportCancelled:
        return 130
    except Exception as exc:  # the export's own errors are written for people
        if type(exc).__module__.startswith("studio."):
            raise CommandError(str(exc)) from exc
        raise
    if on_tty:
        print(file=sys.stderr)
    print(out)
    return 0


# -- verify ---------------------------------------------------------------------------------------

EXIT_UNMARKED = 3  # the file carries no C2PA manifest
EXIT_OTHER_SIGNER = 4  # intact, but signed by another installation or tool, not this one
VERIFY_EXITS = """exit codes:
  0  intact, signed by this studio installation
  1  TAMPERED: the manifest does not match the file (changed after signing), or it is broken
  2  the file cannot be checked (it does not exist, or a bad argument)
  3  no C2PA manifest (any tags or sidecar are shown, but prove nothing)
  4  intact, but signed by another studio installation or another tool (its signer is shown)"""
# --json's "status" for each verdict state, and the exit code that goes with it
VERIFY_STATUS = {"trusted": ("trusted", 0), "valid": ("other_signer", EXIT_OTHER_SIGNER),
                 "invalid": ("tampered", EXIT_FAILED), "missing": ("unmarked", EXIT_UNMARKED)}


def cmd_verify(args: argparse.Namespace) -> int:
    """Read and validate a file's C2PA manifest and print its recipes; the exit code says what was
    found (VERIFY_EXITS). A tampered file says TAMPERED first, before anything it carries."""
    import json

    from .media.provenance import ProvenanceError, verify

    try:
        verdict = verify(args.file)
    except ProvenanceError as exc:
        raise CommandError(str(exc)) from exc
    status, code = VERIFY_STATUS[verdict.state]
    name = verdict.path
    if args.json:
        print(json.dumps({
            "file": str(name), "status": status, "exit_code": code,
            "signer": {k: verdict.signature[k] for k in ("common_name", "issuer", "time", "cert_serial_number")
                       if k in verdict.signature} or None,
            "ai_generated": verdict.ai_generated, "ingredients": verdict.ingredients, "problems": verdict.problems,
            "notes": verdict.notes, "recipes": verdict.recipes,
        }, indent=2, ensure_ascii=False))
    else:
        if verdict.state == "invalid":
            print(f"TAMPERED: {name}: the C2PA manifest does not match the file; nothing below can be trusted")
        elif verdict.state == "trusted":
            print(f"{name}: valid C2PA manifest, signed by this studio installation ({verdict.signer})")
        elif verdict.state == "valid":
            print(f"{name}: valid C2PA manifest, signed by {verdict.signer or 'an unknown signer'}, "
                  "not by this studio installation")
        if verdict.ok:
            print("AI-generated (trainedAlgorithmicMedia)" if verdict.ai_generated else
                  "not marked as AI-generated")
            if verdict.ingredients:
                print(f"made from: {', '.join(verdict.ingredients)}")
        for note in verdict.notes:
            print(f"note: {note}")
        for i, recipe in enumerate(verdict.recipes, 1):
            print(f"recipe {i} of {len(verdict.recipes)}:")
            print(json.dumps(recipe, indent=2, ensure_ascii=False))
    if verdict.state == "invalid":
        _say(f"{name}: TAMPERED: the C2PA manifest does not match the file: it was changed after signing, or the "
             f"manifest is broken ({'; '.join(verdict.problems)})")
    elif verdict.state == "missing":
        _say(f"{name}: {'; '.join(verdict.problems)}" + (
            ", though its tags or sidecar say it is AI-generated (unsigned, so they prove nothing)"
            if verdict.ai_generated else ""))
    elif verdict.state == "valid":
        _say(f"{name}: signed by {verdict.signer or 'an unknown signer'}, not by this studio installation")
    return code


# -- main -----------------------------------------------------------------------------------------


class _Parser(argparse.ArgumentParser):
    """argparse with its refusals as one line, like every other refusal (exit 2, nothing run)."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_REQUEST, f"studio: {self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="studio", description="A local AI film studio, headless.")
    p.add_argument(
        "--models-dir",
        default=os.environ.get("STUDIO_MODELS") or None,
        help="a folder of downloaded models (<dir>/<card id>/), besides models/ (default: $STUDIO_MODELS)",
    )
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("doctor", help="check Python, torch and its device, ffmpeg and the models").set_defaults(
        func=cmd_doctor
    )

    models = sub.add_parser("models", help="list model cards, download one, or build a tiny test model")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    models_sub.add_parser("list", help="the model cards and where their weights are").set_defaults(
        func=cmd_models_list
    )
    fetch = models_sub.add_parser("download", help="download a card's model from Hugging Face (resumes)")
    fetch.add_argument("id", help="a model card id, e.g. ltx-video-0.9.5")
    fetch.add_argument("--dir", help="the models folder to download into (default: --models-dir, else models/)")
    fetch.set_defaults(func=cmd_models_download)
    tiny = models_sub.add_parser("tiny", help="build a tiny random-weight model for tests")
    tiny.add_argument("family", help="model family, e.g. ltx")
    tiny.add_argument("dir", help="the folder to write it to")
    tiny.set_defaults(func=cmd_models_tiny)

    gen = sub.add_parser("generate", help="generate a shot")
    gen.add_argument("-p", "--prompt", required=True)
    gen.add_argument("--image", help="the first frame (image to video)")
    gen.add_argument("--end-image", help="the last frame (with --image)")
    gen.add_argument(
        "--keyframe", action="append", metavar="PATH@FRAME", help="a still at a frame index (repeatable)"
    )
    gen.add_argument("--video", help="a clip to remake (video to video), or to loop with --loop")
    gen.add_argument(
        "--strength", type=_finite, help="with --video: 0 keeps the clip, 1 remakes it from the prompt (0.6)"
    )
    gen.add_argument(
        "--loop", action="store_true", help="with --video: add frames that lead from its end back to its start"
    )
    gen.add_argument("--takes", type=int, default=1,
                     help=f"N variations with seeds SEED … SEED+N-1 (at most {MAX_TAKES})")
    gen.add_argument("--window-prompt", action="append", metavar="TEXT",
                     help="a long shot's prompt for its next window (repeatable: the first window's, the second's, "
                     "…; the last goes on for the rest)")
    _shot_options(gen, "the shot's length (with --loop: the frames added)")
    gen.set_defaults(func=cmd_generate)

    extend = sub.add_parser("extend", help="continue a clip: the clip followed (or preceded) by new frames")
    extend.add_argument("clip", help="the clip to extend (a lossless .mkv take keeps its exact frames)")
    extend.add_argument("-p", "--prompt", help="what happens next (default: the shot continues)")
    extend.add_argument("--backward", action="store_true", help="add the new frames before the clip")
    _shot_options(extend, "how much to add")
    extend.set_defaults(func=cmd_generate)

    connect = sub.add_parser("connect", help="a bridge from the end of clip A to the start of clip B")
    connect.add_argument("clip_a", metavar="A", help="the clip to come from")
    connect.add_argument("clip_b", metavar="B", help="the clip to go to")
    connect.add_argument("-p", "--prompt", help="what happens in between")
    _shot_options(connect, "the bridge's length")
    connect.set_defaults(func=cmd_generate)

    render = sub.add_parser("render", help="export a project's sequence, or a timeline file's")
    render.add_argument("project", metavar="INPUT",
                        help="a project folder (Name.studio) or a timeline file (.otio, .otioz, .xml, .edl)")
    render.add_argument("-o", "--output", required=True,
                        help="the file to write (.mp4, .mov, .wav), or a new folder for a PNG sequence")
    render.add_argument("--preset", help="a render preset: web-1080p, vertical-1080x1920, square-1080, "
                        "dci-2k-scope, prores-master (resources/render_presets.toml)")
    render.add_argument("--range", help="IN-OUT: render only these frames (OUT included), as frame numbers "
                        "or timecodes HH:MM:SS:FF")
    render.add_argument("--codec", help="h264, h265, av1, prores_422hq, prores_4444, png or wav")
    render.add_argument("--width", type=int, help="output width (with --height); default the sequence's")
    render.add_argument("--height", type=int, help="output height")
    render.add_argument("--fps", help="output frame rate, e.g. 25 or 30000/1001 (frames dropped or repeated)")
    render.add_argument("--quality", type=int, help="the codec's CRF: lower is better (H.264 18, H.265 20, AV1 30)")
    render.add_argument("--bitrate", help="a bitrate such as 20M, instead of --quality")
    render.add_argument("--pix-fmt", help="the pixel format, as ffmpeg names it (e.g. yuv444p, yuv422p10le); "
                        "default: the codec's")
    render.add_argument("--fit", choices=("fit", "fill", "stretch"), help="the picture in another shape: fit "
                        "(black bars, the default), fill (crop) or stretch")
    render.add_argument("--allow-offline", action="store_true", help="render clips whose media is missing, "
                        "unreadable or cut short as MEDIA OFFLINE frames, instead of refusing to render")
    render.add_argument("--rate", type=_rate, default=24.0, help="an EDL's frame rate (EDLs do not say); 24")
    render.add_argument("--no-provenance", action="store_true", help="do not mark the file as AI-generated "
                        "(no C2PA manifest, tags or sidecar) even where it holds generated shots; prints a warning")
    render.set_defaults(func=cmd_render)
    verify = sub.add_parser("verify", help="check a file's C2PA manifest and print the recipes it carries",
                            description="Check a file's C2PA manifest and print the recipes it carries.",
                            epilog=VERIFY_EXITS, formatter_class=argparse.RawDescriptionHelpFormatter)
    verify.add_argument("file", metavar="FILE", help="an .mp4, .mov or .wav (others: their tags and sidecar)")
    verify.add_argument("--json", action="store_true", help="print one JSON object instead: file, status "
                        "(trusted, other_signer, tampered, unmarked), exit_code, signer (common_name, issuer, "
                        "time), ai_generated, ingredients, problems, notes, recipes")
    verify.set_defaults(func=cmd_verify)
    expand = sub.add_parser("expand", help="rewrite a short prompt into a detailed one with the local text model")
    expand.add_argument("prompt", help="the short prompt")
    expand.add_argument("--expander", help="a text model folder (default: $STUDIO_EXPANDER or models/expander/)")
    expand.set_defaults(func=cmd_expand)
    timeline = sub.add_parser("export-timeline", help="write a sequence as .otio, .otioz, FCP .xml or .edl")
    timeline.add_argument("input", metavar="INPUT", help="a project folder or any timeline file the studio reads")
    timeline.add_argument("-o", "--output", required=True, help="OUT.otio, OUT.otioz, OUT.xml (FCP 7) or OUT.edl")
    timeline.add_argument("--rate", type=_rate, default=24.0, help="an input EDL's frame rate; 24")
    timeline.set_defaults(func=cmd_export_timeline)
    return p


def _shot_options(p: argparse.ArgumentParser, length_help: str) -> None:
    """The options generate, extend and connect share."""
    from .engine.requests import FPS_RANGE, MAX_GUIDANCE, MAX_SECONDS, MAX_SECONDS_LONG, MAX_SEED, MAX_STEPS

    p.add_argument("-m", "--model", required=True, help="a model card id or a diffusers model folder")
    p.add_argument("--expand", action="store_true", help="rewrite the prompt into a detailed one first (kept in "
                   "the recipe beside the prompt)")
    p.add_argument("--expander", help="the text model folder for --expand")
    p.add_argument("--negative", default="", help="what to avoid")
    p.add_argument("--reference", action="append", metavar="PATH", help="an image of what the shot should show "
                   "(a character, an object, a place), with any mode; for models that take references, such as "
                   "Wan VACE (repeatable)")
    length = p.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=_finite, help=f"{length_help} (at most {MAX_SECONDS} s)")
    length.add_argument("--frames", type=int, help=f"{length_help}, in frames (at most {MAX_SECONDS} s of them)")
    p.add_argument("--allow-long", action="store_true", help=f"allow a shot longer than {MAX_SECONDS} s, up to "
                   f"{MAX_SECONDS_LONG} s (made in windows, which takes a long time)")
    p.add_argument("--width", type=int, help="in pixels, up to the model's largest")
    p.add_argument("--height", type=int, help="in pixels, up to the model's largest")
    p.add_argument("--fps", type=_finite, help=f"frames per second, {FPS_RANGE[0]} to {FPS_RANGE[1]}")
    p.add_argument("--seed", type=int, help=f"0 to {MAX_SEED} (default: a random one, printed)")
    p.add_argument("--steps", type=int, help=f"denoising steps, 1 to {MAX_STEPS} (default: the model card's)")
    p.add_argument("--guidance", type=_finite, help=f"guidance scale, 0 to {MAX_GUIDANCE} (default: the card's)")
    p.add_argument("--log-dir", help="where the engine worker writes its log")
    p.add_argument(
        "--memory",
        type=_memory_tier,
        help="memory tier: resident, model_offload or group_offload (default: $STUDIO_MEMORY, else chosen "
        "from free GPU memory)",
    )
    p.add_argument("-o", "--output", required=True, help=".mp4 (H.264) or .mkv (lossless)")


def _finite(text: str) -> float:
    """A float argument that is a number: not nan, not inf."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    return value


def _rate(text: str) -> float:
    """An EDL's frame rate: a number within the studio's frame rates."""
    from .engine.requests import FPS_RANGE

    value = _finite(text)
    if not FPS_RANGE[0] <= value <= FPS_RANGE[1]:
        raise argparse.ArgumentTypeError(f"{text} is not a frame rate between {FPS_RANGE[0]} and {FPS_RANGE[1]}")
    return value


def _memory_tier(text: str) -> str:
    from .engine.memory import MemoryTierError, check_tier

    try:
        return check_tier(text)
    except MemoryTierError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except CommandError as exc:
        _say(str(exc).replace("\n", " "))
        return EXIT_BAD_REQUEST
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: one line for the user, the traceback with STUDIO_DEBUG=1
        if os.environ.get("STUDIO_DEBUG"):
            raise
        _say(
            f"internal error: {type(exc).__name__}: {exc} (run with STUDIO_DEBUG=1 for details)".replace(
                "\n", " "
            )
        )
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
