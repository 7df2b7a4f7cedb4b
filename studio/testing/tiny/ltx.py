"""The tiny LTX-Video model, its latent upsampler and its two-pass card."""

from __future__ import annotations

import math

from ...core.recipe import Mode
from ...engine.cards import FAMILIES, Card
from .common import t5_tokenizer, tiny_limits, tiny_t5


def build_ltx_pipeline(seed: int = 0):
    """An LTXConditionPipeline with tiny components, the same on every call for the same seed."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    tokenizer = t5_tokenizer()
    torch.manual_seed(seed)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    text_encoder = tiny_t5(len(tokenizer), seed)  # its width, 32, is the transformer's caption_channels
    return LTXConditionPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )


def tiny_ltx_card(pipe) -> Card:
    """The tiny model's card, with the frame rule and size multiple read off the built pipeline:
    its VAE compresses 4x in time (frames 4k+1) and 4x in space, while the pipeline's
    check_inputs still demands multiples of 32."""
    step = pipe.vae_temporal_compression_ratio
    multiple = math.lcm(FAMILIES["ltx"].size_multiple, pipe.vae_spatial_compression_ratio)
    return Card(
        id="tiny-ltx",
        name="Tiny LTX (test model, random weights)",
        family="ltx",
        pipeline="LTXConditionPipeline",
        modes=tuple(Mode),  # LTXConditionPipeline does every mode
        **tiny_limits(step, multiple),
        default_fps=24.0,
        default_steps=2,
        default_guidance=3.0,
        memory_gb=0.1,
        description="Built by `studio models tiny ltx DIR` for tests: coloured noise, fast, on any CPU.",
        call={"max_sequence_length": 32},
    )


def build_ltx_upsampler_pipeline(seed: int = 0):
    """An LTXLatentUpsamplePipeline laid out like Lightricks/ltxv-spatial-upscaler-0.9.7 (a VAE and a
    latent upsampler that doubles the width and height), sized for the tiny LTX model's 8-channel latents."""
    import torch
    from diffusers import LTXLatentUpsamplePipeline
    from diffusers.pipelines.ltx.modeling_latent_upsampler import LTXLatentUpsamplerModel

    vae = build_ltx_pipeline(seed).vae  # the tiny LTX model's own VAE, as the real repo carries 0.9.7's
    torch.manual_seed(seed)
    upsampler = LTXLatentUpsamplerModel(in_channels=vae.config.latent_channels, mid_channels=32, num_blocks_per_stage=1)
    return LTXLatentUpsamplePipeline(vae=vae, latent_upsampler=upsampler)


def tiny_ltx_upsampler_card() -> Card:
    return Card(
        id="tiny-ltx-upsampler",
        name="Tiny LTX latent upsampler (test model, random weights)",
        family="ltx",
        pipeline="LTXLatentUpsamplePipeline",
        modes=(),
        **tiny_limits(1, FAMILIES["ltx"].size_multiple),
        default_fps=1.0,
        default_steps=1,
        default_guidance=0.0,
        memory_gb=0.1,
        description="Built by `studio models tiny ltx-upsampler DIR` for tests: the tiny LTX model's two-pass shots.",
        kind="upsampler",
    )


def tiny_ltx_two_pass_card(card: Card, upsampler: str = "tiny-ltx-upsampler") -> Card:
    """The tiny LTX model's card with LTX-Video 0.9.7 dev's two-pass recipe (its refine at the tiny model's
    own small step count): for testing the multi-scale path."""
    import dataclasses

    return dataclasses.replace(
        card,
        id=f"{card.id}-two-pass",
        name=f"{card.name}, two passes",
        multiscale={"upsampler": upsampler, "first_pass_scale": 2 / 3, "refine_steps": 2, "refine_strength": 0.5},
    )


def _tiny_ltx(seed: int):
    pipe = build_ltx_pipeline(seed)
    return pipe, tiny_ltx_card(pipe)


def _tiny_ltx_upsampler(seed: int):
    return build_ltx_upsampler_pipeline(seed), tiny_ltx_upsampler_card()


# What `studio models tiny NAME` builds of this family: NAME -> seed -> (pipeline, card).
TINY = {
    "ltx": _tiny_ltx,
    "ltx-upsampler": _tiny_ltx_upsampler,
}
