"""HunyuanVideo 1.5 through the tiny models' real pipelines, loaded back from disk by the loader users' models take.

tiny_hunyuan15 is laid out like the 480p_t2v checkpoint (a HunyuanVideo15Pipeline folder) and
tiny_hunyuan15_i2v like the 480p_i2v one (a HunyuanVideo15ImageToVideoPipeline folder with a SigLIP
image encoder). Both have the real text encoders' classes: a Qwen2.5-VL text model and a T5 glyph
encoder with a ByT5 tokenizer.
"""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.cards import Card, folder_card, load_cards
from studio.engine.families.hunyuan15.adapter import generate
from studio.engine.jobs import Cancelled
from studio.engine.requests import RequestError, prepare
from studio.engine.weights import CARD_FILE
from studio.media.takes import read_frames


@pytest.fixture(scope="module")
def t2v_card(tiny_hunyuan15) -> Card:
    return folder_card(tiny_hunyuan15)


@pytest.fixture(scope="module")
def t2v_pipe(tiny_hunyuan15, t2v_card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_hunyuan15, t2v_card, pick_device("cpu"), mode=Mode.TEXT_TO_VIDEO)


@pytest.fixture(scope="module")
def i2v_card(tiny_hunyuan15_i2v) -> Card:
    return folder_card(tiny_hunyuan15_i2v)


@pytest.fixture(scope="module")
def i2v_pipe(tiny_hunyuan15_i2v, i2v_card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_hunyuan15_i2v, i2v_card, pick_device("cpu"), mode=Mode.IMAGE_TO_VIDEO)


@pytest.fixture(scope="module")
def text_recipe(tiny_hunyuan15) -> Recipe:
    recipe, notes = prepare(
        Recipe(
            mode=Mode.TEXT_TO_VIDEO,
            model=str(tiny_hunyuan15),
            prompt="a red fox runs through the snow",
            width=32,
            height=32,
            frames=9,
            fps=24,
            seed=7,
        )
    )
    assert notes == [] and (recipe.steps, recipe.guidance) == (2, 6.0)  # the tiny card's defaults
    return recipe


@pytest.fixture(scope="module")
def text_frames(t2v_pipe, t2v_card, text_recipe) -> np.ndarray:
    return generate(t2v_pipe, text_recipe, t2v_card)


@pytest.fixture(scope="module")
def image_recipe(tiny_hunyuan15_i2v, text_recipe, still_images) -> Recipe:
    recipe, notes = prepare(first_frame(text_recipe, tiny_hunyuan15_i2v, still_images[0]))
    assert notes == []
    return recipe


@pytest.fixture(scope="module")
def image_frames(i2v_pipe, i2v_card, image_recipe) -> np.ndarray:
    return generate(i2v_pipe, image_recipe, i2v_card)


def first_frame(recipe: Recipe, model, path, index: int = 0) -> Recipe:
    return dataclasses.replace(
        recipe, model=str(model), mode=Mode.IMAGE_TO_VIDEO, conditions=[Condition(str(path), index)]
    )


def test_the_shipped_cards_name_the_real_checkpoints_and_their_rules():
    cards = {c.id: c for c in load_cards().values() if c.family == "hunyuan15"}
    assert set(cards) == {f"hunyuanvideo-1.5-{r}-{k}" for r in ("480p", "720p") for k in ("t2v", "i2v")}
    for card_id, card in cards.items():
        resolution, kind = card_id.split("-")[-2:]
        assert card.repo == f"hunyuanvideo-community/HunyuanVideo-1.5-Diffusers-{resolution}_{kind}"
        assert (card.frame_step, card.size_multiple, card.default_fps, card.default_steps) == (4, 16, 24, 50)
        assert card.default_frames == card.max_frames == 121 and card.last_frame == "no"
        if kind == "t2v":
            assert (card.pipeline, card.modes) == ("HunyuanVideo15Pipeline", (Mode.TEXT_TO_VIDEO,))
        else:
            assert (card.pipeline, card.modes) == ("HunyuanVideo15ImageToVideoPipeline", (Mode.IMAGE_TO_VIDEO,))
        # The checkpoint's own 16:9 bucket: target_size 640 for 480p, 960 for 720p.
        size = (card.default_width, card.default_height)
        assert size == ((848, 480) if resolution == "480p" else (1280, 720))
    assert cards["hunyuanvideo-1.5-720p-t2v"].memory_gb > cards["hunyuanvideo-1.5-480p-t2v"].memory_gb


def test_a_folder_without_a_card_gets_what_its_configs_allow(tiny_hunyuan15, tiny_hunyuan15_i2v, tmp_path):
    for source in (tiny_hunyuan15, tiny_hunyuan15_i2v):
        shutil.copytree(source, tmp_path / source.name, ignore=shutil.ignore_patterns(CARD_FILE, "*.safetensors"))
    t2v, i2v = (folder_card(tmp_path / s.name) for s in (tiny_hunyuan15, tiny_hunyuan15_i2v))
    assert (t2v.family, t2v.pipeline, t2v.modes) == ("hunyuan15", "HunyuanVideo15Pipeline", (Mode.TEXT_TO_VIDEO,))
    assert (i2v.pipeline, i2v.modes, i2v.last_frame) == (
        "HunyuanVideo15ImageToVideoPipeline",
        (Mode.IMAGE_TO_VIDEO,),
        "no",
    )
    assert (t2v.frame_step, t2v.size_multiple, t2v.default_guidance) == (4, 16, 6.0)
    # A 720p checkpoint's configs, CFG-distilled: its 16:9 bucket and its guider's scale.
    folder = tmp_path / tiny_hunyuan15.name
    config = json.loads((folder / "transformer" / "config.json").read_text())
    (folder / "transformer" / "config.json").write_text(json.dumps({**config, "target_size": 960}))
    guider = json.loads((folder / "guider" / "guider_config.json").read_text())
    (folder / "guider" / "guider_config.json").write_text(json.dumps({**guider, "guidance_scale": 1.0}))
    card = folder_card(folder)
    assert (card.default_width, card.default_height, card.default_guidance) == (1280, 720, 1.0)


def test_the_loader_gives_each_folder_its_own_pipeline(t2v_pipe, i2v_pipe):
    assert type(t2v_pipe).__name__ == "HunyuanVideo15Pipeline"
    assert type(i2v_pipe).__name__ == "HunyuanVideo15ImageToVideoPipeline"
    assert type(i2v_pipe.image_encoder).__name__ == "SiglipVisionModel"
    assert type(t2v_pipe.text_encoder).__name__ == "Qwen2_5_VLTextModel"
    assert type(t2v_pipe.tokenizer_2).__name__ == "ByT5Tokenizer"


def test_the_prompt_is_not_cropped_off_with_the_template(t2v_pipe):
    # The pipeline drops the chat template's first 108 tokens (Qwen2.5-VL's system prompt); the tiny
    # tokenizer's system prompt must be longer, or the prompt itself would be cut.
    messages = [[{"role": "system", "content": t2v_pipe.system_message}, {"role": "user", "content": "x"}]]
    ids = t2v_pipe.tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)[
        "input_ids"
    ][0]
    assert len(ids) > t2v_pipe.prompt_template_encode_start_idx + 10


def test_text_to_video_makes_the_requested_frames(text_frames):
    assert text_frames.shape == (9, 32, 32, 3) and text_frames.dtype == np.uint8
    assert text_frames.std() > 5  # a picture, not a flat field


def test_the_same_recipe_gives_identical_frames_and_another_seed_or_prompt_others(
    t2v_pipe, t2v_card, text_recipe, text_frames
):
    assert np.array_equal(generate(t2v_pipe, text_recipe, t2v_card), text_frames)
    assert not np.array_equal(generate(t2v_pipe, dataclasses.replace(text_recipe, seed=8), t2v_card), text_frames)
    other = generate(t2v_pipe, dataclasses.replace(text_recipe, prompt="waves crash on the rocks"), t2v_card)
    assert not np.array_equal(other, text_frames)


def test_size_and_frame_count_follow_the_recipe(t2v_pipe, t2v_card, text_recipe):
    frames = generate(t2v_pipe, dataclasses.replace(text_recipe, width=48, height=16, frames=5), t2v_card)
    assert frames.shape == (5, 16, 48, 3)


def test_a_frame_count_the_pipeline_would_round_is_refused_not_rounded(t2v_pipe, t2v_card, text_recipe):
    with pytest.raises(RuntimeError, match=r"not \(7, 32, 32, 3\)"):
        generate(t2v_pipe, dataclasses.replace(text_recipe, frames=7), t2v_card)


def test_the_guidance_goes_to_the_guider_for_the_call_only(t2v_pipe, t2v_card, text_recipe, text_frames):
    guider = t2v_pipe.guider
    unguided = generate(t2v_pipe, dataclasses.replace(text_recipe, guidance=1.0), t2v_card)
    assert not np.array_equal(unguided, text_frames)  # one pass, not uncond + 6 x (cond - uncond)
    assert t2v_pipe.guider is guider and guider.guidance_scale == 6.0


def test_quoted_text_goes_through_the_glyph_encoder(t2v_pipe, t2v_card, text_recipe):
    calls = []
    handle = t2v_pipe.text_encoder_2.register_forward_hook(lambda *a: calls.append(1))
    try:
        generate(t2v_pipe, dataclasses.replace(text_recipe, prompt="a fox"), t2v_card)
        assert calls == []  # no quoted text: the glyph embeddings are zeros
        generate(t2v_pipe, dataclasses.replace(text_recipe, prompt='a sign that reads "OPEN"'), t2v_card)
        assert calls  # the positive prompt's glyphs, encoded
    finally:
        handle.remove()


def test_image_to_video_is_conditioned_on_the_first_frame(
    i2v_pipe, i2v_card, tiny_hunyuan15_i2v, text_recipe, image_recipe, image_frames, still_images
):
    assert image_frames.shape == (9, 32, 32, 3) and image_frames.std() > 5
    assert np.array_equal(generate(i2v_pipe, image_recipe, i2v_card), image_frames)  # deterministic
    other = generate(i2v_pipe, first_frame(text_recipe, tiny_hunyuan15_i2v, still_images[1]), i2v_card)
    assert np.abs(other.astype(int) - image_frames).mean() > 0.5  # another image, another shot


def test_image_to_video_makes_the_recipes_size_not_the_pipelines_bucket(i2v_pipe, i2v_card, image_recipe):
    # Left to itself the pipeline would pick the bucket nearest the image's aspect (32x32 for these).
    for width, height in ((48, 32), (32, 64)):
        frames = generate(i2v_pipe, dataclasses.replace(image_recipe, width=width, height=height, frames=5), i2v_card)
        assert frames.shape == (5, height, width, 3)
    assert "calculate_default_height_width" not in vars(i2v_pipe.video_processor)  # put back after the call


def test_image_to_video_takes_a_first_frame_only(i2v_pipe, i2v_card, tiny_hunyuan15_i2v, image_recipe, still_images):
    first, last = still_images
    both = dataclasses.replace(image_recipe, conditions=[Condition(str(first), 0), Condition(str(last), 8)])
    with pytest.raises(ValueError, match="takes a first frame only, not an input image at frame 8"):
        generate(i2v_pipe, both, i2v_card)
    with pytest.raises(ValueError, match="needs an input image at the first frame"):
        generate(i2v_pipe, dataclasses.replace(image_recipe, conditions=[]), i2v_card)
    weak = dataclasses.replace(image_recipe, conditions=[Condition(str(first), 0, strength=0.5)])
    with pytest.raises(ValueError, match="at full strength"):
        generate(i2v_pipe, weak, i2v_card)


def test_text_to_video_refuses_an_input_image(t2v_pipe, t2v_card, text_recipe, still_images):
    with pytest.raises(ValueError, match="text to video takes no input images"):
        generate(t2v_pipe, dataclasses.replace(text_recipe, conditions=[Condition(str(still_images[0]), 0)]), t2v_card)


def test_a_mode_the_folder_cannot_do_is_refused_naming_the_models_that_can(
    tiny_hunyuan15, tiny_hunyuan15_i2v, text_recipe, still_images, tmp_path
):
    models = tmp_path / "models"
    models.mkdir()
    for folder in (tiny_hunyuan15, tiny_hunyuan15_i2v):
        (models / folder.name).symlink_to(folder, target_is_directory=True)
    image = first_frame(text_recipe, "tiny-hunyuan15", still_images[0])
    with pytest.raises(RequestError) as error:
        prepare(image, models_dir=models)
    assert str(error.value) == (
        "Tiny HunyuanVideo 1.5, text (test model, random weights) cannot do image to video "
        "(installed models that can: demo, tiny-hunyuan15-i2v)"  # the demo ships with the studio
    )
    text = dataclasses.replace(text_recipe, model="tiny-hunyuan15-i2v")
    can = r"installed models that can: demo, tiny-hunyuan15"  # the demo ships with the studio
    with pytest.raises(RequestError, match=rf"cannot do text to video \({can}\)"):
        prepare(text, models_dir=models)


def test_progress_is_reported_every_step(i2v_pipe, i2v_card, image_recipe):
    steps = []
    generate(i2v_pipe, dataclasses.replace(image_recipe, steps=3), i2v_card, on_step=lambda s, n: steps.append((s, n)))
    assert steps == [(1, 3), (2, 3), (3, 3)]
    assert "step" not in vars(i2v_pipe.scheduler)  # the scheduler's own step again


def test_cancel_stops_between_steps_and_skips_the_decode(t2v_pipe, t2v_card, text_recipe, monkeypatch):
    decoded = []
    original = t2v_pipe.vae.decode
    monkeypatch.setattr(t2v_pipe.vae, "decode", lambda *a, **kw: decoded.append(1) or original(*a, **kw))
    guider = t2v_pipe.guider
    steps = []
    with pytest.raises(Cancelled):
        generate(
            t2v_pipe,
            dataclasses.replace(text_recipe, steps=10, guidance=3.0),
            t2v_card,
            on_step=lambda s, n: steps.append(s),
            should_stop=lambda: len(steps) >= 2,
        )
    assert steps == [1, 2] and decoded == []
    assert t2v_pipe.guider is guider and "step" not in vars(t2v_pipe.scheduler)  # put back after a cancel too


def test_previews_come_from_the_latents(t2v_pipe, t2v_card, text_recipe):
    previews = []
    generate(t2v_pipe, dataclasses.replace(text_recipe, steps=4), t2v_card, on_preview=previews.append)
    assert len(previews) == 2 and all(p.dtype == np.uint8 and p.ndim == 3 for p in previews)
    assert not np.array_equal(previews[0], previews[1])


def test_the_cli_generates_text_and_first_frame_shots(
    studio_cli, tiny_hunyuan15, tiny_hunyuan15_i2v, still_images, tmp_path
):
    text, image = tmp_path / "text.mkv", tmp_path / "image.mp4"
    runs = ((tiny_hunyuan15, [], text), (tiny_hunyuan15_i2v, ["--image", str(still_images[0])], image))
    for model, extra, out in runs:
        result = studio_cli(
            "generate",
            "-m",
            str(model),
            "-p",
            "a red fox runs through the snow",
            *extra,
            "--frames",
            "9",
            "--width",
            "48",
            "--height",
            "32",
            "--seed",
            "3",
            "-o",
            str(out),
            "--log-dir",
            str(tmp_path / "logs"),
            timeout=240,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == str(out)
        assert "step 1/2" in result.stderr and "step 2/2" in result.stderr
    assert read_frames(text).shape == (9, 32, 48, 3)
    assert read_frames(image).shape == (9, 32, 48, 3)
