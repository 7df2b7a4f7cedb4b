"""Two-pass shots (LTX-Video 0.9.7's recipe, a card's [multiscale]) with the tiny LTX model and its tiny
upsampler: a small first pass, its latents upsampled, a short refine at full size, the take at the
size asked for; and the refusal when the upsampler is not downloaded."""

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
from PIL import Image

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.cards import ModelNotFound, folder_card, load_cards, upsampler_folder
from studio.engine.families.ltx import adapter as ltx
from studio.engine.requests import RequestError, available_models, prepare
from studio.engine.weights import CARD_FILE
from studio.testing.tiny.ltx import tiny_ltx_two_pass_card
from tests.conftest import REPO


@pytest.fixture(scope="module")
def upsampler(tiny_ltx_upsampler, tiny_pipe):
    return ltx.load_upsampler(tiny_ltx_upsampler, tiny_pipe)


@pytest.fixture(scope="module")
def two_pass_card(tiny_card):
    return tiny_ltx_two_pass_card(tiny_card)


@pytest.fixture(scope="module")
def models(tiny_ltx, tiny_ltx_upsampler, tiny_card, tmp_path_factory) -> Path:
    """A models folder with the two-pass tiny model and its upsampler beside it."""
    folder = tmp_path_factory.mktemp("two-pass-models")
    two_pass_model(tiny_ltx, tiny_card, folder)
    shutil.copytree(tiny_ltx_upsampler, folder / "tiny-ltx-upsampler")
    return folder


def two_pass_model(tiny_ltx: Path, tiny_card, parent: Path) -> Path:
    card = tiny_ltx_two_pass_card(tiny_card)
    folder = parent / card.id
    shutil.copytree(tiny_ltx, folder, ignore=shutil.ignore_patterns(CARD_FILE))
    (folder / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    return folder


def recipe(mode: Mode = Mode.TEXT_TO_VIDEO, **kw) -> Recipe:
    base = dict(
        mode=mode,
        model="tiny-ltx-two-pass",
        prompt="a red fox runs through the snow",
        seed=3,
        steps=2,
        guidance=3.0,
        width=96,
        height=64,
        frames=9,
    )
    return Recipe(**(base | kw))


@pytest.fixture
def calls(tiny_pipe, monkeypatch) -> list[dict]:
    """Each call of the tiny pipeline: its size, strength, output type and condition sizes."""
    made: list[dict] = []
    original = type(tiny_pipe).__call__

    def spy(pipe, **arguments):
        made.append(
            {
                "size": (arguments["width"], arguments["height"]),
                "denoise_strength": arguments.get("denoise_strength", 1.0),
                "output_type": arguments["output_type"],
                "steps": arguments["num_inference_steps"],
                "conditions": [
                    c.image.size if c.image is not None else c.video[0].size for c in arguments["conditions"] or []
                ],
            }
        )
        return original(pipe, **arguments)

    monkeypatch.setattr(type(tiny_pipe), "__call__", spy)
    return made


def test_a_two_pass_card_makes_a_small_first_pass_then_refines_the_upsampled_latents(
    tiny_pipe, two_pass_card, upsampler, calls
):
    steps: list[tuple[int, int]] = []
    frames = ltx.generate(
        tiny_pipe, recipe(), two_pass_card, on_step=lambda s, t: steps.append((s, t)), upsampler=upsampler
    )
    assert frames.shape == (9, 64, 96, 3) and frames.dtype == np.uint8  # the size asked for
    # 2/3 of 96x64 rounded down to 32s; the upsampler doubles it; the refine runs half of its 2 steps
    assert [(c["size"], c["denoise_strength"], c["output_type"]) for c in calls] == [
        ((64, 32), 1.0, "latent"),
        ((128, 64), 0.5, "np"),
    ]
    assert steps == [(1, 3), (2, 3), (3, 3)]  # both passes counted as one run


def test_conditions_go_to_both_passes_each_at_its_size(tiny_pipe, two_pass_card, upsampler, calls, tmp_path):
    picture = tmp_path / "first.png"
    Image.fromarray(np.full((48, 72, 3), 200, np.uint8)).save(picture)
    r = recipe(Mode.IMAGE_TO_VIDEO, conditions=[Condition(path=str(picture), frame_index=0)])
    frames = ltx.generate(tiny_pipe, r, two_pass_card, upsampler=upsampler)
    assert frames.shape == (9, 64, 96, 3)
    assert [c["conditions"] for c in calls] == [[(64, 32)], [(128, 64)]]


def test_a_clip_remade_in_two_passes_starts_each_pass_from_its_latents(
    tiny_pipe, two_pass_card, upsampler, calls, tmp_path
):
    from studio.media.takes import write_frames

    clip = tmp_path / "clip.mkv"
    write_frames(clip, np.random.default_rng(0).integers(0, 255, (9, 64, 96, 3), dtype=np.uint8), 24.0)
    r = recipe(Mode.VIDEO_TO_VIDEO, strength=0.5, conditions=[Condition(path=str(clip))])
    frames = ltx.generate(tiny_pipe, r, two_pass_card, upsampler=upsampler)
    assert frames.shape == (9, 64, 96, 3)
    assert [(c["size"], c["denoise_strength"]) for c in calls] == [((64, 32), 0.5), ((128, 64), 0.5)]


def test_a_one_pass_card_is_unchanged(tiny_pipe, tiny_card, calls):
    frames = ltx.generate(tiny_pipe, recipe(model="tiny-ltx"), tiny_card)
    assert frames.shape == (9, 64, 96, 3)
    assert [(c["size"], c["output_type"]) for c in calls] == [((96, 64), "np")]


def test_the_0_9_7_cards_make_two_passes_and_the_others_one():
    cards = load_cards()
    for name in ("ltx-video-0.9.7-dev", "ltx-video-0.9.7-distilled"):
        assert cards[name].multiscale["upsampler"] == "ltxv-spatial-upscaler-0.9.7"
        assert cards[name].multiscale["first_pass_scale"] == pytest.approx(2 / 3)
        assert cards[name].call["image_cond_noise_scale"] == 0.0 and cards[name].call["guidance_rescale"] == 0.7
    assert cards["ltx-video-0.9.7-distilled"].multiscale["refine_timesteps"] == [1000, 909, 725, 421, 0]
    assert ltx.refine_steps(cards["ltx-video-0.9.7-distilled"]) == 4  # the docs: 4 of its 5
    assert ltx.refine_steps(cards["ltx-video-0.9.7-dev"]) == 4  # 0.4 of 10
    upscaler = cards["ltxv-spatial-upscaler-0.9.7"]
    assert (upscaler.kind, upscaler.repo, upscaler.modes) == ("upsampler", "Lightricks/ltxv-spatial-upscaler-0.9.7", ())
    others = [c.id for c in cards.values() if c.multiscale]
    # and LTX-2's two stages (tests/engine/test_multiscale_ltx2.py)
    assert sorted(others) == ["ltx-2", "ltx-video-0.9.7-dev", "ltx-video-0.9.7-distilled"]


def test_a_card_round_trips_its_two_pass_recipe(two_pass_card, tmp_path):
    (tmp_path / CARD_FILE).write_text(two_pass_card.to_toml(), encoding="utf-8")
    (tmp_path / "model_index.json").write_text("{}", encoding="utf-8")
    assert folder_card(tmp_path).multiscale == two_pass_card.multiscale
    assert type(two_pass_card).from_dict(two_pass_card.to_dict()) == two_pass_card


def test_the_upsampler_is_no_model_to_make_shots_with(models):
    offered = [value for _, value in available_models(models)]
    assert "tiny-ltx-two-pass" in offered and "tiny-ltx-upsampler" not in offered
    with pytest.raises(RequestError):
        prepare(recipe(model="tiny-ltx-upsampler"), models_dir=models)


def test_a_missing_upsampler_is_one_line_saying_what_to_download(tiny_ltx, tiny_card, tmp_path):
    alone = two_pass_model(tiny_ltx, tiny_card, tmp_path)
    card = folder_card(alone)
    message = "download tiny-ltx-upsampler: studio models download tiny-ltx-upsampler"
    with pytest.raises(ModelNotFound, match=message):
        upsampler_folder(card, alone)
    with pytest.raises(RequestError, match=message) as refused:
        prepare(recipe(), models_dir=tmp_path)
    assert "\n" not in str(refused.value)


def test_the_worker_makes_a_two_pass_take_and_its_recipe_says_so(models, tiny_ltx, tiny_card, tmp_path):
    alone = two_pass_model(tiny_ltx, tiny_card, tmp_path / "alone")

    def run(job_id: str, folder: Path) -> dict:
        return {
            "type": "run",
            "job_id": job_id,
            "recipe": recipe(model=str(folder)).to_dict(),
            "output": str(tmp_path / f"{job_id}.mkv"),
        }

    requests = [run("two-pass", models / "tiny-ltx-two-pass"), run("alone", alone), {"type": "quit"}]
    env = {k: v for k, v in os.environ.items() if k not in ("STUDIO_MODELS", "STUDIO_MODELS_PATH")}
    result = subprocess.run(
        [sys.executable, "-m", "studio.engine.runtime.worker"],
        capture_output=True,
        text=True,
        input="".join(json.dumps(r) + "\n" for r in requests),
        env=env | {"PYTHONPATH": str(REPO)},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    events = {(e["job_id"], e["type"]): e for e in map(json.loads, result.stdout.splitlines())}
    done = events[("two-pass", "done")]
    assert (done["frames"], done["width"], done["height"]) == (9, 96, 64)
    assert done["recipe"]["upsampler"].startswith("tiny-ltx-upsampler@")
    assert events[("alone", "failed")]["reason"].startswith(
        "download tiny-ltx-upsampler: studio models download tiny-ltx-upsampler ("
    )
    assert Recipe.from_dict(done["recipe"]).upsampler == done["recipe"]["upsampler"]


def test_a_project_keeps_the_upsampler_a_take_was_made_through():
    from studio.core.schema import InvalidProject, check_recipe

    two_pass = dataclasses.replace(recipe(), upsampler="ltxv-spatial-upscaler-0.9.7@abc123").to_dict()
    check_recipe(two_pass, "take")
    assert Recipe.from_dict(two_pass).upsampler == "ltxv-spatial-upscaler-0.9.7@abc123"
    assert Recipe.from_dict(recipe().to_dict()).upsampler is None  # one pass
    with pytest.raises(InvalidProject):
        check_recipe(two_pass | {"upsampler": 7}, "take")


def test_a_long_two_pass_shot_extends_window_by_window(tiny_pipe, two_pass_card, upsampler, calls, tmp_path):
    """As the worker runs it: the family's takes given the upsampler; no latent carry (each window's
    overlap is encoded from its frames, as the passes' latents are of two sizes)."""
    from studio.engine import windows
    from studio.media.takes import write_frames

    card = dataclasses.replace(two_pass_card, max_frames=9)  # so 13 frames are two windows
    take = tmp_path / "long.mkv"

    def write_partial(frames, done, count):
        write_frames(take, frames, 24.0)
        return str(take)

    frames = windows.generate_long(ltx, tiny_pipe, recipe(frames=13), card, None, write_partial, upsampler=upsampler)
    assert frames.shape == (13, 64, 96, 3)
    assert [c["size"] for c in calls] == [(64, 32), (128, 64)] * 2
    assert [c["conditions"] for c in calls[2:]] == [[(64, 32)], [(128, 64)]]  # the overlap, at each pass's size
