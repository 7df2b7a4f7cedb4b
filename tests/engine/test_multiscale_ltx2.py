"""LTX-2's two passes (its card's [multiscale], diffusers' "Two-stages Generation") with the tiny LTX-2: the
shot at half size to video and audio latents, the video latents upsampled by the model's own latent
upsampler, a refine at full size with the distilled LoRA on STAGE_2_DISTILLED_SIGMA_VALUES that carries the
sound's latents; the take at the size asked for with its whole sound; the download plan and the refusals."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest

from studio.core.recipe import Mode, Recipe
from studio.core.timebase import FrameRate
from studio.engine.cards import ModelNotFound, folder_card, load_cards, upsampler_folder
from studio.engine.download import plan_download
from studio.engine.families.ltx2 import adapter as ltx2
from studio.engine.requests import RequestError, prepare
from studio.media.audio import frame_sample
from tests.engine.test_download import FakeHub

LORA = "tiny-ltx2-distilled-lora.safetensors"


@pytest.fixture(scope="module")
def card(tiny_ltx2_two_pass):
    return folder_card(tiny_ltx2_two_pass)


@pytest.fixture(scope="module")
def pipe(tiny_ltx2_two_pass, card):
    from studio.engine.runtime.loader import load_pipeline, pick_device

    return load_pipeline(tiny_ltx2_two_pass, card, pick_device("cpu"))


@pytest.fixture(scope="module")
def upsampler(pipe, card, tiny_ltx2_two_pass):
    """The tiny model's latent upsampler, and its LoRA loaded into the pipeline (through peft, a dependency)."""
    return ltx2.load_upsampler(upsampler_folder(card, tiny_ltx2_two_pass), pipe, card)


def recipe(**kw) -> Recipe:
    base = dict(
        mode=Mode.TEXT_TO_VIDEO,
        model="tiny-ltx2-two-pass",
        prompt="waves on rocks",
        seed=3,
        steps=2,
        guidance=3.0,
        width=128,
        height=64,
        frames=9,
    )
    return Recipe(**(base | kw))


def test_a_two_pass_ltx2_shot_refines_the_upsampled_latents_with_the_lora_and_keeps_its_sound(
    pipe, card, upsampler, monkeypatch
):
    calls: list[dict] = []
    original = type(pipe).__call__

    def spy(self, **arguments):
        lora_on = any(
            not getattr(m, "disable_adapters", True) for m in self.transformer.modules() if hasattr(m, "lora_A")
        )
        calls.append(
            {
                "size": (arguments["width"], arguments["height"]),
                "output": arguments["output_type"],
                "sigmas": arguments.get("sigmas"),
                "audio": arguments.get("audio_latents") is not None,
                "latents": None if arguments.get("latents") is None else tuple(arguments["latents"].shape),
                "lora": lora_on,
                "dynamic": self.scheduler.config.use_dynamic_shifting,
            }
        )
        return original(self, **arguments)

    monkeypatch.setattr(type(pipe), "__call__", spy)
    steps: list[tuple[int, int]] = []
    frames, sound, rate = ltx2.generate_with_audio(
        pipe, recipe(), card, on_step=lambda s, t: steps.append((s, t)), upsampler=upsampler
    )
    assert frames.shape == (9, 64, 128, 3) and frames.dtype == np.uint8  # the size asked for
    assert sound.shape == (frame_sample(9, FrameRate.parse(24.0), rate), 2)  # as long as a one-pass take's
    assert np.abs(sound).max() > 0
    first, refine = calls
    assert (first["size"], first["output"], first["lora"], first["audio"]) == ((64, 32), "latent", False, False)
    # the upsampled latents (twice the first pass's width and height) and the first pass's sound latents
    scale = pipe.vae_spatial_compression_ratio
    assert refine["latents"][-2:] == (64 // scale, 128 // scale)
    assert (refine["output"], refine["lora"], refine["audio"], refine["dynamic"]) == ("np", True, True, False)
    assert refine["sigmas"] == card.multiscale["refine_sigmas"] == [0.909375, 0.725, 0.421875]
    assert steps == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]  # both passes counted as one run
    # after the take: the LoRA off and the scheduler as loaded, for the next job's first pass
    assert pipe.scheduler.config.use_dynamic_shifting == first["dynamic"]


def test_the_ltx2_card_makes_two_passes_through_its_own_upsampler_and_the_distilled_lora():
    card = load_cards()["ltx-2"]
    assert card.multiscale == {
        "upsampler_subfolder": "latent_upsampler",
        "first_pass_scale": 0.5,
        "lora": "ltx-2-19b-distilled-lora-384.safetensors",
        "refine_sigmas": [0.909375, 0.725, 0.421875],
        "refine_guidance": 1.0,
    }
    from diffusers.pipelines.ltx2.utils import STAGE_2_DISTILLED_SIGMA_VALUES

    assert card.multiscale["refine_sigmas"] == STAGE_2_DISTILLED_SIGMA_VALUES
    two_pass = [c.id for c in load_cards().values() if c.multiscale and c.family == "ltx2"]
    assert two_pass == ["ltx-2"]
    assert all(not c.multiscale for c in load_cards().values() if c.family not in ("ltx", "ltx2"))


def test_the_download_plan_fetches_the_upsampler_folder_and_the_lora_and_no_pickles(card, tiny_ltx2_two_pass, tmp_path):
    hub = FakeHub(tiny_ltx2_two_pass)
    hub.files["ltx-2-other.safetensors"] = b"a single-file checkpoint"  # left out: not named
    hub.files["latent_upsampler/diffusion_pytorch_model.bin"] = b"pickle"
    ask = dataclasses.replace(card, id="tiny-download", repo="studio/tiny-ltx")
    paths = {f.path for f in plan_download(ask, tmp_path, hub).files}
    assert LORA in paths
    assert {"latent_upsampler/config.json", "latent_upsampler/diffusion_pytorch_model.safetensors"} <= paths
    assert "ltx-2-other.safetensors" not in paths
    assert not [p for p in paths if p.endswith((".bin", ".pt", ".pth", ".ckpt", ".py"))]
    one_pass = dataclasses.replace(ask, multiscale={})
    assert {f.path for f in plan_download(one_pass, tmp_path / "one", hub).files} == paths - {
        LORA,
        "latent_upsampler/config.json",
        "latent_upsampler/diffusion_pytorch_model.safetensors",
    }


@pytest.mark.parametrize("missing", [LORA, "latent_upsampler"])
def test_a_missing_lora_or_upsampler_is_one_line_saying_what_to_download(tiny_ltx2_two_pass, card, tmp_path, missing):
    folder = tmp_path / "tiny-ltx2-two-pass"
    shutil.copytree(tiny_ltx2_two_pass, folder)
    gone = folder / missing
    shutil.rmtree(gone) if gone.is_dir() else gone.unlink()
    message = "download tiny-ltx2-two-pass again: studio models download tiny-ltx2-two-pass"
    with pytest.raises(ModelNotFound, match=message) as refused:
        upsampler_folder(card, folder)
    assert missing in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(RequestError, match=message):
        prepare(recipe(), models_dir=tmp_path)


def test_without_its_upsampler_a_two_pass_ltx2_card_is_refused_not_made_in_one_pass(pipe, card):
    with pytest.raises(ValueError, match="two passes"):
        ltx2.generate_with_audio(pipe, recipe(), card)


def test_the_worker_makes_a_two_pass_ltx2_take_with_its_sound_and_its_recipe_says_so(tiny_ltx2_two_pass, tmp_path):
    import json
    import os
    import subprocess
    import sys

    from studio.media.audio import read_audio
    from studio.media.probe import probe
    from tests.conftest import REPO

    lacking = tmp_path / "lacking"
    shutil.copytree(tiny_ltx2_two_pass, lacking)
    (lacking / LORA).unlink()

    def run(job_id: str, folder: Path) -> dict:
        return {
            "type": "run",
            "job_id": job_id,
            "recipe": recipe(model=str(folder)).to_dict(),
            "output": str(tmp_path / f"{job_id}.mkv"),
        }

    requests = [run("two-pass", tiny_ltx2_two_pass), run("lacking", lacking), {"type": "quit"}]
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p)
    result = subprocess.run(
        [sys.executable, "-m", "studio.engine.runtime.worker"],
        capture_output=True,
        text=True,
        input="".join(json.dumps(r) + "\n" for r in requests),
        env=dict(os.environ, PYTHONPATH=path),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    events = {(e["job_id"], e["type"]): e for e in map(json.loads, result.stdout.splitlines())}
    done = events[("two-pass", "done")]
    assert (done["frames"], done["width"], done["height"]) == (9, 128, 64)
    revision = done["recipe"]["model_revision"]
    assert done["recipe"]["upsampler"] == f"tiny-ltx2-two-pass/latent_upsampler + {LORA}@{revision}"
    take, rate = tmp_path / "two-pass.mkv", done["sample_rate"]
    assert probe(take).has_audio and done["audio"]
    assert len(read_audio(take, rate)) == frame_sample(9, FrameRate.parse(24.0), rate)  # a one-pass take's length
    failed = events[("lacking", "failed")]["reason"]
    assert failed.startswith("download tiny-ltx2-two-pass again: studio models download tiny-ltx2-two-pass (")
    assert LORA in failed and "\n" not in failed


def test_images_and_clips_condition_both_passes_and_the_take_keeps_its_length_and_sound(
    pipe, card, upsampler, still_images, tmp_path
):
    from studio.core.recipe import Condition
    from studio.media.takes import write_frames

    first, last = still_images
    keyframes = recipe(mode=Mode.KEYFRAMES, conditions=[Condition(str(first), 0), Condition(str(last), 8)])
    frames, sound, rate = ltx2.generate_with_audio(pipe, keyframes, card, upsampler=upsampler)
    assert frames.shape == (9, 64, 128, 3) and len(sound) == frame_sample(9, FrameRate.parse(24.0), rate)

    pattern = (np.arange(9 * 64 * 128 * 3) % 251).astype(np.uint8).reshape(9, 64, 128, 3)
    tone = np.repeat(np.sin(np.arange(frame_sample(9, FrameRate.parse(24.0), rate)) / 5)[:, None], 2, 1)
    clip = write_frames(tmp_path / "clip.mkv", pattern, 24, audio=tone.astype(np.float32), sample_rate=rate)
    extend = recipe(mode=Mode.EXTEND_FORWARD, conditions=[Condition(str(clip))])
    take, sound, rate = ltx2.generate_with_audio(pipe, extend, card, upsampler=upsampler)
    assert take.shape[1:] == (64, 128, 3) and len(take) > 9  # the clip's frames and the new ones
    assert np.array_equal(take[:9], pattern)
    assert len(sound) == frame_sample(len(take), FrameRate.parse(24.0), rate)
