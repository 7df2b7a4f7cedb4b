"""`studio doctor` and `studio models …`: what this machine has, and the model cards (list, download,
fit, tiny, train-demo). torch is imported only inside the verbs that need it."""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
from pathlib import Path

from .common import EXIT_FAILED, CommandError, say

# -- doctor ---------------------------------------------------------------------------------------


def cmd_doctor(args: argparse.Namespace) -> int:
    print(f"python      {sys.version.split()[0]} ({sys.executable})")
    print(f"platform    {platform.platform()}")
    device = None
    try:
        import torch

        from ..engine.runtime.loader import pick_device

        device = pick_device()
        print(f"torch       {torch.__version__}")
        line = f"device      {device.name} ({str(device.dtype).removeprefix('torch.')})"
        if device.name == "cuda":
            props = torch.cuda.get_device_properties(device.torch_device)
            free, _ = torch.cuda.mem_get_info(device.torch_device)
            line += f", {props.name}, {props.total_memory / 2**30:.1f} GB ({free / 2**30:.1f} GB free)"
        print(line)
        from ..engine import gpu

        warning = gpu.unused_gpu_warning(
            gpu.nvidia_gpu(), torch.__version__, torch.version.cuda, torch.cuda.is_available()
        )
        if warning:
            print(f"warning     {warning}")
    except Exception as exc:  # a broken torch install is what doctor is for
        print(f"torch       cannot be used: {exc}")
    try:
        from ..media import ffmpeg

        exe = ffmpeg.executable()
        version = subprocess.run([exe, "-version"], capture_output=True, text=True).stdout.split("\n")[0]
        print(f"ffmpeg      {exe} ({version})")
    except Exception as exc:
        print(f"ffmpeg      not found: {exc}")
    print(f"display     {_display()}")
    from ..engine.cards import CardError, catalogue

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
            from ..engine.memory import MemoryTierError
            from ..engine.runtime.loader import plan_memory

            try:
                plan = plan_memory(entry.card, device, folder=entry.folder)
                print(f"  {'':30} memory tier {plan}: {plan.reason}")
            except MemoryTierError as exc:
                print(f"  {'':30} {exc} (from $STUDIO_MEMORY)")
    return 0


def _display() -> str:
    if sys.platform.startswith("linux"):
        shown = [f"{name}={os.environ[name]}" for name in ("WAYLAND_DISPLAY", "DISPLAY") if os.environ.get(name)]
        if os.environ.get("QT_QPA_PLATFORM"):
            shown.append(f"QT_QPA_PLATFORM={os.environ['QT_QPA_PLATFORM']}")
        return ", ".join(shown) or "none (the editor needs a desktop; the CLI works without one)"
    return f"native ({sys.platform})"


# -- models ---------------------------------------------------------------------------------------


def cmd_models_list(args: argparse.Namespace) -> int:
    from ..engine.cards import catalogue, two_pass_parts
    from ..engine.weights import ModelFolderError, check_folder

    models = catalogue(args.models_dir)
    for entry in models:
        card = entry.card
        if entry.installed:
            try:
                check_folder(entry.folder, card.own_parts)
                where = f"in {entry.folder}"
            except ModelFolderError as exc:
                where = f"INCOMPLETE: {exc}"
        else:
            where = f"missing (studio models download {card.id})" if card.repo else "missing"
        print(f"{card.id:30} {card.name}")
        if card.kind == "upsampler":  # a part of the two-pass models, not one to make shots with
            users = [m.card.id for m in models if m.card.multiscale.get("upsampler") == card.id]
            print(
                f"{'':30} {card.family} latent upsampler, ~{card.memory_gb:g} GB GPU memory; "
                f"the second pass of {', '.join(users) or 'two-pass models'}"
            )
            print(f"{'':30} {where}")
            continue
        print(
            f"{'':30} {card.family}, {card.default_width}x{card.default_height}, {card.frame_step}k+1 frames "
            f"up to {card.max_frames}, {card.default_steps} steps, {card.memory_said}"
        )
        print(f"{'':30} modes: {', '.join(str(m) for m in card.modes)}")
        if card.multiscale:
            print(f"{'':30} two passes: needs {two_pass_parts(card)}")
        print(f"{'':30} {where}")
    if not models:
        print("no model cards found")
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    from ..engine.cards import load_cards
    from ..engine.download import DownloadError, download, plan_download
    from ..engine.weights import models_root

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
        say(
            f"{card.repo} ({plan.revision}): {len(plan.files)} files, {plan.total_bytes / 2**30:.2f} GB; "
            f"{len(plan.present)} already here, {plan.missing_bytes / 2**30:.2f} GB to fetch into {plan.folder}"
        )
        folder = download(plan, progress=progress)
    except DownloadError as exc:
        raise CommandError(str(exc)) from exc
    if on_tty:
        print(file=sys.stderr)
    if args.dir and Path(args.dir).expanduser().resolve() != models_root().resolve():
        say(f"downloaded; the studio finds it with --models-dir {args.dir} or STUDIO_MODELS={args.dir}")
    print(folder)
    return 0


def cmd_models_fit(args: argparse.Namespace) -> int:
    """Each card's memory tier on a GPU of the given size, and the component that decided it."""
    from ..engine.cards import CardError, catalogue
    from ..engine.footprint import FootprintError
    from ..engine.memory import plan_on_gpu

    if args.gpu_memory <= 0:
        raise CommandError(f"--gpu-memory should be positive, not {args.gpu_memory:g}")
    try:
        models = catalogue(args.models_dir)
    except CardError as exc:
        raise CommandError(f"a model card is broken: {exc}") from exc
    for entry in models:
        card = entry.card
        if card.kind == "upsampler":  # loaded beside the model that names it, on that model's plan
            continue
        folder = entry.folder if entry.installed else None
        try:
            plan = plan_on_gpu(card, folder, args.gpu_memory, args.width, args.height, args.frames)
        except FootprintError as exc:
            print(f"{card.id:30} ?               {exc}")
            continue
        if plan is None:
            print(f"{card.id:30} ?               no component sizes on the card and no weights on disk")
            continue
        label = str(plan) if plan.fits else f"{plan.tier} (too big)"
        print(f"{card.id:30} {label:26} {plan.reason}")
    if not models:
        print("no model cards found")
    return 0


def cmd_models_tiny(args: argparse.Namespace) -> int:
    from ..testing.tiny import build_tiny  # the package's one import of the tiny models

    try:
        folder = build_tiny(args.family, args.dir)
    except (ValueError, FileExistsError) as exc:
        raise CommandError(str(exc)) from exc
    print(folder)
    return 0


def training_device(asked: str) -> str:
    """--device as torch names it: auto is the GPU where torch sees a CUDA one, else the CPU."""
    import torch

    if asked == "cuda" and not torch.cuda.is_available():
        raise CommandError(
            f"--device cuda: this torch ({torch.__version__}) sees no CUDA GPU; leave --device out to train on the CPU"
        )
    if asked == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return asked


def cmd_models_train_demo(args: argparse.Namespace) -> int:
    """Trains the demo model into DIR (checkpoints, training-log.csv, and the model as DIR/demo)."""
    folder = Path(args.dir).expanduser()
    if folder.exists() and not folder.is_dir():
        raise CommandError(f"{folder} is a file; give a folder to train in")
    for name, value in (
        ("--vae-steps", args.vae_steps),
        ("--text-steps", args.text_steps),
        ("--transformer-steps", args.transformer_steps),
        ("--first-frame-steps", args.first_frame_steps),
        ("--clips", args.clips),
    ):
        if value is not None and value < 1:
            raise CommandError(f"{name} must be at least 1 (it is {value})")
    device = training_device(args.device)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe_file = folder / ".writable"
        probe_file.touch()
        probe_file.unlink()
    except OSError as exc:
        raise CommandError(f"cannot write to {folder} ({exc.strerror or exc}); choose another folder") from exc
    from ..demo.train import train

    say(
        f"training the demo model on the {'GPU' if device == 'cuda' else 'CPU'} in {folder} (resumes from "
        f"{folder / 'checkpoints'}; the loss goes to {folder / 'training-log.csv'})"
    )
    asked = {
        "vae_steps": args.vae_steps,
        "text_steps": args.text_steps,
        "transformer_steps": args.transformer_steps,
        "first_frame_steps": args.first_frame_steps,
        "bank_size": args.clips,
        "seed": args.seed,
    }
    out = train(folder, device=device, **{name: value for name, value in asked.items() if value is not None})
    say(f"done; the studio uses it with --models-dir {folder}, or copy {out} over studio/models/demo/")
    print(out)
    return 0
