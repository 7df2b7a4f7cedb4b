"""Model cards: the shipped ones, malformed ones, folder cards and how a model argument resolves."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from studio.core.recipe import Mode
from studio.engine.cards import Card, CardError, ModelNotFound, folder_card, load_card, load_cards, resolve
from studio.engine.weights import (
    CARD_FILE,
    ModelFolderError,
    bundled_models,
    check_folder,
    models_root,
    weights_revision,
)

GOOD = """
id = "test-model"
name = "Test model"
family = "ltx"
repo = "someone/test-model"
modes = ["text_to_video", "image_to_video"]
memory_gb = 8

[frames]
step = 8
max = 121
default = 97

[size]
multiple = 32
max_width = 1024
max_height = 1024
default_width = 768
default_height = 512

[defaults]
fps = 24
steps = 30
guidance = 3.0
"""


def write_card(folder: Path, text: str, name: str = "card.toml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_cards_load_with_the_ltx_rules():
    cards = load_cards()
    assert {"ltx-video-0.9.5", "ltx-video-0.9.7-dev", "ltx-video-0.9.7-distilled"} <= set(cards)
    for card in (c for c in cards.values() if c.family == "ltx" and c.kind == "video"):
        assert card.family == "ltx" and card.pipeline == "LTXConditionPipeline"
        assert card.frame_step == 8 and card.size_multiple == 32
        assert set(card.modes) == set(Mode)  # the condition pipeline does every mode
        # Lightricks' models, downloaded; the demo model ships in studio/models/demo/, trained by the studio.
        assert card.repo.startswith("Lightricks/") if card.id != "demo" else card.repo is None
        assert card.default_fps == 24
    distilled = cards["ltx-video-0.9.7-distilled"]
    assert distilled.default_guidance == 1.0 and distilled.default_steps == len(distilled.call["timesteps"])
    assert cards["ltx-video-0.9.7-dev"].memory_gb > cards["ltx-video-0.9.5"].memory_gb


def test_a_card_round_trips_through_toml_and_dict(tmp_path):
    card = load_card(write_card(tmp_path, GOOD))
    again = load_card(write_card(tmp_path, card.to_toml(), "again.toml"))
    assert again == card
    assert Card.from_dict(json.loads(json.dumps(card.to_dict()))) == card
    hinted = load_card(write_card(tmp_path, 'example_prompt = "a red circle moves left"\n' + GOOD, "hint.toml"))
    assert hinted.example_prompt == "a red circle moves left"
    assert load_card(write_card(tmp_path, hinted.to_toml(), "hint-again.toml")) == hinted
    small = load_card(write_card(tmp_path, "runs_on_cpu = true\n" + GOOD, "small.toml"))
    assert small.runs_on_cpu and not card.runs_on_cpu
    assert small.memory_said.startswith("no GPU needed") and card.memory_said.endswith("GB GPU memory")
    assert load_card(write_card(tmp_path, small.to_toml(), "small-again.toml")) == small


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.replace('name = "Test model"\n', ""), "'name' is missing"),
        (lambda t: t.replace("memory_gb = 8", 'memory_gb = "lots"'), "'memory_gb' should be a number"),
        (lambda t: "runs_on_cpu = 'yes'\n" + t, "'runs_on_cpu' should be true or false, not 'yes'"),
        (lambda t: t.replace("multiple = 32", "multiple = 32.5"), "'multiple' should be a whole number, not 32.5"),
        (lambda t: t.replace('"image_to_video"', '"teleport"'), "'teleport' is not a valid Mode"),
        (lambda t: t.replace('family = "ltx"', 'family = "sora"'), "unknown family 'sora'"),
        (lambda t: t.replace("multiple = 32", "multiple = 16"), "multiple of 32"),
        (lambda t: t.replace("default = 97", "default = 96"), "[frames] default 96 should be 8k+1"),
        (lambda t: t.replace("default_width = 768", "default_width = 700"), "default_width 700"),
        (lambda t: t + "\n[call]\nscheduler = 'ddim'\n", "[call] has scheduler"),
        (lambda t: t.replace("[size]", "[size"), "not a valid TOML file"),
    ],
)
def test_a_malformed_card_is_a_clear_error_naming_the_file(tmp_path, change, message):
    path = write_card(tmp_path, change(GOOD))
    with pytest.raises(CardError) as error:
        load_card(path)
    assert message in str(error.value)
    assert str(path) in str(error.value)


def test_two_cards_with_one_id_are_an_error(tmp_path):
    write_card(tmp_path, GOOD, "a.toml")
    write_card(tmp_path, GOOD, "b.toml")
    with pytest.raises(CardError, match="also used by"):
        load_cards(tmp_path)


def test_the_tiny_model_carries_its_own_card_with_its_vae_rules(tiny_ltx):
    card = folder_card(tiny_ltx)
    assert (tiny_ltx / CARD_FILE).is_file()
    assert card.id == "tiny-ltx"
    assert card.frame_step == 4  # the tiny VAE compresses 4x in time
    assert card.size_multiple == 32  # LTXConditionPipeline.check_inputs demands 32
    assert (card.default_width, card.default_height, card.default_frames, card.default_steps) == (
        64,
        64,
        9,
        2,
    )


def test_a_folder_without_a_card_gets_family_defaults_from_its_configs(tiny_ltx, tmp_path):
    bare = tmp_path / "bare-ltx"
    shutil.copytree(tiny_ltx, bare)
    (bare / CARD_FILE).unlink()
    card = folder_card(bare)
    assert card.family == "ltx" and card.id == "bare-ltx"
    assert card.frame_step == 4  # read from vae/config.json, not assumed
    assert card.default_steps == 40 and card.default_fps == 24
    assert card.valid_frames(card.default_frames)


def test_a_folder_of_another_pipeline_is_refused(tmp_path):
    (tmp_path / "model_index.json").write_text('{"_class_name": "StableDiffusionPipeline"}')
    with pytest.raises(ModelFolderError, match="StableDiffusionPipeline"):
        folder_card(tmp_path)


def test_resolve_a_folder_a_card_id_in_a_models_dir_and_the_hf_cache(tiny_ltx, tmp_path, monkeypatch):
    assert resolve(str(tiny_ltx)).folder == tiny_ltx.resolve()

    # A card id whose weights sit in a user's models folder as <dir>/<id>/.
    models = tmp_path / "models"
    shutil.copytree(tiny_ltx, models / "ltx-video-0.9.5")
    (models / "ltx-video-0.9.5" / CARD_FILE).unlink()  # as downloaded: a diffusers folder, no studio card
    found = resolve("ltx-video-0.9.5", models_dir=models)
    assert found.card.id == "ltx-video-0.9.5" and found.folder == models / "ltx-video-0.9.5"
    # A folder with its own card in a models folder resolves by that card's id.
    shutil.copytree(tiny_ltx, models / "my-tiny")
    assert resolve("tiny-ltx", models_dir=models).folder == models / "my-tiny"

    # A card id found in the Hugging Face cache, offline, by its repo's snapshot.
    import huggingface_hub.constants

    cache = tmp_path / "hf"
    commit = "0123456789abcdef0123456789abcdef01234567"
    repo_dir = cache / "models--Lightricks--LTX-Video-0.9.7-dev"
    shutil.copytree(tiny_ltx, repo_dir / "snapshots" / commit)
    (repo_dir / "refs").mkdir()
    (repo_dir / "refs" / "main").write_text(commit)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(cache))
    found = resolve("ltx-video-0.9.7-dev", models_dir=models)
    assert found.folder == repo_dir / "snapshots" / commit
    assert weights_revision(found.folder) == commit
    assert resolve("Lightricks/LTX-Video-0.9.7-dev", models_dir=models).card.id == "ltx-video-0.9.7-dev"


def test_a_bare_card_id_is_the_card_even_beside_a_folder_of_that_name(tiny_ltx, tmp_path, monkeypatch):
    models = tmp_path / "models"
    shutil.copytree(tiny_ltx, models / "my-tiny")  # card id tiny-ltx, installed
    shutil.copytree(tiny_ltx, tmp_path / "work" / "tiny-ltx")
    (tmp_path / "work" / "ltx-video-0.9.5").mkdir()  # a known card that is not downloaded
    shutil.copytree(tiny_ltx, tmp_path / "work" / "ltx-video-0.9.5", dirs_exist_ok=True)
    monkeypatch.chdir(tmp_path / "work")
    assert resolve("tiny-ltx", models_dir=models).folder == models / "my-tiny"
    assert resolve("./tiny-ltx", models_dir=models).folder == (tmp_path / "work" / "tiny-ltx").resolve()
    # No installed card by that name: the folder it names is the model, as before.
    assert resolve("ltx-video-0.9.5", models_dir=models).folder == (tmp_path / "work" / "ltx-video-0.9.5").resolve()


def test_an_unknown_model_names_the_installed_ones(tiny_ltx, tmp_path):
    models = tmp_path / "models"
    shutil.copytree(tiny_ltx, models / "tiny")
    with pytest.raises(ModelNotFound) as error:
        resolve("ltx-video-9000", models_dir=models)
    message = str(error.value)
    assert "unknown model 'ltx-video-9000'" in message
    assert "installed models: demo, tiny-ltx" in message  # the demo model ships with the studio
    assert "ltx-video-0.9.5" in message  # known, not downloaded
    with pytest.raises(ModelNotFound, match="no model folder at"):
        resolve(str(tmp_path / "nowhere" / "model"))


def test_a_local_revision_is_stable_and_follows_the_weights(tiny_ltx, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny_ltx, copy)
    assert weights_revision(copy) == weights_revision(tiny_ltx)
    assert weights_revision(copy).startswith("local-")
    weights = copy / "transformer" / "diffusion_pytorch_model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    assert weights_revision(copy) != weights_revision(tiny_ltx)


def test_the_models_folder_comes_from_the_argument_else_studio_models(tiny_ltx, tmp_path, monkeypatch):
    from studio.engine.weights import bundled_models, search_dirs

    monkeypatch.delenv("STUDIO_MODELS_PATH", raising=False)
    monkeypatch.setenv("STUDIO_MODELS", str(tmp_path))
    assert search_dirs() == [tmp_path, models_root(), bundled_models()]
    assert search_dirs(tiny_ltx.parent) == [tiny_ltx.parent, models_root(), bundled_models()]
    shutil.copytree(tiny_ltx, tmp_path / "tiny-ltx")
    assert resolve("tiny-ltx").folder == tmp_path / "tiny-ltx"


def round_trip_and_refusals(tmp_path: Path, text: str, refusals: list) -> Card:
    """The card in `text`, after checking that it reads back the same from its TOML and from its JSON (the
    worker gets the card so), and that each (change, message) of `refusals` is refused with that message."""
    card = load_card(write_card(tmp_path, text))
    assert load_card(write_card(tmp_path, card.to_toml(), "again.toml")) == card
    assert Card.from_dict(json.loads(json.dumps(card.to_dict()))) == card
    for change, message in refusals:
        with pytest.raises(CardError, match=re.escape(message)):
            load_card(write_card(tmp_path, change(text), "bad.toml"))
    return card


def test_flow_shift_and_dtypes_round_trip_and_are_checked(tmp_path):
    wan = GOOD.replace('family = "ltx"', 'family = "wan"').replace('"LTXConditionPipeline"', '"WanVACEPipeline"')
    wan = wan.replace("[frames]", '[flow_shift]\n480 = 3.0\n720 = 5\n\n[dtypes]\nvae = "float32"\n\n[frames]')
    refusals = [
        (lambda t: t.replace("480 = 3.0", "480 = -1.0"), "[flow_shift] 480 should be a positive shift"),
        (lambda t: t.replace("480 = 3.0", "wide = 3.0"), "[flow_shift] key 'wide'"),
        (lambda t: t.replace('vae = "float32"', 'vae = "float8"'), "[dtypes] vae = 'float8'"),
    ]
    card = round_trip_and_refusals(tmp_path, wan, refusals)
    assert card.flow_shift == {480: 3.0, 720: 5.0} and card.dtypes == {"vae": "float32"}
    shifted = GOOD.replace("[frames]", "[flow_shift]\n480 = 3.0\n\n[frames]")
    assert load_card(write_card(tmp_path, shifted, "ltx.toml")).flow_shift == {480: 3.0}  # LTX's schedule too
    cog = shifted.replace('family = "ltx"', 'family = "cogvideox"').replace(
        '"LTXConditionPipeline"', '"CogVideoXPipeline"'
    )
    with pytest.raises(CardError, match=re.escape("[flow_shift] is for Wan's scheduler and LTX's schedule, not")):
        load_card(write_card(tmp_path, cog, "cog.toml"))


def test_a_mode_can_have_its_own_default_guidance(tmp_path):
    text = GOOD + "\n[mode_guidance]\nimage_to_video = 1.5\n"
    refusals = [
        (lambda t: t.replace("image_to_video = 1.5", "loop = 1.5"), "[mode_guidance] names 'loop', which is not"),
        (lambda t: t.replace("image_to_video = 1.5", "image_to_video = -1"), "image_to_video should not be negative"),
        (lambda t: t.replace("image_to_video = 1.5", 'image_to_video = "low"'), "'image_to_video' should be a number"),
    ]
    card = round_trip_and_refusals(tmp_path, text, refusals)
    assert card.guidance_for(Mode.IMAGE_TO_VIDEO) == 1.5 and card.guidance_for(Mode.TEXT_TO_VIDEO) == 3.0
    assert card.guidance_for("image_to_video") == 1.5


# Where a shipped card's default comes from: a comment on its line or on the line above it; in [call],
# [draft] and [mode_guidance], a comment anywhere above it in the table.
SOURCED = {"defaults": ("fps", "steps", "guidance"), "frames": ("default",), "size": ("default_width",)}


def test_every_default_of_a_shipped_card_says_its_source():
    missing = []
    for path in sorted(bundled_models().glob("*.toml")):
        table, above, table_commented = "", False, False
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if text.startswith("["):
                table, above, table_commented = text.strip("[]"), False, False
            elif text.startswith("#"):
                above = table_commented = True
            elif "=" in text:
                key = text.split("=")[0].strip()
                commented_table = table in ("call", "draft", "mode_guidance")
                sourced = "#" in text or above or (commented_table and table_commented)
                if (key in SOURCED.get(table, ()) or commented_table) and not sourced:
                    missing.append(f"{path.name} [{table}] {key}")
                above = False
    assert missing == []


def test_a_first_frame_transformer_is_a_folder_inside_the_models_and_is_checked(tmp_path):
    """[first_frame] (the demo model's text to video in two steps): a plain folder name inside the model's, for an
    LTX card that has both modes it joins, never with [multiscale]; a model folder without it is incomplete."""
    text = GOOD + '\n[first_frame]\ntransformer = "first_frame"\n'
    refusals = [
        (
            lambda t: t.replace('"first_frame"\n', '"../elsewhere"\n'),
            "transformer should name a folder inside the model's",
        ),
        (lambda t: t.replace('transformer = "first_frame"', "steps = 4"), "[first_frame]: unknown steps"),
        (
            lambda t: t.replace('"text_to_video", "image_to_video"', '"text_to_video"'),
            "needs text_to_video and image_to_video",
        ),
        (
            lambda t: t.replace('family = "ltx"', 'family = "wan"'),
            "the studio makes Wan text to video in one step only",
        ),
        (
            lambda t: (
                t
                + '\n[multiscale]\nupsampler = "up"\nfirst_pass_scale = 0.5\nrefine_strength = 0.4\nrefine_steps = 10\n'
            ),
            "[first_frame] and [multiscale] do not go together",
        ),
    ]
    card = round_trip_and_refusals(tmp_path, text, refusals)
    assert card.first_frame == {"transformer": "first_frame"} and card.own_parts == ("first_frame",)
    assert load_card(write_card(tmp_path, GOOD, "plain.toml")).own_parts == ()


def test_the_demo_models_folder_holds_its_first_frame_transformer():
    demo = resolve("demo")
    assert demo.card.own_parts == ("first_frame",)
    check_folder(demo.folder, demo.card.own_parts)  # shipped whole


def test_a_model_folder_without_its_cards_own_parts_is_incomplete(tiny_ltx, tmp_path):
    check_folder(tiny_ltx)
    with pytest.raises(ModelFolderError, match="the 'first_frame' folder is missing; download the model again"):
        check_folder(tiny_ltx, ("first_frame",))
    (tiny_ltx / "first_frame").mkdir()
    (tiny_ltx / "first_frame" / "config.json").write_text("{}")
    try:
        with pytest.raises(ModelFolderError, match="first_frame/ has no .safetensors weights"):
            check_folder(tiny_ltx, ("first_frame",))
    finally:
        shutil.rmtree(tiny_ltx / "first_frame")
