"""The tiny HunyuanVideo 1.5 models: text, and first frame (with a tiny SigLIP)."""

from __future__ import annotations

import math

from ...core.recipe import Mode
from ...engine.cards import FAMILIES, Card
from .common import qwen_tokenizer, tiny_limits, tiny_t5


def _hunyuan15_components(seed: int, image_embed_dim: int) -> dict:
    """HunyuanVideo 1.5's modules in miniature (the sizes of diffusers' own pipeline test): a Qwen2.5-VL
    text model and a ByT5-style T5 glyph encoder, the transformer, and a VAE that compresses 4x in
    space and 4x in time (frames 4k+1, as the real one's 16x / 4x)."""
    import torch
    from diffusers import AutoencoderKLHunyuanVideo15, FlowMatchEulerDiscreteScheduler, HunyuanVideo15Transformer3DModel
    from diffusers.guiders import ClassifierFreeGuidance
    from transformers import ByT5Tokenizer, Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel

    tokenizer = qwen_tokenizer()
    torch.manual_seed(seed)
    # hidden_size must match the transformer's text_embed_dim.
    qwen = Qwen2_5_VLTextConfig(
        vocab_size=len(tokenizer),
        hidden_size=16,
        intermediate_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        rope_scaling={"mrope_section": [1, 1, 2], "rope_type": "default", "type": "default"},
        rope_theta=1000000.0,
        bos_token_id=None,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    text_encoder = Qwen2_5_VLTextModel(qwen).eval()
    tokenizer_2 = ByT5Tokenizer()  # bytes: nothing to train
    text_encoder_2 = tiny_t5(len(tokenizer_2), seed)  # 32 wide: the transformer's text_embed_2_dim
    torch.manual_seed(seed)
    transformer = HunyuanVideo15Transformer3DModel(
        in_channels=9,  # 4 noise channels + 4 condition channels + 1 mask channel
        out_channels=4,
        num_attention_heads=2,
        attention_head_dim=8,
        num_layers=1,
        num_refiner_layers=1,
        mlp_ratio=2.0,
        patch_size=1,
        patch_size_t=1,
        text_embed_dim=16,
        text_embed_2_dim=32,
        image_embed_dim=image_embed_dim,
        rope_axes_dim=(2, 2, 4),
        target_size=32,
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLHunyuanVideo15(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(16, 16),
        layers_per_block=1,
        spatial_compression_ratio=4,
        temporal_compression_ratio=4,
        downsample_match_channel=False,
        upsample_match_channel=False,
    )
    return {
        "text_encoder": text_encoder,
        "tokenizer": tokenizer,
        "text_encoder_2": text_encoder_2,
        "tokenizer_2": tokenizer_2,
        "transformer": transformer.eval(),
        "vae": vae.eval(),
        # The real 480p checkpoints' shift and guidance (5.0, 6.0).
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=5.0),
        "guider": ClassifierFreeGuidance(guidance_scale=6.0),
    }


_SIGLIP_HIDDEN = 12  # the tiny SigLIP's width, which is the transformer's image_embed_dim


def build_hunyuan15_pipeline(seed: int = 0):
    """A HunyuanVideo15Pipeline (text to video) laid out like hunyuanvideo-community's 480p_t2v folder."""
    from diffusers import HunyuanVideo15Pipeline

    return HunyuanVideo15Pipeline(**_hunyuan15_components(seed, _SIGLIP_HIDDEN))


def build_hunyuan15_i2v_pipeline(seed: int = 0):
    """A HunyuanVideo15ImageToVideoPipeline laid out like the 480p_i2v folder: the first frame goes in
    through the VAE (its latents beside the noise) and through a SigLIP vision encoder (its tokens beside
    the text's)."""
    import torch
    from diffusers import HunyuanVideo15ImageToVideoPipeline
    from transformers import SiglipVisionConfig, SiglipVisionModel

    components = _hunyuan15_components(seed, _SIGLIP_HIDDEN)
    torch.manual_seed(seed)
    siglip = SiglipVisionConfig(
        hidden_size=_SIGLIP_HIDDEN,
        intermediate_size=24,
        num_hidden_layers=2,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    pipe = HunyuanVideo15ImageToVideoPipeline(
        **components,
        image_encoder=SiglipVisionModel(siglip).eval(),
        feature_extractor=_siglip_processor(siglip.image_size),
    )
    # Named as the real folders name it; without torchvision, transformers loads it as its PIL processor.
    pipe.register_to_config(feature_extractor=("transformers", "SiglipImageProcessor"))
    return pipe


def _siglip_processor(size: int):
    import warnings

    from transformers import SiglipImageProcessor

    with warnings.catch_warnings():  # without torchvision transformers says it falls back to its PIL processor
        warnings.simplefilter("ignore")
        return SiglipImageProcessor(size={"height": size, "width": size})


def tiny_hunyuan15_card(pipe, card_id: str) -> Card:
    """A tiny HunyuanVideo 1.5 folder's card, its frame rule and size multiple read off the built pipeline."""
    step = pipe.vae_scale_factor_temporal
    multiple = math.lcm(
        FAMILIES["hunyuan15"].size_multiple, pipe.vae_scale_factor_spatial * pipe.transformer.config.patch_size
    )
    image = type(pipe).__name__ == "HunyuanVideo15ImageToVideoPipeline"
    return Card(
        id=card_id,
        name=f"Tiny HunyuanVideo 1.5, {'first frame' if image else 'text'} (test model, random weights)",
        family="hunyuan15",
        pipeline=type(pipe).__name__,
        last_frame="no",
        modes=(Mode.IMAGE_TO_VIDEO,) if image else (Mode.TEXT_TO_VIDEO,),
        **tiny_limits(step, multiple),
        default_fps=24.0,
        default_steps=2,
        default_guidance=6.0,
        memory_gb=0.1,
        description=f"Built by `studio models tiny {card_id[5:]} DIR` for tests: noise, fast, on any CPU.",
    )


def _tiny_hunyuan15(seed: int):
    pipe = build_hunyuan15_pipeline(seed)
    return pipe, tiny_hunyuan15_card(pipe, "tiny-hunyuan15")


def _tiny_hunyuan15_i2v(seed: int):
    pipe = build_hunyuan15_i2v_pipeline(seed)
    return pipe, tiny_hunyuan15_card(pipe, "tiny-hunyuan15-i2v")


# What `studio models tiny NAME` builds of this family: NAME -> seed -> (pipeline, card).
TINY = {
    "hunyuan15": _tiny_hunyuan15,
    "hunyuan15-i2v": _tiny_hunyuan15_i2v,
}
