"""The verbs on finished work: `studio render` (a project's sequence, or a timeline file's, to a
file), `export-timeline` (to .otio, .otioz, FCP .xml or .edl) and `verify` (a file's C2PA manifest)."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import threading
from pathlib import Path

from ..core.errors import StudioError
from ..core.timebase import FrameRate
from .common import EXIT_FAILED, CommandError, say

MAX_RENDER_SIDE = 8192  # a render's width or height, in pixels


# -- render ---------------------------------------------------------------------------------------


def load_input(path: str, rate: float = 24.0):
    """A project folder, or a timeline file the studio imports (.otio, .otioz, FCP .xml, .edl)."""
    from ..core.store import ProjectError, load
    from ..core.temporaries import sweep as sweep_temporaries
    from ..media.interchange import ADAPTERS, InterchangeError, read_timeline

    if Path(path).suffix.lower() in ADAPTERS:
        try:
            return read_timeline(path, rate=rate)
        except InterchangeError as exc:
            raise CommandError(str(exc)) from exc
    try:
        project = load(path)
    except ProjectError as exc:
        raise CommandError(str(exc)) from exc
    sweep_temporaries(project.folder)  # what a killed studio left half-written in it
    return project


def cmd_export_timeline(args: argparse.Namespace) -> int:
    from ..media.interchange import InterchangeError, write_timeline

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
    from ..media.export import ExportError, RenderSettings, load_presets

    settings = RenderSettings()
    if args.preset:
        presets = load_presets()
        if args.preset not in presets:
            raise CommandError(f"no preset {args.preset!r}; the presets are {', '.join(presets)}")
        settings = presets[args.preset]
    changes = {
        k: v
        for k, v in {
            "codec": args.codec,
            "width": args.width,
            "height": args.height,
            "quality": args.quality,
            "bitrate": args.bitrate,
            "fit": args.fit,
            "pix_fmt": args.pix_fmt,
            "fps": _render_rate(args.fps),
        }.items()
        if v is not None
    }
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
    from ..engine.requests import FPS_RANGE

    if not text:
        return None
    try:
        fps = FrameRate.parse(text)
    except (ValueError, ZeroDivisionError, OverflowError):
        fps = None
    if fps is None or not FPS_RANGE[0] <= float(fps) <= FPS_RANGE[1]:
        raise CommandError(
            f"--fps {text}: give a frame rate between {FPS_RANGE[0]} and {FPS_RANGE[1]}, e.g. 25 or 30000/1001"
        )
    return fps


def cmd_render(args: argparse.Namespace) -> int:
    from ..media.export import ExportCancelled, export_sequence  # written alongside: imported when used

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
        say(
            "warning: --no-provenance: the file will not be marked as AI-generated (no C2PA manifest, no "
            "tags, no sidecar), though generated shots in it are still generated; whoever receives it cannot "
            "tell. Leave the marks on unless you have a reason."
        )
    cancel = threading.Event()
    try:
        out = export_sequence(
            project,
            project.sequence,
            args.output,
            progress=progress,
            cancel=cancel,
            settings=settings,
            frames=frames,
            provenance=not args.no_provenance,
            allow_offline=args.allow_offline,
        )
    except KeyboardInterrupt:
        return 130
    except ExportCancelled:
        return 130
    except StudioError as exc:  # the export's own errors are written for people
        raise CommandError(str(exc)) from exc
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
VERIFY_STATUS = {
    "trusted": ("trusted", 0),
    "valid": ("other_signer", EXIT_OTHER_SIGNER),
    "invalid": ("tampered", EXIT_FAILED),
    "missing": ("unmarked", EXIT_UNMARKED),
}


def cmd_verify(args: argparse.Namespace) -> int:
    """Read and validate a file's C2PA manifest and print its recipes; the exit code says what was
    found (VERIFY_EXITS). A tampered file says TAMPERED first, before anything it carries."""
    import json

    from ..media.provenance import ProvenanceError, verify

    try:
        verdict = verify(args.file)
    except ProvenanceError as exc:
        raise CommandError(str(exc)) from exc
    status, code = VERIFY_STATUS[verdict.state]
    name = verdict.path
    if args.json:
        print(
            json.dumps(
                {
                    "file": str(name),
                    "status": status,
                    "exit_code": code,
                    "signer": {
                        k: verdict.signature[k]
                        for k in ("common_name", "issuer", "time", "cert_serial_number")
                        if k in verdict.signature
                    }
                    or None,
                    "ai_generated": verdict.ai_generated,
                    "ingredients": verdict.ingredients,
                    "problems": verdict.problems,
                    "notes": verdict.notes,
                    "recipes": verdict.recipes,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        if verdict.state == "invalid":
            print(f"TAMPERED: {name}: the C2PA manifest does not match the file; nothing below can be trusted")
        elif verdict.state == "trusted":
            print(f"{name}: valid C2PA manifest, signed by this studio installation ({verdict.signer})")
        elif verdict.state == "valid":
            print(
                f"{name}: valid C2PA manifest, signed by {verdict.signer or 'an unknown signer'}, "
                "not by this studio installation"
            )
        if verdict.ok:
            print("AI-generated (trainedAlgorithmicMedia)" if verdict.ai_generated else "not marked as AI-generated")
            if verdict.ingredients:
                print(f"made from: {', '.join(verdict.ingredients)}")
        for note in verdict.notes:
            print(f"note: {note}")
        for i, recipe in enumerate(verdict.recipes, 1):
            print(f"recipe {i} of {len(verdict.recipes)}:")
            print(json.dumps(recipe, indent=2, ensure_ascii=False))
    if verdict.state == "invalid":
        say(
            f"{name}: TAMPERED: the C2PA manifest does not match the file: it was changed after signing, or the "
            f"manifest is broken ({'; '.join(verdict.problems)})"
        )
    elif verdict.state == "missing":
        say(
            f"{name}: {'; '.join(verdict.problems)}"
            + (
                ", though its tags or sidecar say it is AI-generated (unsigned, so they prove nothing)"
                if verdict.ai_generated
                else ""
            )
        )
    elif verdict.state == "valid":
        say(f"{name}: signed by {verdict.signer or 'an unknown signer'}, not by this studio installation")
    return code
