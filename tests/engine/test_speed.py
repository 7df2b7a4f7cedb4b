"""The fast paths (engine/fast_paths.py, runtime/speed.py): each turns on when the card asks and the device
allows, and is off otherwise; $STUDIO_FAST=0 is the stock path to the bit; a cached shot of the demo model
stays within what benchmarks/fast_paths.py measured; a bad [speed] table is refused in one sentence."""

from __future__ import annotations

import dataclasses
import tomllib

import numpy as np
import pytest
import torch

from studio.core.recipe import Mode
from studio.demo import quality
from studio.engine.cards import CardError, card_from_toml, find_weights, load_cards
from studio.engine.families.ltx import adapter as ltx
from studio.engine.fast_paths import ATTENTION_ENV, COMPILE_ENV, FAST_ENV, SpeedError
from studio.engine.memory import MemoryPlan
from studio.engine.runtime import speed
from studio.engine.runtime.loader import load_pipeline, pick_device, prepare_pipeline

# A First Block Cache (threshold 0.05) shot against the plain one of the same seed: benchmarks/fast_paths.py
# measured 44.5 dB at worst over 11 demo-model shots (benchmarks/results.md, 2026-12-02); 35 dB leaves a margin.
CACHED_PSNR_FLOOR_DB = 35.0


def _with_speed(card, **table):
    return dataclasses.replace(card, speed=table)


def _leader_hooks(transformer) -> list[str]:
    registry = getattr(transformer.transformer_blocks[0], "_diffusers_hook", None)
    return [] if registry is None else list(registry.hooks)


@pytest.fixture(autouse=True)
def _stock_attention():
    """set_attention_backend also sets diffusers' process-wide active backend: put it back."""
    from diffusers.models.attention_dispatch import _AttentionBackendRegistry

    active = _AttentionBackendRegistry._active_backend
    yield
    _AttentionBackendRegistry._active_backend = active


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ('cache = "fast"', "cache = 'fast' should be one of 'off', 'first_block'"),
        ('cache = "first_block"\ncache_threshold = 2', "cache_threshold should be between 0 and 1"),
        ("cache_threshold = 0.1", "no cache is chosen"),
        ('compile = "everything"', "compile = 'everything' should be one of"),
        ('quantize = "int4"', "quantize = 'int4' should be one of"),
        ('cache = "first_block"\ncache_modes = ["dance"]', "cache_modes names 'dance', not a mode"),
        ("turbo = true", "unknown turbo"),
        ("compile = 1", "compile should be a string"),
    ],
)
def test_a_bad_speed_table_is_refused_in_one_sentence(table, words):
    text = load_cards()["demo"].to_toml().split("[speed]")[0] + "[speed]\n" + table + "\n"
    with pytest.raises(CardError) as refused:
        card_from_toml(tomllib.loads(text), "demo.toml")
    message = str(refused.value)
    assert message.startswith("demo.toml [speed]: ") and words in message
    assert "\n" not in message


def test_the_speed_table_survives_toml_and_the_workers_json():
    card = load_cards()["demo"]
    assert card.speed["cache"] == "first_block"
    assert card_from_toml(tomllib.loads(card.to_toml())) == card
    assert type(card).from_dict(card.to_dict()) == card


@pytest.fixture(scope="module")
def demo():
    """The demo model's card and folder: a transformer of six blocks, which First Block Cache needs two of."""
    card = load_cards()["demo"]
    return card, find_weights(card)


def test_the_cache_is_on_where_the_card_asks_and_off_in_other_modes(demo):
    card, folder = demo
    card = _with_speed(card, cache="first_block", cache_threshold=0.1, cache_modes=["text_to_video"])
    pipe = load_pipeline(folder, card, pick_device("cpu"))
    assert "cache first_block 0.1" in pipe.studio_fast_paths
    assert pipe.transformer.is_cache_enabled
    assert "fbc_leader_block_hook" in _leader_hooks(pipe.transformer)
    assert pipe.transformer._cache_config.threshold == 0.1

    assert not speed.cache_for_mode(pipe, card, Mode.IMAGE_TO_VIDEO)
    assert not pipe.transformer.is_cache_enabled and "fbc_leader_block_hook" not in _leader_hooks(pipe.transformer)
    assert speed.cache_for_mode(pipe, card, Mode.TEXT_TO_VIDEO)
    assert pipe.transformer.is_cache_enabled


def test_a_transformer_of_one_block_is_refused_the_cache(tiny_ltx, tiny_card):
    with pytest.raises(SpeedError, match="needs a transformer of two blocks or more"):
        load_pipeline(tiny_ltx, _with_speed(tiny_card, cache="first_block"), pick_device("cpu"))


def test_no_fast_path_without_the_card_asking(tiny_pipe):
    assert tiny_pipe.studio_fast_paths == []
    assert not tiny_pipe.transformer.is_cache_enabled
    assert not any(getattr(b, "_compiled_call_impl", None) for b in tiny_pipe.transformer.transformer_blocks)


def test_studio_fast_0_turns_every_path_off(demo, monkeypatch):
    monkeypatch.setenv(FAST_ENV, "0")
    monkeypatch.setenv(COMPILE_ENV, "1")
    monkeypatch.setenv(ATTENTION_ENV, "_native_math")
    card, folder = demo
    card = _with_speed(card, cache="first_block", compile="regional")
    pipe = load_pipeline(folder, card, pick_device("cpu"))
    assert pipe.studio_fast_paths == []
    assert not pipe.transformer.is_cache_enabled
    assert not speed.cache_for_mode(pipe, card, Mode.TEXT_TO_VIDEO)


def test_regional_compile_is_off_on_the_cpu_unless_asked(tiny_ltx, tiny_card, monkeypatch):
    card = _with_speed(tiny_card, compile="regional")
    monkeypatch.delenv(COMPILE_ENV, raising=False)
    plain = load_pipeline(tiny_ltx, card, pick_device("cpu"))
    assert "compile regional" not in plain.studio_fast_paths
    assert all(b._compiled_call_impl is None for b in plain.transformer.transformer_blocks)

    monkeypatch.setenv(COMPILE_ENV, "1")
    compiled = load_pipeline(tiny_ltx, card, pick_device("cpu"))
    assert "compile regional" in compiled.studio_fast_paths
    blocks = compiled.transformer.transformer_blocks
    assert len(blocks) > 0 and all(b._compiled_call_impl is not None for b in blocks)
    assert compiled.transformer.proj_out._compiled_call_impl is None  # only the repeated blocks: regional
    speed.compile_blocks(compiled.transformer)  # a second ask keeps the first compile
    assert all(b._compiled_call_impl is not None for b in blocks)


def test_the_attention_backend_is_the_users_choice_where_it_runs(tiny_ltx, tiny_card, monkeypatch):
    cpu = pick_device("cpu")
    assert speed.attention_backend(cpu, torch.float32) == "native"  # diffusers' own on the CPU: nothing set
    monkeypatch.setenv(ATTENTION_ENV, "_native_math")
    pipe = load_pipeline(tiny_ltx, tiny_card, cpu)
    assert "attention _native_math" in pipe.studio_fast_paths
    processors = [m.processor for m in pipe.transformer.modules() if hasattr(m, "processor")]
    assert processors and all(p._attention_backend == "_native_math" for p in processors)


@pytest.mark.parametrize(
    ("backend", "words"),
    [
        ("flash", "cannot run on the CPU"),
        ("flash_hub", "would download its kernel from the Hugging Face Hub"),
        ("fastest", "is not an attention backend"),
    ],
)
def test_an_attention_backend_that_cannot_run_is_refused(tiny_ltx, tiny_card, monkeypatch, backend, words):
    monkeypatch.setenv(ATTENTION_ENV, backend)
    with pytest.raises(SpeedError, match=words):
        load_pipeline(tiny_ltx, tiny_card, pick_device("cpu"))


def test_fp8_weights_are_refused_on_the_cpu(tiny_pipe):
    with pytest.raises(SpeedError, match="fp8 weights need an NVIDIA GPU .* not the CPU"):
        speed.quantize_transformer(tiny_pipe.transformer, "fp8", torch.device("cpu"))


def test_int8_weights_only_on_the_offload_tiers(tiny_ltx, tiny_card):
    pytest.importorskip("torchao")
    from diffusers import LTXConditionPipeline

    card = _with_speed(tiny_card, quantize="int8")
    resident = load_pipeline(tiny_ltx, card, pick_device("cpu"))
    assert "quantize int8" not in resident.studio_fast_paths
    assert type(resident.transformer.proj_out.weight) is torch.nn.Parameter

    pipe = LTXConditionPipeline.from_pretrained(tiny_ltx, use_safetensors=True, local_files_only=True)
    # The offload tier's quantization, checked before placing (model offload needs a GPU to place onto).
    turned_on = speed.quantize_weights(pipe, card, pick_device("cpu"), MemoryPlan("model_offload", True, "test"))
    assert turned_on == ["quantize int8"]
    assert (
        "Int8" in type(pipe.transformer.proj_out.weight).__name__
        or "Affine" in type(pipe.transformer.proj_out.weight).__name__
    )


@pytest.fixture(scope="module")
def demo_shot():
    """The first scene of the benchmark's image-to-video pool, made by a shot. Image to video, as on the demo
    card's even schedule the cache at its threshold skips no step of a text-to-video shot (benchmarks/results.md)."""
    card = load_cards()["demo"]
    scene = quality.scenes("image_to_video", 1)[0]

    def shot(shot_card):
        pipe = load_pipeline(find_weights(shot_card), shot_card, pick_device("cpu"))
        made = []

        def generate(pipe, recipe, card):
            made.append(ltx.generate(pipe, recipe, card))
            return made[-1]

        quality.image_to_video(generate, pipe, shot_card, scene, 0)
        return pipe, made[0]

    return card, shot


def test_studio_fast_0_is_the_stock_path_to_the_bit(demo_shot, monkeypatch):
    card, shot = demo_shot
    _, stock = shot(_with_speed(card))  # no [speed]: nothing but diffusers' own path
    monkeypatch.setenv(FAST_ENV, "0")
    pipe, fast_off = shot(card)
    assert pipe.studio_fast_paths == []
    assert np.array_equal(fast_off, stock)


def test_a_cached_shot_stays_near_the_plain_one(demo_shot):
    card, shot = demo_shot
    _, plain = shot(_with_speed(card))
    pipe, cached = shot(card)
    assert pipe.transformer.is_cache_enabled
    assert not np.array_equal(cached, plain)  # the cache skipped blocks: not the same computation
    mse = np.mean((cached.astype(np.float64) - plain.astype(np.float64)) ** 2)
    assert 10 * np.log10(255**2 / mse) >= CACHED_PSNR_FLOOR_DB


def test_prepare_pipeline_returns_what_it_turned_on(demo):
    from diffusers import LTXConditionPipeline

    card, folder = demo
    pipe = LTXConditionPipeline.from_pretrained(folder, use_safetensors=True, local_files_only=True)
    card = _with_speed(card, cache="first_block")
    plan = MemoryPlan("resident", False, "test")
    assert prepare_pipeline(pipe, card, pick_device("cpu"), plan) == ["cache first_block 0.05"]


def test_no_fast_on_the_command_line_is_studio_fast_0(tmp_path, monkeypatch):
    import os

    from studio import cli

    monkeypatch.setenv(FAST_ENV, "1")  # put back after the test, whatever the command sets
    args = ["generate", "-m", "demo", "-p", " ", "-o", str(tmp_path / "a.mkv")]
    assert cli.main([*args, "--no-fast"]) == 2  # refused (the empty prompt) before any work, as every bad request
    assert os.environ[FAST_ENV] == "0"  # the worker it would start inherits it
    assert not (tmp_path / "a.mkv").exists()
