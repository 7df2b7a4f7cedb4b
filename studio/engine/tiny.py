"""Tiny models for tests and for trying the studio without a download.

Real diffusers and transformers classes with tiny configs (those of diffusers' own LTX condition
pipeline test), random weights from fixed seeds, and a tokenizer trained here on a few sentences,
so nothing is fetched from the network. The output is noise-like video, but every code path of
the real model runs: text encoding, conditioning, denoising, VAE decode.
"""

from __future__ import annotations

import json
import math
import os
import string
from pathlib import Path

from ..core.recipe import Mode
from .cards import FAMILIES, Card
from .weights import CARD_FILE

_SENTENCES = [
    "a red fox runs through the snow at dawn",
    "a cat sits on a wall at sunset, watching the street",
    "waves crash on the rocks under a grey sky",
    "a woman walks down a busy street in the rain",
    "close-up of a candle flame flickering in the dark",
    "the camera pans slowly across a mountain lake",
]


def _tokenizer():
    """A T5 tokenizer whose Unigram vocabulary is trained on a few sentences, with every printable
    character in it so that any prompt tokenizes without falling back to <unk>."""
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import T5Tokenizer

    trainer = trainers.UnigramTrainer(
        vocab_size=256,
        special_tokens=["<pad>", "</s>", "<unk>"],  # T5's order: pad 0, eos 1, unk 2
        unk_token="<unk>",
        initial_alphabet=list(string.ascii_letters + string.digits + string.punctuation),
    )
    tokenizer = Tokenizer(models.Unigram())
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    tokenizer.train_from_iterator(_SENTENCES, trainer)
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
    from transformers import T5Config, T5EncoderModel

    tokenizer = _tokenizer()
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
    torch.manual_seed(seed)
    # d_model must match the transformer's caption_channels.
    config = T5Config(
        vocab_size=len(tokenizer),
        d_model=32,
        d_kv=8,
        d_ff=64,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        dropout_rate=0.0,
    )
    text_encoder = T5EncoderModel(config).eval()
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
        modes=(Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO),
        frame_step=step,
        max_frames=16 * step + 1,
        default_frames=2 * step + 1,
        size_multiple=multiple,
        max_width=8 * multiple,
        max_height=8 * multiple,
        default_width=2 * multiple,
        default_height=2 * multiple,
        default_fps=24.0,
        default_steps=2,
        default_guidance=3.0,
        memory_gb=0.1,
        description="Built by `studio models tiny ltx DIR` for tests: coloured noise, fast, on any CPU.",
        call={"max_sequence_length": 32},
    )


def build_tiny(family: str, folder: str | os.PathLike[str], seed: int = 0) -> Path:
    """Build a family's tiny model into a folder with save_pretrained, plus its studio card."""
    if family != "ltx":
        raise ValueError(f"no tiny model for the family {family!r} (there is one for: ltx)")
    folder = Path(folder)
    if (folder / "model_index.json").exists():
        raise FileExistsError(f"{folder} already holds a model")
    pipe = build_ltx_pipeline(seed)
    pipe.save_pretrained(folder, safe_serialization=True)
    (folder / CARD_FILE).write_text(tiny_ltx_card(pipe).to_toml(), encoding="utf-8")
    return folder
