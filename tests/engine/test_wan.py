"""Wan through the tiny models' real pipelines, loaded back from disk by the loader users' models take.

tiny_wan is laid out like Wan 2.2 TI2V (a WanPipeline folder; its image pipeline is made from the
loaded modules), tiny_wan_i2v like Wan 2.1 I2V and tiny_wan_flf2v like Wan 2.1 FLF2V (each a
WanImageToVideoPipeline with a CLIP image encoder).
"""

from __future__ import annotations

import dataclasses
import shutil
import tomllib

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.cards import Card, CardError, card_from_toml, folder_card, load_card, load_cards
from studio.engine.families.wan.adapter import generate
from studio.engine.jobs import Cancelled, JobDone, JobProgress
from studio.engine.requests import RequestError, prepare
from studio.engine.weights import CARD_FILE


@pytest.fixture(scope="module")
def wan_card(tiny_wan) -> Card:
    return folder_card(tiny_wan)


@pytest.fixture(scope="module")
def wan_pipe(tiny_wan, wan_card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_wan, wan_card, pick_device("cpu"))


@pytest.fixture(scope="module")
def wan_i2v_pipe(wan_pipe, wan_card):
    from studio.engine.runtime.loader import pipeline_for_mode

    return pipeline_for_mode(wan_pipe, wan_card, Mode.IMAGE_TO_VIDEO)


@pytest.fixture(scope="module")
def flf2v_card(tiny_wan_flf2v) -> Card:
    return folder_card(tiny_wan_flf2v)


@pytest.fixture(scope="module")
def flf2v_pipe(tiny_wan_flf2v, flf2v_card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_wan_flf2v, flf2v_card, pick_device("cpu"), mode=Mode.IMAGE_TO_VIDEO)


@pytest.fixture(scope="module")
def text_recipe(tiny_wan) -> Recipe:
    recipe, notes = prepare(
        Recipe(
            mode=Mode.TEXT_TO_VIDEO,
            model=str(tiny_wan),
            prompt="a red fox runs through the snow",
            width=32,
            height=32,
            frames=9,
            fps=16,
            seed=7,
        )
    )
    assert notes == [] and (recipe.steps, recipe.guidance) == (2, 5.0)  # the tiny card's defaults
    return recipe


@pytest.fixture(scope="module")
def text_frames(wan_pipe, wan_card, text_recipe) -> np.ndarray:
    return generate(wan_pipe, text_recipe, wan_card)


def image_recipe(recipe: Recipe, model, *paths_at: tuple[object, int]) -> Recipe:
    conditions = [Condition(str(path), index) for path, index in paths_at]
    return dataclasses.replace(recipe, model=str(model), mode=Mode.IMAGE_TO_VIDEO, conditions=conditions)


def test_the_shipped_wan_cards_name_their_pipelines_and_rules():
    cards = {c.id: c for c in load_cards().values() if c.family == "wan"}
    assert {"wan-2.1-t2v-1.3b", "wan-2.1-i2v-14b-480p", "wan-2.1-flf2v-14b-720p", "wan-2.2-ti2v-5b"} <= set(cards)
    for card in cards.values():
        assert card.frame_step == 4 and card.repo.startswith("Wan-AI/")
    t2v, i2v = cards["wan-2.1-t2v-1.3b"], cards["wan-2.1-i2v-14b-480p"]
    flf2v, ti2v = cards["wan-2.1-flf2v-14b-720p"], cards["wan-2.2-ti2v-5b"]
    assert (t2v.modes, t2v.pipeline_for(Mode.TEXT_TO_VIDEO), t2v.default_fps) == (
        (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO),
        "WanPipeline",
        16,
    )
    assert i2v.pipeline_for(Mode.IMAGE_TO_VIDEO) == "WanImageToVideoPipeline" and i2v.last_frame == "no"
    assert flf2v.last_frame == "required"
    # 2.2's VAE compresses 16x, times the transformer's 2x2 patches: sizes in multiples of 32.
    assert (ti2v.size_multiple, ti2v.default_fps, ti2v.pipeline) == (32, 24, "WanPipeline")
    assert ti2v.pipeline_for(Mode.IMAGE_TO_VIDEO) == "WanImageToVideoPipeline"


def test_a_card_with_a_pipeline_per_mode_round_trips_and_is_checked(tmp_path):
    card = load_cards()["wan-2.2-ti2v-5b"]
    (tmp_path / "again.toml").write_text(card.to_toml(), encoding="utf-8")
    again = load_card(tmp_path / "again.toml")
    assert again == card and again.pipelines == card.pipelines and again.last_frame == "no"
    assert Card.from_dict(card.to_dict()) == card
    data = tomllib.loads(card.to_toml())
    for change, message in [
        ({"pipelines": {"image_to_video": "LTXConditionPipeline"}}, "is not one the studio runs for Wan"),
        ({"modes": ["text_to_video"]}, "[pipelines] names 'image_to_video', which is not one of the card's modes"),
        ({"last_frame": "sometimes"}, "last_frame 'sometimes' should be one of optional, no, required"),
    ]:
        with pytest.raises(CardError) as error:
            card_from_toml({**data, **change}, "wan.toml")
        assert message in str(error.value)


def test_a_wan_folder_without_a_card_gets_what_its_configs_allow(tiny_wan, tiny_wan_i2v, tiny_wan_flf2v, tmp_path):
    for source in (tiny_wan, tiny_wan_i2v, tiny_wan_flf2v):
        shutil.copytree(source, tmp_path / source.name, ignore=shutil.ignore_patterns(CARD_FILE, "*.safetensors"))
    ti2v, i2v, flf2v = (folder_card(tmp_path / s.name) for s in (tiny_wan, tiny_wan_i2v, tiny_wan_flf2v))
    assert ti2v.modes == (Mode.TEXT_TO_VIDEO, Mode.IMAGE_TO_VIDEO) and ti2v.last_frame == "no"
    assert ti2v.pipeline_for(Mode.IMAGE_TO_VIDEO) == "WanImageToVideoPipeline"
    assert i2v.modes == (Mode.IMAGE_TO_VIDEO,) and i2v.last_frame == "no"
    assert flf2v.modes == (Mode.IMAGE_TO_VIDEO,) and flf2v.last_frame == "required"
    assert (ti2v.family, ti2v.frame_step, ti2v.size_multiple) == ("wan", 4, 16)
    assert ti2v.dtypes == {"vae": "float32"} and flf2v.dtypes == {"vae": "float32", "image_encoder": "float32"}


def test_the_image_pipeline_shares_the_loaded_modules(wan_pipe, wan_i2v_pipe, flf2v_pipe):
    assert type(wan_pipe).__name__ == "WanPipeline"
    assert type(wan_i2v_pipe).__name__ == "WanImageToVideoPipeline"
    assert wan_i2v_pipe.transformer is wan_pipe.transformer and wan_i2v_pipe.vae is wan_pipe.vae
    assert wan_i2v_pipe.config.expand_timesteps  # the TI2V way of taking the image is carried over
    assert type(flf2v_pipe).__name__ == "WanImageToVideoPipeline" and flf2v_pipe.image_encoder is not None


def test_text_to_video_makes_the_requested_frames(text_frames):
    assert text_frames.shape == (9, 32, 32, 3) and text_frames.dtype == np.uint8
    assert text_frames.std() > 5  # a picture, not a flat field


def test_the_same_recipe_gives_identical_frames_and_another_seed_others(wan_pipe, wan_card, text_recipe, text_frames):
    assert np.array_equal(generate(wan_pipe, text_recipe, wan_card), text_frames)
    assert not np.array_equal(generate(wan_pipe, dataclasses.replace(text_recipe, seed=8), wan_card), text_frames)


def test_size_and_frame_count_follow_the_recipe(wan_pipe, wan_card, text_recipe):
    frames = generate(wan_pipe, dataclasses.replace(text_recipe, width=48, height=16, frames=5), wan_card)
    assert frames.shape == (5, 16, 48, 3)


def test_a_frame_count_wan_would_round_is_refused_not_rounded(wan_pipe, wan_card, text_recipe):
    # WanPipeline quietly makes 5 frames when asked for 7; a take must have the frames its recipe says.
    with pytest.raises(RuntimeError, match=r"not \(7, 32, 32, 3\)"):
        generate(wan_pipe, dataclasses.replace(text_recipe, frames=7), wan_card)


def test_image_to_video_is_conditioned_on_the_first_frame(
    wan_i2v_pipe, wan_card, tiny_wan, text_recipe, text_frames, still_images
):
    first, last = still_images
    recipe, _ = prepare(image_recipe(text_recipe, tiny_wan, (first, 0)))
    frames = generate(wan_i2v_pipe, recipe, wan_card)
    assert frames.shape == (9, 32, 32, 3)
    assert np.abs(frames.astype(int) - text_frames).mean() > 2  # the image changed the shot
    assert np.array_equal(generate(wan_i2v_pipe, recipe, wan_card), frames)  # and deterministically
    other = generate(wan_i2v_pipe, image_recipe(text_recipe, tiny_wan, (last, 0)), wan_card)
    assert np.abs(other.astype(int) - frames).mean() > 2  # another image, another shot


def test_a_first_frame_model_refuses_a_last_frame(wan_i2v_pipe, wan_card, tiny_wan, text_recipe, still_images):
    first, last = still_images
    with pytest.raises(ValueError, match="takes a first frame only"):
        generate(wan_i2v_pipe, image_recipe(text_recipe, tiny_wan, (first, 0), (last, 8)), wan_card)


def test_wan_2_1_image_to_video_takes_the_first_frame_and_its_clip_features(tiny_wan_i2v, text_recipe, still_images):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    card = folder_card(tiny_wan_i2v)
    pipe = load_pipeline(tiny_wan_i2v, card, pick_device("cpu"), mode=Mode.IMAGE_TO_VIDEO)
    assert type(pipe).__name__ == "WanImageToVideoPipeline" and card.last_frame == "no"
    first, last = still_images
    frames = generate(pipe, image_recipe(text_recipe, tiny_wan_i2v, (first, 0)), card)
    assert frames.shape == (9, 32, 32, 3) and frames.std() > 5
    other = generate(pipe, image_recipe(text_recipe, tiny_wan_i2v, (last, 0)), card)
    assert np.abs(other.astype(int) - frames).mean() > 0.05  # another image, another shot
    with pytest.raises(ValueError, match="takes a first frame only"):
        generate(pipe, image_recipe(text_recipe, tiny_wan_i2v, (first, 0), (last, 8)), card)


def test_first_and_last_frame_is_conditioned_on_both(flf2v_pipe, flf2v_card, tiny_wan_flf2v, text_recipe, still_images):
    first, last = still_images
    recipe, _ = prepare(image_recipe(text_recipe, tiny_wan_flf2v, (first, 0), (last, 8)))
    frames = generate(flf2v_pipe, recipe, flf2v_card)
    assert frames.shape == (9, 32, 32, 3) and frames.std() > 5
    swapped = generate(flf2v_pipe, image_recipe(text_recipe, tiny_wan_flf2v, (last, 0), (first, 8)), flf2v_card)
    assert not np.array_equal(swapped, frames)
    assert np.abs(swapped.astype(int) - frames).mean() > 0.05  # both images reach the model
    with pytest.raises(ValueError, match="needs both a first and a last frame"):
        generate(flf2v_pipe, image_recipe(text_recipe, tiny_wan_flf2v, (first, 0)), flf2v_card)


def test_progress_is_reported_every_step(wan_pipe, wan_card, text_recipe):
    steps = []
    generate(wan_pipe, dataclasses.replace(text_recipe, steps=3), wan_card, on_step=lambda s, n: steps.append((s, n)))
    assert steps == [(1, 3), (2, 3), (3, 3)]


def test_cancel_stops_between_steps_and_skips_the_decode(
    wan_i2v_pipe, wan_card, tiny_wan, text_recipe, still_images, monkeypatch
):
    decoded = []
    original = wan_i2v_pipe.vae.decode
    monkeypatch.setattr(wan_i2v_pipe.vae, "decode", lambda *a, **kw: decoded.append(1) or original(*a, **kw))
    steps = []
    recipe = dataclasses.replace(image_recipe(text_recipe, tiny_wan, (still_images[0], 0)), steps=10)
    with pytest.raises(Cancelled):
        generate(
            wan_i2v_pipe, recipe, wan_card, on_step=lambda s, n: steps.append(s), should_stop=lambda: len(steps) >= 2
        )
    assert steps == [1, 2]
    assert decoded == []


def test_the_engine_service_runs_wan_text_and_image_jobs(tiny_wan, text_recipe, still_images, tmp_path):
    from studio.engine.service import EngineService
    from studio.media.takes import read_frames

    from .test_service import Recorder

    service = EngineService(log_dir=tmp_path / "logs")
    events = Recorder()
    service.add_listener(events)
    try:
        text_id = service.submit(text_recipe, tmp_path / "text.mkv")
        image = image_recipe(text_recipe, tiny_wan, (still_images[0], 0))
        image_id = service.submit(image, tmp_path / "image.mkv")
        for job_id in (text_id, image_id):
            done = events.wait_for(job_id, JobDone)
            assert (done.frames, done.width, done.height, done.fps) == (9, 32, 32, 16.0)
            assert [e.step for e in events.of(job_id) if isinstance(e, JobProgress)] == [1, 2]
        text, image_frames = read_frames(tmp_path / "text.mkv"), read_frames(tmp_path / "image.mkv")
        assert text.shape == image_frames.shape == (9, 32, 32, 3)
        assert np.abs(text.astype(int) - image_frames).mean() > 2  # the worker ran the image pipeline
        assert done.recipe.model_revision.startswith("local-")
    finally:
        service.shutdown()


def test_previews_come_from_the_latents(wan_pipe, wan_card, text_recipe):
    previews = []
    generate(wan_pipe, dataclasses.replace(text_recipe, steps=4), wan_card, on_preview=previews.append)
    assert len(previews) == 2 and all(p.dtype == np.uint8 and p.ndim == 3 for p in previews)
    assert not np.array_equal(previews[0], previews[1])


def test_the_flow_shift_follows_the_shot_size_and_reaches_the_scheduler(wan_pipe, wan_card, text_recipe):
    # The real cards' rule (480 = 3.0, 720 = 5.0) scaled to the tiny model's sizes: 16 = 3.0, 32 = 5.0.
    card = dataclasses.replace(wan_card, flow_shift={16: 3.0, 32: 5.0})
    shipped = wan_pipe.scheduler

    def shifts_run_with(recipe: Recipe) -> set[float]:
        seen: list[float] = []
        generate(wan_pipe, recipe, card, on_step=lambda *_: seen.append(wan_pipe.scheduler.config.flow_shift))
        assert seen and wan_pipe.scheduler is shipped  # the loaded scheduler is back for the next job
        return set(seen)

    for (width, height), expected in {(32, 32): 5.0, (32, 16): 3.0}.items():
        recipe = dataclasses.replace(text_recipe, width=width, height=height, flow_shift=None)
        assert shifts_run_with(recipe) == {expected}, (width, height)
    assert shipped.config.flow_shift == 3.0
    assert shifts_run_with(dataclasses.replace(text_recipe, flow_shift=7.0)) == {7.0}  # the recipe's own wins


def test_the_cards_flow_shift_for_a_size_is_the_nearest_entry():
    card = load_cards()["wan-2.1-vace-14b"]
    assert card.flow_shift_for(1280, 720) == card.flow_shift[720]
    assert card.flow_shift_for(832, 480) == card.flow_shift[480]
    t2v = load_cards()["wan-2.1-t2v-1.3b"]
    assert [t2v.flow_shift_for(*size) for size in ((832, 480), (1280, 720), (720, 1280))] == [3.0, 5.0, 5.0]
    assert t2v.flow_shift_for(1024, 576) == 3.0 and t2v.flow_shift_for(1024, 608) == 5.0  # nearer 480, nearer 720


def test_the_take_records_the_flow_shift_it_was_made_with(tiny_wan, wan_card, text_recipe, tmp_path):
    folder = tmp_path / "wan"
    shutil.copytree(tiny_wan, folder)
    (folder / CARD_FILE).write_text(dataclasses.replace(wan_card, flow_shift={16: 3.0, 32: 5.0}).to_toml())
    asked = dataclasses.replace(text_recipe, model=str(folder), flow_shift=None)
    recipe, _ = prepare(asked)
    assert recipe.flow_shift == 5.0
    assert prepare(dataclasses.replace(asked, height=16))[0].flow_shift == 3.0
    assert prepare(dataclasses.replace(asked, flow_shift=8.0))[0].flow_shift == 8.0  # the recipe's own
    assert Recipe.from_dict(recipe.to_dict()).flow_shift == 5.0
    with pytest.raises(RequestError, match="flow shift"):
        prepare(dataclasses.replace(asked, flow_shift=0.0))


def test_each_component_loads_in_the_precision_the_card_asks(tiny_wan_flf2v, flf2v_card, text_recipe, still_images):
    import torch

    from studio.engine.runtime.loader import Device, load_pipeline

    # As the shipped FLF2V card asks: the VAE and the CLIP image encoder in float32, the rest in the
    # device's half precision (bfloat16 here, on the CPU, only to load it).
    card = dataclasses.replace(flf2v_card, dtypes={"vae": "float32", "image_encoder": "float32"})
    pipe = load_pipeline(tiny_wan_flf2v, card, Device(torch.device("cpu"), torch.bfloat16))
    dtypes = {
        name: {p.dtype for p in module.parameters()}
        for name, module in pipe.components.items()
        if isinstance(module, torch.nn.Module)
    }
    assert dtypes.pop("transformer") == {torch.bfloat16, torch.float32}  # Wan keeps its norms in float32
    assert dtypes == {"vae": {torch.float32}, "image_encoder": {torch.float32}, "text_encoder": {torch.bfloat16}}
    # ... and the mixed pipeline runs: each stage hands the next its own dtype (a GPU's path; the CPU's is float32).
    first, last = still_images
    recipe = dataclasses.replace(image_recipe(text_recipe, tiny_wan_flf2v, (first, 0), (last, 8)), steps=1)
    assert generate(pipe, recipe, card).shape == (9, 32, 32, 3)
    # On a float32 device (the CPU the studio picks) everything stays float32.
    pipe = load_pipeline(tiny_wan_flf2v, card, Device(torch.device("cpu"), torch.float32))
    assert {next(pipe.transformer.parameters()).dtype, next(pipe.vae.parameters()).dtype} == {torch.float32}


def test_a_card_asking_a_precision_for_a_component_the_model_lacks_is_refused(tiny_wan, wan_card):
    import torch

    from studio.engine.runtime.loader import Device, load_pipeline
    from studio.engine.weights import ModelFolderError

    card = dataclasses.replace(wan_card, dtypes={"image_encoder": "float32"})  # 2.2 TI2V has none
    with pytest.raises(ModelFolderError, match="image_encoder"):
        load_pipeline(tiny_wan, card, Device(torch.device("cpu"), torch.bfloat16))


def test_the_shipped_wan_cards_load_and_call_as_the_docs_say():
    cards = {k: c for k, c in load_cards().items() if c.family == "wan"}
    for card in cards.values():
        assert card.dtypes.get("vae") == "float32", card.id  # diffusers' Wan docs: the VAE in float32
        assert card.flow_shift, card.id
    for card_id in ("wan-2.1-i2v-14b-480p", "wan-2.1-flf2v-14b-720p"):
        assert cards[card_id].dtypes["image_encoder"] == "float32"  # the CLIP image encoder too
    assert cards["wan-2.1-flf2v-14b-720p"].default_guidance == 5.5  # diffusers' FLF2V example
    assert cards["wan-2.1-i2v-14b-480p"].default_steps == 40  # Wan's generate.py for image to video
