"""What every family's tiny model shares: tokenizers trained here, the tiny T5, the cards' small limits."""

from __future__ import annotations

import json
import string

SENTENCES = [
    "a red fox runs through the snow at dawn",
    "a cat sits on a wall at sunset, watching the street",
    "waves crash on the rocks under a grey sky",
    "a woman walks down a busy street in the rain",
    "close-up of a candle flame flickering in the dark",
    "the camera pans slowly across a mountain lake",
]


def t5_tokenizer(sentences: list[str] = SENTENCES, vocab_size: int = 256):
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


def tiny_limits(step: int, multiple: int) -> dict[str, int]:
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


def tiny_t5(vocab_size: int, seed: int, umt5: bool = False):
    """The tiny T5 (or Wan's UMT5) text encoder every family's tiny model uses: 32 wide, so the
    transformers' text widths are 32 too, with weights from the seed."""
    import torch
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    config, model = (UMT5Config, UMT5EncoderModel) if umt5 else (T5Config, T5EncoderModel)
    torch.manual_seed(seed)
    return model(
        config(
            vocab_size=vocab_size,
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_heads=4,
            relative_attention_num_buckets=8,
            dropout_rate=0.0,
        )
    ).eval()


def qwen_tokenizer():
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
    bpe.train_from_iterator(SENTENCES, trainer)
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m) if isinstance(m, list) else tuple(m.split(" ")) for m in model["merges"]]
    tokenizer = Qwen2Tokenizer(vocab=model["vocab"], merges=merges)
    tokenizer.add_tokens([AddedToken(t, special=True) for t in specials[1:]])
    tokenizer.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    return tokenizer
