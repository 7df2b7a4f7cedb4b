"""The loader: the same code for users' models and the tiny one; clear errors for broken folders."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest
import torch

from studio.engine.runtime.loader import load_pipeline, pick_device
from studio.engine.weights import ModelFolderError, check_folder


@pytest.fixture
def broken(tiny_ltx, tmp_path):
    copy = tmp_path / "model"
    shutil.copytree(tiny_ltx, copy)
    return copy


def test_the_tiny_model_loads_as_an_ltx_condition_pipeline(tiny_pipe):
    assert type(tiny_pipe).__name__ == "LTXConditionPipeline"
    assert tiny_pipe.transformer.dtype == torch.float32
    assert tiny_pipe.vae_temporal_compression_ratio == 4


def test_the_cpu_gets_full_precision(monkeypatch):
    monkeypatch.delenv("STUDIO_DEVICE", raising=False)
    device = pick_device("cpu")
    assert (device.name, device.dtype) == ("cpu", torch.float32)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda m: (m / "model_index.json").unlink(), "has no model_index.json"),
        (lambda m: shutil.rmtree(m / "vae"), "the 'vae' folder is missing"),
        (
            lambda m: (m / "transformer" / "diffusion_pytorch_model.safetensors").unlink(),
            "transformer/ has no .safetensors weights",
        ),
        (lambda m: (m / "text_encoder" / "config.json").unlink(), "text_encoder/config.json is missing"),
        (
            lambda m: (
                (m / "tokenizer" / "tokenizer.json").unlink() or (m / "tokenizer" / "tokenizer_config.json").unlink()
            ),
            "tokenizer/ has neither tokenizer.json nor spiece.model",
        ),
        (lambda m: (m / "model_index.json").write_text("{not json"), "model_index.json is damaged"),
    ],
)
def test_a_broken_folder_is_a_clear_error_naming_what_is_missing(broken, damage, message):
    damage(broken)
    with pytest.raises(ModelFolderError) as error:
        load_pipeline(broken, device=pick_device("cpu"))
    assert message in str(error.value)
    assert str(broken) in str(error.value)


def test_damaged_weights_are_a_clear_error(broken):
    weights = broken / "vae" / "diffusion_pytorch_model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    check_folder(broken)  # every file is there...
    with pytest.raises(ModelFolderError, match=f"could not load the model in {broken}"):
        load_pipeline(broken, device=pick_device("cpu"))  # ...but the weights do not load


def test_pickled_weights_are_not_loaded(broken):
    weights = broken / "transformer" / "diffusion_pytorch_model.safetensors"
    weights.rename(weights.with_suffix(".bin"))
    with pytest.raises(ModelFolderError, match="only pickled .bin files"):
        load_pipeline(broken, device=pick_device("cpu"))


def preview_file(folder, channels: int, first=(1.0, 0.0, 0.0), constant=(0.0, 0.5, 0.0)) -> None:
    rows = [list(first)] + [[0.0, 0.0, 0.0]] * (channels - 1)
    (folder / "preview_colours.json").write_text(json.dumps({"colours": rows, "constant": list(constant)}))


def test_a_folders_preview_colours_paint_its_jobs_previews(broken, tiny_card):
    """preview_colours.json beside model_index.json: each latent channel's colour. Here the first channel is
    red and the rest nothing, on a constant half green: every preview of a job is that, not channels shown
    as colours."""
    from studio.core.recipe import Mode, Recipe
    from studio.engine.families.ltx.adapter import generate
    from studio.engine.requests import prepare

    preview_file(broken, json.loads((broken / "vae" / "config.json").read_text())["latent_channels"])
    pipe = load_pipeline(broken, tiny_card, pick_device("cpu"))
    recipe, _ = prepare(Recipe(Mode.TEXT_TO_VIDEO, model=str(broken), prompt="a fox", width=64, height=64, frames=9))
    recipe = dataclasses.replace(recipe, steps=4)
    previews: list[np.ndarray] = []
    generate(pipe, recipe, tiny_card, on_preview=previews.append)
    assert len(previews) == 2
    for preview in previews:
        assert (preview[..., 1] == 128).all() and (preview[..., 2] == 0).all()  # the constant: half green, no blue
        assert len(np.unique(preview[..., 0])) > 1  # red: the first channel, as it varies over the frame


@pytest.mark.parametrize(
    "text",
    [
        "{not json",
        json.dumps({"colours": [[1, 0, 0]]}),  # no constant
        json.dumps({"colours": [[1, 0]], "constant": [0, 0, 0]}),
        json.dumps({"colours": [["1", 0, 0]], "constant": [0, 0, 0]}),
        json.dumps({"colours": [[True, 0, 0]], "constant": [0, 0, 0]}),
        '{"colours": [[NaN, 0, 0]], "constant": [0, 0, 0]}',
        json.dumps({"colours": "red", "constant": [0, 0, 0]}),
        json.dumps({"colours": [[0, 0, 0]] * 3, "constant": [0, 0, 0]}) + " " * (1 << 20),
    ],
)
def test_damaged_preview_colours_are_left_out_and_the_model_loads(broken, tiny_card, text, caplog):
    (broken / "preview_colours.json").write_text(text)
    with caplog.at_level("WARNING"):
        pipe = load_pipeline(broken, tiny_card, pick_device("cpu"))
    assert not hasattr(pipe.vae, "studio_preview_colours")
    assert "preview_colours.json left out" in caplog.text
