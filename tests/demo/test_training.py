"""The demo model's training runs end to end at toy length: seeded, resumable from its checkpoints,
logged, and saved as a diffusers folder that the studio's own loader loads and runs."""

from __future__ import annotations

import csv

import numpy as np

from studio.core.recipe import Mode, Recipe
from studio.demo import train
from studio.engine import ltx
from studio.engine.cards import folder_card
from studio.engine.loader import load_pipeline, pick_device
from studio.engine.weights import check_folder

TOY = {"bank_size": 8, "stats_batches": 1}


def test_training_resumes_where_it_stopped_and_saves_a_model_the_loader_runs(tmp_path):
    work = tmp_path / "train"
    out = train.train(work, vae_steps=2, transformer_steps=2, **TOY)
    rows = list(csv.DictReader((work / "training-log.csv").open()))
    assert [(r["stage"], r["step"]) for r in rows if not r["stage"].startswith("vae-probe")] == [
        ("vae", "0"), ("vae", "1"), ("transformer", "0"), ("transformer", "1")]

    train.train(work, vae_steps=3, transformer_steps=3, **TOY)  # two more steps, one a stage
    rows = list(csv.DictReader((work / "training-log.csv").open()))
    assert [(r["stage"], r["step"]) for r in rows if not r["stage"].startswith("vae-probe")][4:] == [
        ("vae", "2"), ("transformer", "2")]

    check_folder(out)
    assert not list(out.rglob("*.bin")) and list(out.rglob("*.safetensors"))
    card = folder_card(out)
    pipe = load_pipeline(out, card, pick_device("cpu"))
    recipe = Recipe(mode=Mode.TEXT_TO_VIDEO, model=str(out), prompt="a red circle moves left on a blue background",
                    width=128, height=128, frames=9, steps=2, guidance=3.0, seed=1)
    frames = ltx.generate(pipe, recipe, card)
    assert frames.shape == (9, 128, 128, 3) and np.ptp(frames) > 0
