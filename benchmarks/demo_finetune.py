"""How the shipped demo model was carried into the world of bigger shapes (world.SIZE 0.2, 2026-12-07): the model
before it trained on from where it stood, not from scratch (`studio models train-demo` trains from scratch).

    python benchmarks/demo_finetune.py BASE OUT [--threads N]

BASE: the model before, e.g. `git archive ebcdea8 studio/models/demo | tar -x -C /tmp/base` (the twelfth, made for
shapes 0.13 across). Two stages, each checkpointed in OUT/checkpoints (run it again to resume):

1. The transformer: three of the recipe's last cycles (train.transformer_loss's steps 21000-30000, seed 1, a fresh
   AdamW, the recipe's warm restarts, compiled) on a bank of train.BANK clips of today's world, encoded by BASE's
   VAE. 0.2 s a step on two threads of the 2-core workplace (about 30 minutes).
2. The VAE's decoder alone: 2000 steps of the recipe's join cycle (vae_stage.vae_loss: every other step single frames,
   else 17-frame clips; seed 7), its encoder frozen, so the latents the transformer learnt are the same. About
   0.5 s a step on one thread.

OUT is then BASE with the new transformer and decoder, and its preview colours fitted again (benchmarks/
demo_training.md, *Bigger shapes*, has what each stage measured).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402

from studio.demo import bank as banks  # noqa: E402
from studio.demo import train, vae_stage  # noqa: E402
from studio.demo.runlog import lr_at, optimise, resume, save_checkpoint  # noqa: E402

FIRST, LAST = 21000, 30000  # the recipe's eighth cycle's steps, three times over (its warm restarts)
DECODER_STEPS = 2000


def transformer_cycles(pipe, checkpoints: Path) -> None:
    bank_file = checkpoints / "bank.pt"
    if not bank_file.exists():
        save_checkpoint(bank_file, **banks.encode_bank(pipe.vae.eval(), banks.BANK, 0))
    bank = torch.load(bank_file, weights_only=False)  # our own file, written just above (as train.py's)
    transformer, ckpt = pipe.transformer, checkpoints / "transformer.pt"
    opt = torch.optim.AdamW(transformer.parameters(), lr=5e-4, weight_decay=0.01)
    start = resume(ckpt, opt, model=transformer)[0] or FIRST
    transformer.train()
    run, t0 = torch.compile(transformer, dynamic=True), time.monotonic()
    for step in range(start, LAST):
        lr = lr_at(step % train.TRANSFORMER_CYCLE, train.TRANSFORMER_CYCLE, 5e-4)
        for group in opt.param_groups:
            group["lr"] = lr
        loss = train.transformer_loss(bank, run, pipe.tokenizer, pipe.text_encoder, step, 1)
        optimise(opt, transformer.parameters(), loss)
        if step % 50 == 0:
            print("transformer", step, f"{loss.item():.4f}", f"{lr:.2e}", f"{time.monotonic() - t0:.0f}", flush=True)
        if (step + 1) % 250 == 0 or step == LAST - 1:
            save_checkpoint(ckpt, model=transformer.state_dict(), optimizer=opt.state_dict(), step=step + 1)
    transformer.eval()


def decoder_cycle(vae, checkpoints: Path) -> None:
    for p in vae.encoder.parameters():
        p.requires_grad_(False)
    params = [p for p in vae.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=vae_stage.VAE_LR / 2, weight_decay=0.0, betas=(0.9, 0.99))
    ckpt = checkpoints / "decoder.pt"
    start, _ = resume(ckpt, opt, model=vae)
    vae.train()
    vae.encoder.eval()
    join_from, t0 = vae_stage.vae_join_from(vae_stage.VAE_STEPS), time.monotonic()
    for i in range(start, DECODER_STEPS):
        lr = lr_at(i, DECODER_STEPS, vae_stage.VAE_LR / 2)
        for group in opt.param_groups:
            group["lr"] = lr
        loss = vae_stage.vae_loss(vae, join_from + i, vae_stage.VAE_STEPS, 7)  # the join cycle's batches
        optimise(opt, params, loss)
        if i % 20 == 0:
            print("decoder", i, f"{loss.item():.5f}", f"{lr:.2e}", f"{time.monotonic() - t0:.0f}", flush=True)
        if (i + 1) % 200 == 0 or i == DECODER_STEPS - 1:
            save_checkpoint(ckpt, model=vae.state_dict(), optimizer=opt.state_dict(), step=i + 1)
    vae.eval()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    from diffusers import LTXConditionPipeline

    pipe = LTXConditionPipeline.from_pretrained(args.base, torch_dtype=torch.float32)
    checkpoints = args.out / "checkpoints"
    checkpoints.mkdir(parents=True, exist_ok=True)
    transformer_cycles(pipe, checkpoints)
    decoder_cycle(pipe.vae, checkpoints)
    model = args.out / "demo"
    shutil.rmtree(model, ignore_errors=True)
    train.save_pipeline(model, pipe.vae, pipe.tokenizer, pipe.text_encoder, pipe.transformer)
    for config in model.glob("*/config.json"):  # where BASE lay on this machine: not the model's business
        settings = json.loads(config.read_text())
        settings.pop("_name_or_path", None)
        config.write_text(json.dumps(settings, indent=2, sort_keys=True) + "\n")
    print("saved", model)


if __name__ == "__main__":
    main()
