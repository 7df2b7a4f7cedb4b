"""The tiny CogVideoX models: 1.0 and 1.5, text and first frame."""

from __future__ import annotations

import math

from ...core.recipe import Mode
from ...engine.cards import FAMILIES, Card
from .common import t5_tokenizer, tiny_limits, tiny_t5


def _cogvideox_scheduler(dpm: bool):
    """The schedulers the real folders ship: CogVideoX-2b a v-prediction DDIM, the 5B models the same
    schedule with CogVideoX's DPM solver, both on a zero-terminal-SNR, trailing-spaced schedule."""
    from diffusers import CogVideoXDDIMScheduler, CogVideoXDPMScheduler

    scheduler = CogVideoXDPMScheduler if dpm else CogVideoXDDIMScheduler
    return scheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        prediction_type="v_prediction",
        rescale_betas_zero_snr=True,
        timestep_spacing="trailing",
        snr_shift_scale=1.0 if dpm else 3.0,
    )


def _cogvideox_vae(seed: int, version: str):
    """CogVideoX's VAE in miniature (diffusers' pipeline tests' config): 8x in space, 4x in time."""
    import torch
    from diffusers import AutoencoderKLCogVideoX

    torch.manual_seed(seed)
    return AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
        # 1.5's image model was trained on latents divided by the scaling factor, not multiplied.
        invert_scale_latents=version == "1.5",
    )


def _cogvideox_text_encoder(seed: int):
    """A tokenizer made here and a tiny T5 encoder (CogVideoX's text encoder class) sized for it."""
    tokenizer = t5_tokenizer()
    return tokenizer, tiny_t5(len(tokenizer), seed)  # 32 wide: the transformer's text_embed_dim


# The tiny transformers' text length; the card's call passes it as max_sequence_length.
_COGVIDEOX_TEXT_TOKENS = 16


def _cogvideox_transformer(seed: int, version: str, image: bool):
    """The transformer of each real layout, tiny (diffusers' pipeline tests' sizes):
    2b       sin-cos position embeddings, remade for any size and length
    5b-I2V   rotary and learned position embeddings, the learned ones for one size and length only,
             and twice the input channels: the noise and the encoded first frame side by side
    1.5      rotary embeddings, 2-frame temporal patches; the image model also an `ofs` embedding
    """
    import torch
    from diffusers import CogVideoXTransformer3DModel

    torch.manual_seed(seed)
    rotary = image or version == "1.5"
    shape = {
        # 1.0: latent 4x4, 32x32 pixels, 9 frames. 1.5's rotary positions reach sample_* latent pixels.
        "sample_width": 4 if version == "1.0" else 8,
        "sample_height": 4 if version == "1.0" else 8,
        "sample_frames": 9 if version == "1.0" else 17,
    }
    extra = {}
    if version == "1.5":
        extra = {"patch_size_t": 2, "patch_bias": False, "ofs_embed_dim": 8 if image else None}
    return CogVideoXTransformer3DModel(
        num_attention_heads=2 if rotary else 4,
        attention_head_dim=16 if rotary else 8,  # rotary embeddings need a multiple of 16
        in_channels=8 if image else 4,
        out_channels=4,
        time_embed_dim=8,  # the ofs embedding is added to the time embedding: the same width
        text_embed_dim=32,
        num_layers=1,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=_COGVIDEOX_TEXT_TOKENS,
        use_rotary_positional_embeddings=rotary,
        use_learned_positional_embeddings=image and version == "1.0",
        **shape,
        **extra,
    )


def build_cogvideox_pipeline(seed: int = 0, version: str = "1.0"):
    """A CogVideoXPipeline laid out like CogVideoX-2b (version "1.0": its modules also remake clips
    through CogVideoXVideoToVideoPipeline) or CogVideoX1.5-5B ("1.5")."""
    from diffusers import CogVideoXPipeline

    tokenizer, text_encoder = _cogvideox_text_encoder(seed)
    return CogVideoXPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=_cogvideox_vae(seed, version),
        transformer=_cogvideox_transformer(seed, version, image=False),
        scheduler=_cogvideox_scheduler(dpm=version == "1.5"),
    )


def build_cogvideox_i2v_pipeline(seed: int = 0, version: str = "1.0"):
    """A CogVideoXImageToVideoPipeline laid out like CogVideoX-5b-I2V ("1.0": one size and length,
    32x32 and 9 frames here, 720x480 and 49 real) or CogVideoX1.5-5B-I2V ("1.5")."""
    from diffusers import CogVideoXImageToVideoPipeline

    tokenizer, text_encoder = _cogvideox_text_encoder(seed)
    return CogVideoXImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        vae=_cogvideox_vae(seed, version),
        transformer=_cogvideox_transformer(seed, version, image=True),
        scheduler=_cogvideox_scheduler(dpm=True),
    )


def tiny_cogvideox_card(pipe, card_id: str) -> Card:
    """A tiny CogVideoX folder's card, read off the built pipeline the way the real cards are set:
    frames 8k+1 (1.0) or 16k+1 (1.5), sizes in multiples of the VAE's 8x times the 2x2 patches, and
    for learned position embeddings their one size and length."""
    config = pipe.transformer.config
    version_15 = config.patch_size_t is not None
    step = pipe.vae_scale_factor_temporal * (4 if version_15 else 2)
    multiple = math.lcm(FAMILIES["cogvideox"].size_multiple, pipe.vae_scale_factor_spatial * config.patch_size)
    limits = tiny_limits(step, multiple)
    spatial = pipe.vae_scale_factor_spatial
    if config.use_learned_positional_embeddings:
        width, height = config.sample_width * spatial, config.sample_height * spatial
        limits.update(
            max_frames=config.sample_frames,
            default_frames=config.sample_frames,
            max_width=width,
            max_height=height,
            default_width=width,
            default_height=height,
        )
    elif version_15:  # rotary positions reach sample_* latent pixels
        side = config.sample_width * spatial
        limits.update(max_width=side, max_height=side, default_frames=step + 1)
    pipelines = {}
    if type(pipe).__name__ == "CogVideoXImageToVideoPipeline":
        modes = (Mode.IMAGE_TO_VIDEO,)
        what = "first frame"
    elif version_15:
        modes = (Mode.TEXT_TO_VIDEO,)
        what = "text"
    else:
        modes = (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
        pipelines = {str(Mode.VIDEO_TO_VIDEO): "CogVideoXVideoToVideoPipeline"}
        what = "text or a clip"
    return Card(
        id=card_id,
        name=f"Tiny CogVideoX {'1.5' if version_15 else '1.0'}, {what} (test model, random weights)",
        family="cogvideox",
        pipeline=type(pipe).__name__,
        pipelines=pipelines,
        last_frame="no",
        modes=modes,
        **limits,
        default_fps=16.0 if version_15 else 8.0,
        default_steps=2,
        default_guidance=6.0,
        memory_gb=0.1,
        description=f"Built by `studio models tiny {card_id[5:]} DIR` for tests: noise, fast, on any CPU.",
        call={"max_sequence_length": _COGVIDEOX_TEXT_TOKENS},
    )


def _tiny_cogvideox(seed: int):
    pipe = build_cogvideox_pipeline(seed)
    return pipe, tiny_cogvideox_card(pipe, "tiny-cogvideox")


def _tiny_cogvideox_i2v(seed: int):
    pipe = build_cogvideox_i2v_pipeline(seed)
    return pipe, tiny_cogvideox_card(pipe, "tiny-cogvideox-i2v")


def _tiny_cogvideox_15(seed: int):
    pipe = build_cogvideox_pipeline(seed, version="1.5")
    return pipe, tiny_cogvideox_card(pipe, "tiny-cogvideox-1.5")


def _tiny_cogvideox_15_i2v(seed: int):
    pipe = build_cogvideox_i2v_pipeline(seed, version="1.5")
    return pipe, tiny_cogvideox_card(pipe, "tiny-cogvideox-1.5-i2v")


# What `studio models tiny NAME` builds of this family: NAME -> seed -> (pipeline, card).
TINY = {
    "cogvideox": _tiny_cogvideox,
    "cogvideox-i2v": _tiny_cogvideox_i2v,
    "cogvideox-1.5": _tiny_cogvideox_15,
    "cogvideox-1.5-i2v": _tiny_cogvideox_15_i2v,
}
