"""Job previews from the latents (engine/runtime/steps.py): where the step points, in the model's colours."""

from __future__ import annotations

import numpy as np
import torch
from diffusers import FlowMatchEulerDiscreteScheduler

from studio.engine.runtime.steps import StepHooks, latent_preview


class Pipeline:  # what a pipeline's step callback is given: its scheduler, its VAE, its step count
    def __init__(self, scheduler, colours):
        self.scheduler, self.num_timesteps = scheduler, len(scheduler.timesteps)
        self.vae = type("Vae", (), {"studio_preview_colours": colours})()


def test_every_preview_shows_where_the_steps_are_heading_not_the_noise_they_are_in():
    """On a straight flow from noise to a clean latent (what flow matching learns), each Euler step's own
    velocity points at the clean latent: every preview is the clean latent's, from the first, though the
    latents themselves are still mostly noise there."""
    torch.manual_seed(0)
    clean, noise = torch.rand(3, 5, 4, 4), torch.randn(3, 5, 4, 4)
    colours = np.vstack([np.eye(3, dtype=np.float32), np.zeros((1, 3), np.float32)])  # channel k is colour k
    scheduler = FlowMatchEulerDiscreteScheduler()
    scheduler.set_timesteps(8)
    shown: list[np.ndarray] = []
    step_end = StepHooks(on_preview=shown.append).pipeline_arguments(lambda latents: latents)["callback_on_step_end"]
    pipeline, latents = Pipeline(scheduler, colours), noise.clone()
    for index, t in enumerate(scheduler.timesteps):
        latents = scheduler.step(noise - clean, t, latents).prev_sample
        step_end(pipeline, index, t, {"latents": latents})
    assert len(shown) == 4  # after steps 2, 4, 6 and 8
    target = latent_preview(clean, colours)
    assert all(np.abs(p.astype(int) - target).max() <= 1 for p in shown)
    midway = scheduler.sigmas[1] * noise + (1 - scheduler.sigmas[1]) * clean  # the latents after step 1
    assert np.abs(latent_preview(midway, colours).astype(int) - target).max() > 50  # what a preview of them shows


def test_colours_for_another_latent_width_fall_back_to_the_channels():
    video = torch.zeros(4, 3, 2, 2)
    video[0, 1, 0, 0] = 1.0
    colours = np.zeros((3, 3), np.float32)  # two channels and the constant: not this latent's four
    picture = latent_preview(video, colours)
    assert picture[0, 0].tolist() == [255, 0, 0] and picture[-1, -1].tolist() == [0, 0, 0]
    assert latent_preview(video, np.vstack([np.eye(3, dtype=np.float32) * 0.5, np.zeros((2, 3))]))[0, 0].tolist() == [
        128,
        0,
        0,
    ]
