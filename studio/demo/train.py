"""Trains the demo model: `studio models train-demo DIR`, seeded and resumable.

Four stages, each checkpointed in DIR/checkpoints so a killed run goes on where it stopped:

1. The VAE (vae_stage.py: diffusers' AutoencoderKLLTXVideo in LTX-Video 0.9.5's layout, 32x in space, 8x in time,
   32 latent channels) learns to encode and decode the world's frames, then clips, then in a second
   cycle longer clips where two latent frames meet; pixels on and around the shape weigh five times
   the plain background, which would otherwise win. The main cycle's first steps are on 64x64 crops on the
   shape (vae_cropped), a quarter of the pixels; its last ones and the join cycle on whole frames. Its latents'
   per-channel mean and spread are then measured and stored in its latents_mean/latents_std, as the pipeline
   normalises with them.
2. The text encoder (a small T5, text.py) learns the world's words: every token's output is trained to tell
   the background, the object's colour, its shape, motion and speed, so which colour is the
   background is plain in whichever token the transformer attends to. Trained jointly with the
   transformer instead, it never did (the first shipped model mixed the two colours up and mostly
   left the shape out: benchmarks/demo_training_early.md). It is then frozen, as real models' T5 is.
3. The transformer (LTXVideoTransformer3DModel) learns flow
   matching on latents of the world's clips (encoded once, into a bank: bank.py), the way
   LTXConditionPipeline uses them (pipeline_ltx_condition.py, prepare_latents and the denoising
   loop): the first latent frames given clean (image to video, extend, a long shot's carried
   overlap: their timestep 0, the rest noised), and extra clean tokens placed at any frame index
   with the pipeline's own video coordinates (keyframes, a last frame, the far side of extend
   backward and connect). The loss is on the tokens the pipeline denoises. One prompt in ten is
   dropped to "" so guidance has an unconditional prediction to push from. A quarter of the batches
   are of 49-frame clips, so a shot can be longer than the default in one go. From the third cycle on one
   batch in ten is of loops (the way back from a clip's end to its start, which no clip of the world shows).
   In the last cycle one batch in ten is of video to video: the clip noised where a strength starts it,
   and the straight way from there to the same clip in the prompt's colour; and one in five of late
   entries and exits: the frame empty over the given first latent frames, then the shape coming in from its
   edge, or the shape leaving in them and the frame empty after it (a long shot's window after or as the shape
   left drew it anew mid-frame). Four warm-restart cycles, no batch a shot from text alone (the first-frame
   transformer draws that shot's first frame): half the shipped model's, measured in benchmarks/demo_training.md
   ("Half the video transformer's steps"). The stage runs
   compiled (torch.compile) when it is long enough to pay for the compile.
4. The first-frame transformer (first_frame.py), the same layout trained on one-frame shots: text to video's
   first frame, which the video transformer then animates (its squares came out round when it drew the
   shot from text alone).

The result is an LTXConditionPipeline saved with save_pretrained in safetensors (float16, to stay
small), loaded by the studio's own loader like any downloaded model.

Every stage runs on the device asked for (`--device`: a CUDA GPU where there is one), each step's batch drawn
on the CPU as before, so a GPU trains on the CPU run's batches; the bank stays on the CPU.

The shipped model in studio/models/demo/ was made by an earlier form of these stages: eight cycles of the video
transformer with text alone among its batches, its cycles four to eight run on from the fourth model's three, then
a ninth with the video-to-video batches, a tenth and an eleventh with those and the late entries, and a twelfth with
late exits in place of every other late entry, drawn apart from its bank (the command draws them in its bank), in
a world of smaller shapes (world.SIZE 0.13); then, in today's world, three more cycles of the last one's batches
and one of the VAE's decoder alone, its encoder and so the latents the transformer learnt kept
(benchmarks/demo_finetune.py). Its first-frame transformer is the fourth stage's, run on that VAE and text encoder
(benchmarks/demo_first_frame.py). From scratch the command took 89 minutes on two cores of a recent AMD EPYC
(benchmarks/demo_training.md; benchmarks/demo_training_speed.py times each phase on a machine).
benchmarks/demo_training.md has the runs (steps, loss, time, machine), how far two runs of them differ, and what
was tried before (the earliest in demo_training_early.md).
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch

from ..engine.runtime.loader import PREVIEW_COLOURS
from . import text, world
from .bank import BANK, FRAMES, HEIGHT, WIDTH, coordinates, encode_bank, encode_clips, pack
from .first_frame import FIRST_FRAME_STEPS, FIRST_FRAMES, encode_first_frames, train_first_frame
from .runlog import Log, Progress, adamw, lr_at, optimise, resume, save_checkpoint
from .vae_stage import LATENT_CHANNELS, VAE_STEPS, measure_latents, train_vae

# Where the restyles' ways start (noise; the shipped model's). On the card's even schedule (demo.toml
# [flow_shift]) a strength starts at its own noise (0.3 at 0.3), which the ways' later points cover.
RESTYLE_NOISE = (0.35, 0.9)
# Four cycles: with text to video made in two steps (first_frame.py), the video transformer only carries given
# frames on, and half the eight cycles' steps did every mode of the quality table as well as the shipped model but
# video to video, its colour 90 % against 100 (benchmarks/demo_training.md, "Half the video transformer's steps").
TRANSFORMER_STEPS = 12000
TRANSFORMER_CYCLE = 3000
# Compiled, a step took 0.14 s against 0.18 s, after about 2.3 minutes of compiling (the first time on a
# machine; inductor keeps the code on disk): worth it only for a long stage.
COMPILE_FROM = 4000
# Loop batches from the third cycle on: trained from the start they cost connect and text to video what they
# gave loops; on a model that has learnt the rest they cost nothing (benchmarks/demo_training*.md).
LOOPS_FROM = 6000
# Video-to-video batches in the last cycle only, on a model that has learnt the rest (the shipped model had
# them in a ninth cycle after eight without).
RESTYLE_FROM = 9000
# Late entries and exits in the last cycle too (the shipped model had the entries in a tenth and an eleventh cycle,
# after the video-to-video one, and the exits in a twelfth).
LATE_FROM = 9000
BATCH = 24
SEED = 0
FIRST_FRAME_FOLDER = "first_frame"  # demo.toml's [first_frame] transformer


def build_transformer():
    from diffusers import LTXVideoTransformer3DModel

    return LTXVideoTransformer3DModel(
        in_channels=LATENT_CHANNELS,
        out_channels=LATENT_CHANNELS,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=32,
        cross_attention_dim=128,
        num_layers=6,
        caption_channels=text.TEXT_WIDTH,
    )


DROP_TEXT = 0.1


def batch_source(step: int, bank: dict) -> str:
    """The part of the bank a step's batch is drawn from. One batch in four is of longer clips (half as many),
    so the model makes more than the four latent frames of its default length in one go. From LOOPS_FROM on,
    one in ten is of loops: a clip's end at frame 0, its start at the window's end, and the way back between
    them, which no clip of the world shows (world.loop_path). From RESTYLE_FROM on, one in ten is of video to
    video: a clip noised as the pipeline noises it (denoise_strength), made into the same clip in the
    prompt's other colour; with the prompt dropped, into itself. From LATE_FROM on, one in five is of late
    entries and exits: a longer clip whose first two latent frames, given, are of the empty frame, and the shape
    comes in from its edge after them (world.entering_late), as a long shot's window after the shape has left; or
    whose shape leaves by its edge and the frame stays empty after it (world.leaving_early), as the window it
    leaves in."""
    if step % 20 in (2, 7, 15, 17) and step >= LATE_FROM and "late" in bank:
        return "late"  # two of the batches of 25-frame clips and two of the five of longer ones
    if step % 4 == 3 and len(bank["long"]) > 0:
        return "long"
    if step % 20 in (1, 9) and step >= LOOPS_FROM and "loop" in bank:
        return "loop"
    if step % 20 in (5, 13) and step >= RESTYLE_FROM and "restyle" in bank:
        return "restyle"
    return "main"


def restyle_way(clip, restyled, noise, begin, sigma):
    """Video to video's way, as the pipeline walks it: from the clip noised to `begin` (where the strength
    starts it) straight to the restyled clip. The point at noise `sigma` (<= begin) on it, and its velocity,
    constant, which the flow-matching steps follow down to the restyled clip at noise 0."""
    start = (1 - begin) * clip + begin * noise
    return restyled + (sigma / begin) * (start - restyled), (start - restyled) / begin


def transformer_loss(bank: dict, transformer, tokenizer, text_encoder, step: int, seed: int) -> torch.Tensor:
    """One batch of flow matching with a conditioning layout drawn for the whole batch: drawn on the CPU
    (the same batch on any device), its loss on the transformer's device."""
    rng = random.Random(f"{seed}-dit-{step}")
    torch.manual_seed(rng.randrange(2**31))
    source = batch_source(step, bank)
    long, loop, restyle, late = source == "long", source == "loop", source == "restyle", source == "late"
    count = BATCH // 2 if long or late else BATCH
    idx = torch.tensor([rng.randrange(len(bank[source])) for _ in range(count)])
    x0 = bank[source][idx]
    tokens_a_frame = (HEIGHT // 32) * (WIDTH // 32)
    latent_frames = x0.shape[2]
    if loop:
        front, extra = 2, "loop"
    elif restyle:
        front, extra = 0, "none"
    elif late:
        front, extra = 2, "none"  # the overlap given: empty (the shape comes in) or with the shape leaving
    else:
        # Clean first latent frames: none (given frames placed later: extend backward, a last frame), one (an image
        # at frame 0), two (a clip's overlap: extend forward, connect, a long shot's next window).
        front = rng.choices((0, 1, 2), weights=(0.5, 0.3, 0.2))[0]
        # Extra clean tokens at a frame index: an image (a last frame), two (keyframes), a clip (extend
        # backward and connect: the clip after the new frames).
        extra = rng.choices(("none", "image", "two images", "video"), weights=(0.5, 0.2, 0.1, 0.2))[0]
        if front == 0 and extra == "none":  # no shot from text alone: the card animates the first-frame one's frame
            front = 1

    said = bank["restyled"] if restyle else bank["scenes"]
    of = bank["late_of"][idx] if late else idx  # a late entry or exit is said as the scene it was drawn from
    prompts = [world.describe(said[i], rng) if rng.random() > DROP_TEXT else "" for i in of.tolist()]

    sigma = torch.where(torch.rand(count) < 0.5, torch.rand(count), torch.sigmoid(torch.randn(count)))
    noise = torch.randn_like(x0)
    s = sigma[:, None, None, None, None]
    if restyle:
        # A point anywhere on the straight way from the noised clip to the clip in the prompt's colour (to
        # the clip itself when the prompt is dropped), and that way's velocity as the target.
        begin = RESTYLE_NOISE[0] + (RESTYLE_NOISE[1] - RESTYLE_NOISE[0]) * torch.rand(count)
        sigma = begin * torch.rand(count)
        s = sigma[:, None, None, None, None]
        clip = bank["main"][idx]
        kept = torch.tensor([p == "" for p in prompts])[:, None, None, None, None]
        x0 = torch.where(kept, clip, x0)
        point, velocity = restyle_way(clip, x0, noise, begin[:, None, None, None, None], s)
        noisy, target = pack(point), pack(velocity)
    else:
        noisy = pack((1 - s) * x0 + s * noise)
        target = pack(noise - x0)
    clean = pack(x0)
    timestep = (sigma[:, None] * 1000).expand(-1, noisy.shape[1]).clone()
    given = front * tokens_a_frame  # the first latent frames' tokens, clean; the loss is on the rest
    noisy[:, :given] = clean[:, :given]
    timestep[:, :given] = 0.0
    coords = coordinates(latent_frames, torch.zeros(count))

    hidden, extra_tokens = noisy, 0
    names = {
        "none": (),
        "image": ("image",),
        "two images": ("image", "image2"),
        "video": ("video",),
        "loop": ("loop_end",),
    }[extra]
    for name in names:
        extra_packed = pack(bank[name][idx])
        extra_tokens += extra_packed.shape[1]
        hidden = torch.cat([extra_packed, hidden], dim=1)
        coords = torch.cat([coordinates(bank[name].shape[2], bank[f"{name}_at"][idx]), coords], dim=2)
        timestep = torch.cat([torch.zeros(count, extra_packed.shape[1]), timestep], dim=1)

    with torch.no_grad():  # frozen after its own stage
        prompt_embeds, mask = text.embed_prompts(tokenizer, text_encoder, prompts)
    device = transformer.device  # a compiled transformer's too
    out = transformer(
        hidden_states=hidden.to(device),
        encoder_hidden_states=prompt_embeds.to(device),
        timestep=timestep.to(device),
        encoder_attention_mask=mask.to(device),
        video_coords=coords.to(device),
        return_dict=False,
    )[0]
    return ((out[:, extra_tokens + given :] - target[:, given:].to(device)) ** 2).mean()


def train_transformer(
    folder: Path,
    bank: dict,
    steps: int,
    log: Log,
    seed: int,
    tokenizer,
    text_encoder,
    device: str | torch.device = "cpu",
):
    """The transformer's stage on `device` (the text encoder's, frozen); the bank stays on the CPU. Warm restarts
    every TRANSFORMER_CYCLE steps (as SGDR): a run resumed with more steps is the run that asked for them from the
    start (the shipped model grew so, a cycle at a time)."""
    return transformer_stage(
        folder,
        "transformer",
        steps,
        log,
        seed,
        device,
        lr_of=lambda step: lr_at(step % TRANSFORMER_CYCLE, TRANSFORMER_CYCLE, 5e-4),
        loss_of=lambda run, step: transformer_loss(bank, run, tokenizer, text_encoder, step, seed),
        compile_from=COMPILE_FROM,
        compile_with=compiled,
    )


def transformer_stage(
    folder: Path,
    stage: str,
    steps: int,
    log: Log,
    seed: int,
    device,
    *,
    lr_of,
    loss_of,
    compile_from,
    compile_with,
    start_from: dict | None = None,
):
    """A transformer's stage (the video one's, the first frame's: first_frame.py): built from `seed` on `device`
    (or from the weights `start_from`), resumed from folder/checkpoints/STAGE.pt, each step at lr_of(step) on
    loss_of(model, step), compiled with compile_with when it has compile_from steps or more to go (uncompiled
    where that fails), logged every 20 steps and checkpointed every 250."""
    torch.manual_seed(seed)
    transformer = build_transformer().to(device)
    if start_from is not None:  # a resumed run's checkpoint replaces them below
        transformer.load_state_dict(start_from)
    params = list(transformer.parameters())
    opt = adamw(params, lr=5e-4, weight_decay=0.01)
    ckpt = folder / "checkpoints" / f"{stage}.pt"
    start, t0 = resume(ckpt, opt, log=log, stage=stage, transformer=transformer)
    progress = Progress(stage.replace("_", " "), steps, start)
    transformer.train()
    run = compile_with(transformer) if steps - start >= compile_from else transformer
    for step in range(start, steps):
        lr = lr_of(step)
        for group in opt.param_groups:
            group["lr"] = lr
        try:
            loss = loss_of(run, step)
        except Exception as error:  # no C++ compiler, or inductor cannot: the same steps, uncompiled
            if run is transformer:
                raise
            print(f"\ntraining uncompiled: torch.compile failed ({type(error).__name__})", file=sys.stderr)
            run = transformer
            loss = loss_of(run, step)
        optimise(opt, params, loss)
        progress.show(step, loss.item())
        if step % 20 == 0 or step == steps - 1:
            log.row(stage, step, f"{loss.item():.5f}", f"{lr:.2e}", f"{time.monotonic() - t0:.0f}")
        if (step + 1) % 250 == 0 or step == steps - 1:
            save_checkpoint(
                ckpt,
                transformer=transformer.state_dict(),
                optimizer=opt.state_dict(),
                step=step + 1,
                seconds=time.monotonic() - t0,
            )
    print(file=sys.stderr)
    return transformer.eval()


def compiled(transformer):
    """The transformer compiled for training: any batch layout (token counts differ) without recompiling."""
    return torch.compile(transformer, dynamic=True)


@torch.no_grad()
def fit_preview_colours(vae, seed: int = SEED, clips: int = 48) -> np.ndarray:
    """What colour each latent channel stands for, so a job's preview shows the picture's colours
    (engine/runtime/steps.latent_preview): the least-squares map from the latents the pipeline denoises
    (normalised) to the mean colour (0-1) of the frames' patch each latent token covers, over the world's
    clips. (channels + 1, 3): each channel's row, and the constant part last."""
    rng = random.Random(f"{seed}-preview")
    space, time_ = vae.spatial_compression_ratio, vae.temporal_compression_ratio
    rows, targets = [], []
    for _ in range(clips // 8):
        frames = np.stack([world.render(world.random_scene(rng, held=None), FRAMES, WIDTH, HEIGHT) for _ in range(8)])
        z = encode_clips(vae, frames)  # (B, C, F, h, w)
        b, _, latent_frames, h, w = z.shape
        rgb = frames.astype(np.float32) / 255  # (B, N, H, W, 3)
        for k in range(latent_frames):
            covered = rgb[:, :1] if k == 0 else rgb[:, 1 + (k - 1) * time_ : 1 + k * time_]  # the first frame alone
            patches = covered.mean(1).reshape(b, h, space, w, space, 3).mean((2, 4))  # (B, h, w, 3)
            rows.append(z[:, :, k].permute(0, 2, 3, 1).reshape(-1, z.shape[1]).numpy())
            targets.append(patches.reshape(-1, 3))
    x = np.concatenate(rows)
    x = np.concatenate([x, np.ones((len(x), 1), np.float32)], axis=1)
    return np.linalg.lstsq(x, np.concatenate(targets), rcond=None)[0].astype(np.float32)


def write_preview_colours(folder: Path, colours: np.ndarray) -> None:
    about = (
        "What colour (red, green, blue: 0-1) each latent channel stands for, and the constant part: "
        "the studio's job previews (studio/demo/train.py fit_preview_colours)."
    )
    rows = ",\n".join(f"  {json.dumps([round(float(v), 6) for v in row])}" for row in colours[:-1])
    constant = json.dumps([round(float(v), 6) for v in colours[-1]])
    text = f'{{\n "about": {json.dumps(about)},\n "colours": [\n{rows}\n ],\n "constant": {constant}\n}}\n'
    (folder / PREVIEW_COLOURS).write_text(text, encoding="utf-8")


def save_pipeline(folder: Path, vae, tokenizer, text_encoder, transformer, first_frame=None) -> None:
    """The finished model as an LTXConditionPipeline folder in safetensors, float16, with the colours its
    latent channels stand for (for previews), and the first-frame transformer in first_frame/ (first_frame.py)."""
    from diffusers import FlowMatchEulerDiscreteScheduler, LTXConditionPipeline

    pipe = LTXConditionPipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(),
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        transformer=transformer,
    )
    colours = fit_preview_colours(vae)  # the float32 VAE, as the studio runs it on a CPU
    pipe.to("cpu")  # from wherever it trained; cast after, as a float16 pipeline moved to the CPU is warned of
    pipe.to(torch.float16)
    pipe.save_pretrained(folder, safe_serialization=True)
    if first_frame is not None:
        first_frame.to("cpu", torch.float16).save_pretrained(folder / FIRST_FRAME_FOLDER, safe_serialization=True)
    write_preview_colours(folder, colours)


def encoded_once(path: Path, encode) -> dict:
    """Latents a stage trains on: encoded and kept in the checkpoints the first time, read back on a resume."""
    if path.exists():
        return torch.load(path, weights_only=False)  # our own file, written just below
    encoded = encode()
    save_checkpoint(path, **encoded)
    return encoded


def train(
    folder: Path,
    out: Path | None = None,
    vae_steps: int = VAE_STEPS,
    text_steps: int = text.TEXT_STEPS,
    transformer_steps: int = TRANSFORMER_STEPS,
    first_frame_steps: int = FIRST_FRAME_STEPS,
    bank_size: int = BANK,
    first_frames: int = FIRST_FRAMES,
    seed: int = SEED,
    stats_batches: int = 16,
    device: str | torch.device = "cpu",
) -> Path:
    """Every stage on `device`, resuming from folder/checkpoints (written on any device, read on any); the
    model is saved to `out` (folder/demo by default, where --models-dir folder finds it under the card id).
    Returns where it went. A step's batch is drawn on the CPU whatever the device, so a run on a GPU trains
    on the batches a CPU run does; the VAE's posterior noise is drawn on the device and the arithmetic differs
    in the last bits, so its weights are not the same."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "checkpoints").mkdir(exist_ok=True)
    # The cores this process may use (taskset, a container's share), not all the machine has: two
    # threads on one core wait on each other at every step.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    torch.set_num_threads(max(1, cores or 1))
    if torch.device(device).type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True  # fast float32 on a GPU
    log = Log(folder)
    vae = train_vae(folder, vae_steps, log, seed, device)
    measure_latents(vae, seed, stats_batches)
    bank = encoded_once(folder / "checkpoints" / "bank.pt", lambda: encode_bank(vae, bank_size, seed))
    tokenizer, text_encoder = text.train_text_encoder(folder, text_steps, log, seed, device)
    transformer = train_transformer(folder, bank, transformer_steps, log, seed, tokenizer, text_encoder, device)
    frames = encoded_once(
        folder / "checkpoints" / "first_frames.pt", lambda: encode_first_frames(vae, first_frames, seed)
    )
    first_frame = train_first_frame(
        folder,
        frames,
        first_frame_steps,
        log,
        seed,
        tokenizer,
        text_encoder,
        device,
        start_from=transformer.state_dict(),
    )
    out = out or folder / "demo"
    save_pipeline(out, vae, tokenizer, text_encoder, transformer, first_frame)
    return out
