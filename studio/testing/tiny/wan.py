"""The tiny Wan models: laid out like Wan 2.2 TI2V, 2.1 I2V, FLF2V, T2V and VACE."""

from __future__ import annotations

import math

from ...core.recipe import Mode
from ...engine.cards import FAMILIES, VACE_MODES, Card
from .common import t5_tokenizer, tiny_limits, tiny_t5


def _wan_text_encoder(seed: int):
    """A tokenizer made here and a tiny UMT5 encoder (Wan's text encoder class) sized for it."""
    tokenizer = t5_tokenizer()
    return tokenizer, tiny_t5(len(tokenizer), seed, umt5=True)  # 32 wide: the transformer's text_dim


def _wan_vae(seed: int):
    """Wan 2.1's VAE shape in miniature: 8x in space, 4x in time (frames 4k+1)."""
    import torch
    from diffusers import AutoencoderKLWan

    torch.manual_seed(seed)
    return AutoencoderKLWan(
        base_dim=8, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1, temperal_downsample=[False, True, True]
    )


def _wan_scheduler():
    # The scheduler the real Wan 2.1 and 2.2 folders ship.
    from diffusers import UniPCMultistepScheduler

    return UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)


def _wan_transformer(seed: int, in_channels: int, image_dim: int | None = None, image_tokens: int | None = None):
    import torch
    from diffusers import WanTransformer3DModel

    torch.manual_seed(seed)
    heads, head_dim = 2, 12
    return WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=heads,
        attention_head_dim=head_dim,
        in_channels=in_channels,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        image_dim=image_dim,
        # Wan 2.1 I2V attends to the image tokens with their own key/value projections.
        added_kv_proj_dim=heads * head_dim if image_dim is not None else None,
        # FLF2V: positions for the first and the last image's CLIP tokens, side by side.
        pos_embed_seq_len=2 * image_tokens if image_tokens else None,
    )


def build_wan_pipeline(seed: int = 0, expand_timesteps: bool = True):
    """A WanPipeline laid out like Wan 2.2 TI2V 5B: expand_timesteps, so the same transformer also
    makes first-frame shots through WanImageToVideoPipeline.from_pipe. Without expand_timesteps, like
    Wan 2.1 T2V 1.3B: text shots, and clips remade through WanVideoToVideoPipeline."""
    from diffusers import WanPipeline

    tokenizer, text_encoder = _wan_text_encoder(seed)
    return WanPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        transformer=_wan_transformer(seed, in_channels=16),
        vae=_wan_vae(seed),
        scheduler=_wan_scheduler(),
        expand_timesteps=expand_timesteps,
    )


def build_wan_vace_pipeline(seed: int = 0):
    """A WanVACEPipeline laid out like Wan 2.1 VACE (diffusers' own VACE test sizes): a Wan transformer
    with VACE blocks at layers 0 and 2 that read the kept frames, the frames to make and the mask."""
    import torch
    from diffusers import WanVACEPipeline, WanVACETransformer3DModel

    tokenizer, text_encoder = _wan_text_encoder(seed)
    torch.manual_seed(seed)
    transformer = WanVACETransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=3,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
        vace_layers=[0, 2],
        # the kept and the made frames' latents (16 channels each) and the mask, 8x8 pixels a latent pixel
        vace_in_channels=16 + 16 + 8 * 8,
    )
    return WanVACEPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        transformer=transformer,
        vae=_wan_vae(seed),
        scheduler=_wan_scheduler(),
    )


def build_wan_i2v_pipeline(seed: int = 0, last_frame: bool = False):
    """A WanImageToVideoPipeline laid out like Wan 2.1 I2V: the transformer takes the noise, a frame
    mask, the encoded first frame and its CLIP image features; with last_frame, like Wan 2.1 FLF2V,
    the first and the last frame and both frames' CLIP features."""
    import torch
    from diffusers import WanImageToVideoPipeline
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    tokenizer, text_encoder = _wan_text_encoder(seed)
    torch.manual_seed(seed)
    clip = CLIPVisionConfig(
        hidden_size=8,
        projection_dim=8,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        intermediate_size=16,
        patch_size=8,
    )
    image_encoder = CLIPVisionModel(clip).eval()
    tokens = (clip.image_size // clip.patch_size) ** 2 + 1  # patches and the class token
    image_processor = CLIPImageProcessor(crop_size=32, size=32)
    return WanImageToVideoPipeline(
        tokenizer=tokenizer,
        text_encoder=text_encoder,
        image_encoder=image_encoder,
        image_processor=image_processor,
        # 16 noise channels + 4 mask channels (one per frame in a latent frame) + 16 condition channels
        transformer=_wan_transformer(
            seed, in_channels=36, image_dim=clip.hidden_size, image_tokens=tokens if last_frame else None
        ),
        vae=_wan_vae(seed),
        scheduler=_wan_scheduler(),
    )


def tiny_wan_card(pipe, card_id: str) -> Card:
    """A tiny Wan folder's card, its frame rule and size multiple read off the built pipeline:
    frames 4k+1, sizes in multiples of the VAE's 8x times the transformer's 2x2 patches."""
    step = pipe.vae_scale_factor_temporal
    multiple = math.lcm(
        FAMILIES["wan"].size_multiple, pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size[1]
    )
    references = False
    if type(pipe).__name__ == "WanVACEPipeline":
        name = "Tiny Wan VACE, every mode but video to video (test model, random weights)"
        modes = VACE_MODES
        pipelines = {}
        last_frame = "optional"
        references = True
    elif type(pipe).__name__ == "WanPipeline" and not pipe.config.expand_timesteps:
        name = "Tiny Wan T2V, text or a clip to remake (test model, random weights)"
        modes = (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
        pipelines = {str(Mode.VIDEO_TO_VIDEO): "WanVideoToVideoPipeline"}
        last_frame = "no"
    elif type(pipe).__name__ == "WanPipeline":
        name = "Tiny Wan, text or first frame (test model, random weights)"
        modes = (Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO)
        pipelines = {str(Mode.TEXT_TO_VIDEO): "WanPipeline", str(Mode.IMAGE_TO_VIDEO): "WanImageToVideoPipeline"}
        last_frame = "no"
    else:
        flf2v = pipe.transformer.config.pos_embed_seq_len is not None
        name = f"Tiny Wan {'FLF2V, first and last' if flf2v else 'I2V, first'} frame (test model, random weights)"
        modes = (Mode.IMAGE_TO_VIDEO,)
        pipelines = {}
        last_frame = "required" if flf2v else "no"
    return Card(
        id=card_id,
        name=name,
        family="wan",
        pipeline=type(pipe).__name__,
        pipelines=pipelines,
        last_frame=last_frame,
        references=references,
        modes=modes,
        **tiny_limits(step, multiple),
        default_fps=16.0,
        default_steps=2,
        default_guidance=5.0,
        memory_gb=0.1,
        description=f"Built by `studio models tiny {card_id[5:]} DIR` for tests: noise, fast, on any CPU.",
        call={"max_sequence_length": 32},
    )


def _tiny_wan(seed: int):
    pipe = build_wan_pipeline(seed)
    return pipe, tiny_wan_card(pipe, "tiny-wan")


def _tiny_wan_t2v(seed: int):
    pipe = build_wan_pipeline(seed, expand_timesteps=False)
    return pipe, tiny_wan_card(pipe, "tiny-wan-t2v")


def _tiny_wan_vace(seed: int):
    pipe = build_wan_vace_pipeline(seed)
    return pipe, tiny_wan_card(pipe, "tiny-wan-vace")


def _tiny_wan_i2v(seed: int):
    pipe = build_wan_i2v_pipeline(seed, last_frame=False)
    return pipe, tiny_wan_card(pipe, "tiny-wan-i2v")


def _tiny_wan_flf2v(seed: int):
    pipe = build_wan_i2v_pipeline(seed, last_frame=True)
    return pipe, tiny_wan_card(pipe, "tiny-wan-flf2v")


# What `studio models tiny NAME` builds of this family: NAME -> seed -> (pipeline, card).
TINY = {
    "wan": _tiny_wan,
    "wan-i2v": _tiny_wan_i2v,
    "wan-flf2v": _tiny_wan_flf2v,
    "wan-t2v": _tiny_wan_t2v,
    "wan-vace": _tiny_wan_vace,
}
