"""The demo model's words: its tokenizer and text encoder, and their training stage (train.py's stage 2).

Every token's output is taught the scene's background, object colour, shape, motion and speed by a
linear head dropped afterwards, so which colour is the background is plain in whichever token the
transformer attends to; the encoder is then frozen, as a real model's T5 is."""

from __future__ import annotations

import random
import string
import sys
import time
from pathlib import Path

import torch

from . import world
from .runlog import Log, Progress, adamw, lr_at, optimise, resume, save_checkpoint

TEXT_WIDTH = 128
TEXT_TOKENS = 32  # the card's max_sequence_length: prompts padded to it, as the pipeline pads them
TEXT_STEPS = 1000  # held-out prompts read 100 % right from step 500
TEXT_BATCH = 64


def build_tokenizer():
    """A T5 tokenizer whose pieces are the grammar's whole words (a prompt is about a dozen tokens, far
    under TEXT_TOKENS), with every printable character as a fallback so an unknown word still
    tokenizes. A Unigram vocabulary trained on the sentences split "background" into eight pieces and
    ran prompts past 32 tokens, where the pipeline cuts them off."""
    from transformers import T5Tokenizer

    words = sorted({word for line in world.sentences() for word in line.replace(",", " ").split()})
    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0)]  # T5's order: pad 0, eos 1, unk 2
    vocab += [("\u2581" + word, -1.0) for word in words]
    vocab += [(char, -10.0) for char in ["\u2581", *string.ascii_letters, *string.digits, *string.punctuation]]
    return T5Tokenizer(vocab=vocab, extra_ids=0)


def build_text_encoder(vocab_size: int):
    from transformers import T5Config, T5EncoderModel

    return T5EncoderModel(
        T5Config(
            vocab_size=vocab_size,
            d_model=TEXT_WIDTH,
            d_kv=32,
            d_ff=256,
            num_layers=3,
            num_heads=4,
            relative_attention_num_buckets=16,
            relative_attention_max_distance=TEXT_TOKENS,
            dropout_rate=0.0,
        )
    )


def embed_prompts(tokenizer, text_encoder, prompts: list[str]):
    """The prompts' embeddings and mask, padded to the batch's longest prompt (at most TEXT_TOKENS). The
    pipeline pads to TEXT_TOKENS, but the mask hides padding from the text encoder's attention and from the
    transformer's, so the real tokens' embeddings and the transformer's output are the same: training just
    spends nothing on the padding (with fused AdamW, a video transformer's step about 4 % faster and a first-frame
    one's 18 %: benchmarks/demo_training.md)."""
    tokens = tokenizer(
        prompts,
        padding="longest",
        max_length=TEXT_TOKENS,
        truncation=True,
        add_special_tokens=True,
        return_tensors="pt",
    )
    mask = tokens.attention_mask.bool().to(text_encoder.device)
    return text_encoder(tokens.input_ids.to(text_encoder.device), attention_mask=mask)[0], mask


# What the text encoder's every token learns to tell, and each one's values.
ATTRIBUTES = (
    ("background", tuple(world.COLOURS)),
    ("colour", tuple(world.COLOURS)),
    ("shape", world.SHAPES),
    ("motion", tuple(world.MOTIONS)),
    ("speed", tuple(world.SPEEDS.values())),
)


def scene_labels(scene: world.Scene) -> list[int]:
    """The scene's attributes as class indices; a still shape's speed is not said, so not asked (-100)."""
    return [
        -100 if name == "speed" and scene.motion == "still" else values.index(getattr(scene, name))
        for name, values in ATTRIBUTES
    ]


def text_loss(tokenizer, text_encoder, head, scenes: list[world.Scene], prompts: list[str]):
    """Cross-entropy of every real token's guess at each attribute; returns (loss, accuracy)."""
    out, mask = embed_prompts(tokenizer, text_encoder, prompts)
    logits = head(out)[mask]  # (tokens, all classes)
    counts = mask.sum(1).tolist()
    labels = torch.tensor(
        [scene_labels(sc) for sc, n in zip(scenes, counts, strict=True) for _ in range(n)], device=logits.device
    )
    loss, right, asked, at = 0.0, 0, 0, 0
    for k, (_, values) in enumerate(ATTRIBUTES):
        part = logits[:, at : at + len(values)]
        at += len(values)
        loss = loss + torch.nn.functional.cross_entropy(part, labels[:, k], ignore_index=-100)
        known = labels[:, k] >= 0
        right += int((part.argmax(1) == labels[:, k])[known].sum())
        asked += int(known.sum())
    return loss, right / max(1, asked)


def train_text_encoder(folder: Path, steps: int, log: Log, seed: int, device: str | torch.device = "cpu"):
    """Stage 2: the tokenizer and text encoder, taught the world's attributes from its prompts (training
    combinations only) on `device`; the log's text-probe rows are the accuracy on held-out combinations."""
    tokenizer = build_tokenizer()
    torch.manual_seed(seed)
    text_encoder = build_text_encoder(len(tokenizer)).to(device)
    head = torch.nn.Linear(TEXT_WIDTH, sum(len(values) for _, values in ATTRIBUTES)).to(device)
    params = list(text_encoder.parameters()) + list(head.parameters())
    opt = adamw(params, lr=1e-3, weight_decay=0.01)
    ckpt = folder / "checkpoints" / "text_encoder.pt"
    start, t0 = resume(ckpt, opt, log=log, stage="text", text_encoder=text_encoder, head=head)
    progress = Progress("text encoder", steps, start)
    text_encoder.train()
    for step in range(start, steps):
        rng = random.Random(f"{seed}-text-{step}")
        scenes = [world.random_scene(rng, held=False) for _ in range(TEXT_BATCH)]
        lr = lr_at(step, steps, 1e-3)
        for group in opt.param_groups:
            group["lr"] = lr
        loss, _ = text_loss(tokenizer, text_encoder, head, scenes, [world.describe(sc, rng) for sc in scenes])
        optimise(opt, params, loss)
        progress.show(step, loss.item())
        if step % 20 == 0 or step == steps - 1:
            log.row("text", step, f"{loss.item():.5f}", f"{lr:.2e}", f"{time.monotonic() - t0:.0f}")
        if step % 250 == 0 or step == steps - 1:
            log.row("text-probe", step, f"{text_probe(tokenizer, text_encoder, head, seed):.4f}", "", "")
        if (step + 1) % 250 == 0 or step == steps - 1:
            save_checkpoint(
                ckpt,
                text_encoder=text_encoder.state_dict(),
                head=head.state_dict(),
                optimizer=opt.state_dict(),
                step=step + 1,
                seconds=time.monotonic() - t0,
            )
    print(file=sys.stderr)
    text_encoder.eval().requires_grad_(False)
    return tokenizer, text_encoder


@torch.no_grad()
def text_probe(tokenizer, text_encoder, head, seed: int, count: int = 256) -> float:
    """How often every token tells each attribute right, on prompts of held-out combinations."""
    rng = random.Random(f"{seed}-text-probe")
    scenes = [world.random_scene(rng, held=True) for _ in range(count)]
    was = text_encoder.training
    text_encoder.eval()
    _, accuracy = text_loss(tokenizer, text_encoder, head, scenes, [world.describe(sc, rng) for sc in scenes])
    text_encoder.train(was)
    return accuracy
