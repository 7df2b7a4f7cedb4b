"""`studio generate --draft`, a shot list's `draft = true` and `studio refine`, run as a user runs them (a
child process, a real worker), with the tiny two-pass LTX: the draft is its first pass with its latents
kept beside it; the refine makes the full take from them; a take that cannot be refined is one line,
exit 2, and nothing written."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import DRAFT, FULL, Recipe
from studio.engine.cards import folder_card
from studio.engine.weights import CARD_FILE
from studio.media.probe import probe
from studio.media.takes import write_frames
from studio.testing.tiny.ltx import tiny_ltx_two_pass_card

SHOT = ("--width", "96", "--height", "64", "--frames", "9", "--seed", "3")


@pytest.fixture(scope="module")
def two_pass(tiny_ltx, tiny_ltx_upsampler, tmp_path_factory) -> Path:
    """The tiny two-pass LTX (its draft: the first pass alone) with its upsampler beside it."""
    folder = tmp_path_factory.mktemp("cli-draft-models")
    card = dataclasses.replace(tiny_ltx_two_pass_card(folder_card(tiny_ltx)), draft={"first_pass_only": True})
    shutil.copytree(tiny_ltx, folder / card.id, ignore=shutil.ignore_patterns(CARD_FILE))
    (folder / card.id / CARD_FILE).write_text(card.to_toml(), encoding="utf-8")
    shutil.copytree(tiny_ltx_upsampler, folder / "tiny-ltx-upsampler")
    return folder / card.id


def sidecar_recipe(take: Path) -> Recipe:
    record = json.loads(take.with_name(f"{take.stem}.recipe.json").read_text(encoding="utf-8"))
    return Recipe.from_dict(record["recipes"][0])


def test_generate_draft_then_refine_makes_the_full_take_from_the_draft_s_latents(studio_cli, two_pass, tmp_path):
    draft = tmp_path / "draft.mkv"
    made = studio_cli("generate", "-p", "a fox in the snow", "-m", str(two_pass), *SHOT, "--draft", "-o", str(draft))
    assert made.returncode == 0, made.stderr
    assert "a draft: 2 steps at 64x32" in made.stderr
    recipe = sidecar_recipe(draft)
    assert (recipe.quality, recipe.width, recipe.height, recipe.full["width"]) == (DRAFT, 64, 32, 96)
    assert (probe(draft).width, probe(draft).height) == (64, 32)
    assert (tmp_path / "draft.latents.safetensors").is_file()

    refined = studio_cli("refine", str(draft), cwd=tmp_path)
    assert refined.returncode == 0, refined.stderr
    out = tmp_path / "draft-refined.mkv"
    assert refined.stdout.strip() == str(out)
    recipe = sidecar_recipe(out)
    assert (recipe.quality, recipe.width, recipe.height, recipe.seed) == (FULL, 96, 64, 3)
    assert recipe.draft["first_pass"] == "saved latents" and recipe.upsampler.startswith("tiny-ltx-upsampler@")
    assert (probe(out).width, probe(out).height) == (96, 64)


def test_a_take_that_cannot_be_refined_is_one_line_and_nothing_is_written(studio_cli, two_pass, tmp_path):
    full = tmp_path / "full.mkv"
    assert studio_cli("generate", "-p", "a fox", "-m", str(two_pass), *SHOT, "-o", str(full)).returncode == 0
    plain = tmp_path / "plain.mkv"
    write_frames(plain, np.zeros((9, 32, 32, 3), np.uint8), 24.0)
    before = sorted(p.name for p in tmp_path.iterdir())
    for take, words in (
        (full, "cannot refine full.mkv: it is not a draft"),
        (plain, "carries no recipe"),
        (tmp_path / "gone.mkv", "does not exist"),
    ):
        result = studio_cli("refine", str(take), cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_a_shot_list_s_draft_shot_is_made_as_a_draft(studio_cli, two_pass, tmp_path):
    shots = tmp_path / "shots.toml"
    shots.write_text(
        '[[shot]]\nname = "quick"\nprompt = "a fox"\nwidth = 96\nheight = 64\nframes = 9\nseed = 1\ndraft = true\n'
        '[[shot]]\nname = "whole"\nprompt = "a fox"\nwidth = 96\nheight = 64\nframes = 9\nseed = 1\n',
        encoding="utf-8",
    )
    result = studio_cli("batch", str(shots), "-m", str(two_pass), "--out", str(tmp_path / "takes"), timeout=300)
    assert result.returncode == 0, result.stderr
    takes = {p.stem.split("-")[0]: p for p in (tmp_path / "takes").glob("*.mkv")}
    assert sidecar_recipe(takes["quick"]).quality == DRAFT and probe(takes["quick"]).width == 64
    assert sidecar_recipe(takes["whole"]).quality == FULL and probe(takes["whole"]).width == 96
    bad = tmp_path / "bad.toml"
    bad.write_text('[[shot]]\nprompt = "a fox"\ndraft = "yes"\n', encoding="utf-8")
    refused = studio_cli("batch", str(bad), "-m", str(two_pass), "--out", str(tmp_path / "bad"))
    assert refused.returncode == 2 and "draft should be true or false" in refused.stderr


def test_refine_in_a_project_lands_the_full_take_on_the_draft_s_clip(studio_cli, two_pass, tmp_path):
    from studio.core import store
    from studio.core.project import Project

    store.save(Project.new("Film"), tmp_path / "Film.studio")
    project_folder = tmp_path / "Film.studio"
    shots = tmp_path / "shots.toml"
    shots.write_text('[[shot]]\nprompt = "a fox"\nwidth = 96\nheight = 64\nframes = 9\nseed = 2\ndraft = true\n')
    made = studio_cli("batch", str(shots), "-m", str(two_pass), "--project", str(project_folder), timeout=300)
    assert made.returncode == 0, made.stderr
    project = store.load(project_folder)
    (clip,) = project.sequence.tracks[0].clips
    draft = project.media[clip.media_id]
    assert draft.recipe.quality == DRAFT
    assert (project_folder / "cache" / "latents" / f"{draft.id}.safetensors").is_file()

    refined = studio_cli("refine", str(project.media_path(draft)), "--project", str(project_folder), timeout=300)
    assert refined.returncode == 0, refined.stderr
    project = store.load(project_folder)
    (clip,) = project.sequence.tracks[0].clips
    full = project.media[clip.media_id]
    assert clip.takes == [draft.id, full.id]
    assert (full.recipe.quality, full.width, full.height, full.recipe.seed) == (FULL, 96, 64, 2)
    assert full.recipe.draft["first_pass"] == "saved latents"
