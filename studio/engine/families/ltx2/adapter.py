"""The LTX-2 family: a recipe as an LTX2ConditionPipeline call, which makes the picture and its sound.

Every mode runs on the condition pipeline. text to video has no conditions; image to video and
keyframes put each input image at its frame index; extend, connect and loop put the clip frames
modes.placements() chooses as conditioning videos (k = frame_step + 1 frames each) and
modes.assemble() joins the result to the clip's exact frames.

Where a condition goes: diffusers takes a condition's place as a latent index, and a condition past
the first latent frame sits at the first pixel frame of that latent frame ((index - 1) * 8 + 1).
LTX-2 itself (Lightricks' ltx-pipelines, VideoConditionByKeyframeIndex) places such a keyframe at
any pixel frame. So the studio passes the latent index at or before the frame (which also keeps
diffusers from trimming a clip's frames) and gives the keyframe's positions the exact frame
(_exact_keyframes): a last frame is the last frame, not the first of its latent group.

A single image is re-compressed as H.264 at the model's CRF before encoding, as LTX-2 was trained
(the pipeline does this with PyAV; the studio does it with its own ffmpeg, so PyAV is not needed).

The sound: the vocoder's waveform, made as long as the frames (frames / fps seconds, to the sample),
stereo. For the clip modes the take's sound is the clip's own sound (silence if it has none) where
the take holds the clip's frames, and the generated sound where it holds new frames.

A card with [multiscale] (LTX-2's default) makes its shots in two passes, as diffusers' LTX-2 docs do
("Two-stages Generation" in docs/source/en/api/pipelines/ltx2.md, after Lightricks' ti2vid_two_stages):
the shot at first_pass_scale (half) of its size to video and audio latents; the video latents doubled in
width and height by the model's own latent upsampler (LTX2LatentUpsamplePipeline on the loaded VAE); then
a short refine at full size from them, renoised to the first of refine_sigmas
(STAGE_2_DISTILLED_SIGMA_VALUES) and run on those sigmas with the distilled LoRA enabled, the scheduler
without dynamic shifting, and the refine's guidance. The sound's latents go through the refine with the
picture's, so the take's sound is the refine's, as long as a one-pass take's. The conditions are made at
each pass's size; frames of another size than the shot's are resized last.
"""

from __future__ import annotations

import dataclasses
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch

from ....core.recipe import CLIP_INPUTS, Mode, Recipe
from ....core.shape import latent_frames
from ....core.timebase import FrameRate
from ....media import ffmpeg
from ....media.audio import frame_sample, read_audio
from ....media.probe import probe
from ... import modes
from ...cards import Card
from ...modes import condition_path
from ...runtime.base import Take, fit_image, read_clips, shared_arguments
from ...runtime.speed import cache_for_mode
from ...runtime.steps import StepHooks
from ..ltx.adapter import first_pass_size, pass_hooks, resized

CHANNELS = 2  # the take's sound is stereo, as the studio's mix is


def latent_index(frame: int, step: int) -> int:
    """The latent index diffusers takes for a condition at a pixel frame: 0 for frame 0, else the
    latent frame whose first pixel frame, (index - 1) * step + 1, is at or before it."""
    return 0 if frame == 0 else (frame - 1) // step + 1


def compress_like_training(image: np.ndarray, crf: int) -> np.ndarray:
    """A uint8 RGB image (H, W, 3) through H.264 at crf and back, as LTX-2's image conditions were
    trained (ltx-pipelines' preprocess); crf 0 leaves it as it is."""
    if crf == 0:
        return image
    h, w = image.shape[0] // 2 * 2, image.shape[1] // 2 * 2  # yuv420p needs even sides
    image = np.ascontiguousarray(image[:h, :w])
    encode = [
        ffmpeg.executable(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{w}x{h}",
        "-r",
        "1",
        "-i",
        "pipe:0",
        "-c:v",
        "libx264",
        "-preset",
        "veryfast",
        "-crf",
        str(crf),
        "-pix_fmt",
        "yuv420p",
        "-f",
        "h264",
        "pipe:1",
    ]
    coded = subprocess.run(encode, input=image.tobytes(), capture_output=True)
    if coded.returncode != 0:
        raise ffmpeg.FFmpegError(ffmpeg.last_lines(coded.stderr))
    decode = [
        ffmpeg.executable(),
        "-hide_banner",
        "-nostdin",
        "-loglevel",
        "error",
        "-f",
        "h264",
        "-i",
        "pipe:0",
        "-frames:v",
        "1",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "pipe:1",
    ]
    back = subprocess.run(decode, input=coded.stdout, capture_output=True)
    if back.returncode != 0:
        raise ffmpeg.FFmpegError(ffmpeg.last_lines(back.stderr))
    return np.frombuffer(back.stdout, np.uint8).reshape(h, w, 3).copy()


def _placements(recipe: Recipe, card: Card, project_folder, clips: list[np.ndarray], crf: int):
    """(frames (F, H, W, 3) uint8, pixel frame index, strength) for each condition of the recipe."""
    if recipe.mode in CLIP_INPUTS:
        if recipe.mode not in card.modes:
            raise ValueError(f"{card.name} cannot do {recipe.mode.label}")
        return [
            (frames, index, recipe.conditions[clip].strength)
            for frames, index, clip in modes.placements(recipe.mode, clips, recipe.frames, card)
        ]
    if recipe.mode is Mode.TEXT_TO_VIDEO:
        if recipe.conditions:
            raise ValueError("text to video takes no input images; use image to video")
        return []
    placed = []
    seen: set[int] = set()
    for condition in recipe.conditions:
        index = condition.frame_index
        if not 0 <= index < recipe.frames:
            raise ValueError(
                f"an input image is placed at frame {index}, outside the shot's frames 0 to {recipe.frames - 1}"
            )
        if index in seen:
            raise ValueError(f"two input images are placed at frame {index}")
        seen.add(index)
        image = np.asarray(fit_image(condition_path(condition.path, project_folder), recipe.width, recipe.height))
        placed.append((compress_like_training(image, crf)[None], index, condition.strength))
    return placed


def call_arguments(
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    clips: list[np.ndarray] | None = None,
    pipe=None,
) -> tuple[dict, list[int]]:
    """The pipeline arguments for a recipe (everything but the callback), and the exact pixel frame of
    each condition diffusers appends as keyframe tokens (those past frame 0), in order."""
    from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition
    from diffusers.pipelines.ltx2.utils import resolve_default_image_crf

    if clips is None:
        clips = read_clips(recipe, project_folder)
    crf = resolve_default_image_crf(pipe.text_encoder if pipe is not None else None)
    conditions, keyframes = [], []
    for frames, index, strength in _placements(recipe, card, project_folder, clips, crf):
        latent = latent_index(index, card.frame_step)
        # crf 0: a single image was re-compressed above already; a clip's frames are never re-compressed.
        conditions.append(
            LTX2VideoCondition(frames=np.ascontiguousarray(frames), index=latent, strength=strength, crf=0)
        )
        if latent != 0:
            keyframes.append(index)
    arguments = shared_arguments(recipe, card, conditions=conditions or None, frame_rate=float(recipe.fps))
    return arguments, keyframes


@contextmanager
def _exact_keyframes(pipe, frames: list[int]) -> Iterator[None]:
    """While the pipeline runs, its keyframe positions start at these pixel frames (in the order of the
    conditions past frame 0) instead of the first frame of their latent group: LTX-2's own placement."""
    wanted = list(frames)
    original = pipe._prepare_keyframe_coords

    def exact(*args, **kwargs):
        if "pixel_frame_idx" not in kwargs or not wanted:
            raise RuntimeError("this diffusers version places LTX-2 keyframes in a way the studio does not know")
        kwargs["pixel_frame_idx"] = wanted.pop(0)
        return original(*args, **kwargs)

    pipe._prepare_keyframe_coords = exact  # on the instance: the class's own method comes back after
    try:
        yield
    finally:
        del pipe._prepare_keyframe_coords
    if wanted:
        raise RuntimeError(f"the pipeline placed {len(frames) - len(wanted)} of {len(frames)} keyframes")


CARRIES_LATENTS = False  # its windows' overlaps are encoded again, picture and sound


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
) -> Take:
    """base.Adapter's take: generate_with_audio()'s frames and their sound."""
    return Take(
        *generate_with_audio(pipe, recipe, card, project_folder, on_step, should_stop, on_preview, assemble, upsampler)
    )


def generate_with_audio(
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_preview: Callable[[np.ndarray], None] | None = None,
    assemble: bool = True,
    upsampler=None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """Run the pipeline; return the take: uint8 frames (N, height, width, 3), float32 stereo sound
    (samples, 2) exactly as long as the frames at the take's fps, and its sample rate.

    N is recipe.frames, except for the clip modes, whose take joins the clip's frames and the new
    ones (modes.assemble). on_step, should_stop and on_preview are the step hooks (steps.StepHooks).
    assemble=False returns the recipe.frames frames and their sound as made, overlaps included
    (windows.py). upsampler is the LTX2LatentUpsamplePipeline (load_upsampler) a two-pass card needs.
    """
    hooks = StepHooks(on_step, should_stop, on_preview)
    hooks.check()
    cache_for_mode(pipe, card, recipe.mode)  # the card's step cache only in the modes it suits (runtime/speed.py)
    if recipe.mode not in card.modes:
        raise ValueError(f"{card.name} cannot do {recipe.mode.label}")
    if card.multiscale and upsampler is None:
        raise ValueError(f"{card.name} makes its shots in two passes: it needs its latent upsampler")

    clips = read_clips(recipe, project_folder)
    if card.multiscale:
        frames, output = two_passes(pipe, upsampler, recipe, card, project_folder, hooks)
    else:
        arguments, keyframes = call_arguments(recipe, card, project_folder, clips, pipe)
        with _exact_keyframes(pipe, keyframes):
            output = pipe(**arguments, **hooks.pipeline_arguments(latent_layout(pipe, recipe)))
        frames = modes.output_frames(output, recipe)

    sample_rate = int(pipe.vocoder.config.output_sampling_rate)
    rate = FrameRate.parse(recipe.fps)
    sound = fit_length(stereo(output.audio[0]), frame_sample(recipe.frames, rate, sample_rate))
    if not assemble:
        return frames, sound, sample_rate
    take = modes.assemble(recipe.mode, frames, clips, card, recipe.bridge_frames)
    return take, assemble_audio(recipe, card, sound, sample_rate, project_folder, clips, len(take)), sample_rate


LORA_ADAPTER = "stage_2_distilled"  # the docs' adapter name for the distilled LoRA


def two_passes(pipe, upsampler, recipe: Recipe, card: Card, project_folder, hooks: StepHooks):
    """A two-pass shot (see the module's docstring): its frames at the recipe's size, and the refine's
    output (whose .audio is the take's sound). Progress counts both passes' steps as one run."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    multiscale = card.multiscale
    width, height = first_pass_size(recipe, card)
    small = dataclasses.replace(recipe, width=width, height=height)
    sigmas = list(multiscale["refine_sigmas"])
    first, refine = pass_hooks(hooks, len(sigmas))
    arguments, keyframes = call_arguments(small, card, project_folder, None, pipe)
    arguments["output_type"] = "latent"
    with _exact_keyframes(pipe, keyframes):
        latents = pipe(**arguments, **first.pipeline_arguments(latent_layout(pipe, small)))
    hooks.check()
    upsampled = upsampler(latents=latents.frames, output_type="latent").frames
    scale = pipe.vae_spatial_compression_ratio
    large = dataclasses.replace(recipe, width=upsampled.shape[-1] * scale, height=upsampled.shape[-2] * scale)
    arguments, keyframes = call_arguments(large, card, project_folder, None, pipe)
    arguments.pop("timesteps", None)  # a card's [call] schedule is the first pass's
    arguments.update(
        latents=upsampled,
        audio_latents=latents.audio,
        sigmas=sigmas,
        noise_scale=sigmas[0],
        num_inference_steps=len(sigmas),
        guidance_scale=multiscale.get("refine_guidance", 1.0),
    )
    # The docs' stage 2: the distilled sigmas as they are (no dynamic shifting), the LoRA on.
    scheduler = pipe.scheduler
    pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(
        scheduler.config, use_dynamic_shifting=False, shift_terminal=None
    )
    pipe.enable_lora()
    try:
        with _exact_keyframes(pipe, keyframes):
            output = pipe(**arguments, **refine.pipeline_arguments(latent_layout(pipe, large)))
    finally:
        pipe.disable_lora()
        pipe.scheduler = scheduler
    return resized(modes.output_frames(output, large), recipe.width, recipe.height), output


def load_upsampler(folder: str | Path, pipe, card: Card):
    """A two-pass card's LTX2LatentUpsamplePipeline: the model's latent upsampler from its folder, on the
    loaded pipeline's VAE, device and dtype (as the docs' `vae=pipe.vae`); and the refine's LoRA loaded
    into the pipeline as an adapter (load_lora_weights, safetensors), left disabled but for the refine."""
    from diffusers.pipelines.ltx2 import LTX2LatentUpsamplePipeline
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from diffusers.utils import is_peft_available

    from ...cards import refine_lora
    from ...weights import ModelFolderError

    if not is_peft_available():  # before anything loads
        raise ModelFolderError(
            f"{card.name}'s second pass needs the peft package for its LoRA: run the setup "
            "again (python3 installers/bootstrap.py run) to install it"
        )
    folder = Path(folder)
    lora = refine_lora(card, folder.parent)
    if lora is None:
        raise ModelFolderError(f"{card.name}'s [multiscale] table names no LoRA for the refine (lora = ...)")
    try:
        model = LTX2LatentUpsamplerModel.from_pretrained(
            folder, use_safetensors=True, local_files_only=True, torch_dtype=pipe.transformer.dtype
        )
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelFolderError(f"could not load the latent upsampler in {folder}: {exc}") from exc
    try:
        if LORA_ADAPTER not in pipe.get_list_adapters().get("transformer", []):
            pipe.load_lora_weights(
                str(lora.parent),
                weight_name=lora.name,
                adapter_name=LORA_ADAPTER,
                use_safetensors=True,
                local_files_only=True,
            )
        pipe.set_adapters(LORA_ADAPTER, 1.0)
    except (OSError, ValueError, RuntimeError, KeyError) as exc:
        raise ModelFolderError(f"could not load the LoRA {lora}: {exc}") from exc
    pipe.disable_lora()
    upsampler = LTX2LatentUpsamplePipeline(vae=pipe.vae, latent_upsampler=model)
    upsampler.latent_upsampler.to(pipe._execution_device)
    upsampler.set_progress_bar_config(disable=True)
    return upsampler


def generate(
    pipe,
    recipe: Recipe,
    card: Card,
    project_folder: str | Path | None = None,
    on_step: Callable[[int, int], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    on_preview: Callable[[np.ndarray], None] | None = None,
    upsampler=None,
) -> np.ndarray:
    """generate_with_audio's frames only, for callers that want the picture alone."""
    return generate_with_audio(
        pipe, recipe, card, project_folder, on_step, should_stop, on_preview, upsampler=upsampler
    )[0]


def stereo(waveform) -> np.ndarray:
    """The vocoder's (channels, samples) waveform as float32 (samples, 2): mono is doubled, more
    channels than two keep the first two."""
    sound = torch.as_tensor(waveform).float().cpu().numpy()
    if sound.ndim == 1:
        sound = sound[None]
    sound = sound[:CHANNELS] if sound.shape[0] >= CHANNELS else np.repeat(sound[:1], CHANNELS, axis=0)
    return np.ascontiguousarray(sound.T, np.float32)


def fit_length(sound: np.ndarray, samples: int) -> np.ndarray:
    """The sound cut or padded with silence to a number of samples: the vocoder's length follows
    the audio latents' rounding, a few milliseconds off the frames'."""
    if len(sound) >= samples:
        return sound[:samples]
    return np.concatenate([sound, np.zeros((samples - len(sound), sound.shape[1]), np.float32)])


def clip_audio(recipe: Recipe, clip: int, frames: int, sample_rate: int, project_folder) -> np.ndarray:
    """The sound under a clip condition's frames, as long as `frames` frames of the take; silence where
    the clip has none."""
    rate = FrameRate.parse(recipe.fps)
    condition = recipe.conditions[clip]
    path = condition_path(condition.path, project_folder)
    info = probe(path)
    if not info.has_audio:
        return np.zeros((frame_sample(frames, rate, sample_rate), CHANNELS), np.float32)
    own = info.fps or rate
    end = info.frames if condition.source_out is None else condition.source_out
    sound = read_audio(path, sample_rate)
    start = frame_sample(condition.source_in, own, sample_rate)
    return fit_length(sound[start : frame_sample(end, own, sample_rate)], frame_sample(frames, rate, sample_rate))


def assemble_audio(
    recipe: Recipe,
    card: Card,
    sound: np.ndarray,
    sample_rate: int,
    project_folder,
    clips: list[np.ndarray],
    take_frames: int,
) -> np.ndarray:
    """The take's sound, laid out as modes.assemble lays out its frames: the clip's own sound under the
    clip's frames, the generated sound under the new ones. A connect bridge thinned to fewer frames
    keeps the start of its sound (sound cannot be thinned like frames)."""
    mode = recipe.mode
    if mode not in CLIP_INPUTS:
        return sound
    rate = FrameRate.parse(recipe.fps)
    k = modes.overlap_frames(card)

    def at(frame: int) -> int:
        return frame_sample(frame, rate, sample_rate)

    def own() -> np.ndarray:  # the clip's sound, under its frames in the take
        return clip_audio(recipe, 0, len(clips[0]), sample_rate, project_folder)

    if mode is Mode.EXTEND_FORWARD:
        whole = np.concatenate([own(), sound[at(k) :]])
    elif mode is Mode.EXTEND_BACKWARD:
        whole = np.concatenate([sound[: at(recipe.frames - k)], own()])
    elif mode is Mode.LOOP:
        whole = np.concatenate([own(), sound[at(k) : at(recipe.frames - k)]])
    else:  # connect: only the bridge
        whole = sound[at(k) : at(recipe.frames - k)]
    return fit_length(whole, at(take_frames))


def latent_layout(pipe, recipe: Recipe):
    """latents_to_video for previews: LTX-2 hands its callback packed tokens (batch, tokens, channels),
    the shot's own frames x height x width first and any keyframe tokens after them."""
    frames = latent_frames(recipe.frames, pipe.vae_temporal_compression_ratio)
    height = recipe.height // pipe.vae_spatial_compression_ratio
    width = recipe.width // pipe.vae_spatial_compression_ratio

    def to_video(latents: torch.Tensor) -> torch.Tensor:
        own = latents[:, : frames * height * width]
        unpacked = pipe._unpack_latents(
            own, frames, height, width, pipe.transformer_spatial_patch_size, pipe.transformer_temporal_patch_size
        )
        return unpacked[0]

    return to_video
