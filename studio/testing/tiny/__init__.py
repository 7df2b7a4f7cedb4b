"""Tiny models for tests and for trying the studio without a download.

Real diffusers and transformers classes with tiny configs (those of diffusers' own LTX, Wan and CogVideoX
pipeline tests), random weights from fixed seeds, and a tokenizer trained here on a few sentences,
so nothing is fetched from the network. The output is noise-like video, but every code path of
the real model runs: text encoding, conditioning, denoising, VAE decode.

Wan comes as several folders because its real layouts cannot share a transformer: "wan" is laid out
like Wan 2.2 TI2V 5B (one WanPipeline folder that makes text and first-frame shots, the image
pipeline made from its modules), "wan-i2v" like Wan 2.1 I2V (a WanImageToVideoPipeline folder with a
CLIP image encoder, first-frame shots) and "wan-flf2v" like Wan 2.1 FLF2V (the same, but its
transformer has positions for two images' CLIP tokens and demands a first and a last frame); and
"wan-t2v" like Wan 2.1 T2V 1.3B (a WanPipeline without expand_timesteps: text shots, and clips
remade through WanVideoToVideoPipeline), "wan-vace" like Wan 2.1 VACE (a WanVACEPipeline: every
mode but video to video, and reference images).
CogVideoX comes as four: "cogvideox" like CogVideoX-2b (text shots, and clips remade through the video
pipeline made from its modules), "cogvideox-i2v" like CogVideoX-5b-I2V (first-frame shots at its one
size and length), and "cogvideox-1.5" and "cogvideox-1.5-i2v" like the 1.5 models (temporal patches).
"""

from __future__ import annotations

import json
import math
import os
import string
from pathlib import Path

from ...core.recipe import Mode
from ...engine.cards import FAMILIES, VACE_MODES, Card
from ...engine.weights import CARD_FILE

_SENTENCES = [
    "a red fox runs through the snow at dawn",
    "a cat sits on a wall at sunset, watching the street",
    "waves crash on the rocks under a grey sky",
    "a woman walks down a busy street in the rain",
    "close-up of a candle flame flickering in the dark",
    "the camera pans slowly across a mountain lake",
]


def t5_tokenizer(sentences: list[str] = _SENTENCES, vocab_size: int = 256):
    """A T5 tokenizer whose Unigram vocabulary is trained on a few sentences, with every printable
    character in it so that any prompt tokenizes without falling back to <unk>."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import T5Tokenizer

    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=["<pad>", "</s>", "<unk>"],  # T5's order: pad 0, eos 1, unk 2
        unk_token="<unk>",
        initial_alphabet=list(string.ascii_letters + string.digits + string.punctuation),
    )
    tokenizer = Tokenizer(models.Unigram())
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.train_from_iterator(sentences, trainer)
    vocab = [(piece, score) for piece, score in json.loads(tokenizer.to_str())["model"]["vocab"]]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


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
    text_encoder = _tiny_t5(len(tokenizer), seed)  # its width, 32, is the transformer's caption_channels
    return LTXConditionPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )


def _tiny_limits(step: int, multiple: int) -> dict[str, int]:
    """Frame and size limits every tiny card shares: small defaults, so tests stay fast."""
    return {
        "frame_step": step,
        "max_frames": 16 * step + 1,
        "default_frames": 2 * step + 1,
        "size_multiple": multiple,
        "max_width": 8 * multiple,
        "max_height": 8 * multiple,
        "default_width": 2 * multiple,
        "default_height": 2 * multiple,
    }


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
        **_tiny_limits(step, multiple),
        default_fps=24.0,
        default_steps=2,
        default_guidance=3.0,
        memory_gb=0.1,
        description="Built by `studio models tiny ltx DIR` for tests: coloured noise, fast, on any CPU.",
        call={"max_sequence_length": 32},
    )


def _tiny_t5(vocab_size: int, seed: int, umt5: bool = False):
    """The tiny T5 (or Wan's UMT5) text encoder every family's tiny model uses: 32 wide, so the
    transformers' text widths are 32 too, with weights from the seed."""
    import torch
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    config, model = (UMT5Config, UMT5EncoderModel) if umt5 else (T5Config, T5EncoderModel)
    torch.manual_seed(seed)
    return model(config(vocab_size=vocab_size, d_model=32, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
                        relative_attention_num_buckets=8, dropout_rate=0.0)).eval()


def _wan_text_encoder(seed: int):
    """A tokenizer made here and a tiny UMT5 encoder (Wan's text encoder class) sized for it."""
    tokenizer = t5_tokenizer()
    return tokenizer, _tiny_t5(len(tokenizer), seed, umt5=True)  # 32 wide: the transformer's text_dim


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
        **_tiny_limits(step, multiple),
        default_fps=16.0,
        default_steps=2,
        default_guidance=5.0,
        memory_gb=0.1,
        description=f"Built by `studio models tiny {card_id[5:]} DIR` for tests: noise, fast, on any CPU.",
        call={"max_sequence_length": 32},
    )


def _gemma_tokenizer():
    """A Gemma tokenizer (LTX-2's text encoder is Gemma 3) whose BPE vocabulary is trained here on a
    few sentences, with every printable character in it so that any prompt tokenizes."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import GemmaTokenizer

    trainer = trainers.BpeTrainer(
        vocab_size=256,
        special_tokens=["<pad>", "<eos>", "<bos>", "<unk>", "<mask>"],  # Gemma's order: pad 0, eos 1, bos 2
        initial_alphabet=list(string.ascii_letters + string.digits + string.punctuation),
    )
    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()  # Gemma marks word starts with ▁ as well
    tokenizer.train_from_iterator(_SENTENCES, trainer)
    model = json.loads(tokenizer.to_str())["model"]
    return GemmaTokenizer(vocab=model["vocab"], merges=[tuple(m) for m in model["merges"]])


def build_ltx2_pipeline(seed: int = 0):
    """An LTX2ConditionPipeline with tiny components (diffusers' own LTX-2 test sizes), the same on every
    call for the same seed: a Gemma 3 text encoder with a small vision tower, the text connectors, a
    video VAE compressing 4x in space and time, the audio VAE, the vocoder and the audio-video
    transformer. The vocoder upsamples its mel frames to a real rate (16 kHz), so the sound is as
    long as the video."""
    import torch
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2ConditionPipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors, LTX2Vocoder
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    tokenizer = _gemma_tokenizer()
    hidden, layers = 32, 2
    torch.manual_seed(seed)
    text = {
        "vocab_size": len(tokenizer), "hidden_size": hidden, "intermediate_size": 64, "num_hidden_layers": layers,
        "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 16, "max_position_embeddings": 512,
        "sliding_window": 64, "pad_token_id": tokenizer.pad_token_id, "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    # 28 / 14 = 2 patches a side and 4 tokens an image: the smallest vision tower Gemma 3 accepts.
    vision = {"hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2,
              "image_size": 28, "patch_size": 14}
    config = Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=4,
                          image_token_index=tokenizer.convert_tokens_to_ids("<mask>"))
    text_encoder = Gemma3ForConditionalGeneration(config).eval()
    torch.manual_seed(seed)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4, out_channels=4, patch_size=1, patch_size_t=1, num_attention_heads=2, attention_head_dim=8,
        cross_attention_dim=16, audio_in_channels=4, audio_out_channels=4, audio_num_attention_heads=2,
        audio_attention_head_dim=4, audio_cross_attention_dim=8, num_layers=2, qk_norm="rms_norm_across_heads",
        caption_channels=hidden, rope_double_precision=False, rope_type="split",
    )
    torch.manual_seed(seed)
    connectors = LTX2TextConnectors(
        caption_channels=hidden, text_proj_in_factor=layers + 1,  # every hidden state, embeddings included
        video_connector_num_attention_heads=4, video_connector_attention_head_dim=8, video_connector_num_layers=1,
        video_connector_num_learnable_registers=None, audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8, audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None, connector_rope_base_seq_len=32, rope_theta=10000.0,
        rope_double_precision=False, causal_temporal_positioning=False, rope_type="split",
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLLTX2Video(
        in_channels=3, out_channels=3, latent_channels=4, block_out_channels=(8, 8), decoder_block_out_channels=(8, 8),
        layers_per_block=(1, 1, 1), decoder_layers_per_block=(1, 1, 1), spatio_temporal_scaling=(True, True),
        decoder_spatio_temporal_scaling=(True, True), decoder_inject_noise=(False, False, False),
        downsample_type=("spatiotemporal", "spatiotemporal"), upsample_type=("spatiotemporal", "spatiotemporal"),
        upsample_residual=(False, False), upsample_factor=(1, 1), timestep_conditioning=False, patch_size=1,
        patch_size_t=1, encoder_causal=True, decoder_causal=False,
    )
    torch.manual_seed(seed)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4, output_channels=2, ch_mult=(1,), num_res_blocks=1, attn_resolutions=None, in_channels=2,
        resolution=32, latent_channels=2, norm_type="pixel", causality_axis="height", dropout=0.0,
        mid_block_add_attention=False, sample_rate=16000, mel_hop_length=160, is_causal=True, mel_bins=8,
    )
    torch.manual_seed(seed)
    vocoder = LTX2Vocoder(  # 8 x 5 x 4 = 160 samples a mel frame: the hop, so 16 kHz out
        in_channels=audio_vae.config.output_channels * audio_vae.config.mel_bins, hidden_channels=32, out_channels=2,
        upsample_kernel_sizes=[16, 10, 8], upsample_factors=[8, 5, 4], resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]], leaky_relu_negative_slope=0.1, output_sampling_rate=16000,
    )
    return LTX2ConditionPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        audio_vae=audio_vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        connectors=connectors,
        transformer=transformer,
        vocoder=vocoder,
    )


def tiny_ltx2_card(pipe) -> Card:
    """The tiny LTX-2 model's card, its frame rule and size multiple read off the built pipeline."""
    from ...engine.cards import LTX2_MODES

    step = pipe.vae_temporal_compression_ratio
    multiple = math.lcm(FAMILIES["ltx2"].size_multiple, pipe.vae_spatial_compression_ratio)
    return Card(
        id="tiny-ltx2",
        name="Tiny LTX-2, video with sound (test model, random weights)",
        family="ltx2",
        pipeline="LTX2ConditionPipeline",
        modes=LTX2_MODES,
        **_tiny_limits(step, multiple),
        default_fps=24.0,
        default_steps=2,
        default_guidance=3.0,
        memory_gb=0.1,
        description="Built by `studio models tiny ltx2 DIR` for tests: noise and hiss, fast, on any CPU.",
        # Its two blocks: spatio-temporal guidance perturbs the last (the pipeline's default, 28, is past them).
        call={"max_sequence_length": 32, "spatio_temporal_guidance_blocks": [1]},
    )


def build_ltx_upsampler_pipeline(seed: int = 0):
    """An LTXLatentUpsamplePipeline laid out like Lightricks/ltxv-spatial-upscaler-0.9.7 (a VAE and a
    latent upsampler that doubles the width and height), sized for the tiny LTX model's 8-channel latents."""
    import torch
    from diffusers import LTXLatentUpsamplePipeline
    from diffusers.pipelines.ltx.modeling_latent_upsampler import LTXLatentUpsamplerModel

    vae = build_ltx_pipeline(seed).vae  # the tiny LTX model's own VAE, as the real repo carries 0.9.7's
    torch.manual_seed(seed)
    upsampler = LTXLatentUpsamplerModel(in_channels=vae.config.latent_channels, mid_channels=32,
                                        num_blocks_per_stage=1)
    return LTXLatentUpsamplePipeline(vae=vae, latent_upsampler=upsampler)


def tiny_ltx_upsampler_card() -> Card:
    return Card(
        id="tiny-ltx-upsampler",
        name="Tiny LTX latent upsampler (test model, random weights)",
        family="ltx",
        pipeline="LTXLatentUpsamplePipeline",
        modes=(),
        **_tiny_limits(1, FAMILIES["ltx"].size_multiple),
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
        card, id=f"{card.id}-two-pass", name=f"{card.name}, two passes",
        multiscale={"upsampler": upsampler, "first_pass_scale": 2 / 3, "refine_steps": 2, "refine_strength": 0.5},
    )


def _tiny_ltx_upsampler(seed: int):
    return build_ltx_upsampler_pipeline(seed), tiny_ltx_upsampler_card()


def _tiny_ltx2(seed: int):
    pipe = build_ltx2_pipeline(seed)
    return pipe, tiny_ltx2_card(pipe)


TINY_LTX2_LORA = "tiny-ltx2-distilled-lora.safetensors"


def tiny_ltx2_two_pass_card(card: Card) -> Card:
    """The tiny LTX-2 model's card with LTX-2's two-stage recipe (models/ltx-2.toml's [multiscale]): for testing
    the two-pass path with its own latent_upsampler/ folder and LoRA file."""
    import dataclasses

    from diffusers.pipelines.ltx2.utils import STAGE_2_DISTILLED_SIGMA_VALUES

    return dataclasses.replace(
        card, id=f"{card.id}-two-pass", name=f"{card.name}, two passes",
        description="Built by `studio models tiny ltx2-two-pass DIR` for tests: LTX-2's two passes, tiny.",
        multiscale={"upsampler_subfolder": "latent_upsampler", "first_pass_scale": 0.5, "lora": TINY_LTX2_LORA,
                    "refine_sigmas": list(STAGE_2_DISTILLED_SIGMA_VALUES), "refine_guidance": 1.0},
    )


def save_ltx2_two_pass_parts(folder: Path, pipe, seed: int = 0) -> None:
    """Beside a tiny LTX-2 model's components, what its two passes need, laid out as Lightricks/LTX-2 has
    them: a latent_upsampler/ folder (an LTX2LatentUpsamplerModel for its latents) and, at the top, the
    refine's LoRA (rank 2 on the transformer blocks' attention projections), in the diffusers LoRA format
    load_lora_weights reads ("transformer.<module>.lora_A/B.weight"), as safetensors."""
    import torch
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from safetensors.torch import save_file

    torch.manual_seed(seed)
    upsampler = LTX2LatentUpsamplerModel(in_channels=pipe.vae.config.latent_channels, mid_channels=32,
                                         num_blocks_per_stage=1)
    upsampler.save_pretrained(folder / "latent_upsampler", safe_serialization=True)
    rank, weights = 2, {}
    for name, module in pipe.transformer.named_modules():
        if name.startswith("transformer_blocks.") and name.endswith((".attn1.to_q", ".attn1.to_k", ".attn1.to_v")):
            weights[f"transformer.{name}.lora_A.weight"] = torch.randn(rank, module.in_features) * 0.1
            weights[f"transformer.{name}.lora_B.weight"] = torch.randn(module.out_features, rank) * 0.1
    save_file(weights, str(folder / TINY_LTX2_LORA))


def _tiny_ltx2_two_pass(seed: int):
    pipe = build_ltx2_pipeline(seed)
    return pipe, tiny_ltx2_two_pass_card(tiny_ltx2_card(pipe))


def _tiny_ltx(seed: int):
    pipe = build_ltx_pipeline(seed)
    return pipe, tiny_ltx_card(pipe)


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


def _qwen_tokenizer():
    """A Qwen2 byte-level BPE tokenizer trained here on a few sentences, with every byte in its
    alphabet (any prompt tokenizes) and a ChatML template like Qwen2.5-VL's. Its template prefix (the
    system message) is longer than the 108 tokens HunyuanVideo 1.5 crops off, so the prompt always
    reaches the text encoder."""
    from tokenizers import AddedToken, Tokenizer, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=400, special_tokens=specials, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.train_from_iterator(_SENTENCES, trainer)
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tokenizer = Qwen2Tokenizer(vocab=model["vocab"], merges=merges)
    tokenizer.add_tokens([AddedToken(t, special=True) for t in specials[1:]])
    tokenizer.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    return tokenizer


def _hunyuan15_components(seed: int, image_embed_dim: int) -> dict:
    """HunyuanVideo 1.5's modules in miniature (the sizes of diffusers' own pipeline test): a Qwen2.5-VL
    text model and a ByT5-style T5 glyph encoder, the transformer, and a VAE that compresses 4x in
    space and 4x in time (frames 4k+1, as the real one's 16x / 4x)."""
    import torch
    from diffusers import AutoencoderKLHunyuanVideo15, FlowMatchEulerDiscreteScheduler, HunyuanVideo15Transformer3DModel
    from diffusers.guiders import ClassifierFreeGuidance
    from transformers import ByT5Tokenizer, Qwen2_5_VLTextConfig, Qwen2_5_VLTextModel

    tokenizer = _qwen_tokenizer()
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
    text_encoder_2 = _tiny_t5(len(tokenizer_2), seed)  # 32 wide: the transformer's text_embed_2_dim
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
    siglip = SiglipVisionConfig(hidden_size=_SIGLIP_HIDDEN, intermediate_size=24, num_hidden_layers=2,
                                num_attention_heads=2, image_size=32, patch_size=8)
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
        **_tiny_limits(step, multiple),
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
    return tokenizer, _tiny_t5(len(tokenizer), seed)  # 32 wide: the transformer's text_embed_dim


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
    limits = _tiny_limits(step, multiple)
    spatial = pipe.vae_scale_factor_spatial
    if config.use_learned_positional_embeddings:
        width, height = config.sample_width * spatial, config.sample_height * spatial
        limits.update(max_frames=config.sample_frames, default_frames=config.sample_frames, max_width=width,
                      max_height=height, default_width=width, default_height=height)
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


def build_tiny_expander(folder: str | os.PathLike[str], seed: int = 0) -> Path:
    """A tiny random-weight causal language model with a locally trained tokenizer and a chat
    template, for prompt expansion's tests: real transformers classes, gibberish out (at least 12
    tokens of it, so there is always something to show)."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    folder = Path(folder)
    if (folder / "config.json").exists():
        raise FileExistsError(f"{folder} already holds a model")
    specials = ["<pad>", "<s>", "</s>", "<unk>"]
    trainer = trainers.BpeTrainer(vocab_size=300, special_tokens=specials,
                                  initial_alphabet=list(string.ascii_letters + string.digits + string.punctuation))
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(_SENTENCES * 3, trainer)
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", bos_token="<s>",
                                        eos_token="</s>", unk_token="<unk>")
    tokenizer.chat_template = (
        "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
        "{% if add_generation_prompt %}<s>assistant: {% endif %}"
    )
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=1024,
                         pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id)
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(min_new_tokens=12, max_new_tokens=40,
                                               eos_token_id=tokenizer.eos_token_id,
                                               pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


# What `studio models tiny NAME` can build: NAME -> seed -> (pipeline, card). (The prompt expander,
# `studio models tiny expander DIR`, is a language model, built by build_tiny_expander.)
TINY = {
    "ltx": _tiny_ltx,
    "ltx-upsampler": _tiny_ltx_upsampler,
    "ltx2": _tiny_ltx2,
    "ltx2-two-pass": _tiny_ltx2_two_pass,
    "wan": _tiny_wan,
    "wan-i2v": _tiny_wan_i2v,
    "wan-flf2v": _tiny_wan_flf2v,
    "hunyuan15": _tiny_hunyuan15,
    "hunyuan15-i2v": _tiny_hunyuan15_i2v,
    "cogvideox": _tiny_cogvideox,
    "cogvideox-i2v": _tiny_cogvideox_i2v,
    "cogvideox-1.5": _tiny_cogvideox_15,
    "cogvideox-1.5-i2v": _tiny_cogvideox_15_i2v,
    "wan-t2v": _tiny_wan_t2v,
    "wan-vace": _tiny_wan_vace,
}


def build_tiny(family: str, folder: str | os.PathLike[str], seed: int = 0) -> Path:
    """Build a family's tiny model into a folder with save_pretrained, plus its studio card."""
    if family == "expander":
        return build_tiny_expander(folder, seed)
    if family not in TINY:
        raise ValueError(f"no tiny model for the family {family!r} (there is one for: {', '.join(TINY)}, expander)")
    folder = Path(folder)
    if (folder / "model_index.json").exists():
        raise FileExistsError(f"{folder} already holds a model")
    pipe, card = TINY[family](seed)
    pipe.save_pretrained(folder, safe_serialization=True)
    if family == "ltx2-two-pass":
        save_ltx2_two_pass_parts(folder, pipe, seed)
    (folder / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    return folder


def save_chat_tokenizer(folder: str | os.PathLike[str]) -> Path:
    """HunyuanVideo 1.5's tokenizer in miniature (a Qwen2 BPE with a ChatML template), saved as this
    transformers saves it: tokenizer.json, tokenizer_config.json and, since 4.5x, the template only
    in chat_template.jinja. For the tests of what a download keeps and what the folder check asks."""
    folder = Path(folder)
    _qwen_tokenizer().save_pretrained(folder)
    return folder


if __name__ == "__main__":  # python -m studio.testing.tiny FAMILY DIR, without the CLI
    import sys

    print(build_tiny(sys.argv[1], sys.argv[2]))
