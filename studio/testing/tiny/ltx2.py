"""The tiny LTX-2 model (picture and sound) and its two-pass parts."""

from __future__ import annotations

import json
import math
import string
from pathlib import Path

from ...engine.cards import FAMILIES, Card
from .common import SENTENCES, tiny_limits


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
    tokenizer.train_from_iterator(SENTENCES, trainer)
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
        "vocab_size": len(tokenizer),
        "hidden_size": hidden,
        "intermediate_size": 64,
        "num_hidden_layers": layers,
        "num_attention_heads": 2,
        "num_key_value_heads": 1,
        "head_dim": 16,
        "max_position_embeddings": 512,
        "sliding_window": 64,
        "pad_token_id": tokenizer.pad_token_id,
        "bos_token_id": tokenizer.bos_token_id,
        "eos_token_id": tokenizer.eos_token_id,
    }
    # 28 / 14 = 2 patches a side and 4 tokens an image: the smallest vision tower Gemma 3 accepts.
    vision = {
        "hidden_size": 16,
        "intermediate_size": 32,
        "num_hidden_layers": 1,
        "num_attention_heads": 2,
        "image_size": 28,
        "patch_size": 14,
    }
    config = Gemma3Config(
        text_config=text,
        vision_config=vision,
        mm_tokens_per_image=4,
        image_token_index=tokenizer.convert_tokens_to_ids("<mask>"),
    )
    text_encoder = Gemma3ForConditionalGeneration(config).eval()
    torch.manual_seed(seed)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=2,
        qk_norm="rms_norm_across_heads",
        caption_channels=hidden,
        rope_double_precision=False,
        rope_type="split",
    )
    torch.manual_seed(seed)
    connectors = LTX2TextConnectors(
        caption_channels=hidden,
        text_proj_in_factor=layers + 1,  # every hidden state, embeddings included
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
        rope_type="split",
    )
    torch.manual_seed(seed)
    vae = AutoencoderKLLTX2Video(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8, 8),
        decoder_block_out_channels=(8, 8),
        layers_per_block=(1, 1, 1),
        decoder_layers_per_block=(1, 1, 1),
        spatio_temporal_scaling=(True, True),
        decoder_spatio_temporal_scaling=(True, True),
        decoder_inject_noise=(False, False, False),
        downsample_type=("spatiotemporal", "spatiotemporal"),
        upsample_type=("spatiotemporal", "spatiotemporal"),
        upsample_residual=(False, False),
        upsample_factor=(1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    torch.manual_seed(seed)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )
    torch.manual_seed(seed)
    vocoder = LTX2Vocoder(  # 8 x 5 x 4 = 160 samples a mel frame: the hop, so 16 kHz out
        in_channels=audio_vae.config.output_channels * audio_vae.config.mel_bins,
        hidden_channels=32,
        out_channels=2,
        upsample_kernel_sizes=[16, 10, 8],
        upsample_factors=[8, 5, 4],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=16000,
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
        **tiny_limits(step, multiple),
        default_fps=24.0,
        default_steps=2,
        default_guidance=3.0,
        memory_gb=0.1,
        description="Built by `studio models tiny ltx2 DIR` for tests: noise and hiss, fast, on any CPU.",
        # Its two blocks: spatio-temporal guidance perturbs the last (the pipeline's default, 28, is past them).
        call={"max_sequence_length": 32, "spatio_temporal_guidance_blocks": [1]},
    )


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
        card,
        id=f"{card.id}-two-pass",
        name=f"{card.name}, two passes",
        description="Built by `studio models tiny ltx2-two-pass DIR` for tests: LTX-2's two passes, tiny.",
        multiscale={
            "upsampler_subfolder": "latent_upsampler",
            "first_pass_scale": 0.5,
            "lora": TINY_LTX2_LORA,
            "refine_sigmas": list(STAGE_2_DISTILLED_SIGMA_VALUES),
            "refine_guidance": 1.0,
        },
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
    upsampler = LTX2LatentUpsamplerModel(
        in_channels=pipe.vae.config.latent_channels, mid_channels=32, num_blocks_per_stage=1
    )
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


# What `studio models tiny NAME` builds of this family: NAME -> seed -> (pipeline, card).
TINY = {
    "ltx2": _tiny_ltx2,
    "ltx2-two-pass": _tiny_ltx2_two_pass,
}
