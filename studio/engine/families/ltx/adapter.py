"""The LTX family: a recipe as an LTXConditionPipeline call.

text to video has no conditions; image to video and keyframes put each input image at its frame
index (for image to video the first frame, and for a first+last shot the last frame too).
Extend, connect and loop put the clip frames modes.placements() chooses as conditioning videos
(k = frame_step + 1 frames each, a valid k*step+1 length, so the pipeline trims nothing) and
modes.assemble() joins the result to the clip's exact frames.

video to video is SDEdit, the way the pipeline's denoise_strength works: the clip is encoded to
latents, noised to the level the schedule has after (1 - strength) of the steps, and only the last
steps x strength steps run (so how far a strength remakes the clip is the schedule's: a card's
[flow_shift] sets it, shifted_timesteps). strength 0 keeps the clip as it is (no step runs, and the frames are the
clip's own); 1 remakes it from noise. A frame-0 video condition would not do this: the pipeline
holds a strength-1 condition fixed through every step, whatever denoise_strength says.

A card with [multiscale] (LTX-Video 0.9.7) makes its shots in two passes, as diffusers' LTX docs do
("LTX-Video 0.9.7" examples in docs/source/en/api/pipelines/ltx_video.md): the shot at
first_pass_scale of its size (rounded down to the card's multiple) to latents, those latents doubled
in width and height by the upsampler (LTXLatentUpsamplePipeline), then a short refine pass from them
at that size (denoise_strength, the refine schedule), with the same conditions made at each pass's
size; the frames are resized to the shot's size last, as the docs' step 4 does.

A draft of such a card (engine/drafts.py, first_pass_only) is the first pass alone, decoded, its latents
left in `carry` for the worker to keep; the Refine of it is given them back (`first_pass`) and runs only
the upsampler and the refine pass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition
from PIL import Image

from ....core.recipe import CLIP_INPUTS, Mode, Recipe
from ....core.shape import latent_frames, multiple_at_most
from ... import modes
from ...cards import Card
from ...drafts import first_pass_alone
from ...modes import condition_path
from ...runtime.base import Take, fit_image, flow_shift, read_clips, shared_arguments
from ...runtime.speed import cache_for_mode
from ...runtime.steps import StepHooks


def call_arguments(
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    clips: list[np.ndarray] | None = None,
    pipe=None,
    latents: torch.Tensor | None = None,
) -> dict:
    """The pipeline arguments for a recipe (everything but the callback).

    clips are read_clips()' frames (read here if not given); video to video needs the pipe to
    encode its clip, unless latents (a two-pass shot's upsampled ones) are given to start from."""
    if clips is None:
        clips = read_clips(recipe, project_folder)
    own = {}
    if recipe.mode is Mode.VIDEO_TO_VIDEO:
        if pipe is None:
            raise ValueError("video to video needs the pipeline to encode its clip")
        conditions = []
        own = {
            "latents": latents if latents is not None else encode_video(pipe, clips[0][: recipe.frames]),
            "denoise_strength": recipe.strength,
        }
    elif recipe.mode in CLIP_INPUTS:
        conditions = [
            LTXVideoCondition(
                video=[Image.fromarray(f) for f in frames],
                frame_index=index,
                strength=recipe.conditions[clip].strength,
            )
            for frames, index, clip in modes.placements(recipe.mode, clips, recipe.frames, card)
        ]
    else:
        conditions = [
            LTXVideoCondition(
                image=fit_image(condition_path(c.path, project_folder), recipe.width, recipe.height),
                frame_index=c.frame_index,
                strength=c.strength,
            )
            for c in recipe.conditions
        ]
    arguments = shared_arguments(recipe, card, conditions=conditions or None, frame_rate=round(recipe.fps), **own)
    shift = flow_shift(recipe, card)
    if shift is not None and "timesteps" not in arguments:  # a card's own timesteps (a distilled model's) win
        arguments["timesteps"] = shifted_timesteps(arguments["num_inference_steps"], shift)
    return arguments


def shifted_timesteps(steps: int, shift: float) -> list[float]:
    """A flow shift's schedule (a card's [flow_shift], or the recipe's): the noise falling evenly from 1 over
    the steps, shifted toward the noisy end as SD3's and Wan's schedulers shift theirs (s·σ / (1 + (s-1)·σ)),
    as the pipeline's timesteps (σ x 1000). Without one the pipeline's own linear-quadratic schedule runs,
    which spends half its steps above noise 0.975 and starts video to video at strength 0.3 from noise 0.81."""
    sigmas = [1 - i / steps for i in range(steps)]
    return [1000 * shift * s / (1 + (shift - 1) * s) for s in sigmas]


CARRIES_LATENTS = True  # an extension's overlap comes from the window before's latents (carried_overlap)


def make_take(
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder=None,
    on_step=None,
    should_stop=None,
    on_preview=None,
    *,
    assemble: bool = True,
    carry: dict | None = None,
    upsampler=None,
    first_pass: torch.Tensor | None = None,
) -> Take:
    """base.Adapter's take: generate()'s frames, no sound. first_pass: a Refine's draft latents."""
    return Take(
        generate(
            pipe, recipe, card, project_folder, on_step, should_stop, on_preview, assemble, carry, upsampler, first_pass
        )
    )


def generate(
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_preview: Callable[[np.ndarray], None] | None = None,
    assemble: bool = True,
    carry: dict | None = None,
    upsampler=None,
    first_pass: torch.Tensor | None = None,
) -> np.ndarray:
    """Run the pipeline; return the take as uint8 frames shaped (N, height, width, 3).

    N is recipe.frames, except for the clip modes, whose take joins the clip's frames and the new
    ones (modes.assemble): extend and loop are longer than recipe.frames, connect is shorter.
    assemble=False returns the recipe.frames frames the pipeline made, overlaps included (windows.py).
    carry is a long shot's latent carry (windows.py): the denoised latents are left in carry["latents"],
    and an extension given them takes its overlap from them (carried_overlap) instead of re-encoding it.

    on_step, should_stop and on_preview are the step hooks (steps.StepHooks).
    upsampler is the LTXLatentUpsamplePipeline a two-pass card ([multiscale]) needs; its windows carry
    no latents (the overlap is encoded from the frames), as its two passes' latents are of two sizes.
    A draft that is such a card's first pass alone (drafts.first_pass_alone) runs one pass, and leaves its
    latents in carry["latents"] like a window; first_pass (a Refine's: the draft's latents, channels x
    frames x height x width) stands in for a two-pass shot's first pass.
    """
    hooks = StepHooks(on_step, should_stop, on_preview)
    hooks.check()
    cache_for_mode(pipe, card, recipe.mode)  # the card's step cache only in the modes it suits (runtime/speed.py)
    two_pass = bool(card.multiscale) and not first_pass_alone(recipe, card)
    if two_pass and upsampler is None:
        raise ValueError(
            f"{card.name} makes its shots in two passes: it needs the upsampler {card.multiscale['upsampler']}"
        )
    if two_pass:
        carry = None
    carried = carry.pop("latents", None) if carry is not None and recipe.mode is Mode.EXTEND_FORWARD else None
    if carry is not None:

        def leave_latents(video: torch.Tensor) -> None:  # for the next window, on the CPU, out of the graph
            carry["latents"] = video.detach().to("cpu", torch.float32).clone()

        hooks.on_final = leave_latents

    if recipe.mode is Mode.TEXT_TO_VIDEO and card.first_frame:  # never a two-pass card (cards.py)
        return first_frame_then_animate(pipe, recipe, card, hooks)
    clips = read_clips(recipe, project_folder)
    if recipe.mode is Mode.VIDEO_TO_VIDEO and recipe.strength == 0:
        return clips[0][: recipe.frames].copy()  # nothing to remake: the clip's own frames, exactly
    if two_pass:
        frames = two_passes(pipe, upsampler, recipe, card, project_folder, hooks, first_pass)
    else:
        arguments = call_arguments(recipe, card, project_folder, clips, pipe)
        with carried_overlap(pipe, carried):
            output = pipe(**arguments, **hooks.pipeline_arguments(latent_layout(pipe, recipe)))
        frames = modes.output_frames(output, recipe)
    if not assemble:
        return frames
    return modes.assemble(recipe.mode, frames, clips, card, recipe.bridge_frames)


def first_frame_then_animate(pipe, recipe: Recipe, card: Card, hooks: StepHooks) -> np.ndarray:
    """Text to video in two steps, as a [first_frame] card makes it (the factorisation of Emu Video,
    arXiv:2311.10709): the first frame drawn from the prompt by the card's own transformer (a one-frame shot of
    the same pipeline class, VAE and text encoder: loader.load_first_frame), then animated from it as image to
    video animates a still, at image to video's guidance. The demo model draws its shapes' corners this way,
    which its video transformer alone rounds off (benchmarks/demo_training.md, "The first frame first").
    Progress counts both steps' as one run; the preview shows the frame being drawn, then the shot."""
    if getattr(pipe, "studio_first_frame", None) is None:  # a pipeline not made by loader.load_pipeline
        raise ValueError(
            f"{card.name} draws text to video's first frame with its own transformer: load it with the card"
        )
    still = dataclasses.replace(recipe, frames=1)
    drawer = type(pipe)(**{**pipe.components, "transformer": pipe.studio_first_frame})
    drawer.set_progress_bar_config(disable=True)
    arguments = call_arguments(
        dataclasses.replace(recipe, guidance=card.guidance_for(Mode.IMAGE_TO_VIDEO)), card, clips=[]
    )
    draw, animate = pass_hooks(hooks, arguments["num_inference_steps"])
    draw = dataclasses.replace(draw, on_final=None)  # a long shot carries the shot's latents, not the frame's
    layout = latent_layout(pipe, still)
    output = drawer(**call_arguments(still, card, clips=[], pipe=drawer), **draw.pipeline_arguments(layout))
    frame = modes.output_frames(output, still)[0]
    hooks.check()
    arguments["conditions"] = [LTXVideoCondition(image=Image.fromarray(frame), frame_index=0, strength=1.0)]
    output = pipe(**arguments, **animate.pipeline_arguments(latent_layout(pipe, recipe)))
    return modes.output_frames(output, recipe)


def first_pass_size(recipe: Recipe, card: Card) -> tuple[int, int]:
    """(width, height) of a two-pass shot's first pass: first_pass_scale of the shot's, rounded down to
    the card's multiple (the docs round to the VAE's 32), never below one multiple."""
    scale, multiple = card.multiscale["first_pass_scale"], card.size_multiple
    return multiple_at_most(int(recipe.width * scale), multiple), multiple_at_most(int(recipe.height * scale), multiple)


def refine_schedule(card: Card) -> dict:
    """The refine pass's schedule arguments: the card's own timesteps, or a step count."""
    multiscale = card.multiscale
    if "refine_timesteps" in multiscale:
        timesteps = list(multiscale["refine_timesteps"])
        return {"timesteps": timesteps, "num_inference_steps": len(timesteps)}
    return {"num_inference_steps": multiscale["refine_steps"]}


def refine_steps(card: Card) -> int:
    """How many steps the refine pass runs: the last steps x refine_strength of its schedule, as the
    pipeline's get_timesteps counts them."""
    steps = refine_schedule(card)["num_inference_steps"]
    return min(int(steps * card.multiscale["refine_strength"]), steps)


def two_passes(
    pipe,
    upsampler,
    recipe: Recipe,
    card: Card,
    project_folder,
    hooks: StepHooks,
    first_pass: torch.Tensor | None = None,
) -> np.ndarray:
    """A two-pass shot's frames at the recipe's size (see the module's docstring). Progress counts both
    passes' steps as one run. first_pass: the first pass's latents already made (a draft's), not run again."""
    width, height = first_pass_size(recipe, card)
    small = dataclasses.replace(recipe, width=width, height=height)
    first, refine = pass_hooks(hooks, refine_steps(card))
    if first_pass is not None:
        expected = (
            latent_frames(small.frames, pipe.vae_temporal_compression_ratio),
            height // pipe.vae_spatial_compression_ratio,
            width // pipe.vae_spatial_compression_ratio,
        )
        if tuple(first_pass.shape[1:]) != expected:
            raise ValueError(
                f"the draft's latents are {tuple(first_pass.shape[1:])} (frames, height, width), not the "
                f"{expected} this shot's first pass makes: delete them from the project's cache and refine again"
            )
        latents = first_pass.unsqueeze(0).to(pipe._execution_device, torch.float32)  # as the pipeline makes them
    else:
        arguments = call_arguments(small, card, project_folder, None, pipe)
        arguments["output_type"] = "latent"
        latents = pipe(**arguments, **first.pipeline_arguments(latent_layout(pipe, small))).frames
    hooks.check()
    upsampled = upsampler(
        latents=latents, adain_factor=card.multiscale.get("adain_factor", 0.0), output_type="latent"
    ).frames
    scale = pipe.vae_spatial_compression_ratio
    large = dataclasses.replace(recipe, width=upsampled.shape[-1] * scale, height=upsampled.shape[-2] * scale)
    arguments = call_arguments(large, card, project_folder, None, pipe, latents=upsampled)
    arguments.pop("timesteps", None)  # the card's [call] timesteps are the first pass's
    arguments.update(refine_schedule(card), latents=upsampled, denoise_strength=card.multiscale["refine_strength"])
    output = pipe(**arguments, **refine.pipeline_arguments(latent_layout(pipe, large)))
    return resized(modes.output_frames(output, large), recipe.width, recipe.height)


def pass_hooks(hooks: StepHooks, later_steps: int) -> tuple[StepHooks, StepHooks]:
    """The hooks of a two-pass shot's first and refine passes: progress counts both passes' steps as one
    run (the refine's later_steps added to the first pass's total)."""
    report, first_total = hooks.on_step, [0]

    def first_step(step: int, total: int) -> None:
        first_total[0] = total
        if report is not None:
            report(step, total + later_steps)

    def refine_step(step: int, total: int) -> None:
        if report is not None:
            report(first_total[0] + step, first_total[0] + total)

    return dataclasses.replace(hooks, on_step=first_step), dataclasses.replace(hooks, on_step=refine_step)


def resized(frames: np.ndarray, width: int, height: int) -> np.ndarray:
    """Frames at (width, height): as they are when they have that size, else resized (a two-pass shot's
    last step, as the docs do: the refine's size is the upsampler's, a multiple of its own)."""
    if frames.shape[2] == width and frames.shape[1] == height:
        return frames
    return np.stack([np.asarray(Image.fromarray(f).resize((width, height), Image.Resampling.LANCZOS)) for f in frames])


@contextmanager
def carried_overlap(pipe, carried: torch.Tensor | None):
    """While an extension runs, its overlap's latents come from the window before, not from the VAE.

    The overlap condition is k = step + 1 frames, which the VAE encodes as two latent frames: the
    first frame alone, then one packed group. That group is the same frames as the previous window's
    last latent frame, so it is taken from there (`carried`, the window's denoised latents, channels x
    frames x height x width, in the pipeline's normalised space) and never goes through a decode and
    an encode; the lone first frame has no latent of its own in the window before and is encoded."""
    if carried is None:
        yield
        return
    vae = pipe.vae
    original = vae.encode
    own = "encode" in vae.__dict__  # already wrapped on this instance: put that wrapper back after

    def encode(video, *args, **kwargs):
        from diffusers.pipelines.ltx.pipeline_ltx_condition import retrieve_latents

        fresh = retrieve_latents(original(video, *args, **kwargs), sample_mode="argmax")
        if fresh.shape[2] != 2:
            raise RuntimeError(f"the overlap encoded to {fresh.shape[2]} latent frames, not the 2 a carry replaces")
        last = carried[:, -1:].unsqueeze(0).to(fresh.device, fresh.dtype)
        group = pipe._denormalize_latents(last, vae.latents_mean, vae.latents_std)
        # retrieve_latents takes .latents as they are
        return SimpleNamespace(latents=torch.cat([fresh[:, :, :1], group], dim=2))

    vae.encode = encode
    try:
        yield
    finally:
        if own:
            vae.encode = original
        else:
            del vae.encode  # the instance attribute goes; the class's method is back


def latent_layout(pipe, recipe: Recipe):
    """latents_to_video for previews: LTX hands its callback packed tokens (batch, tokens, channels),
    any extra conditioning tokens first; the shot's own are the last frames x height x width."""
    frames = latent_frames(recipe.frames, pipe.vae_temporal_compression_ratio)
    height = recipe.height // pipe.vae_spatial_compression_ratio
    width = recipe.width // pipe.vae_spatial_compression_ratio

    def to_video(latents: torch.Tensor) -> torch.Tensor:
        own = latents[:, -frames * height * width :]
        unpacked = pipe._unpack_latents(
            own, frames, height, width, pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        )
        return unpacked[0]

    return to_video


def encode_video(pipe, frames: np.ndarray) -> torch.Tensor:
    """uint8 frames as the normalised latents the pipeline's `latents` argument takes, encoded the
    way it encodes a condition (its VAE, its normalisation) but with the mean, not a sample, so the
    same clip always gives the same latents."""
    from diffusers.pipelines.ltx.pipeline_ltx_condition import retrieve_latents

    video = pipe.video_processor.preprocess_video([Image.fromarray(f) for f in frames], *frames.shape[1:3])
    video = video.to(pipe._execution_device, dtype=pipe.vae.dtype)
    with torch.no_grad():
        latents = retrieve_latents(pipe.vae.encode(video), sample_mode="argmax")
    latents = pipe._normalize_latents(latents, pipe.vae.latents_mean, pipe.vae.latents_std)
    return latents.to(torch.float32)


def load_upsampler(folder: str | Path, pipe, card: Card | None = None):
    """A two-pass card's LTXLatentUpsamplePipeline from its folder, sharing the loaded pipeline's VAE
    (as the docs' `vae=pipeline.vae`: the folder's own VAE is not loaded again), its upsampler on the
    device and in the dtype the pipeline runs in. (card: the family's common signature; LTX-Video's
    upsampler needs nothing of it.)"""
    from diffusers import LTXLatentUpsamplePipeline

    from ...weights import ModelFolderError

    try:
        upsampler = LTXLatentUpsamplePipeline.from_pretrained(
            folder, vae=pipe.vae, use_safetensors=True, local_files_only=True, dtype=pipe.transformer.dtype
        )
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelFolderError(f"could not load the upsampler in {folder}: {exc}") from exc
    upsampler.latent_upsampler.to(pipe._execution_device)
    upsampler.set_progress_bar_config(disable=True)
    return upsampler
