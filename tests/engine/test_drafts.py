"""Draft, then refine (engine/drafts.py): a card's [draft], the draft recipe prepare() makes of a shot, and
through the real worker with the tiny LTX models: a two-pass card's draft is its first pass alone with
its latents kept, and the Refine upsamples and refines them, the same take as the full shot."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import DRAFT, FULL, Mode, Recipe
from studio.core.schema import InvalidProject, check_recipe
from studio.engine import drafts
from studio.engine.cards import CardError, card_from_toml, folder_card, load_cards
from studio.engine.requests import RequestError, prepare
from studio.engine.weights import CARD_FILE
from studio.media.takes import read_frames
from studio.testing.tiny.ltx import tiny_ltx_two_pass_card
from tests.conftest import REPO


@pytest.fixture(scope="module")
def models(tiny_ltx, tiny_ltx_upsampler, tiny_card, tmp_path_factory) -> Path:
    """A models folder: the tiny LTX with a [draft] of 1 step at half the size, the tiny two-pass LTX whose
    draft is its first pass alone, and the upsampler."""
    folder = tmp_path_factory.mktemp("draft-models")
    one_pass = dataclasses.replace(tiny_card, id="tiny-ltx-drafts", draft={"steps": 1, "scale": 0.5})
    two_pass = dataclasses.replace(tiny_ltx_two_pass_card(tiny_card), draft={"first_pass_only": True})
    for card in (one_pass, two_pass):
        shutil.copytree(tiny_ltx, folder / card.id, ignore=shutil.ignore_patterns(CARD_FILE))
        (folder / card.id / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    shutil.copytree(tiny_ltx_upsampler, folder / "tiny-ltx-upsampler")
    return folder


def shot(model: str, **kw) -> Recipe:
    base = dict(mode=Mode.TEXT_TO_VIDEO, model=model, prompt="a red fox runs through the snow", seed=3, steps=2)
    return Recipe(**(base | dict(width=96, height=64, frames=9) | kw))


def test_every_card_has_a_draft_and_the_0_9_7_dev_drafts_with_the_distilled_first_pass():
    cards = load_cards()
    for card in cards.values():
        if card.kind == "video":
            plan = drafts.plan(card)
            assert plan.steps is None or 1 <= plan.steps < card.default_steps or plan.model, card.id
    dev = drafts.plan(cards["ltx-video-0.9.7-dev"])
    assert (dev.model, dev.first_pass_only) == ("ltx-video-0.9.7-distilled", True)
    assert drafts.plan(cards["ltx-video-0.9.7-distilled"]).first_pass_only
    assert drafts.plan(cards["demo"]).steps < cards["demo"].default_steps
    wan = drafts.plan(cards["wan-2.1-t2v-1.3b"])  # no [draft]: the rule
    assert wan.from_rule and wan.steps == 25 and wan.scale == 1.0
    assert drafts.describe(cards["ltx-video-0.9.7-dev"], 768, 512, cards["ltx-video-0.9.7-distilled"]).startswith(
        "8 steps at 512x320 with LTX-Video 0.9.7 distilled"
    )


def test_a_card_round_trips_its_draft_and_a_bad_one_is_refused(models, tmp_path):
    card = folder_card(models / "tiny-ltx-drafts")
    assert card.draft == {"steps": 1, "scale": 0.5}
    assert type(card).from_dict(card.to_dict()) == card
    data = {
        "id": "x",
        "name": "x",
        "family": "ltx",
        "modes": ["text_to_video"],
        "memory_gb": 1,
        "frames": {"step": 8, "max": 9, "default": 9},
        "size": {"multiple": 32, "max_width": 64, "max_height": 64, "default_width": 64, "default_height": 64},
        "defaults": {"fps": 24, "steps": 2, "guidance": 1},
    }
    for table, words in (
        ({"steps": 0}, "steps should be at least 1"),
        ({"scale": 1.5}, "scale should be above 0 and at most 1"),
        ({"speed": 2}, "unknown speed"),
        ({"first_pass_only": True}, r"first_pass_only needs a \[multiscale\] card"),
    ):
        with pytest.raises(CardError, match=words):
            card_from_toml(data | {"draft": table}, "x.toml")


def test_a_draft_is_the_card_s_draft_of_the_full_shot_and_remembers_it(models):
    draft, notes = prepare(shot("tiny-ltx-drafts", quality=DRAFT), models_dir=models)
    assert (draft.quality, draft.steps, draft.width, draft.height) == (DRAFT, 1, 32, 32)
    assert draft.full == {
        "model": "tiny-ltx-drafts",
        "steps": 2,
        "guidance": draft.guidance,
        "width": 96,
        "height": 64,
        "flow_shift": None,
    }
    assert notes[-1] == "a draft: 1 steps at 32x32"
    refine = drafts.refine_recipe(draft, "media/take.mkv")
    assert (refine.quality, refine.steps, refine.width, refine.height, refine.seed) == (FULL, 2, 96, 64, 3)
    assert refine.draft == {
        "take": "media/take.mkv",
        "model": "tiny-ltx-drafts",
        "steps": 1,
        "guidance": draft.guidance,
        "width": 32,
        "height": 32,
    }
    assert prepare(refine, models_dir=models)[0].width == 96
    with pytest.raises(drafts.DraftError, match="it is not a draft"):
        drafts.refine_recipe(refine, "media/take.mkv")
    with pytest.raises(RequestError, match="the quality must be full or draft"):
        prepare(shot("tiny-ltx-drafts", quality="rough"), models_dir=models)


def test_a_project_keeps_a_take_s_quality_and_older_takes_read_as_full():
    draft = dataclasses.replace(shot("m"), quality=DRAFT, full={"model": "m", "steps": 2}).to_dict()
    check_recipe(draft, "take")
    old = shot("m").to_dict()
    del old["quality"], old["full"], old["draft"]
    assert Recipe.from_dict(old).quality == FULL
    for bad in ({"quality": "rough"}, {"full": 3}, {"draft": "x"}):
        with pytest.raises(InvalidProject):
            check_recipe(draft | bad, "take")


def _worker(requests: list[dict]) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("STUDIO_MODELS", "STUDIO_MODELS_PATH")}
    result = subprocess.run(
        [sys.executable, "-m", "studio.engine.runtime.worker"],
        capture_output=True,
        text=True,
        input="".join(json.dumps(r) + "\n" for r in [*requests, {"type": "quit"}]),
        env=env | {"PYTHONPATH": str(REPO)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return {(e["job_id"], e["type"]): e for e in map(json.loads, result.stdout.splitlines())}


def test_a_two_pass_draft_is_its_first_pass_and_its_refine_upsamples_the_kept_latents(models, tmp_path):
    model = str(models / "tiny-ltx-two-pass")
    draft, _ = prepare(shot(model, quality=DRAFT), models_dir=models)
    assert (draft.width, draft.height, draft.steps) == (64, 32, 2)  # 2/3 of 96x64, the card's steps

    def run(job_id: str, recipe: Recipe) -> dict:
        return {"type": "run", "job_id": job_id, "recipe": recipe.to_dict(), "output": str(tmp_path / f"{job_id}.mkv")}

    events = _worker([run("draft", draft)])
    done = events[("draft", "done")]
    assert (done["width"], done["height"], done["recipe"]["quality"]) == (64, 32, DRAFT)
    assert done["recipe"]["upsampler"] is None  # one pass: no upsampler ran
    latents = tmp_path / "draft.latents.safetensors"
    assert latents.is_file()

    refine = drafts.refine_recipe(Recipe.from_dict(done["recipe"]), tmp_path / "draft.mkv")
    full = prepare(shot(model), models_dir=models)[0]
    events = _worker([run("refine", refine), run("full", full)])
    refined = events[("refine", "done")]
    assert (refined["width"], refined["height"], refined["recipe"]["quality"]) == (96, 64, FULL)
    assert refined["recipe"]["upsampler"].startswith("tiny-ltx-upsampler@")
    assert refined["recipe"]["draft"]["first_pass"] == "saved latents"
    # the draft's first pass is the full shot's (same model, steps, seed): the refine is the full take
    assert np.array_equal(read_frames(tmp_path / "refine.mkv"), read_frames(tmp_path / "full.mkv"))

    latents.unlink()  # a deleted cache: the first pass is made again from the seed, the same take
    events = _worker([run("again", refine)])
    assert events[("again", "done")]["recipe"]["draft"]["first_pass"] == "made again"
    assert np.array_equal(read_frames(tmp_path / "again.mkv"), read_frames(tmp_path / "full.mkv"))
