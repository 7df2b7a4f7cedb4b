"""What happens after each denoising step, the same for every family: progress, cancel and previews.

A family module builds a StepHooks from what the worker gives generate() and passes
hooks.pipeline_arguments() to its pipeline call. Cancel raises Cancelled from the step callback, so
a cancelled run ends at the next step, before the VAE decode (the pipeline's own interrupt flag
would skip the remaining steps but still decode).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .jobs import Cancelled

# Turns the `latents` a pipeline hands its step callback into (channels, frames, height, width).
LatentsToVideo = Callable[[Any], Any]


@dataclass
class StepHooks:
    on_step: Callable[[int, int], None] | None = None  # (step, total) after each step
    should_stop: Callable[[], bool] | None = None
    on_preview: Callable[[Any], None] | None = None  # a small preview made from the latents

    def check(self) -> None:
        """Raise Cancelled if the job was cancelled."""
        if self.should_stop is not None and self.should_stop():
            raise Cancelled()

    def pipeline_arguments(self, latents_to_video: LatentsToVideo | None = None) -> dict[str, Any]:
        """callback_on_step_end for a diffusers pipeline call. latents_to_video lets previews read
        the family's latent layout; without it no preview is made."""

        def step_end(pipeline, index: int, timestep, tensors: dict) -> dict:
            if self.on_step is not None:
                self.on_step(index + 1, pipeline.num_timesteps)
            self.check()
            return {}

        return {"callback_on_step_end": step_end}
