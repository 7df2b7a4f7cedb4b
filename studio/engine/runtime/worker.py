"""The engine worker: a separate process that imports torch, keeps the last pipeline loaded and runs
one job at a time. Started by the service (engine/child.py builds its command line).

Protocol: JSON lines. Requests on stdin:
    {"type": "run", "job_id": ..., "recipe": {...}, "output": "/abs/take.mkv", "project_folder": ...,
     "model_folder": ..., "card": {...}, "memory": ...}      (model_folder, card and memory optional:
     resolved here if absent; memory is a tier of engine.memory, else $STUDIO_MEMORY, else chosen)
    {"type": "cancel", "job_id": ...}
    {"type": "quit"}
Events on the original stdout:
    started, progress (step, total, elapsed), preview (png: a small base64 PNG made from the
    latents every few steps), done (output, frames, width, height, fps, audio (whether the take has
    sound), sample_rate (its rate, or null), recipe, elapsed), failed (reason), cancelled, each with its
    job_id. A long shot also sends partial (output, frames, window, windows) after each window, its take
    so far written to output; a cancel of a long shot with finished windows ends in done, the take being
    those windows.
Every take is marked as AI-generated as it is written (media/provenance.py: tags, and a signed manifest
in an MP4), before partial or done announces it; a long shot's take so far says it is partial. A take
that cannot be marked is not kept: the job fails with the reason.
Everything else, the worker's own log records (Python logging: a job's traceback, the memory plan) and
libraries' chatter, goes to stderr: the service points it at a private log file of this worker's own.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import queue
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from ...core.logs import log_to_stream

if TYPE_CHECKING:  # these are imported where a job needs them
    import numpy as np

    from ...core.recipe import Recipe
    from ..memory import MemoryPlan

# Weights are only ever read from disk; make sure no library tries the network for them.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

# Named, not __name__: the worker runs as __main__, and the studio's records are those under "studio".
log = logging.getLogger("studio.engine.runtime.worker")


def _take_protocol_stream() -> TextIO:
    """Keep the real stdout for the protocol and point fd 1 at stderr, so that a stray print from a
    library (or a C extension writing to fd 1) cannot corrupt the event stream."""
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    sys.stdout.flush()
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return protocol


class Worker:
    def __init__(self, protocol: TextIO, requests: TextIO) -> None:
        self._out = protocol
        self._in = requests
        self._write_lock = threading.Lock()
        self._jobs: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._cancelled: set[str] = set()
        self._loaded: tuple[tuple[str, str, str | None], Any, str] | None = None  # ((folder, pipeline, tier), …)
        self._plan: MemoryPlan | None = None  # the memory plan of the loaded pipeline, for the advice after running out
        self._upsampler: tuple[str, Any, str] | None = None  # (folder, a two-pass card's upsampler, its tag)

    def emit(self, event: str, job_id: str, **fields: Any) -> None:
        line = json.dumps({"type": event, "job_id": job_id, **fields})
        with self._write_lock:
            self._out.write(line + "\n")
            self._out.flush()

    def read_requests(self) -> None:
        """Runs on its own thread so that a cancel arrives while a job is running."""
        for line in self._in:
            try:
                message = json.loads(line)
            except json.JSONDecodeError:
                log.warning("ignoring a line that is not JSON: %r", line)
                continue
            kind = message.get("type")
            if kind == "cancel":
                self._cancelled.add(message.get("job_id"))
            elif kind == "run":
                self._jobs.put(message)
            elif kind == "quit":
                break
            else:
                log.warning("ignoring an unknown request %r", kind)
        self._jobs.put(None)  # quit, or the service has gone: finish after the current job

    def serve(self) -> None:
        threading.Thread(target=self.read_requests, name="requests", daemon=True).start()
        while (message := self._jobs.get()) is not None:
            self.run(message)

    def run(self, message: dict[str, Any]) -> None:
        from ..jobs import Cancelled

        job_id = message.get("job_id", "")
        start = time.monotonic()
        self.emit("started", job_id)
        try:
            frames, recipe, sample_rate = self._generate(message, job_id, start)
        except Cancelled:
            self.emit("cancelled", job_id)
        except BaseException as exc:  # a failed job must never take the worker down
            log.exception("job %s failed", job_id)
            self.emit("failed", job_id, reason=describe_error(exc, self._plan, message.get("recipe")))
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            _free_memory()  # after an out-of-memory error the next job must start from a clean slate
        else:
            self.emit(
                "done",
                job_id,
                output=message["output"],
                frames=int(frames.shape[0]),
                width=int(frames.shape[2]),
                height=int(frames.shape[1]),
                fps=recipe.fps,
                audio=sample_rate is not None,
                sample_rate=sample_rate,
                recipe=recipe.to_dict(),
                elapsed=time.monotonic() - start,
            )
        finally:
            self._cancelled.discard(job_id)

    def _generate(self, message: dict[str, Any], job_id: str, start: float):
        import dataclasses

        from ...core.recipe import Recipe
        from ...media.provenance import mark_for_take
        from ...media.takes import write_frames
        from .. import windows
        from ..cards import Card, folder_card, resolve, upsampler_folder
        from ..drafts import first_pass_alone, latents_path
        from ..jobs import Cancelled
        from .base import adapter

        def should_stop() -> bool:
            return job_id in self._cancelled

        recipe = Recipe.from_dict(message["recipe"])
        if message.get("model_folder"):
            folder = Path(message["model_folder"])
            card = Card.from_dict(message["card"]) if message.get("card") else folder_card(folder)
        else:
            resolved = resolve(recipe.model)
            if resolved.folder is None:
                raise FileNotFoundError(f"the model '{recipe.model}' is not downloaded")
            folder, card = resolved.folder, resolved.card
        family = adapter(card.family)
        # A two-pass card's upsampler: found before the model loads, so a missing one is said at once. A draft
        # that is its first pass alone needs none.
        two_pass = bool(card.multiscale) and not first_pass_alone(recipe, card)
        upsampler_at = upsampler_folder(card, folder) if two_pass else None
        long_shot = windows.is_long(recipe, card)
        first_pass = None  # a Refine's draft latents: read (or made again) before the full model loads
        if recipe.draft and two_pass and "upsampler" in card.multiscale and not long_shot:
            first_pass, how = self._draft_first_pass(family, recipe, message, job_id, should_stop, start)
            recipe = dataclasses.replace(recipe, draft={**recipe.draft, "first_pass": how})
        pipe, revision = self._pipeline(folder, card, recipe.mode, message.get("memory"))
        upsampler = upsampled_by = None
        if upsampler_at is not None:
            upsampler, upsampled_by = self._load_upsampler(upsampler_at, card, pipe)
        if should_stop():  # the cancel may have come while the model was loading
            raise Cancelled()
        recipe = dataclasses.replace(recipe, model_revision=revision, upsampler=upsampled_by)

        def on_step(step: int, total: int) -> None:
            self.emit("progress", job_id, step=step, total=total, elapsed=round(time.monotonic() - start, 3))

        from ...media.provenance import mark_for_recipes, png_text

        marked = png_text(comment=mark_for_recipes([recipe]).summary())  # a preview is generated material too

        def on_preview(picture) -> None:
            self.emit("preview", job_id, png=_png_base64(picture, marked))

        log.info("job %s: fast paths %s", job_id, self._fast_paths(pipe, card, recipe.mode))
        if long_shot:
            return self._generate_long(
                family, pipe, recipe, card, message, job_id, on_step, should_stop, on_preview, upsampler
            )
        keeps_latents = first_pass_alone(recipe, card)  # a draft's first pass: its latents kept for the Refine
        carry: dict | None = {} if keeps_latents else None
        extra = {"first_pass": first_pass} if first_pass is not None else {}
        take = family.make_take(
            pipe,
            recipe,
            card,
            message.get("project_folder"),
            on_step,
            should_stop,
            on_preview,
            upsampler=upsampler,
            carry=carry,
            **extra,
        )
        if should_stop():
            raise Cancelled()
        if carry is not None and "latents" in carry:
            _save_latents(carry["latents"], latents_path(message["output"], message.get("project_folder")))
        write_frames(
            message["output"],
            take.frames,
            recipe.fps,
            audio=take.sound,
            sample_rate=take.sample_rate,
            mark=mark_for_take(recipe, message.get("project_folder")),
        )
        return take.frames, recipe, take.sample_rate

    def _generate_long(
        self,
        family,
        pipe,
        recipe: Recipe,
        card,
        message: dict[str, Any],
        job_id: str,
        on_step,
        should_stop,
        on_preview,
        upsampler=None,
    ) -> tuple[np.ndarray, Recipe, int | None]:
        """A long shot (windows.py): the take so far is written to the output after every window and
        announced, so it can be played; a cancel keeps the finished windows as the take."""

        from ...media.provenance import mark_for_take
        from ...media.takes import write_frames
        from .. import windows
        from ..jobs import Cancelled

        output = message["output"]
        kept: list = []  # the take so far: frames, and its sample rate when it has sound

        folder = message.get("project_folder")
        # What a take so far holds of the shot: the frames it made, not its clip's (an extension's, a bridge's).
        before, planned = windows.frames_before(recipe, folder), sum(w.new for w in windows.plan(recipe, card))

        def write_partial(frames, done: int, count: int, sound=None, sample_rate=None) -> str:
            # Marked before it is announced: a run killed now leaves a take that says what it is.
            made = len(frames) - before
            so_far = None if done == count else (made, planned, done, count)
            mark = mark_for_take(recipe, folder, partial=so_far)
            write_frames(output, frames, recipe.fps, audio=sound, sample_rate=sample_rate, mark=mark)
            kept[:] = [frames, sample_rate]
            self.emit("partial", job_id, output=output, frames=made, window=done, windows=count)
            return output

        resume = (
            windows.read_partial(message["resume_from"], recipe, card, folder) if message.get("resume_from") else None
        )
        if message.get("resume_from"):
            done = (
                f"from window {resume.windows + 1} (its take so far: {len(resume.frames)} frames)" if resume else "anew"
            )
            log.info("job %s: a long shot resumed %s", job_id, done)
        try:
            frames, _, sample_rate = windows.generate_long_with_audio(
                family,
                pipe,
                recipe,
                card,
                message.get("project_folder"),
                write_partial,
                on_step,
                should_stop,
                on_preview,
                resume=resume,
                upsampler=upsampler,
            )
        except Cancelled:
            # Already written: the finished windows are the take, and the recipe says so (a bridge's are not).
            kept_as = windows.kept_recipe(recipe, card, len(kept[0]), folder) if kept else None
            if kept_as is None:
                raise
            return kept[0], kept_as, kept[1]
        return frames, recipe, sample_rate

    def _draft_first_pass(
        self, family, recipe: Recipe, message: dict[str, Any], job_id: str, should_stop, start: float
    ):
        """A Refine's first pass: the draft's latents as it kept them, else (deleted cache, another machine)
        the draft's first pass made again from its seed with its model, which gives the same latents. And
        how, for the take's recipe: "saved latents" or "made again"."""
        import dataclasses

        from ...core.recipe import DRAFT
        from ..cards import resolve
        from ..drafts import latents_path

        draft = recipe.draft or {}
        saved = latents_path(draft.get("take", ""), message.get("project_folder"))
        latents = _load_latents(saved)
        if latents is not None:
            log.info("refine of %s: from the draft's saved latents %s", draft.get("take"), saved)
            return latents, "saved latents"
        log.info(
            "refine of %s: the draft's latents %s are missing: its first pass is made again", draft.get("take"), saved
        )
        resolved = resolve(draft["model"])
        if resolved.folder is None:
            raise FileNotFoundError(f"the draft's model '{draft['model']}' is not downloaded")
        first = dataclasses.replace(
            recipe,
            model=draft["model"],
            steps=draft["steps"],
            guidance=draft["guidance"],
            width=draft["width"],
            height=draft["height"],
            quality=DRAFT,
            draft=None,
        )
        pipe, _ = self._pipeline(resolved.folder, resolved.card, first.mode, message.get("memory"))

        def on_step(step: int, total: int) -> None:
            self.emit("progress", job_id, step=step, total=total, elapsed=round(time.monotonic() - start, 3))

        carry: dict = {}
        family.make_take(pipe, first, resolved.card, message.get("project_folder"), on_step, should_stop, carry=carry)
        return carry["latents"], "made again"

    def _load_upsampler(self, folder: Path, card, pipe):
        """The card's upsampler (loaded here once, on the loaded pipeline's VAE), and its "<card id>@<revision>"
        for the take's recipe."""
        from ..cards import two_pass_parts
        from ..weights import weights_revision
        from .base import two_pass_adapter

        held = self._upsampler
        if held is None or held[0] != str(folder.resolve()) or held[1].vae is not pipe.vae:
            self._upsampler = None
            # an upsampler in the model's own folder (LTX-2's) is that folder's weights, LoRA and all
            own = "upsampler_subfolder" in card.multiscale
            tag = f"{two_pass_parts(card)}@{weights_revision(folder.parent if own else folder)}"
            loaded = two_pass_adapter(card.family).load_upsampler(folder, pipe, card)
            held = self._upsampler = (str(folder.resolve()), loaded, tag)
        return held[1], held[2]

    def _fast_paths(self, pipe, card, mode) -> str:
        """The step cache on or off for this job's mode, and what runs, in words for the take's log line."""
        from .speed import cache_for_mode

        loaded = self._loaded[1] if self._loaded else pipe
        cached = cache_for_mode(pipe, card, mode)
        ran = [p for p in getattr(loaded, "studio_fast_paths", []) if cached or not p.startswith("cache")]
        return ", ".join(ran) or "none (the stock diffusers path)"

    def _pipeline(self, folder: Path, card, mode, memory: str | None = None):
        """The pipeline for a folder and mode; a different model replaces the last one. Modes that run
        as another pipeline class (Wan's text and image pipelines) share the loaded one's modules."""
        from ..memory import requested_tier
        from ..weights import weights_revision
        from .loader import load_pipeline, pick_device, pipeline_for_mode, plan_memory

        tier = requested_tier(memory)
        key = (str(folder.resolve()), card.pipeline, tier)
        if self._loaded is None or self._loaded[0] != key:
            self._loaded = self._plan = self._upsampler = None  # free the old model before loading the new one
            _free_memory()
            revision = weights_revision(folder)
            device = pick_device()
            # After freeing: the free memory counts the old model's.
            self._plan = plan_memory(card, device, tier, folder)
            log.info("memory %s: %s", self._plan, self._plan.reason)
            self._loaded = (key, load_pipeline(folder, card, device, plan=self._plan), revision)
        return pipeline_for_mode(self._loaded[1], card, mode), self._loaded[2]


def _save_latents(latents, path: Path) -> None:
    """A draft's first-pass latents, kept for its Refine (safetensors, written whole or not at all)."""
    from safetensors.torch import save_file

    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    save_file({"latents": latents.contiguous()}, str(partial))
    os.replace(partial, path)


def _load_latents(path: Path):
    """The latents a draft kept, or None where the file is missing or unreadable (said in the log)."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.is_file():
        return None
    try:
        return load_file(str(path))["latents"]
    except (OSError, SafetensorError, KeyError) as exc:
        log.warning("cannot read the draft's latents %s: %s", path, exc)
        return None


def _png_base64(picture, text: dict[str, str]) -> str:
    """A small preview picture as base64 PNG, marked with text (provenance.png_text), to travel in one
    JSON line."""
    import base64
    import io

    from ...media.provenance import save_png

    buffer = io.BytesIO()
    save_png(picture, buffer, text)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _free_memory() -> None:
    import gc

    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def describe_error(exc: BaseException, plan=None, recipe: dict[str, Any] | None = None) -> str:
    """One line for a person; the traceback is in the log. plan is the memory plan the job ran with and
    recipe its recipe, for the advice after running out of GPU memory."""
    import PIL
    import torch

    from ...media.ffmpeg import NO_SPACE, FFmpegError
    from ..memory import advice

    if isinstance(exc, torch.OutOfMemoryError):
        recipe = recipe or {}
        return advice(plan.tier if plan else None, recipe.get("frames"), recipe.get("width"), recipe.get("height"))
    if isinstance(exc, MemoryError):
        return "out of memory: try a smaller size or fewer frames"
    if isinstance(exc, FileNotFoundError) and exc.filename:
        return f"{exc.filename} does not exist (was it moved or deleted after the job was queued?)"
    if isinstance(exc, PIL.UnidentifiedImageError):
        return f"cannot read the image: {exc}"
    full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    if full or (isinstance(exc, FFmpegError) and NO_SPACE in str(exc)):
        return "the disk is full, so the take could not be written: free some space on it, then Retry"
    if isinstance(exc, FFmpegError):
        return f"could not write the video: {exc}".replace("\n", " ")
    message = str(exc).strip().replace("\n", " ") or type(exc).__name__
    if isinstance(exc, KeyError | AttributeError | TypeError):
        message = f"{type(exc).__name__}: {message}"  # bare names mean nothing without the type
    return message


def main() -> None:
    # Ctrl-C in the terminal reaches the whole process group; the service decides when this
    # process stops (a cancel, then quit), so a job ends as cancelled, not as a crashed worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    protocol = _take_protocol_stream()
    log_to_stream(sys.stderr)
    import diffusers
    import transformers

    # Progress bars and notices belong in no log line by line; errors still show.
    diffusers.utils.logging.set_verbosity_error()
    diffusers.utils.logging.disable_progress_bar()
    transformers.utils.logging.set_verbosity_error()
    transformers.utils.logging.disable_progress_bar()
    studio = Path(__file__).resolve().parents[2]  # which checkout runs: the log says, for a bug report
    log.info("worker %d ready (python %s, %s)", os.getpid(), sys.version.split()[0], studio)
    Worker(protocol, sys.stdin).serve()


if __name__ == "__main__":
    main()
