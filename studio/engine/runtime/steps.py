"""What happens after each denoising step, the same for every family: progress, cancel and previews.

A family module builds a StepHooks from what the worker gives generate() and passes
hooks.pipeline_arguments(latents_to_video) to its pipeline call. Cancel raises Cancelled from the
step callback, so a cancelled run ends at the next step, before the VAE decode (the pipeline's own
interrupt flag would skip the remaining steps but still decode).

Previews are made from the latents, without the VAE, in microseconds: the middle latent frame of where the
step points (clean_estimate, on a flow-matching Euler schedule; the latents as they are on others), and a
family's latents_to_video only has to bring its latents to (channels, frames, height, width). Where the
model folder says what colour each latent channel stands for (loader.read_preview_colours: the demo
model's training fits it), the preview is in the picture's own colours; elsewhere it is the first three
channels, each stretched to the full range, as red, green and blue: not the picture's colours, but the
layout and motion settling step by step.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..jobs import Cancelled

# Turns the `latents` a pipeline hands its step callback into (channels, frames, height, width).
LatentsToVideo = Callable[[Any], Any]

PREVIEW_EVERY = 2  # steps between previews (the last step always gets one)
PREVIEW_SIZE = 160  # the longest side of a preview, in pixels


def latent_preview(video, colours: np.ndarray | None = None) -> np.ndarray:
    """A small uint8 RGB picture (h, w, 3) of latents shaped (channels, frames, height, width). colours:
    (channels + 1, 3), each channel's share of red, green and blue (0-1) and, last, the constant part."""
    if colours is not None and colours.shape[0] == video.shape[0] + 1:
        frame = video[:, video.shape[1] // 2].float().cpu().numpy()  # (channels, h, w)
        rgb = np.einsum("chw,ck->hwk", frame, colours[:-1]) + colours[-1]
        picture = (np.clip(rgb, 0.0, 1.0) * 255).round().astype(np.uint8)
    else:
        frame = video[:3, video.shape[1] // 2].float().cpu().numpy()  # (3 or fewer, h, w)
        if frame.shape[0] < 3:
            frame = np.concatenate([frame, np.repeat(frame[-1:], 3 - frame.shape[0], axis=0)])
        low = frame.min(axis=(1, 2), keepdims=True)
        high = frame.max(axis=(1, 2), keepdims=True)
        picture = ((frame - low) / np.maximum(high - low, 1e-6) * 255).round().astype(np.uint8).transpose(1, 2, 0)
    scale = max(1, PREVIEW_SIZE // max(picture.shape[:2]))
    return np.ascontiguousarray(picture.repeat(scale, axis=0).repeat(scale, axis=1))


def clean_estimate(scheduler, video, before):
    """Where a flow-matching Euler step points: the clean latents x0 = x - σ·v, v the step's own velocity
    (from the latents before it, `before`, and after it, `video`). A preview of them shows the shot the model
    is heading for from the first steps, where the noisy latents themselves are mostly noise. As it is
    where the scheduler is another (a multistep one's step is not one velocity) or nothing came before."""
    index = getattr(scheduler, "step_index", None)
    if (
        before is None
        or index is None
        or index < 1
        or type(scheduler).__name__ != "FlowMatchEulerDiscreteScheduler"
        or scheduler.config.get("stochastic_sampling")
        or before.shape != video.shape
    ):
        return video
    now, then = float(scheduler.sigmas[index]), float(scheduler.sigmas[index - 1])
    if then - now <= 1e-6:
        return video
    return video - now * (before - video) / (then - now)


@dataclass
class StepHooks:
    on_step: Callable[[int, int], None] | None = None  # (step, total) after each step
    should_stop: Callable[[], bool] | None = None
    on_preview: Callable[[np.ndarray], None] | None = None  # a small preview made from the latents
    # the denoised latents (channels, frames, height, width) after the last step, for a long shot's next window
    on_final: Callable[[Any], None] | None = None

    def check(self) -> None:
        """Raise Cancelled if the job was cancelled."""
        if self.should_stop is not None and self.should_stop():
            raise Cancelled()

    def pipeline_arguments(self, latents_to_video: LatentsToVideo | None = None) -> dict[str, Any]:
        """callback_on_step_end (and the tensors it needs) for a diffusers pipeline call. Without
        latents_to_video, or nobody to show them to, no preview is made."""
        previews = self.on_preview is not None and latents_to_video is not None
        final = self.on_final is not None and latents_to_video is not None

        before: dict[str, Any] = {}  # the latents of the step before a preview's: its velocity (clean_estimate)

        def step_end(pipeline, index: int, timestep, tensors: dict) -> dict:
            step, total = index + 1, pipeline.num_timesteps
            if self.on_step is not None:
                self.on_step(step, total)
            self.check()

            def shown(step: int) -> bool:  # a preview after every PREVIEW_EVERY steps and after the last
                return step % PREVIEW_EVERY == 0 or step == total

            if previews and shown(step):
                assert self.on_preview is not None and latents_to_video is not None  # previews says so
                video = clean_estimate(
                    pipeline.scheduler, latents_to_video(tensors["latents"]), before.pop("video", None)
                )
                colours = getattr(getattr(pipeline, "vae", None), "studio_preview_colours", None)
                self.on_preview(latent_preview(video, colours))
            elif previews and shown(step + 1):
                assert latents_to_video is not None  # previews says so
                before["video"] = latents_to_video(tensors["latents"]).clone()
            if final and step == total:
                assert self.on_final is not None and latents_to_video is not None  # final says so
                self.on_final(latents_to_video(tensors["latents"]))
            return {}

        arguments: dict[str, Any] = {"callback_on_step_end": step_end}
        if previews or final:
            arguments["callback_on_step_end_tensor_inputs"] = ["latents"]
        return arguments
