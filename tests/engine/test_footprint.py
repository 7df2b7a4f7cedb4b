"""Component sizes from safetensors headers (no weights loaded), from the cards, and `studio models fit`."""

from __future__ import annotations

import argparse
import json
import tomllib
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from studio import cli
from studio.engine.cards import CardError, card_from_toml, load_cards
from studio.engine.footprint import GB, component_bytes, folder_components, footprint, read_header
from tests.conftest import REPO


def _direct_bytes(folder: Path, dtype_bytes: int | None = None) -> int:
    """The same count from the loaded tensors themselves."""
    total = 0
    for path in folder.glob("*.safetensors"):
        for tensor in load_file(path).values():
            size = dtype_bytes if dtype_bytes and tensor.is_floating_point() else tensor.element_size()
            total += tensor.numel() * size
    return total


def test_the_header_reader_gives_each_components_bytes_of_a_tiny_model(tiny_ltx):
    sizes = folder_components(tiny_ltx)
    assert {"transformer", "text_encoder", "vae"} <= set(sizes)
    for name, gb in sizes.items():
        folder = tiny_ltx / name
        assert gb * GB == _direct_bytes(folder)
        # As stored, the data is the file less its 8-byte header length and the header.
        files = list(folder.glob("*.safetensors"))
        assert gb * GB == sum(f.stat().st_size - 8 - int.from_bytes(f.read_bytes()[:8], "little") for f in files)
        assert all(read_header(f) for f in files)
        # Cast to bf16 on loading: every float takes 2 bytes.
        assert folder_components(tiny_ltx, dtype_bytes=2)[name] * GB == _direct_bytes(folder, dtype_bytes=2)


def test_sharded_weights_are_summed_and_missing_shards_fall_back_to_the_index(tmp_path):
    part = tmp_path / "model" / "transformer"
    part.mkdir(parents=True)
    save_file({"a": torch.zeros(10, 20, dtype=torch.bfloat16)}, part / "m-00001-of-00002.safetensors")
    save_file(
        {"b": torch.zeros(7, dtype=torch.float32), "i": torch.zeros(3, dtype=torch.int64)},
        part / "m-00002-of-00002.safetensors",
    )
    index = {
        "metadata": {"total_size": 452},
        "weight_map": {"a": "m-00001-of-00002.safetensors", "b": "m-00002-of-00002.safetensors"},
    }
    (part / "m.safetensors.index.json").write_text(json.dumps(index))
    assert component_bytes(part) == 10 * 20 * 2 + 7 * 4 + 3 * 8
    assert component_bytes(part, dtype_bytes=2) == 10 * 20 * 2 + 7 * 2 + 3 * 8  # the ints are not cast
    (part / "m-00002-of-00002.safetensors").unlink()  # a download still under way
    assert component_bytes(part) == 452
    (tmp_path / "model" / "scheduler").mkdir()  # no weights: not a component
    assert set(folder_components(tmp_path / "model")) == {"transformer"}


def test_the_footprint_reads_the_folder_when_there_is_one_and_the_card_otherwise(tiny_ltx):
    card = load_cards()["ltx-video-0.9.7-dev"]
    from_card = footprint(card)
    assert from_card.source == "card" and from_card.components == card.components
    assert from_card.largest()[0] == "transformer" and from_card.activations_gb > 0
    bigger = footprint(card, width=1280, height=1280, frames=257)
    assert bigger.activations_gb > from_card.activations_gb  # the activations follow the size asked
    from_folder = footprint(card, tiny_ltx)
    assert from_folder.source == str(tiny_ltx) and from_folder.total_gb < 0.1


def test_a_cards_component_sizes_are_checked_and_written_back():
    text = (Path(load_cards()["wan-2.1-t2v-1.3b"].source)).read_text()
    card = card_from_toml(tomllib.loads(text), "wan.toml")
    assert card.components == {"transformer": 2.64, "text_encoder": 10.58, "vae": 0.47}
    again = card_from_toml(tomllib.loads(card.to_toml()), "again.toml")
    assert again.components == card.components
    with pytest.raises(CardError, match=r"wan.toml: \[components\] transformer should be a component's size"):
        card_from_toml(tomllib.loads(text.replace("transformer_gb", "transformer")), "wan.toml")
    with pytest.raises(CardError, match=r"\[components\] vae_gb should be positive"):
        card_from_toml(tomllib.loads(text.replace("vae_gb = 0.47", "vae_gb = 0")), "wan.toml")


def test_models_fit_prints_each_cards_tier_on_the_gpu_and_what_decided_it(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("STUDIO_MODELS_PATH", raising=False)
    args = argparse.Namespace(models_dir=tmp_path, gpu_memory=24.0, width=None, height=None, frames=None)
    assert cli.cmd_models_fit(args) == 0
    lines = capsys.readouterr().out.splitlines()
    cards = [card_id for card_id, card in load_cards().items() if card.kind != "upsampler"]
    assert sorted(line.split()[0] for line in lines) == sorted(cards)  # one line per model card
    by_id = {line.split()[0]: line for line in lines}
    assert by_id["ltx-video-0.9.7-dev"].split()[1] == "group_offload"
    assert "model offload: the transformer (24.3 GB" in by_id["ltx-video-0.9.7-dev"]
    assert "does not fit in 24.0 GB, so group offload" in by_id["ltx-video-0.9.7-dev"]
    assert by_id["wan-2.1-t2v-1.3b"].split()[1] == "resident"
    for line in lines:
        assert line.split()[1] in ("resident", "model_offload", "group_offload"), line
        assert "the transformer" in line or "the text_encoder" in line or "all resident" in line, line


def test_models_fit_is_a_verb_of_the_command_line():
    args = cli.parser().parse_args(["models", "fit", "--gpu-memory", "12", "--width", "832"])
    assert (args.func, args.gpu_memory, args.width) == (cli.cmd_models_fit, 12.0, 832)


def test_the_cards_sizes_are_what_the_configs_give_on_the_meta_device():
    """benchmarks/component_sizes.py recomputes a card's sizes from the real configs: here the Wan 2.1
    1.3B card's transformer and UMT5-XXL text encoder, built with their real classes and no weights."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("component_sizes", REPO / "benchmarks" / "component_sizes.py")
    sizes = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sizes)
    data = sizes.configs()  # studio/testing/bench/component_configs.toml, package data
    card = load_cards()["wan-2.1-t2v-1.3b"]
    assert sizes.CARDS[card.id] == "wan-2_1-1_3b"
    for name in ("transformer", "text_encoder"):
        part = sizes.resolve("wan-2_1-1_3b", name, data)
        assert round(sizes.component_count(part) * 2 / GB, 2) == card.components[name]
