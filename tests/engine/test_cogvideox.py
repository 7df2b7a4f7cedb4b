"""CogVideoX through the tiny models' real pipelines, loaded back from disk by the loader users' models take.

tiny_cogvideox is laid out like CogVideoX-2b (a CogVideoXPipeline folder; clips are remade by a
CogVideoXVideoToVideoPipeline made from the loaded modules), tiny_cogvideox_i2v like CogVideoX-5b-I2V
(learned position embeddings: one size and length), and the 1.5 folders like CogVideoX1.5-5B and its
I2V model (2-frame temporal patches).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Condition, Mode, Recipe
from studio.engine.cards import Card, folder_card, load_cards
from studio.engine.families.cogvideox.adapter import generate
from studio.engine.jobs import Cancelled, JobDone, JobProgress
from studio.engine.requests import RequestError, prepare
from studio.engine.weights import CARD_FILE
from studio.media.takes import read_frames, write_frames


def load(folder: Path, mode: Mode):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    card = folder_card(folder)
    return load_pipeline(folder, card, pick_device("cpu"), mode=mode), card


@pytest.fixture(scope="module")
def t2v(tiny_cogvideox) -> tuple[object, Card]:
    return load(tiny_cogvideox, Mode.TEXT_TO_VIDEO)


@pytest.fixture(scope="module")
def v2v(t2v) -> tuple[object, Card]:
    from studio.engine.runtime.loader import pipeline_for_mode

    pipe, card = t2v
    return pipeline_for_mode(pipe, card, Mode.VIDEO_TO_VIDEO), card


@pytest.fixture(scope="module")
def i2v(tiny_cogvideox_i2v) -> tuple[object, Card]:
    return load(tiny_cogvideox_i2v, Mode.IMAGE_TO_VIDEO)


@pytest.fixture(scope="module")
def text_recipe(tiny_cogvideox) -> Recipe:
    recipe, notes = prepare(
        Recipe(
            mode=Mode.TEXT_TO_VIDEO,
            model=str(tiny_cogvideox),
            prompt="a red fox runs through the snow",
            width=32,
            height=32,
            frames=9,
            fps=8,
            seed=7,
        )
    )
    assert notes == [] and (recipe.steps, recipe.guidance) == (2, 6.0)  # the tiny card's defaults
    return recipe


@pytest.fixture(scope="module")
def text_frames(t2v, text_recipe) -> np.ndarray:
    pipe, card = t2v
    return generate(pipe, text_recipe, card)


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, np.ndarray]:
    """A lossless 9-frame 32x32 clip of a moving pattern, and its frames."""
    t = np.arange(9)[:, None, None]
    y = np.arange(32)[None, :, None]
    x = np.arange(32)[None, None, :]
    frames = np.stack(np.broadcast_arrays((x * 8 + t * 20) % 256, y * 8 + 0 * x, (x + y + t * 10) % 256), -1)
    frames = np.ascontiguousarray(frames.astype(np.uint8))
    return write_frames(tmp_path_factory.mktemp("clips") / "a.mkv", frames, 8), frames


def run(loaded: tuple[object, Card], recipe: Recipe, **hooks) -> np.ndarray:
    pipe, card = loaded
    return generate(pipe, recipe, card, **hooks)


def image_recipe(recipe: Recipe, model, *paths_at: tuple[object, int]) -> Recipe:
    conditions = [Condition(str(path), index) for path, index in paths_at]
    return dataclasses.replace(recipe, model=str(model), mode=Mode.IMAGE_TO_VIDEO, conditions=conditions)


def remake_recipe(recipe: Recipe, clip_path: Path, strength: float, steps: int = 4) -> Recipe:
    return dataclasses.replace(
        recipe, mode=Mode.VIDEO_TO_VIDEO, conditions=[Condition(str(clip_path))], strength=strength, steps=steps
    )


# -- the cards --------------------------------------------------------------------------------------


def test_the_shipped_cards_say_what_each_model_makes():
    cards = {c.id: c for c in load_cards().values() if c.family == "cogvideox"}
    assert set(cards) == {
        "cogvideox-2b",
        "cogvideox-5b",
        "cogvideox-5b-i2v",
        "cogvideox-1.5-5b",
        "cogvideox-1.5-5b-i2v",
    }
    for card in cards.values():
        assert card.repo.startswith("THUDM/") and (card.default_steps, card.default_guidance) == (50, 6.0)
        assert card.size_multiple == 16 and card.last_frame in ("no", "optional")
    for card_id in ("cogvideox-2b", "cogvideox-5b", "cogvideox-5b-i2v"):
        card = cards[card_id]
        assert (card.frame_step, card.max_frames, card.default_frames, card.default_fps) == (8, 49, 49, 8.0)
        assert (card.default_width, card.default_height, card.max_width, card.max_height) == (720, 480, 720, 480)
    for card_id in ("cogvideox-2b", "cogvideox-5b"):
        assert cards[card_id].modes == (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
        assert cards[card_id].pipeline_for(Mode.TEXT_TO_VIDEO) == "CogVideoXPipeline"
        assert cards[card_id].pipeline_for(Mode.VIDEO_TO_VIDEO) == "CogVideoXVideoToVideoPipeline"
    for card_id in ("cogvideox-5b-i2v", "cogvideox-1.5-5b-i2v"):
        assert cards[card_id].modes == (Mode.IMAGE_TO_VIDEO,) and cards[card_id].last_frame == "no"
        assert cards[card_id].pipeline_for(Mode.IMAGE_TO_VIDEO) == "CogVideoXImageToVideoPipeline"
    for card_id in ("cogvideox-1.5-5b", "cogvideox-1.5-5b-i2v"):
        card = cards[card_id]
        assert (card.frame_step, card.max_frames, card.default_frames, card.default_fps) == (16, 161, 81, 16.0)
        assert (card.default_width, card.default_height) == (1360, 768)
    assert cards["cogvideox-1.5-5b"].modes == (Mode.TEXT_TO_VIDEO,)


def test_a_folder_without_a_card_gets_what_its_configs_allow(
    tiny_cogvideox, tiny_cogvideox_i2v, tiny_cogvideox_15, tiny_cogvideox_15_i2v, tmp_path
):
    sources = (tiny_cogvideox, tiny_cogvideox_i2v, tiny_cogvideox_15, tiny_cogvideox_15_i2v)
    for source in sources:
        shutil.copytree(source, tmp_path / source.name, ignore=shutil.ignore_patterns(CARD_FILE, "*.safetensors"))
    text, image, text_15, image_15 = (folder_card(tmp_path / s.name) for s in sources)
    assert text.modes == (Mode.TEXT_TO_VIDEO, Mode.VIDEO_TO_VIDEO)
    assert text.pipeline_for(Mode.VIDEO_TO_VIDEO) == "CogVideoXVideoToVideoPipeline"
    assert (text.family, text.frame_step, text.size_multiple, text.default_fps) == ("cogvideox", 8, 16, 8.0)
    # learned position embeddings: the one size and length they were made for
    assert image.modes == (Mode.IMAGE_TO_VIDEO,) and image.last_frame == "no"
    assert (image.max_width, image.max_height, image.max_frames, image.default_frames) == (32, 32, 9, 9)
    assert text_15.modes == (Mode.TEXT_TO_VIDEO,) and image_15.modes == (Mode.IMAGE_TO_VIDEO,)
    assert (text_15.frame_step, text_15.default_fps, text_15.max_frames) == (16, 16.0, 161)


# -- text to video ----------------------------------------------------------------------------------


def test_text_to_video_makes_the_requested_frames(text_frames):
    assert text_frames.shape == (9, 32, 32, 3) and text_frames.dtype == np.uint8
    assert text_frames.std() > 5  # a picture, not a flat field


def test_the_same_recipe_gives_identical_frames_and_another_seed_others(t2v, text_recipe, text_frames):
    pipe, card = t2v
    assert np.array_equal(generate(pipe, text_recipe, card), text_frames)
    assert not np.array_equal(generate(pipe, dataclasses.replace(text_recipe, seed=8), card), text_frames)


def test_size_and_frame_count_follow_the_recipe(t2v, text_recipe):
    pipe, card = t2v
    frames = generate(pipe, dataclasses.replace(text_recipe, width=48, height=16, frames=17), card)
    assert frames.shape == (17, 16, 48, 3)


def test_frames_are_8k_plus_1_because_the_vae_decodes_4k_plus_1_longer(t2v, text_recipe):
    pipe, card = t2v
    # 13 = 4*3+1 frames is 4 latent frames, which the VAE decodes two by two to 16 frames.
    with pytest.raises(RuntimeError, match=r"\(16, 32, 32, 3\), not \(13, 32, 32, 3\)"):
        generate(pipe, dataclasses.replace(text_recipe, frames=13), card)
    prepared, notes = prepare(dataclasses.replace(text_recipe, frames=13))
    assert prepared.frames == 17 and notes == ["frames 13 → 17: CogVideoX needs 8k+1 frames"]


def test_progress_is_reported_every_step_and_previews_come_from_the_latents(t2v, text_recipe):
    pipe, card = t2v
    steps, previews = [], []
    generate(pipe, dataclasses.replace(text_recipe, steps=4), card, on_step=lambda s, n: steps.append((s, n)),
             on_preview=previews.append)  # fmt: skip
    assert steps == [(1, 4), (2, 4), (3, 4), (4, 4)]
    assert len(previews) == 2 and all(p.dtype == np.uint8 and p.ndim == 3 and p.shape[2] == 3 for p in previews)
    assert not np.array_equal(previews[0], previews[1])


def test_cancel_stops_between_steps_and_skips_the_decode(t2v, text_recipe, monkeypatch):
    pipe, card = t2v
    decoded = []
    original = pipe.vae.decode
    monkeypatch.setattr(pipe.vae, "decode", lambda *a, **kw: decoded.append(1) or original(*a, **kw))
    steps = []
    with pytest.raises(Cancelled):
        generate(pipe, dataclasses.replace(text_recipe, steps=10), card, on_step=lambda s, n: steps.append(s),
                 should_stop=lambda: len(steps) >= 2)  # fmt: skip
    assert steps == [1, 2] and decoded == []


def test_text_to_video_takes_no_images(t2v, text_recipe, still_images):
    pipe, card = t2v
    with pytest.raises(ValueError, match="text to video takes no input images"):
        generate(pipe, dataclasses.replace(text_recipe, conditions=[Condition(str(still_images[0]), 0)]), card)


# -- video to video ---------------------------------------------------------------------------------


def test_the_video_pipeline_shares_the_loaded_modules(t2v, v2v):
    assert type(v2v[0]).__name__ == "CogVideoXVideoToVideoPipeline"
    assert v2v[0].transformer is t2v[0].transformer and v2v[0].vae is t2v[0].vae


def test_video_to_video_at_strength_0_returns_the_clip_exactly(v2v, text_recipe, clip):
    path, original = clip
    steps = []
    frames = run(v2v, remake_recipe(text_recipe, path, 0.0), on_step=lambda s, n: steps.append(s))
    assert np.array_equal(frames, original) and steps == []


def test_video_to_video_remakes_the_clip_by_strength(v2v, t2v, text_recipe, clip):
    path, original = clip
    plain = generate(t2v[0], dataclasses.replace(text_recipe, steps=4), t2v[1])
    low = run(v2v, remake_recipe(text_recipe, path, 0.25))
    high = run(v2v, remake_recipe(text_recipe, path, 0.75))
    assert low.shape == high.shape == (9, 32, 32, 3)
    assert np.abs(low.astype(int) - high).mean() > 1
    assert np.abs(low.astype(int) - plain).mean() > 2  # the clip shaped the result
    assert np.array_equal(run(v2v, remake_recipe(text_recipe, path, 0.25)), low)  # deterministically


def test_video_to_video_reports_only_the_steps_it_runs(v2v, text_recipe, clip):
    steps = []
    run(v2v, remake_recipe(text_recipe, clip[0], 0.5), on_step=lambda s, n: steps.append((s, n)))
    assert steps == [(1, 2), (2, 2)]


def test_video_to_video_is_prepared_from_the_clip(tiny_cogvideox, text_recipe, clip):
    prepared, notes = prepare(remake_recipe(text_recipe, clip[0], 0.5))
    assert (prepared.frames, prepared.mode, notes) == (9, Mode.VIDEO_TO_VIDEO, [])
    with pytest.raises(RequestError, match="has 9 frames and the shot 17"):
        prepare(dataclasses.replace(remake_recipe(text_recipe, clip[0], 0.5), frames=17))


# -- image to video ---------------------------------------------------------------------------------


def test_image_to_video_is_conditioned_on_the_first_frame(i2v, tiny_cogvideox_i2v, text_recipe, still_images):
    pipe, card = i2v
    first, last = still_images
    assert type(pipe).__name__ == "CogVideoXImageToVideoPipeline"
    recipe, notes = prepare(image_recipe(text_recipe, tiny_cogvideox_i2v, (first, 0)))
    assert notes == []
    frames = generate(pipe, recipe, card)
    assert frames.shape == (9, 32, 32, 3) and frames.std() > 5
    assert np.array_equal(generate(pipe, recipe, card), frames)  # deterministically
    other = generate(pipe, image_recipe(text_recipe, tiny_cogvideox_i2v, (last, 0)), card)
    assert np.abs(other.astype(int) - frames).mean() > 0.5  # another image, another shot


def test_image_to_video_refuses_what_the_model_cannot_take(i2v, tiny_cogvideox_i2v, text_recipe, still_images):
    pipe, card = i2v
    first, last = still_images
    both = image_recipe(text_recipe, tiny_cogvideox_i2v, (first, 0), (last, 8))
    with pytest.raises(ValueError, match="takes one input image, at the first frame"):
        generate(pipe, both, card)
    loose = image_recipe(text_recipe, tiny_cogvideox_i2v, (first, 0))
    loose.conditions[0].strength = 0.5
    with pytest.raises(ValueError, match=r"at full strength \(1.0\), not 0.5"):
        generate(pipe, loose, card)
    # learned position embeddings: one size and one length (720x480 and 49 frames for the real model)
    with pytest.raises(ValueError, match="makes 32x32 video only, not 16x32"):
        generate(pipe, dataclasses.replace(loose, width=16, conditions=[Condition(str(first), 0)]), card)
    with pytest.raises(ValueError, match="makes 9 frames only, not 1"):
        generate(pipe, dataclasses.replace(loose, frames=1, conditions=[Condition(str(first), 0)]), card)


# -- CogVideoX 1.5 ----------------------------------------------------------------------------------


def test_1_5_text_to_video_pads_to_whole_temporal_patches_and_makes_16k_plus_1(tiny_cogvideox_15, text_recipe):
    pipe, card = load(tiny_cogvideox_15, Mode.TEXT_TO_VIDEO)
    assert pipe.transformer.config.patch_size_t == 2 and card.frame_step == 16
    recipe, _ = prepare(dataclasses.replace(text_recipe, model=str(tiny_cogvideox_15), frames=17))
    frames = generate(pipe, recipe, card)
    assert frames.shape == (17, 32, 32, 3) and frames.std() > 5
    assert np.array_equal(generate(pipe, recipe, card), frames)
    with pytest.raises(ValueError, match="makes video up to 64x64, not 80x32"):
        generate(pipe, dataclasses.replace(recipe, width=80), card)


def test_1_5_image_to_video_is_conditioned_on_the_first_frame(tiny_cogvideox_15_i2v, text_recipe, still_images):
    pipe, card = load(tiny_cogvideox_15_i2v, Mode.IMAGE_TO_VIDEO)
    assert pipe.transformer.config.ofs_embed_dim is not None
    first, last = still_images
    recipe, _ = prepare(dataclasses.replace(image_recipe(text_recipe, tiny_cogvideox_15_i2v, (first, 0)), frames=17))
    frames = generate(pipe, recipe, card)
    assert frames.shape == (17, 32, 32, 3) and frames.std() > 5
    assert np.array_equal(generate(pipe, recipe, card), frames)
    other = generate(pipe, dataclasses.replace(recipe, conditions=[Condition(str(last), 0)]), card)
    assert np.abs(other.astype(int) - frames).mean() > 0.5


# -- the checks before a job is queued --------------------------------------------------------------


@pytest.fixture(scope="module")
def models(tiny_cogvideox, tiny_cogvideox_i2v, tmp_path_factory) -> Path:
    """A models folder with the two tiny CogVideoX folders and an LTX card that does every mode."""
    root = tmp_path_factory.mktemp("cogvideox-models")
    for source in (tiny_cogvideox, tiny_cogvideox_i2v):
        shutil.copytree(source, root / source.name)
    ltx = dataclasses.replace(load_cards()["ltx-video-0.9.5"], id="some-ltx", name="some-ltx")
    (root / "some-ltx").mkdir()
    (root / "some-ltx" / CARD_FILE).write_text(ltx.to_toml(), encoding="utf-8")
    return root


def test_a_mode_the_card_does_not_claim_is_refused_naming_models_that_can(models, text_recipe, clip, still_images):
    extend = dataclasses.replace(text_recipe, model="tiny-cogvideox", mode=Mode.EXTEND_FORWARD,
                                 conditions=[Condition(str(clip[0]))])  # fmt: skip
    with pytest.raises(RequestError, match=r"cannot do extend forward \(installed models that can: .*some-ltx"):
        prepare(extend, models_dir=models)
    image = image_recipe(text_recipe, "tiny-cogvideox", (still_images[0], 0))
    with pytest.raises(RequestError) as error:
        prepare(image, models_dir=models)
    assert "cannot do image to video (installed models that can: " in str(error.value)
    assert "tiny-cogvideox-i2v" in str(error.value) and "some-ltx" in str(error.value)
    remake = dataclasses.replace(remake_recipe(text_recipe, clip[0], 0.5), model="tiny-cogvideox-i2v")
    with pytest.raises(RequestError, match="cannot do video to video"):
        prepare(remake, models_dir=models)


# -- the worker and the CLI -------------------------------------------------------------------------


def test_the_engine_service_runs_text_and_video_jobs(tiny_cogvideox, text_recipe, clip, tmp_path):
    from studio.engine.service import EngineService

    from .test_service import Recorder

    service = EngineService(log_dir=tmp_path / "logs")
    events = Recorder()
    service.add_listener(events)
    try:
        text_id = service.submit(text_recipe, tmp_path / "text.mkv")
        remake_id = service.submit(remake_recipe(text_recipe, clip[0], 0.5), tmp_path / "remake.mkv")
        keep_id = service.submit(remake_recipe(text_recipe, clip[0], 0.0), tmp_path / "keep.mkv")
        for job_id in (text_id, remake_id, keep_id):
            done = events.wait_for(job_id, JobDone)
            assert (done.frames, done.width, done.height, done.fps) == (9, 32, 32, 8.0)
        assert [e.step for e in events.of(text_id) if isinstance(e, JobProgress)] == [1, 2]
        assert [e.step for e in events.of(remake_id) if isinstance(e, JobProgress)] == [1, 2]  # 4 steps x 0.5
        text, remade = read_frames(tmp_path / "text.mkv"), read_frames(tmp_path / "remake.mkv")
        assert text.shape == remade.shape == (9, 32, 32, 3)
        assert np.abs(text.astype(int) - remade).mean() > 2  # the worker ran the video pipeline
        assert np.array_equal(read_frames(tmp_path / "keep.mkv"), clip[1])
    finally:
        service.shutdown()


def test_the_cli_makes_a_tiny_cogvideox_and_generates_with_it(studio_cli, tmp_path, clip, still_images):
    model = tmp_path / "tiny"
    made = studio_cli("models", "tiny", "cogvideox", str(model), timeout=300)
    assert made.returncode == 0, made.stderr
    common = ["-m", str(model), "--log-dir", str(tmp_path / "logs"), "--width", "32", "--height", "32"]
    text = tmp_path / "text.mkv"
    result = studio_cli("generate", "-p", "waves", "--frames", "9", "--seed", "3", *common, "-o", str(text),
                        timeout=180)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(text) and read_frames(text).shape == (9, 32, 32, 3)
    remade = tmp_path / "remade.mkv"
    result = studio_cli("generate", "-p", "waves", "--video", str(clip[0]), "--strength", "0", *common,
                        "-o", str(remade), timeout=180)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert np.array_equal(read_frames(remade), clip[1])
    refused = studio_cli("generate", "-p", "waves", "--image", str(still_images[0]), *common,
                         "-o", str(tmp_path / "no.mkv"), timeout=60)  # fmt: skip
    assert refused.returncode == 2 and "cannot do image to video" in refused.stderr
    assert "Traceback" not in refused.stderr and not (tmp_path / "no.mkv").exists()


def test_the_cli_animates_a_first_frame_with_the_i2v_model(studio_cli, tiny_cogvideox_i2v, tmp_path, still_images):
    out = tmp_path / "image.mkv"
    result = studio_cli("generate", "-p", "waves", "--image", str(still_images[0]), "-m", str(tiny_cogvideox_i2v),
                        "--log-dir", str(tmp_path / "logs"), "-o", str(out), timeout=180)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert read_frames(out).shape == (9, 32, 32, 3)


def test_the_shipped_cards_call_each_model_as_its_authors_do():
    from studio.engine.families.cogvideox.adapter import call_arguments

    cards = load_cards()
    # THUDM's cli_demo: dynamic CFG with the DPM scheduler the 5B and 1.5 folders ship, not with 2B's DDIM.
    for card_id in ("cogvideox-5b", "cogvideox-5b-i2v", "cogvideox-1.5-5b", "cogvideox-1.5-5b-i2v"):
        assert cards[card_id].call.get("use_dynamic_cfg") is True, card_id
        assert cards[card_id].dtypes == {"default": "bfloat16"}, card_id
    assert "use_dynamic_cfg" not in cards["cogvideox-2b"].call
    assert cards["cogvideox-2b"].dtypes == {"default": "float16"}  # the 2B's model card: FP16 recommended
    recipe = Recipe(
        mode=Mode.TEXT_TO_VIDEO,
        model="cogvideox-5b",
        prompt="a fox",
        width=720,
        height=480,
        frames=49,
        steps=50,
        guidance=6.0,
    )
    assert call_arguments(recipe, cards["cogvideox-5b"])["use_dynamic_cfg"] is True
    small = dataclasses.replace(recipe, model="cogvideox-2b")
    assert "use_dynamic_cfg" not in call_arguments(small, cards["cogvideox-2b"])
