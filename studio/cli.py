"""The headless verbs: doctor, models, generate, render.

`generate` runs through the same EngineService and worker process as the editor, so this process
never imports torch for it. A bad request exits non-zero with one line on stderr.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import subprocess
import sys
import threading
from pathlib import Path

from .core.recipe import Condition, Mode, Recipe
from .core.timebase import FrameRate

EXIT_FAILED = 1  # the job ran and failed
EXIT_BAD_REQUEST = 2  # nothing ran: the request cannot be made


class CommandError(Exception):
    """A one-line problem with what the user asked for."""


def _say(message: str) -> None:
    print(f"studio: {message}", file=sys.stderr, flush=True)


# -- doctor ---------------------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    print(f"python      {sys.version.split()[0]} ({sys.executable})")
    print(f"platform    {platform.platform()}")
    try:
        import torch

        from .engine.loader import pick_device

        device = pick_device()
        print(f"torch       {torch.__version__}")
        line = f"device      {device.name} ({str(device.dtype).removeprefix('torch.')})"
        if device.name == "cuda":
            props = torch.cuda.get_device_properties(device.torch_device)
            line += f", {props.name}, {props.total_memory / 2**30:.1f} GB"
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

    models = catalogue(args.models_dir)
    for entry in models:
        card = entry.card
        where = str(entry.folder) if entry.installed else f"not downloaded ({card.repo or 'no repo'})"
        print(f"{card.id:30} {card.name}")
        print(
            f"{'':30} {card.family}, {card.default_width}x{card.default_height}, {card.frame_step}k+1 frames "
            f"up to {card.max_frames}, {card.default_steps} steps, ~{card.memory_gb:g} GB: {where}"
        )
    if not models:
        print("no model cards found")
    return 0


def cmd_models_tiny(args: argparse.Namespace) -> int:
    from .engine.tiny import build_tiny

    try:
        folder = build_tiny(args.family, args.dir)
    except (ValueError, FileExistsError) as exc:
        raise CommandError(str(exc)) from exc
    print(folder)
    return 0


# -- generate -------------------------------------------------------------------------------------


def build_recipe(args: argparse.Namespace) -> tuple[Recipe, list[str]]:
    """The recipe the arguments ask for, with the card's defaults where they are silent, prepared."""
    from .engine.requests import prepare, resolve_model

    card = resolve_model(args.model, args.models_dir).card
    fps = args.fps if args.fps is not None else card.default_fps
    if fps <= 0:
        raise CommandError(f"the frame rate must be positive, not {fps:g}")
    if args.seconds is not None:
        if args.seconds <= 0:
            raise CommandError(f"the duration must be positive, not {args.seconds:g} seconds")
        frames = FrameRate.parse(fps).frames(args.seconds)
    else:
        frames = args.frames if args.frames is not None else card.default_frames
    if args.end_image and not args.image:
        raise CommandError("--end-image needs --image for the first frame")
    conditions = [Condition(args.image, 0)] if args.image else []
    if args.end_image:
        conditions.append(Condition(args.end_image, max(frames - 1, 1)))
    recipe = Recipe(
        mode=Mode.IMAGE_TO_VIDEO if conditions else Mode.TEXT_TO_VIDEO,
        model=args.model,
        prompt=args.prompt,
        negative_prompt=args.negative,
        seed=args.seed if args.seed is not None else random.randrange(2**31),
        steps=args.steps,
        guidance=args.guidance,
        width=args.width if args.width is not None else card.default_width,
        height=args.height if args.height is not None else card.default_height,
        frames=frames,
        fps=float(fps),
        conditions=conditions,
    )
    notes = []
    if args.seconds is not None:
        notes.append(f"{args.seconds:g} s at {fps:g} fps is {frames} frames")
    recipe, more = prepare(recipe, project_folder=Path.cwd(), models_dir=args.models_dir)
    return recipe, notes + more


def cmd_generate(args: argparse.Namespace) -> int:
    from .engine.jobs import JobProgress
    from .engine.requests import RequestError
    from .engine.service import EngineService

    output = Path(args.output).absolute()
    if output.suffix.lower() not in (".mp4", ".mkv"):
        raise CommandError(f"the output {args.output} should end in .mp4 (H.264) or .mkv (lossless)")
    try:
        recipe, notes = build_recipe(args)
    except RequestError as exc:
        raise CommandError(str(exc)) from exc
    for note in notes:
        _say(note)
    if args.seed is None:
        _say(f"seed {recipe.seed}")

    service = EngineService(log_dir=args.log_dir, models_dir=args.models_dir)
    on_tty = sys.stderr.isatty()
    print_lock = threading.Lock()

    def show(event) -> None:
        if isinstance(event, JobProgress):
            with print_lock:
                line = f"step {event.step}/{event.total}  {event.elapsed:.1f} s"
                print(
                    f"\r{line}" if on_tty else line, end="" if on_tty else "\n", file=sys.stderr, flush=True
                )

    service.add_listener(show)
    try:
        job_id = service.submit(recipe, output, name=recipe.prompt, project_folder=Path.cwd())
        try:
            job = service.wait(job_id)
        except KeyboardInterrupt:
            _say("cancelling…")
            service.cancel(job_id)
            job = service.wait(job_id, timeout=60)
    except RequestError as exc:
        raise CommandError(str(exc)) from exc
    finally:
        service.shutdown()
    if on_tty:
        print(file=sys.stderr)
    if job.state == "done":
        _say(
            f"{job.recipe.frames} frames, {job.recipe.width}x{job.recipe.height} at {job.recipe.fps:g} fps "
            f"in {job.elapsed:.1f} s"
        )
        print(job.output)
        return 0
    if job.state == "cancelled":
        _say("cancelled")
        return 130
    _say(f"generation failed: {job.error}")
    return EXIT_FAILED


# -- render ---------------------------------------------------------------------------------------


def cmd_render(args: argparse.Namespace) -> int:
    from .core.store import ProjectError, load
    from .media.export import ExportCancelled, export_sequence  # written alongside: imported when used

    try:
        project = load(args.project)
    except ProjectError as exc:
        raise CommandError(str(exc)) from exc
    on_tty = sys.stderr.isatty()
    shown = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent != shown["percent"] and (on_tty or percent % 10 == 0):
            shown["percent"] = percent
            line = f"frame {done}/{total} ({percent}%)"
            print(f"\r{line}" if on_tty else line, end="" if on_tty else "\n", file=sys.stderr, flush=True)

    cancel = threading.Event()
    try:
        out = export_sequence(project, project.sequence, args.output, progress=progress, cancel=cancel)
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


# -- main -----------------------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="studio", description="A local AI film studio, headless.")
    p.add_argument("--models-dir", help="a folder of downloaded models (<dir>/<card id>/), besides models/")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("doctor", help="check Python, torch and its device, ffmpeg and the models").set_defaults(
        func=cmd_doctor
    )

    models = sub.add_parser("models", help="list model cards, or build a tiny test model")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    models_sub.add_parser("list", help="the model cards and where their weights are").set_defaults(
        func=cmd_models_list
    )
    tiny = models_sub.add_parser("tiny", help="build a tiny random-weight model for tests")
    tiny.add_argument("family", help="model family, e.g. ltx")
    tiny.add_argument("dir", help="the folder to write it to")
    tiny.set_defaults(func=cmd_models_tiny)

    gen = sub.add_parser("generate", help="generate a shot")
    gen.add_argument("-m", "--model", required=True, help="a model card id or a diffusers model folder")
    gen.add_argument("-p", "--prompt", required=True)
    gen.add_argument("--negative", default="", help="what to avoid")
    gen.add_argument("--image", help="the first frame (image to video)")
    gen.add_argument("--end-image", help="the last frame (with --image)")
    length = gen.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=float)
    length.add_argument("--frames", type=int)
    gen.add_argument("--width", type=int)
    gen.add_argument("--height", type=int)
    gen.add_argument("--fps", type=float)
    gen.add_argument("--seed", type=int)
    gen.add_argument("--steps", type=int)
    gen.add_argument("--guidance", type=float)
    gen.add_argument("--log-dir", help="where the engine worker writes its log")
    gen.add_argument("-o", "--output", required=True, help=".mp4 (H.264) or .mkv (lossless)")
    gen.set_defaults(func=cmd_generate)

    render = sub.add_parser("render", help="export a project's sequence")
    render.add_argument("project", help="the project folder (Name.studio)")
    render.add_argument("-o", "--output", required=True, help="the .mp4 to write")
    render.set_defaults(func=cmd_render)
    return p


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
