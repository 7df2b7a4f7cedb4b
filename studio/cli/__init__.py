"""The headless `studio` command: its parser, and main(), where a failure becomes one line on stderr.

Each verb lives in the module named after what it works on:
  models.py    doctor; models list, download, fit, tiny, train-demo
  generate.py  generate, extend, connect (run through the engine's worker), expand
  batch.py     batch: a shot list's (or a timeline's) shots, N takes each, resumable
  recipe.py    the recipe those three ask for, one builder per mode
  refine.py    refine: the full take of a draft
  project.py   render, export-timeline, verify
  bench.py     bench: the GPU benchmark (studio/testing/bench)
  common.py    the exit codes, CommandError, and say() for stderr

A bad request exits 2 with one line on stderr; a job that ran and failed exits 1.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import NoReturn

from ..core.errors import StudioError
from ..core.recipe import RESTYLE_STRENGTH
from .batch import cmd_batch
from .bench import add_bench
from .common import EXIT_BAD_REQUEST, EXIT_FAILED, CommandError, say
from .generate import MAX_TAKES, cmd_expand, cmd_generate
from .models import (
    cmd_doctor,
    cmd_models_download,
    cmd_models_fit,
    cmd_models_list,
    cmd_models_tiny,
    cmd_models_train_demo,
)
from .project import VERIFY_EXITS, cmd_export_timeline, cmd_render, cmd_verify
from .refine import cmd_refine


class _Parser(argparse.ArgumentParser):
    """argparse with its refusals as one line, like every other refusal (exit 2, nothing run), and no flag taken
    from the start of its name: `--mode` is not `--model` (argparse's abbreviations would read it so)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)  # each subcommand's parser is made by this class too
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        # prog is "studio" or "studio generate": it names the program already
        self.exit(EXIT_BAD_REQUEST, f"{self.prog}: {message} (see {self.prog} --help)\n")


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="studio", description="A local AI film studio, headless.")
    p.add_argument(
        "--models-dir",
        default=os.environ.get("STUDIO_MODELS") or None,
        help="a folder of downloaded models (<dir>/<card id>/), besides models/ (default: $STUDIO_MODELS)",
    )
    p.add_argument(
        "--gpus",
        default=os.environ.get("STUDIO_GPUS") or None,
        help="run jobs on these GPUs side by side, a worker each: 0,2 or all (default: $STUDIO_GPUS, else one worker)",
    )
    p.add_argument("--workers", type=int, metavar="N", help="run N workers on the CPU side by side")
    p.add_argument(
        "--cluster",
        default=os.environ.get("STUDIO_CLUSTER") or None,
        metavar="ADDRESS",
        help="run jobs on a Ray cluster: auto, ray://HEAD:10001 or local "
        "(default: $STUDIO_CLUSTER; needs studio[cluster])",
    )
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("doctor", help="check Python, torch and its device, ffmpeg and the models").set_defaults(
        func=cmd_doctor
    )

    models = sub.add_parser("models", help="list model cards, download one, or build a tiny test model")
    models_sub = models.add_subparsers(dest="models_command", required=True)
    models_sub.add_parser("list", help="the model cards and where their weights are").set_defaults(func=cmd_models_list)
    fetch = models_sub.add_parser("download", help="download a card's model from Hugging Face (resumes)")
    fetch.add_argument("id", help="a model card id, e.g. ltx-video-0.9.5")
    fetch.add_argument("--dir", help="the models folder to download into (default: --models-dir, else models/)")
    fetch.set_defaults(func=cmd_models_download)
    fit = models_sub.add_parser("fit", help="the memory tier each model gets on a GPU of a given size, and why")
    fit.add_argument("--gpu-memory", type=_finite, required=True, metavar="GB", help="the GPU's memory in GB")
    fit.add_argument("--width", type=int, help="the video's width (default: each card's)")
    fit.add_argument("--height", type=int, help="the video's height (default: each card's)")
    fit.add_argument("--frames", type=int, help="the number of frames (default: each card's)")
    fit.set_defaults(func=cmd_models_fit)
    tiny = models_sub.add_parser("tiny", help="build a tiny random-weight model for tests")
    tiny.add_argument("family", help="model family, e.g. ltx")
    tiny.add_argument("dir", help="the folder to write it to")
    tiny.set_defaults(func=cmd_models_tiny)
    demo = models_sub.add_parser("train-demo", help="train the demo model (seeded; run it again to resume)")
    demo.add_argument("dir", help="the folder to train in: checkpoints, the loss log, and the model as DIR/demo")
    # The defaults (None here) are the recipe's, kept in studio/demo/train.py.
    demo.add_argument("--seed", type=int, help="the seed (default: the recipe's)")
    demo.add_argument("--vae-steps", type=int, help="steps of the VAE's stage (default: the recipe's)")
    demo.add_argument("--text-steps", type=int, help="steps of the text encoder's stage (default: the recipe's)")
    demo.add_argument(
        "--transformer-steps", type=int, help="steps of the video transformer's stage (default: the recipe's)"
    )
    demo.add_argument(
        "--first-frame-steps",
        type=int,
        help="steps of the first-frame transformer's stage (default: the recipe's)",
    )
    demo.add_argument("--clips", type=int, help="training clips encoded for the second stage (default: the recipe's)")
    demo.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="where to train: auto (default) is the GPU where torch sees a CUDA one, else the CPU",
    )
    demo.set_defaults(func=cmd_models_train_demo)

    gen = sub.add_parser("generate", help="generate a shot")
    gen.add_argument("-p", "--prompt", required=True)
    gen.add_argument("--image", help="the first frame (image to video)")
    gen.add_argument("--end-image", help="the last frame (with --image)")
    gen.add_argument("--keyframe", action="append", metavar="PATH@FRAME", help="a still at a frame index (repeatable)")
    gen.add_argument("--video", help="a clip to remake (video to video), or to loop with --loop")
    gen.add_argument(
        "--strength",
        type=_finite,
        help=f"with --video: 0 keeps the clip, 1 remakes it from the prompt ({RESTYLE_STRENGTH:g})",
    )
    gen.add_argument(
        "--loop", action="store_true", help="with --video: add frames that lead from its end back to its start"
    )
    gen.add_argument(
        "--takes", type=int, default=1, help=f"N variations with seeds SEED … SEED+N-1 (at most {MAX_TAKES})"
    )
    gen.add_argument(
        "--window-prompt",
        action="append",
        metavar="TEXT",
        help="a long shot's prompt for its next window (repeatable: the first window's, the second's, "
        "…; the last goes on for the rest)",
    )
    _shot_options(gen, "the shot's length (with --loop: the frames added)")
    gen.set_defaults(func=cmd_generate)

    batch = sub.add_parser(
        "batch",
        help="generate every shot of a shot list (.toml) or a timeline's placeholders (.otio), N takes each",
        description="Generate every shot of a shot list (.toml, see README: Batches) or every placeholder and "
        "generated clip of an .otio timeline, N takes each. Run it again (or with --resume) to make only the "
        "takes not finished yet.",
    )
    batch.add_argument("shots", metavar="SHOTS", help="a shot list (.toml) or a timeline (.otio)")
    batch.add_argument(
        "--takes", type=int, default=1, help=f"takes of each shot, seeds SEED … SEED+N-1 (at most {MAX_TAKES})"
    )
    where = batch.add_mutually_exclusive_group()
    where.add_argument(
        "--out", metavar="DIR", help="the folder for the takes and batch.json (default: SHOTS without its suffix)"
    )
    where.add_argument(
        "--project", metavar="P", help="a project (Name.studio) to land the takes in, as the editor does"
    )
    batch.add_argument("-m", "--model", help="the model for shots that name none: a card id or a model folder")
    batch.add_argument(
        "--resume", action="store_true", help="go on with an interrupted batch: its state file must exist"
    )
    batch.add_argument("--log-dir", help="where the engine worker writes its log")
    batch.add_argument("--memory", type=_memory_tier, help="memory tier: resident, model_offload or group_offload")
    batch.set_defaults(func=cmd_batch)

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

    refine = sub.add_parser(
        "refine", help="make the full take of a draft (generate --draft): same recipe and seed, full quality"
    )
    refine.add_argument("take", metavar="TAKE", help="the draft take (.mp4 or .mkv) whose recipe it carries")
    where = refine.add_mutually_exclusive_group()
    where.add_argument("--out", metavar="OUT", help="the file to write (default: TAKE-refined beside it)")
    where.add_argument("--project", metavar="P", help="the project the take is in: the refine lands as its new take")
    refine.add_argument("--log-dir", help="where the engine worker writes its log")
    refine.add_argument("--memory", type=_memory_tier, help="memory tier: resident, model_offload or group_offload")
    refine.set_defaults(func=cmd_refine)

    render = sub.add_parser("render", help="export a project's sequence, or a timeline file's")
    render.add_argument(
        "project", metavar="INPUT", help="a project folder (Name.studio) or a timeline file (.otio, .otioz, .xml, .edl)"
    )
    render.add_argument(
        "-o", "--output", required=True, help="the file to write (.mp4, .mov, .wav), or a new folder for a PNG sequence"
    )
    render.add_argument(
        "--preset",
        help="a render preset: web-1080p, vertical-1080x1920, square-1080, "
        "dci-2k-scope, prores-master (studio/resources/render_presets.toml)",
    )
    render.add_argument(
        "--range", help="IN-OUT: render only these frames (OUT included), as frame numbers or timecodes HH:MM:SS:FF"
    )
    render.add_argument("--codec", help="h264, h265, av1, prores_422hq, prores_4444, png or wav")
    render.add_argument("--width", type=int, help="output width (with --height); default the sequence's")
    render.add_argument("--height", type=int, help="output height")
    render.add_argument("--fps", help="output frame rate, e.g. 25 or 30000/1001 (frames dropped or repeated)")
    render.add_argument("--quality", type=int, help="the codec's CRF: lower is better (H.264 18, H.265 20, AV1 30)")
    render.add_argument("--bitrate", help="a bitrate such as 20M, instead of --quality")
    render.add_argument(
        "--pix-fmt", help="the pixel format, as ffmpeg names it (e.g. yuv444p, yuv422p10le); default: the codec's"
    )
    render.add_argument(
        "--fit",
        choices=("fit", "fill", "stretch"),
        help="the picture in another shape: fit (black bars, the default), fill (crop) or stretch",
    )
    render.add_argument(
        "--allow-offline",
        action="store_true",
        help="render clips whose media is missing, "
        "unreadable or cut short as MEDIA OFFLINE frames, instead of refusing to render",
    )
    render.add_argument("--rate", type=_rate, default=24.0, help="an EDL's frame rate (EDLs do not say); 24")
    render.add_argument(
        "--no-provenance",
        action="store_true",
        help="do not mark the file as AI-generated "
        "(no C2PA manifest, tags or sidecar) even where it holds generated shots; prints a warning",
    )
    render.set_defaults(func=cmd_render)
    verify = sub.add_parser(
        "verify",
        help="check a file's C2PA manifest and print the recipes it carries",
        description="Check a file's C2PA manifest and print the recipes it carries.",
        epilog=VERIFY_EXITS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("file", metavar="FILE", help="an .mp4, .mov or .wav (others: their tags and sidecar)")
    verify.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object instead: file, status "
        "(trusted, other_signer, tampered, unmarked), exit_code, signer (common_name, issuer, "
        "time), ai_generated, ingredients, problems, notes, recipes",
    )
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
    add_bench(sub)
    return p


def _shot_options(p: argparse.ArgumentParser, length_help: str) -> None:
    """The options generate, extend and connect share."""
    from ..engine.requests import FPS_RANGE, MAX_GUIDANCE, MAX_SECONDS, MAX_SECONDS_LONG, MAX_SEED, MAX_STEPS

    p.add_argument("-m", "--model", required=True, help="a model card id or a diffusers model folder")
    p.add_argument(
        "--expand",
        action="store_true",
        help="rewrite the prompt into a detailed one first (kept in the recipe beside the prompt)",
    )
    p.add_argument("--expander", help="the text model folder for --expand")
    p.add_argument("--negative", default="", help="what to avoid")
    p.add_argument(
        "--style",
        default="",
        help="the look, said to the model after the prompt (e.g. '35 mm film, warm light'): give every shot of "
        "a film the same one",
    )
    p.add_argument(
        "--reference",
        action="append",
        metavar="PATH",
        help="an image of what the shot should show "
        "(a character, an object, a place), with any mode; for models that take references, such as "
        "Wan VACE (repeatable)",
    )
    length = p.add_mutually_exclusive_group()
    length.add_argument("--seconds", type=_finite, help=f"{length_help} (at most {MAX_SECONDS} s)")
    length.add_argument("--frames", type=int, help=f"{length_help}, in frames (at most {MAX_SECONDS} s of them)")
    p.add_argument(
        "--allow-long",
        action="store_true",
        help=f"allow a shot longer than {MAX_SECONDS} s, up to "
        f"{MAX_SECONDS_LONG} s (made in windows, which takes a long time)",
    )
    p.add_argument("--width", type=int, help="in pixels, up to the model's largest")
    p.add_argument("--height", type=int, help="in pixels, up to the model's largest")
    p.add_argument("--fps", type=_finite, help=f"frames per second, {FPS_RANGE[0]} to {FPS_RANGE[1]}")
    p.add_argument("--seed", type=int, help=f"0 to {MAX_SEED} (default: a random one, printed)")
    p.add_argument("--steps", type=int, help=f"denoising steps, 1 to {MAX_STEPS} (default: the model card's)")
    p.add_argument("--guidance", type=_finite, help=f"guidance scale, 0 to {MAX_GUIDANCE} (default: the card's)")
    p.add_argument(
        "--draft",
        action="store_true",
        help="a quick draft: the model card's [draft] (fewer steps, a smaller size or a distilled model); "
        "`studio refine` makes the full take of it",
    )
    p.add_argument("--log-dir", help="where the engine worker writes its log")
    p.add_argument(
        "--memory",
        type=_memory_tier,
        help="memory tier: resident, model_offload or group_offload (default: $STUDIO_MEMORY, else chosen "
        "from free GPU memory)",
    )
    p.add_argument(
        "--no-fast",
        action="store_true",
        help="the stock diffusers path: no step cache, compile, attention backend or quantized weights "
        "($STUDIO_FAST=0 does the same)",
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
    from ..engine.requests import FPS_RANGE

    value = _finite(text)
    if not FPS_RANGE[0] <= value <= FPS_RANGE[1]:
        raise argparse.ArgumentTypeError(f"{text} is not a frame rate between {FPS_RANGE[0]} and {FPS_RANGE[1]}")
    return value


def _memory_tier(text: str) -> str:
    from ..engine.memory import MemoryTierError, check_tier

    try:
        return check_tier(text)
    except MemoryTierError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "no_fast", False):
        from ..engine.fast_paths import FAST_ENV

        os.environ[FAST_ENV] = "0"  # the engine's worker, a child of this process, reads it
    try:
        return args.func(args)
    except CommandError as exc:
        say(str(exc).replace("\n", " "))
        return EXIT_BAD_REQUEST
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`studio verify x | head`): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # or Python complains again at exit
        return 141  # 128 + SIGPIPE, what a shell reports for a tool the pipe stopped
    except StudioError as exc:  # ours, written for people though no command turned it into a CommandError
        if os.environ.get("STUDIO_DEBUG"):
            raise
        say(str(exc).replace("\n", " "))
        return EXIT_FAILED
    except Exception as exc:  # a bug: one line for the user, the traceback with STUDIO_DEBUG=1
        if os.environ.get("STUDIO_DEBUG"):
            raise
        say(f"internal error: {type(exc).__name__}: {exc} (run with STUDIO_DEBUG=1 for details)".replace("\n", " "))
        return EXIT_FAILED
