"""The demo model's training runs end to end at toy length: seeded, resumable from its checkpoints,
logged, and saved as a diffusers folder that the studio's own loader loads and runs."""

from __future__ import annotations

import csv
import dataclasses
import random

import numpy as np
import pytest
import torch

from studio.core.recipe import Mode, Recipe
from studio.demo import first_frame, runlog, text, train, vae_stage, world
from studio.demo.bank import LATE_EMPTY, LATE_GONE, LATE_SHARE, LONG_FRAMES, encode_bank
from studio.demo.runlog import Log
from studio.engine.cards import folder_card
from studio.engine.families.ltx import adapter as ltx
from studio.engine.runtime.loader import load_pipeline, pick_device
from studio.engine.weights import check_folder

TOY = {"bank_size": 8, "first_frames": 8, "stats_batches": 1}


def test_training_resumes_where_it_stopped_and_saves_a_model_the_loader_runs(tmp_path):
    work = tmp_path / "train"
    out = train.train(work, vae_steps=2, text_steps=2, transformer_steps=2, first_frame_steps=2, **TOY)
    rows = list(csv.DictReader((work / "training-log.csv").open()))
    assert [(r["stage"], r["step"]) for r in rows if "probe" not in r["stage"]] == [
        ("vae", "0"),
        ("vae", "1"),
        ("text", "0"),
        ("text", "1"),
        ("transformer", "0"),
        ("transformer", "1"),
        ("first_frame", "0"),
        ("first_frame", "1"),
    ]

    train.train(
        work, vae_steps=3, text_steps=3, transformer_steps=3, first_frame_steps=3, **TOY
    )  # one more step a stage
    rows = list(csv.DictReader((work / "training-log.csv").open()))
    assert [(r["stage"], r["step"]) for r in rows if "probe" not in r["stage"]][8:] == [
        ("vae", "2"),
        ("text", "2"),
        ("transformer", "2"),
        ("first_frame", "2"),
    ]

    card = dataclasses.replace(folder_card(out), first_frame={"transformer": train.FIRST_FRAME_FOLDER})  # as demo.toml
    check_folder(out, card.own_parts)
    assert not list(out.rglob("*.bin")) and list(out.rglob("*.safetensors"))
    pipe = load_pipeline(out, card, pick_device("cpu"))
    assert pipe.vae.studio_preview_colours.shape == (vae_stage.LATENT_CHANNELS + 1, 3)  # its previews' colours, fitted
    recipe = Recipe(
        mode=Mode.TEXT_TO_VIDEO,
        model=str(out),
        prompt="a red circle moves left on a blue background",
        width=128,
        height=128,
        frames=9,
        steps=2,
        guidance=3.0,
        seed=1,
    )
    drawn, animated = [], []
    pipe.studio_first_frame.register_forward_hook(
        lambda module, args, kwargs, out: drawn.append(kwargs), with_kwargs=True
    )
    pipe.transformer.register_forward_hook(lambda module, args, kwargs, out: animated.append(kwargs), with_kwargs=True)
    frames = ltx.generate(pipe, recipe, card)  # in two steps: its first frame drawn, then animated
    tokens_a_frame = (128 // 32) * (128 // 32)
    assert [k["hidden_states"].shape[1] for k in drawn] == [tokens_a_frame] * 2  # a one-frame shot, two steps
    # Then the shot's two latent frames, the first of them the drawn frame given (timestep 0), the rest denoised.
    assert [k["hidden_states"].shape[1] for k in animated] == [2 * tokens_a_frame] * 2
    assert all(
        (k["timestep"][:, :tokens_a_frame] == 0).all() and (k["timestep"][:, tokens_a_frame:] > 0).all()
        for k in animated
    )
    assert frames.shape == (9, 128, 128, 3) and np.ptp(frames) > 0
    layout = [
        {k: v for k, v in t.config.items() if k != "_name_or_path"} for t in (pipe.studio_first_frame, pipe.transformer)
    ]
    assert layout[0] == layout[1]  # the video transformer's layout, its own weights


def test_a_run_killed_after_its_last_checkpoint_resumes_into_one_log(tmp_path):
    """A killed run has logged steps its checkpoint does not hold; the run resumed from that checkpoint does
    them again. The log keeps each step once (the resumed run's), and a stage's seconds go on from those of
    its checkpoint instead of starting again at 0."""
    work = tmp_path / "train"
    train.train(work, vae_steps=2, text_steps=2, transformer_steps=2, first_frame_steps=2, **TOY)
    checkpoint = work / "checkpoints" / "transformer.pt"
    state = torch.load(checkpoint, weights_only=True)
    assert state["step"] == 2 and state["seconds"] >= 0
    torch.save({**state, "seconds": 5000.0}, checkpoint)  # as if the stage had run for 83 minutes
    with (work / "training-log.csv").open("a") as log:  # logged after that checkpoint, then killed
        log.write("transformer,2,9.99999,5.00e-04,5100\n")

    train.train(work, vae_steps=2, text_steps=2, transformer_steps=3, first_frame_steps=2, **TOY)
    rows = [r for r in csv.DictReader((work / "training-log.csv").open()) if r["stage"] == "transformer"]
    assert [r["step"] for r in rows] == ["0", "1", "2"]
    assert rows[2]["loss"] != "9.99999" and 5000 <= int(rows[2]["seconds"]) < 5100


def test_the_log_rewinds_a_stage_and_its_probes_only(tmp_path):
    log = Log(tmp_path)
    for stage, step in [("vae", 0), ("vae-probe", 0), ("vae", 20), ("vae-probe", 20), ("vae", 40), ("text", 0)]:
        log.row(stage, step, "0.1", "", "")
    log.rewind("vae", 20)
    log.row("vae", 20, "0.2", "", "")
    rows = [(r["stage"], r["step"]) for r in csv.DictReader(log.path.open())]
    assert rows == [("vae", "0"), ("vae-probe", "0"), ("text", "0"), ("vae", "20")]


def test_the_same_seed_trains_the_same_vae_from_its_first_weights(tmp_path):
    """Every stage starts from weights of its seed (the VAE's were torch's per-process seed's until
    2026-12-06), so a run's seed alone makes it again."""

    def one_step(name: str, seed: int) -> dict:
        (tmp_path / name / "checkpoints").mkdir(parents=True)
        return vae_stage.train_vae(tmp_path / name, 1, Log(tmp_path / name), seed).state_dict()

    first, again, other = one_step("a", 0), one_step("b", 0), one_step("c", 1)
    assert all(torch.equal(first[key], again[key]) for key in first)
    assert not all(torch.equal(first[key], other[key]) for key in first)


def test_the_transformer_stage_goes_on_uncompiled_where_it_cannot_compile(tmp_path, monkeypatch, capsys):
    class CannotCompile(torch.nn.Module):  # as torch.compile's module: the transformer's own attributes, a failing call
        def __init__(self, transformer):
            super().__init__()
            self.device = transformer.device

        def forward(self, **inputs):
            raise RuntimeError("InductorError: no C++ compiler")

    monkeypatch.setattr(train, "COMPILE_FROM", 0)
    monkeypatch.setattr(train, "compiled", CannotCompile)
    work = tmp_path / "train"
    train.train(work, vae_steps=1, text_steps=1, transformer_steps=2, first_frame_steps=1, **TOY)
    rows = list(csv.DictReader((work / "training-log.csv").open()))
    assert [r["step"] for r in rows if r["stage"] == "transformer"] == ["0", "1"]
    assert "training uncompiled: torch.compile failed (RuntimeError)" in capsys.readouterr().err


def test_the_first_frame_stage_begins_where_the_video_transformer_ended(tmp_path, monkeypatch):
    given = {}
    real = train.train_first_frame

    def recording(*args, start_from=None, **kwargs):
        given["weights"] = start_from
        return real(*args, start_from=start_from, **kwargs)

    monkeypatch.setattr(train, "train_first_frame", recording)
    work = tmp_path / "train"
    train.train(work, vae_steps=1, text_steps=1, transformer_steps=2, first_frame_steps=1, **TOY)
    video = torch.load(work / "checkpoints" / "transformer.pt", weights_only=True)["transformer"]
    assert given["weights"].keys() == video.keys()
    assert all(torch.equal(given["weights"][key].cpu(), video[key]) for key in video)


def test_a_transformer_stage_begins_from_the_weights_given_unless_it_resumes(tmp_path):
    (tmp_path / "checkpoints").mkdir()

    def weights(seed):
        torch.manual_seed(seed)
        return train.build_transformer().state_dict()

    def stage(start_from):  # one step at learning rate 0: the weights it ends with are those it began from
        return train.transformer_stage(
            tmp_path,
            "first_frame",
            1,
            Log(tmp_path),
            0,
            "cpu",
            lr_of=lambda step: 0.0,
            loss_of=lambda run, step: sum((p**2).sum() for p in run.parameters()),
            compile_from=10,
            compile_with=None,
            start_from=start_from,
        ).state_dict()

    given, other = weights(5), weights(6)
    assert not torch.equal(given["proj_in.weight"], train.build_transformer().state_dict()["proj_in.weight"])
    assert all(torch.equal(stage(given)[key], given[key]) for key in given)
    assert all(torch.equal(stage(other)[key], given[key]) for key in given)  # resumed: its checkpoint's


def test_the_tokenizer_keeps_the_worlds_words_whole_and_spells_out_any_other():
    tokenizer = text.build_tokenizer()
    rng = random.Random(0)
    for _ in range(200):
        prompt = world.describe(world.random_scene(rng, held=None), rng)
        pieces = tokenizer.convert_ids_to_tokens(tokenizer(prompt).input_ids)
        assert pieces[-1] == "</s>" and len(pieces) < text.TEXT_TOKENS  # never cut off by the pipeline
        assert [p.removeprefix("\u2581") for p in pieces[:-1] if p != ","] == prompt.replace(",", " ").split()
    ids = tokenizer("a purple hexagon, fast").input_ids
    assert tokenizer.unk_token_id not in ids
    assert tokenizer.decode(ids, skip_special_tokens=True) == "a purple hexagon, fast"


def test_the_text_encoder_is_asked_only_what_a_prompt_says():
    moving = world.Scene("blue", "red", "triangle", "left", world.SPEEDS["quickly"])
    still = world.Scene("black", "white", "circle", "still", world.SPEEDS["quickly"])
    assert text.scene_labels(moving) == [2, 0, 2, 0, 2]  # blue, red, triangle, left, quickly
    assert text.scene_labels(still)[-1] == -100  # a still shape's speed is never in its prompt


def test_training_pads_prompts_to_the_longest_and_the_transformer_sees_what_the_pipeline_gives_it():
    """Training pads a batch's prompts to its longest one, the pipeline to TEXT_TOKENS: the mask hides the
    padding, so the real tokens' embeddings and the transformer's output are the same either way."""
    tokenizer = text.build_tokenizer()
    torch.manual_seed(0)
    text_encoder = text.build_text_encoder(len(tokenizer)).eval()
    prompts = ["a red circle moves left on a blue background", "", "on black, a white square drifting up quickly"]
    with torch.no_grad():
        short, short_mask = text.embed_prompts(tokenizer, text_encoder, prompts)
        tokens = tokenizer(prompts, padding="max_length", max_length=text.TEXT_TOKENS, return_tensors="pt")
        mask = tokens.attention_mask.bool()
        full = text_encoder(tokens.input_ids, attention_mask=mask)[0]
    longest = int(mask.sum(1).max())
    assert short.shape[1] == longest < text.TEXT_TOKENS and torch.equal(short_mask, mask[:, :longest])
    assert torch.allclose(short[short_mask], full[mask], atol=1e-5)
    transformer = train.build_transformer().eval()
    latents = torch.randn(3, 16, vae_stage.LATENT_CHANNELS)
    with torch.no_grad():
        outs = [
            transformer(
                hidden_states=latents,
                encoder_hidden_states=embeds,
                timestep=torch.full((3, 16), 500.0),
                encoder_attention_mask=m,
                video_coords=train.coordinates(1, torch.zeros(3)),
                return_dict=False,
            )[0]
            for embeds, m in ((short, short_mask), (full, mask))
        ]
    assert torch.allclose(outs[0], outs[1], atol=1e-5)


def test_a_resumed_stage_steps_with_its_own_optimizer_not_the_checkpoints(tmp_path):
    """Every stage's AdamW is fused on the CPU; a checkpoint saved by a plain one (an older run's) resumes fused."""
    params = [torch.nn.Parameter(torch.randn(4))]
    assert runlog.adamw(params, lr=1e-3).param_groups[0]["fused"]
    plain = torch.optim.AdamW(params)
    runlog.save_checkpoint(tmp_path / "stage.pt", optimizer=plain.state_dict(), step=3, seconds=1.0)
    fused = runlog.adamw(params, lr=1e-3)
    assert runlog.resume(tmp_path / "stage.pt", fused)[0] == 3 and fused.param_groups[0]["fused"]


def test_the_vae_stage_ends_on_clips_where_two_latent_frames_meet():
    steps = vae_stage.VAE_STEPS
    join = vae_stage.vae_join_from(steps)
    frames = [vae_stage.vae_frames(step, steps) for step in range(steps)]
    assert set(frames[:join]) == {1, 9} and set(frames[join:]) == {1, vae_stage.JOIN_FRAMES}
    assert (vae_stage.JOIN_FRAMES - 1) // 8 >= 2  # the first latent frame, then at least two that meet
    # A run of a few steps (the tests') keeps its steps on the first cycle's clips.
    assert vae_stage.vae_join_from(3) == 3 and [vae_stage.vae_frames(s, 3) for s in range(3)] == [1, 1, 9]


def test_the_vae_trains_on_crops_first_and_ends_its_main_cycle_on_whole_frames():
    steps = vae_stage.VAE_STEPS
    join = vae_stage.vae_join_from(steps)
    cropped = [vae_stage.vae_cropped(step, steps) for step in range(steps)]
    # Crops, then whole frames before the join cycle begins, and whole frames all through it.
    turns = [step for step in range(1, steps) if cropped[step] != cropped[step - 1]]
    assert cropped[0] and len(turns) == 1 and turns[0] < join and not any(cropped[turns[0] :])
    assert not vae_stage.vae_cropped(2, 3)  # a toy run's last step is a whole frame too


def test_a_vae_crop_is_on_the_shape_at_the_latent_grid():
    rng = random.Random(0)
    for start in ((0.1, 0.1), (0.5, 0.4), (0.9, 0.8), (0.3, 0.95)):
        scene = world.Scene("blue", "yellow", "square", "right", start=start)
        x = torch.from_numpy(world.render(scene, 9)).permute(3, 0, 1, 2)[None].float()
        background = torch.tensor(world.COLOURS["blue"]).float()[None, :, None, None, None]
        shape = ((x - background).abs().sum(1, keepdim=True) > 0).float()
        weight = 1 + shape
        for _ in range(8):
            crop, crop_weight = vae_stage.crop_near_shape(x, weight, shape, rng)
            assert crop.shape[-2:] == crop_weight.shape[-2:] == (vae_stage.VAE_CROP, vae_stage.VAE_CROP)
            at = [
                (top, left)
                for top in range(0, 128 - vae_stage.VAE_CROP + 1, 32)
                for left in range(0, 128 - vae_stage.VAE_CROP + 1, 32)
                if torch.equal(x[..., top : top + vae_stage.VAE_CROP, left : left + vae_stage.VAE_CROP], crop)
                and torch.equal(
                    weight[..., top : top + vae_stage.VAE_CROP, left : left + vae_stage.VAE_CROP], crop_weight
                )
            ]
            assert at, "the crop is a window of the clip at a multiple of 32"
            top, left = at[0]  # a grid step off the shape's centre at most, so the shape is always in it
            assert shape[..., top : top + vae_stage.VAE_CROP, left : left + vae_stage.VAE_CROP].sum() > 0


@pytest.fixture(scope="module")
def bank():
    """A bank of 8 training clips from a VAE of random weights (seed 0)."""
    torch.manual_seed(0)
    return encode_bank(vae_stage.build_vae().eval(), 8, seed=0)


def test_the_bank_holds_loops_and_restyles_and_every_batch_layout_trains(bank):
    """Loops (world.loop_path's way back) and video-to-video pairs (the same path, another object colour) are
    in the bank; loop batches come only from LOOPS_FROM on and video-to-video ones from RESTYLE_FROM, and
    every batch layout of a cycle of 20 steps there gives a finite loss."""
    main = bank["main"].shape
    assert bank["loop"].shape == (2, *main[1:]) and bank["restyle"].shape == (2, *main[1:])
    assert bank["loop_end"].shape[2] == 2 and bank["loop_end_at"].tolist() == [16, 16]  # nine frames, at the end
    for was, now in zip(bank["scenes"], bank["restyled"], strict=False):
        assert now.colour not in (was.colour, was.background)
        assert dataclasses.replace(now, colour=was.colour) == was  # the same path, only the colour told apart
    # Late entries: a moving scene of the bank's first third, its long clip empty at first, the shape coming in later.
    late_of = bank["late_of"].tolist()
    assert late_of and all(bank["scenes"][i].motion != "still" for i in late_of) and max(late_of) < 8 * LATE_SHARE
    assert bank["late"].shape == (len(late_of), *bank["long"].shape[1:])
    # By turns a late entry (the frame empty first, the shape comes in) and a late exit (gone, the frame empty after).
    assert len(late_of) == 2
    entry, exit_ = (world.render(scene, LONG_FRAMES) for scene in bank["late_scenes"])
    shown = [[i for i in range(LONG_FRAMES) if (clip[i] != clip[i, 0, 0]).any()] for clip in (entry, exit_)]
    assert shown[0][0] > LATE_EMPTY[0] and shown[0][-1] == LONG_FRAMES - 1
    assert shown[1] and shown[1] == list(range(len(shown[1]))) and len(shown[1]) <= LATE_GONE[1]
    for scene, late in zip((bank["scenes"][i] for i in late_of), bank["late_scenes"], strict=True):
        assert dataclasses.replace(late, start=scene.start) == scene and late.start != scene.start
    tokenizer = text.build_tokenizer()
    text_encoder = text.build_text_encoder(len(tokenizer)).eval()
    transformer = train.build_transformer()
    assert {train.batch_source(step, bank) for step in range(20)} == {"main", "long"}
    assert train.LOOPS_FROM < train.RESTYLE_FROM <= train.LATE_FROM < train.TRANSFORMER_STEPS
    cycle = range(train.LATE_FROM, train.LATE_FROM + 20)
    sources = [train.batch_source(step, bank) for step in cycle]
    assert (sources.count("loop"), sources.count("restyle"), sources.count("late")) == (2, 2, 4)
    losses = [float(train.transformer_loss(bank, transformer, tokenizer, text_encoder, step, 0)) for step in cycle]
    assert all(np.isfinite(losses)), losses


def test_no_batch_of_the_video_transformer_is_a_shot_from_text_alone(bank):
    """Text to video is the first-frame transformer's frame animated (first_frame.py): every clip of the video
    transformer's batches has given tokens (at timestep 0) to carry on: first frames, or frames placed later."""
    timesteps = []

    class Recorder:  # the transformer's call, recording each batch's timesteps
        device = torch.device("cpu")

        def __call__(self, hidden_states, timestep, **inputs):
            timesteps.append(timestep)
            return (torch.zeros_like(hidden_states),)

    tokenizer = text.build_tokenizer()
    text_encoder = text.build_text_encoder(len(tokenizer)).eval()
    steps = [step for step in range(200) if train.batch_source(step, bank) == "main"]
    for step in steps:
        train.transformer_loss(bank, Recorder(), tokenizer, text_encoder, step, 0)
    assert len(timesteps) == len(steps) > 100
    assert all(bool((batch == 0).any(dim=1).all()) for batch in timesteps)


def test_every_batch_is_put_on_the_device_its_model_trains_on(bank):
    """`train-demo --device cuda` trains where the models are: with them on torch's meta device (no data, and an
    input left on the CPU raises "not on the expected device"), the VAE's steps (single frames, clips) and every
    batch layout of the transformer's cycle give their loss there. The text encoder stays on the CPU (transformers'
    T5 cannot run on meta): its embeddings are moved like the rest. Each batch is still drawn on the CPU, so it is
    the batch a CPU run draws."""
    vae = vae_stage.build_vae().to("meta")
    assert [vae_stage.vae_frames(step, 3) for step in (0, 2)] == [1, vae_stage.CLIP_FRAMES]
    for step in (0, 2):
        assert vae_stage.vae_loss(vae, step, 3, seed=0).device.type == "meta"
    tokenizer = text.build_tokenizer()
    text_encoder = text.build_text_encoder(len(tokenizer)).eval()
    shipped = train.build_transformer()
    transformer = type(shipped).from_config({**shipped.config, "num_layers": 1}).to("meta")  # meta is slow: one layer
    for step in range(train.LATE_FROM, train.LATE_FROM + 20):
        assert train.transformer_loss(bank, transformer, tokenizer, text_encoder, step, 0).device.type == "meta"
    frames = {"scenes": bank["scenes"], "frames": bank["main"][:, :, :1]}
    assert first_frame.first_frame_loss(frames, transformer, tokenizer, text_encoder, 0, 0).device.type == "meta"


def test_video_to_video_is_trained_on_the_way_the_pipeline_walks():
    """From the clip noised where the strength starts, Euler steps along the trained velocity end on the
    restyled clip, and the way's first point is the noised clip the pipeline starts from."""
    clip, restyled, noise = torch.randn(3, 1, 4, 2, 3, 3).unbind(0)
    begin = torch.tensor(0.6)
    start, velocity = train.restyle_way(clip, restyled, noise, begin, begin)
    assert torch.allclose(start, (1 - begin) * clip + begin * noise)
    x, sigmas = start, torch.linspace(0.6, 0.0, 7)
    for now, after in zip(sigmas, sigmas[1:], strict=False):
        point, velocity = train.restyle_way(clip, restyled, noise, begin, now)
        assert torch.allclose(x, point, atol=1e-5)  # every step lands on the way
        x = x + (after - now) * velocity
    assert torch.allclose(x, restyled, atol=1e-5)
