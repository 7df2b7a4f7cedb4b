"""The tiny prompt expander (a causal language model with a chat template) and a chat tokenizer."""

from __future__ import annotations

import os
import string
from pathlib import Path

from .common import SENTENCES, qwen_tokenizer


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
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        special_tokens=specials,
        initial_alphabet=list(string.ascii_letters + string.digits + string.punctuation),
    )
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(SENTENCES * 3, trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", bos_token="<s>", eos_token="</s>", unk_token="<unk>"
    )
    tokenizer.chat_template = (
        "{% for m in messages %}<s>{{ m['role'] }}: {{ m['content'] }}</s>{% endfor %}"
        "{% if add_generation_prompt %}<s>assistant: {% endif %}"
    )
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=1024,
        pad_token_id=tokenizer.pad_token_id,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
    )
    model = LlamaForCausalLM(config)
    model.generation_config = GenerationConfig(
        min_new_tokens=12, max_new_tokens=40, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    return folder


def save_chat_tokenizer(folder: str | os.PathLike[str]) -> Path:
    """HunyuanVideo 1.5's tokenizer in miniature (a Qwen2 BPE with a ChatML template), saved as this
    transformers saves it: tokenizer.json, tokenizer_config.json and, since 4.5x, the template only
    in chat_template.jinja. For the tests of what a download keeps and what the folder check asks."""
    folder = Path(folder)
    qwen_tokenizer().save_pretrained(folder)
    return folder
